// S3 operations on buckets and their configuration (policy, lifecycle, default encryption, public
// access block). Each handler validates, changes the store, and renders S3's reply.

#include <algorithm>
#include <charconv>
#include <set>

#include <boost/beast/http.hpp>

#include "base/hex.h"
#include "s3_checksum.h"
#include "s3_service.h"
#include "s3_xml.h"

namespace sockerless::awssim {
namespace {

constexpr std::string_view kDefaultRegion = "us-east-1";
constexpr std::size_t kMaxLifecycleRules = 1000;
constexpr std::string_view kTransitionMinimumSize = "all_storage_classes_128K";

S3Error bucket_error(int status, std::string code, std::string message, std::string_view bucket) {
    return S3Error{
        status, std::move(code), std::move(message), {{"BucketName", std::string(bucket)}}};
}

std::optional<int> positive_int(std::string_view s) {
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<bool> xml_bool(std::string_view s) {
    if (s == "true") return true;
    if (s == "false") return false;
    return std::nullopt;
}

std::optional<S3Error> check_location(std::string_view region,
                                      const std::optional<std::string>& constraint) {
    auto incompatible = [](std::string_view what) {
        return S3Error{400,
                       "IllegalLocationConstraintException",
                       "The " + std::string(what) +
                           " location constraint is incompatible for the region specific "
                           "endpoint this request was sent to.",
                       {}};
    };
    if (region == kDefaultRegion) {
        if (!constraint || constraint->empty()) return std::nullopt;
        if (*constraint == kDefaultRegion) {
            return S3Error{400,
                           "InvalidLocationConstraint",
                           "The specified location-constraint is not valid",
                           {{"LocationConstraint", *constraint}}};
        }
        return incompatible(*constraint);
    }
    if (!constraint || constraint->empty()) return incompatible("unspecified");
    if (*constraint != region) return incompatible(*constraint);
    return std::nullopt;
}

std::string random_rule_id() {
    auto token = random_hex_token(24);
    return token ? *token : std::string("rule");
}

std::variant<LifecycleRule, S3Error> parse_lifecycle_rule(const XmlNode& node) {
    static constexpr auto kFields = std::to_array<std::string_view>(
        {"ID", "Filter", "Prefix", "Status", "Expiration", "AbortIncompleteMultipartUpload",
         "Transition", "NoncurrentVersionTransition", "NoncurrentVersionExpiration"});
    for (const auto& child : node.children) {
        if (std::ranges::find(kFields, child.name) == kFields.end()) return s3_malformed_xml();
    }
    if (node.child("Transition") || node.child("NoncurrentVersionTransition") ||
        node.child("NoncurrentVersionExpiration")) {
        return S3Error{501,
                       "NotImplemented",
                       "A header you provided implies functionality that is not implemented",
                       {}};
    }
    LifecycleRule rule;
    rule.id = node.child_text("ID").value_or("");
    if (rule.id.size() > 255)
        return s3_invalid_argument("ID length should not exceed allowed limit of 255");
    if (rule.id.empty()) rule.id = random_rule_id();
    auto status = node.child_text("Status");
    if (!status || (*status != "Enabled" && *status != "Disabled")) return s3_malformed_xml();
    rule.enabled = *status == "Enabled";

    const XmlNode* filter = node.child("Filter");
    auto legacy_prefix = node.child_text("Prefix");
    if (filter && legacy_prefix) return s3_malformed_xml();
    rule.filter = !legacy_prefix;
    if (legacy_prefix) rule.prefix = *legacy_prefix;
    if (filter) {
        if (filter->children.size() > 1) return s3_malformed_xml();
        if (!filter->children.empty() && filter->children.front().name != "Prefix") {
            return S3Error{501,
                           "NotImplemented",
                           "A header you provided implies functionality that is not implemented",
                           {}};
        }
        rule.prefix = filter->child_text("Prefix").value_or("");
    }
    if (const XmlNode* expiration = node.child("Expiration")) {
        if (expiration->child("Date") || expiration->child("ExpiredObjectDeleteMarker")) {
            return S3Error{501,
                           "NotImplemented",
                           "A header you provided implies functionality that is not implemented",
                           {}};
        }
        auto days = positive_int(expiration->child_text("Days").value_or(""));
        if (!days) return s3_malformed_xml();
        if (*days <= 0)
            return s3_invalid_argument("'Days' for Expiration action must be a positive integer");
        rule.expiration_days = *days;
    }
    if (const XmlNode* abort = node.child("AbortIncompleteMultipartUpload")) {
        auto days = positive_int(abort->child_text("DaysAfterInitiation").value_or(""));
        if (!days) return s3_malformed_xml();
        if (*days <= 0) {
            return s3_invalid_argument(
                "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a "
                "positive integer");
        }
        rule.abort_incomplete_upload_days = *days;
    }
    if (!rule.expiration_days && !rule.abort_incomplete_upload_days) {
        return S3Error{
            400, "InvalidRequest", "At least one action needs to be specified in a rule", {}};
    }
    return rule;
}

std::variant<std::vector<LifecycleRule>, S3Error> parse_lifecycle(std::string_view body) {
    auto doc = parse_xml(body);
    if (!doc || doc->name != "LifecycleConfiguration") return s3_malformed_xml();
    auto nodes = doc->all("Rule");
    if (nodes.empty() || nodes.size() > kMaxLifecycleRules || nodes.size() != doc->children.size())
        return s3_malformed_xml();
    std::vector<LifecycleRule> rules;
    std::set<std::string> ids;
    for (const XmlNode* node : nodes) {
        auto rule = parse_lifecycle_rule(*node);
        if (auto* e = std::get_if<S3Error>(&rule)) return *e;
        auto& r = std::get<LifecycleRule>(rule);
        if (!ids.insert(r.id).second) {
            return s3_invalid_argument(
                "Rule ID must be unique. Found same ID for more than one rule", "ID", r.id);
        }
        rules.push_back(std::move(r));
    }
    return rules;
}

std::string lifecycle_document(const std::vector<LifecycleRule>& rules) {
    XmlWriter xml;
    xml.open("LifecycleConfiguration", kS3Namespace);
    for (const auto& rule : rules) {
        xml.open("Rule");
        if (rule.expiration_days) {
            xml.open("Expiration").element("Days", std::to_string(*rule.expiration_days)).close();
        }
        xml.element("ID", rule.id);
        if (rule.filter) {
            xml.open("Filter");
            if (!rule.prefix.empty()) xml.element("Prefix", rule.prefix);
            xml.close();
        } else {
            xml.element("Prefix", rule.prefix);
        }
        xml.element("Status", rule.enabled ? "Enabled" : "Disabled");
        if (rule.abort_incomplete_upload_days) {
            xml.open("AbortIncompleteMultipartUpload")
                .element("DaysAfterInitiation", std::to_string(*rule.abort_incomplete_upload_days))
                .close();
        }
        xml.close();
    }
    return xml.finish();
}

std::variant<BucketEncryption, S3Error> parse_encryption(std::string_view body) {
    auto doc = parse_xml(body);
    if (!doc || doc->name != "ServerSideEncryptionConfiguration") return s3_malformed_xml();
    auto rules = doc->all("Rule");
    if (rules.size() != 1) return s3_malformed_xml();
    const XmlNode* by_default = rules.front()->child("ApplyServerSideEncryptionByDefault");
    if (!by_default) return s3_malformed_xml();
    BucketEncryption out;
    out.algorithm = by_default->child_text("SSEAlgorithm").value_or("");
    if (out.algorithm != "AES256" && out.algorithm != "aws:kms" && out.algorithm != "aws:kms:dsse")
        return s3_malformed_xml();
    out.kms_key_id = by_default->child_text("KMSMasterKeyID").value_or("");
    if (!out.kms_key_id.empty() && out.algorithm == "AES256") {
        return s3_invalid_argument(
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or "
            "aws:kms:dsse");
    }
    if (auto key_enabled = rules.front()->child_text("BucketKeyEnabled")) {
        auto v = xml_bool(*key_enabled);
        if (!v) return s3_malformed_xml();
        out.bucket_key_enabled = *v;
    }
    return out;
}

std::variant<PublicAccessBlock, S3Error> parse_public_access_block(std::string_view body) {
    auto doc = parse_xml(body);
    if (!doc || doc->name != "PublicAccessBlockConfiguration") return s3_malformed_xml();
    PublicAccessBlock out;
    bool any = false;
    for (auto [name, field] : {std::pair{"BlockPublicAcls", &out.block_public_acls},
                               std::pair{"IgnorePublicAcls", &out.ignore_public_acls},
                               std::pair{"BlockPublicPolicy", &out.block_public_policy},
                               std::pair{"RestrictPublicBuckets", &out.restrict_public_buckets}}) {
        auto text = doc->child_text(name);
        if (!text) continue;
        auto v = xml_bool(*text);
        if (!v) return s3_malformed_xml();
        *field = *v;
        any = true;
    }
    if (!any) return S3Error{400, "InvalidRequest", "Must specify at least one configuration.", {}};
    return out;
}

}  // namespace

std::optional<S3Error> S3Service::save(const Bucket& bucket) {
    if (auto saved = store_.save_settings(bucket); !saved)
        return s3_internal_error(saved.error().message);
    return std::nullopt;
}

Response S3Service::list_buckets(Context& c) {
    std::string prefix = c.target.param("prefix").value_or("");
    std::size_t max = 10000;
    if (auto m = c.target.param("max-buckets")) {
        auto n = positive_int(*m);
        if (!n || *n < 1 || *n > 10000) {
            return fail(c, s3_invalid_argument("Argument max-buckets must be a number between 1 "
                                               "and 10000",
                                               "max-buckets", *m));
        }
        max = static_cast<std::size_t>(*n);
    }
    std::string after;
    if (auto token = c.target.param("continuation-token")) {
        auto decoded = base64_decode(*token);
        if (!decoded)
            return fail(c, s3_invalid_argument("The continuation token provided is incorrect"));
        after = *decoded;
    }
    XmlWriter xml;
    xml.open("ListAllMyBucketsResult", kS3Namespace).open("Buckets");
    std::string last;
    std::size_t count = 0;
    bool truncated = false;
    for (const auto& [name, bucket] : store_.buckets()) {
        if (!name.starts_with(prefix) || (!after.empty() && name <= after)) continue;
        if (count == max) {
            truncated = true;
            break;
        }
        xml.open("Bucket")
            .element("Name", name)
            .element("CreationDate", iso8601_millis(bucket.created))
            .element("BucketRegion", bucket.region)
            .element("BucketArn", "arn:aws:s3:::" + name)
            .close();
        last = name;
        ++count;
    }
    xml.close().open("Owner").element("ID", s3_owner_id()).close();
    if (truncated) xml.element("ContinuationToken", base64_encode(last));
    if (!prefix.empty()) xml.element("Prefix", prefix);
    return reply(c, 200, "application/xml", xml.finish());
}

Response S3Service::create_bucket(Context& c) {
    const std::string& name = c.target.bucket;
    if (!valid_bucket_name(name))
        return fail(
            c, bucket_error(400, "InvalidBucketName", "The specified bucket is not valid.", name));
    std::optional<std::string> constraint;
    if (!c.payload.empty()) {
        auto doc = parse_xml(c.payload);
        if (!doc || doc->name != "CreateBucketConfiguration") return fail(c, s3_malformed_xml());
        constraint = doc->child_text("LocationConstraint");
    }
    if (auto e = check_location(region_, constraint)) return fail(c, *e);
    if (store_.find(name)) {
        // us-east-1 answers a repeated CreateBucket by the owner with success (legacy behaviour
        // S3 keeps there); every other region says the owner already has it.
        if (region_ != kDefaultRegion) {
            return fail(c, bucket_error(409, "BucketAlreadyOwnedByYou",
                                        "Your previous request to create the named bucket "
                                        "succeeded and you already own it.",
                                        name));
        }
    } else {
        auto created = store_.create_bucket(name, region_, c.now);
        if (!created) return fail(c, s3_internal_error(created.error().message));
        // New buckets block public access, as S3 does since April 2023.
        (*created)->public_access_block = PublicAccessBlock{true, true, true, true};
        if (auto e = save(**created)) return fail(c, *e);
    }
    auto res = reply(c, 200, "", "");
    res.set(boost::beast::http::field::location,
            region_ == kDefaultRegion ? "/" + name : "http://" + name + ".s3.amazonaws.com/");
    res.set("x-amz-bucket-arn", "arn:aws:s3:::" + name);
    return res;
}

Response S3Service::delete_bucket(Context& c) {
    if (!c.bucket->objects.empty()) {
        return fail(c, bucket_error(409, "BucketNotEmpty",
                                    "The bucket you tried to delete is not empty", c.bucket->name));
    }
    if (auto deleted = store_.delete_bucket(c.bucket->name); !deleted)
        return fail(c, s3_internal_error(deleted.error().message));
    c.bucket = nullptr;
    return reply(c, 204, "", "");
}

Response S3Service::head_bucket(Context& c) {
    auto res = reply(c, 200, "application/xml", "");
    res.set("x-amz-bucket-region", c.bucket->region);
    res.set("x-amz-bucket-arn", "arn:aws:s3:::" + c.bucket->name);
    res.set("x-amz-access-point-alias", "false");
    return res;
}

Response S3Service::get_bucket_location(Context& c) {
    XmlWriter xml;
    xml.open("LocationConstraint", kS3Namespace);
    if (c.bucket->region != kDefaultRegion) xml.text(c.bucket->region);
    return reply(c, 200, "application/xml", xml.finish());
}

Response S3Service::put_bucket_policy(Context& c) {
    auto policy = parse_bucket_policy(c.payload, c.bucket->name);
    if (!policy) {
        const auto& e = policy.error();
        return fail(c, S3Error{e.status, e.code, e.message, {}});
    }
    const auto& block = c.bucket->public_access_block;
    if (block && block->block_public_policy && is_public_policy(*policy)) {
        return fail(c, S3Error{403,
                               "AccessDenied",
                               "User: " + c.call.identity.arn +
                                   " is not authorized to perform: s3:PutBucketPolicy on "
                                   "resource: \"arn:aws:s3:::" +
                                   c.bucket->name +
                                   "\" because public policies are blocked by the "
                                   "BlockPublicPolicy block public access setting.",
                               {}});
    }
    c.bucket->policy_text = c.payload;
    c.bucket->policy = std::move(*policy);
    if (auto e = save(*c.bucket)) return fail(c, *e);
    return reply(c, 204, "", "");
}

Response S3Service::get_bucket_policy(Context& c) {
    if (!c.bucket->policy_text) {
        return fail(c, bucket_error(404, "NoSuchBucketPolicy", "The bucket policy does not exist",
                                    c.bucket->name));
    }
    return reply(c, 200, "application/json", *c.bucket->policy_text);
}

Response S3Service::delete_bucket_policy(Context& c) {
    c.bucket->policy_text.reset();
    c.bucket->policy.reset();
    if (auto e = save(*c.bucket)) return fail(c, *e);
    return reply(c, 204, "", "");
}

Response S3Service::put_bucket_lifecycle(Context& c) {
    std::optional<PayloadChecksum> checksum;
    if (auto e = verify_integrity(c, true, checksum)) return fail(c, *e);
    auto rules = parse_lifecycle(c.payload);
    if (auto* e = std::get_if<S3Error>(&rules)) return fail(c, *e);
    c.bucket->lifecycle = std::move(std::get<std::vector<LifecycleRule>>(rules));
    if (auto e = save(*c.bucket)) return fail(c, *e);
    auto res = reply(c, 200, "", "");
    res.set("x-amz-transition-default-minimum-object-size", kTransitionMinimumSize);
    return res;
}

Response S3Service::get_bucket_lifecycle(Context& c) {
    if (!c.bucket->lifecycle) {
        return fail(c, bucket_error(404, "NoSuchLifecycleConfiguration",
                                    "The lifecycle configuration does not exist", c.bucket->name));
    }
    auto res = reply(c, 200, "application/xml", lifecycle_document(*c.bucket->lifecycle));
    res.set("x-amz-transition-default-minimum-object-size", kTransitionMinimumSize);
    return res;
}

Response S3Service::delete_bucket_lifecycle(Context& c) {
    c.bucket->lifecycle.reset();
    if (auto e = save(*c.bucket)) return fail(c, *e);
    return reply(c, 204, "", "");
}

Response S3Service::put_bucket_encryption(Context& c) {
    std::optional<PayloadChecksum> checksum;
    if (auto e = verify_integrity(c, false, checksum)) return fail(c, *e);
    auto encryption = parse_encryption(c.payload);
    if (auto* e = std::get_if<S3Error>(&encryption)) return fail(c, *e);
    c.bucket->encryption = std::get<BucketEncryption>(encryption);
    if (auto e = save(*c.bucket)) return fail(c, *e);
    return reply(c, 200, "", "");
}

Response S3Service::get_bucket_encryption(Context& c) {
    const auto& enc = c.bucket->encryption;
    XmlWriter xml;
    xml.open("ServerSideEncryptionConfiguration", kS3Namespace)
        .open("Rule")
        .open("ApplyServerSideEncryptionByDefault")
        .element("SSEAlgorithm", enc.algorithm);
    if (!enc.kms_key_id.empty()) xml.element("KMSMasterKeyID", enc.kms_key_id);
    xml.close().element("BucketKeyEnabled", enc.bucket_key_enabled ? "true" : "false");
    return reply(c, 200, "application/xml", xml.finish());
}

Response S3Service::delete_bucket_encryption(Context& c) {
    c.bucket->encryption = BucketEncryption{};
    if (auto e = save(*c.bucket)) return fail(c, *e);
    return reply(c, 204, "", "");
}

Response S3Service::put_public_access_block(Context& c) {
    std::optional<PayloadChecksum> checksum;
    if (auto e = verify_integrity(c, false, checksum)) return fail(c, *e);
    auto block = parse_public_access_block(c.payload);
    if (auto* e = std::get_if<S3Error>(&block)) return fail(c, *e);
    c.bucket->public_access_block = std::get<PublicAccessBlock>(block);
    if (auto e = save(*c.bucket)) return fail(c, *e);
    return reply(c, 200, "", "");
}

Response S3Service::get_public_access_block(Context& c) {
    if (!c.bucket->public_access_block) {
        return fail(
            c, bucket_error(404, "NoSuchPublicAccessBlockConfiguration",
                            "The public access block configuration was not found", c.bucket->name));
    }
    const auto& p = *c.bucket->public_access_block;
    auto b = [](bool v) { return v ? "true" : "false"; };
    XmlWriter xml;
    xml.open("PublicAccessBlockConfiguration", kS3Namespace)
        .element("BlockPublicAcls", b(p.block_public_acls))
        .element("IgnorePublicAcls", b(p.ignore_public_acls))
        .element("BlockPublicPolicy", b(p.block_public_policy))
        .element("RestrictPublicBuckets", b(p.restrict_public_buckets));
    return reply(c, 200, "application/xml", xml.finish());
}

Response S3Service::delete_public_access_block(Context& c) {
    c.bucket->public_access_block.reset();
    if (auto e = save(*c.bucket)) return fail(c, *e);
    return reply(c, 204, "", "");
}

}  // namespace sockerless::awssim
