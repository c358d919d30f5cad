#include "backends/ecs/payload_store.h"

#include <algorithm>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace sockerless::ecs {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::string_view kPolicyVersion = "2012-10-17";
constexpr int kLifecycleDays = 1;

// "prefix/" with the slashes a user may have added trimmed; "" for the bucket's root.
std::string key_prefix(std::string_view prefix) {
    while (prefix.starts_with('/'))
        prefix.remove_prefix(1);
    while (prefix.ends_with('/'))
        prefix.remove_suffix(1);
    return prefix.empty() ? std::string() : std::string(prefix) + "/";
}

std::string bucket_arn(std::string_view partition, std::string_view bucket) {
    return "arn:" + std::string(partition) + ":s3:::" + std::string(bucket);
}

json::array strings(std::initializer_list<std::string_view> items) {
    json::array out;
    for (std::string_view s : items)
        out.emplace_back(s);
    return out;
}

json::object policy_document(json::array statements) {
    json::object doc;
    doc["Version"] = kPolicyVersion;
    doc["Statement"] = std::move(statements);
    return doc;
}

json::object tls_only_statement(std::string_view bucket, std::string_view partition) {
    json::object st;
    st["Sid"] = kTlsOnlySid;
    st["Effect"] = "Deny";
    st["Principal"] = "*";
    st["Action"] = "s3:*";
    const std::string arn = bucket_arn(partition, bucket);
    st["Resource"] = strings({arn, arn + "/*"});
    json::object condition;
    condition["Bool"] = json::object{{"aws:SecureTransport", "false"}};
    st["Condition"] = std::move(condition);
    return st;
}

// A policy field that may be one string or a list of strings.
std::vector<std::string> string_list(const json::value* v) {
    std::vector<std::string> out;
    if (v == nullptr) return out;
    if (v->is_string()) {
        out.emplace_back(v->get_string());
    } else if (v->is_array()) {
        for (const json::value& item : v->get_array()) {
            if (item.is_string()) out.emplace_back(item.get_string());
        }
    }
    return out;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// "false", false or ["false"]: the forms IAM accepts for a Bool condition value.
bool is_false(const json::value* v) {
    if (v == nullptr) return false;
    if (v->is_bool()) return !v->get_bool();
    if (v->is_string()) return v->get_string() == "false";
    if (v->is_array()) {
        const auto& a = v->get_array();
        return a.size() == 1 && is_false(&a[0]);
    }
    return false;
}

bool everyone(const json::value* principal) {
    if (principal == nullptr) return false;
    if (principal->is_string()) return principal->get_string() == "*";
    if (principal->is_object())
        return contains(string_list(principal->if_object()->if_contains("AWS")), "*");
    return false;
}

// Whether `st` denies everyone every S3 action on the bucket and its objects without TLS.
bool denies_insecure_transport(const json::object& st, std::string_view bucket) {
    if (const auto* effect = st.if_contains("Effect");
        effect == nullptr || !effect->is_string() || effect->get_string() != "Deny") {
        return false;
    }
    if (!everyone(st.if_contains("Principal"))) return false;
    const auto actions = string_list(st.if_contains("Action"));
    if (!contains(actions, "s3:*") && !contains(actions, "*")) return false;
    bool bucket_covered = false;
    bool objects_covered = false;
    for (const std::string& r : string_list(st.if_contains("Resource"))) {
        // Any partition: the check does not need to know which one the bucket is in.
        const auto at = r.find(":s3:::");
        if (r == "*") bucket_covered = objects_covered = true;
        if (at == std::string::npos) continue;
        const std::string_view rest = std::string_view(r).substr(at + 6);
        if (rest == bucket) bucket_covered = true;
        if (rest == std::string(bucket) + "/*") objects_covered = true;
    }
    if (!bucket_covered || !objects_covered) return false;
    const auto* condition = st.if_contains("Condition");
    const auto* op = condition != nullptr && condition->is_object()
                         ? condition->get_object().if_contains("Bool")
                         : nullptr;
    return op != nullptr && op->is_object() &&
           is_false(op->get_object().if_contains("aws:SecureTransport"));
}

json::array statements_of(const json::object& policy) {
    const auto* st = policy.if_contains("Statement");
    if (st == nullptr) return {};
    if (st->is_array()) return st->get_array();
    if (st->is_object()) return json::array{*st};
    return {};
}

// The TLS-only check over a policy text; nullopt when it is there, else the problem.
std::optional<std::string> policy_problem(const std::optional<std::string>& text,
                                          std::string_view bucket) {
    if (!text) return "bucket policy: none (want a statement denying requests without TLS)";
    boost::system::error_code ec;
    json::value doc = json::parse(*text, ec);
    if (ec || !doc.is_object()) return "bucket policy: not a JSON object";
    for (const json::value& st : statements_of(doc.get_object())) {
        if (st.is_object() && denies_insecure_transport(st.get_object(), bucket))
            return std::nullopt;
    }
    return "bucket policy: no statement denies requests made without TLS (Deny s3:* on the "
           "bucket and its objects when aws:SecureTransport is false)";
}

}  // namespace

Result<std::string> policy_with_tls_only(const std::optional<std::string>& existing,
                                         std::string_view bucket, std::string_view partition) {
    json::object doc;
    if (existing) {
        boost::system::error_code ec;
        json::value parsed = json::parse(*existing, ec);
        if (ec || !parsed.is_object()) {
            return make_error(Errc::invalid_argument,
                              "the bucket policy of " + std::string(bucket) + " is not JSON");
        }
        doc = std::move(parsed.get_object());
    }
    json::array statements = statements_of(doc);
    auto ours = std::remove_if(statements.begin(), statements.end(), [](const json::value& st) {
        const auto* sid = st.is_object() ? st.get_object().if_contains("Sid") : nullptr;
        return sid != nullptr && sid->is_string() && sid->get_string() == kTlsOnlySid;
    });
    statements.erase(ours, statements.end());
    statements.emplace_back(tls_only_statement(bucket, partition));
    if (!doc.contains("Version")) doc["Version"] = kPolicyVersion;
    doc["Statement"] = std::move(statements);
    return json::serialize(doc);
}

namespace {

// Whether `rule` covers every key under `prefix` (a rule's prefix that is a prefix of ours).
bool covers(const aws::LifecycleRule& rule, const std::string& prefix) {
    return rule.enabled && prefix.starts_with(rule.prefix);
}

std::vector<std::string> lifecycle_problems(
    const std::optional<std::vector<aws::LifecycleRule>>& rules, const std::string& prefix) {
    std::vector<std::string> out;
    const std::string where = prefix.empty() ? "the bucket" : prefix;
    bool expires = false;
    bool aborts = false;
    if (rules) {
        for (const aws::LifecycleRule& r : *rules) {
            if (!covers(r, prefix)) continue;
            expires = expires || (r.expiration_days > 0 && r.expiration_days <= kLifecycleDays);
            aborts = aborts || (r.abort_incomplete_multipart_days > 0 &&
                                r.abort_incomplete_multipart_days <= kLifecycleDays);
        }
    }
    if (!expires) {
        out.push_back("lifecycle: no enabled rule expires objects under " + where + " after " +
                      std::to_string(kLifecycleDays) + " day");
    }
    if (!aborts) {
        out.push_back("lifecycle: no enabled rule aborts incomplete multipart uploads under " +
                      where + " after " + std::to_string(kLifecycleDays) + " day");
    }
    return out;
}

std::vector<std::string> public_access_problems(
    const std::optional<aws::PublicAccessBlock>& block) {
    if (!block) return {"public access block: none (want all four settings on)"};
    std::vector<std::string> out;
    const std::pair<std::string_view, bool> settings[] = {
        {"BlockPublicAcls", block->block_public_acls},
        {"IgnorePublicAcls", block->ignore_public_acls},
        {"BlockPublicPolicy", block->block_public_policy},
        {"RestrictPublicBuckets", block->restrict_public_buckets},
    };
    for (const auto& [name, on] : settings) {
        if (!on) out.push_back("public access block: " + std::string(name) + " is off");
    }
    return out;
}

std::optional<std::string> encryption_problem(const std::optional<aws::BucketEncryption>& enc) {
    if (!enc || enc->algorithm.empty()) return "default encryption: none (want AES256 or aws:kms)";
    return std::nullopt;
}

// What S3 said beyond "there is no such configuration" (which the check reports as a problem).
template <class T>
std::optional<Error> unexpected(const Result<T>& r) {
    if (r || r.error().code == Errc::not_found) {
        if (!r && r.error().message.find(": NoSuchBucket:") != std::string::npos) return r.error();
        return std::nullopt;
    }
    return r.error();
}

template <class T>
std::optional<T> present(Result<T>&& r) {
    if (!r) return std::nullopt;
    return std::move(*r);
}

asio::awaitable<Result<BucketSettings>> read_bucket(aws::S3Client& s3, std::string bucket) {
    BucketSettings state;
    Result<aws::PublicAccessBlock> block = co_await s3.get_public_access_block(bucket);
    if (auto e = unexpected(block)) co_return std::move(*e);
    state.public_access_block = present(std::move(block));
    Result<std::string> policy = co_await s3.get_bucket_policy(bucket);
    if (auto e = unexpected(policy)) co_return std::move(*e);
    state.policy = present(std::move(policy));
    Result<aws::BucketEncryption> encryption = co_await s3.get_bucket_encryption(bucket);
    if (auto e = unexpected(encryption)) co_return std::move(*e);
    state.encryption = present(std::move(encryption));
    Result<std::vector<aws::LifecycleRule>> lifecycle =
        co_await s3.get_bucket_lifecycle_configuration(bucket);
    if (auto e = unexpected(lifecycle)) co_return std::move(*e);
    state.lifecycle = present(std::move(lifecycle));
    co_return state;
}

// The lifecycle configuration setup writes: ours, replacing an older rule with our id. Rules of
// someone else are not rewritten (LifecycleRule does not model all of a rule), so their presence
// is a conflict.
Result<std::vector<aws::LifecycleRule>> lifecycle_to_write(
    const std::optional<std::vector<aws::LifecycleRule>>& existing, std::string_view bucket,
    const std::string& prefix) {
    aws::LifecycleRule ours;
    ours.id = kPayloadLifecycleRuleId;
    ours.prefix = prefix;
    ours.expiration_days = kLifecycleDays;
    ours.abort_incomplete_multipart_days = kLifecycleDays;
    if (existing) {
        for (const aws::LifecycleRule& r : *existing) {
            if (r.id == kPayloadLifecycleRuleId) continue;
            return make_error(
                Errc::conflict,
                "bucket " + std::string(bucket) + " has lifecycle rules of its own (\"" + r.id +
                    "\"); use a bucket dedicated to payloads, or add a rule for prefix \"" +
                    prefix +
                    "\" that expires objects after 1 day and aborts incomplete multipart "
                    "uploads after 1 day");
        }
    }
    std::vector<aws::LifecycleRule> out;
    out.push_back(std::move(ours));
    return out;
}

std::string payload_uri(std::string_view bucket, std::string_view key) {
    return "s3://" + std::string(bucket) + "/" + std::string(key);
}

}  // namespace

std::vector<std::string> bucket_problems(const BucketSettings& settings, std::string_view bucket,
                                         std::string_view prefix, bool require_tls) {
    const std::string under = key_prefix(prefix);
    std::vector<std::string> out = public_access_problems(settings.public_access_block);
    if (require_tls) {
        if (auto p = policy_problem(settings.policy, bucket)) out.push_back(std::move(*p));
    }
    if (auto p = encryption_problem(settings.encryption)) out.push_back(std::move(*p));
    auto life = lifecycle_problems(settings.lifecycle, under);
    out.insert(out.end(), life.begin(), life.end());
    return out;
}

asio::awaitable<Result<aws::PutObjectResult>> put_payload(aws::S3Client& s3, std::string bucket,
                                                          std::string key, std::string body) {
    aws::PutObjectOptions options;
    options.if_none_match = true;
    options.server_side_encryption = "AES256";
    options.content_type = "application/json";
    const std::string uri = payload_uri(bucket, key);
    Result<aws::PutObjectResult> out =
        co_await s3.put_object(std::move(bucket), std::move(key), std::move(body), options);
    if (!out) co_return out.error().wrap("ecs: writing payload " + uri);
    co_return out;
}

asio::awaitable<Status> delete_payload(aws::S3Client& s3, std::string bucket, std::string key) {
    const std::string uri = payload_uri(bucket, key);
    Status out = co_await s3.delete_object(std::move(bucket), std::move(key));
    if (!out) co_return out.error().wrap("ecs: deleting payload " + uri);
    co_return ok();
}

asio::awaitable<Result<std::vector<std::string>>> sweep_payloads(
    aws::S3Client& s3, std::string bucket, std::string prefix,
    std::set<std::string> live_container_ids) {
    const std::string under = key_prefix(prefix);
    Result<std::vector<aws::ObjectSummary>> objects = co_await s3.list_objects_v2(bucket, under);
    if (!objects) {
        co_return objects.error().wrap("ecs: sweeping payloads under " +
                                       payload_uri(bucket, under));
    }
    std::vector<std::string> deleted;
    for (const aws::ObjectSummary& o : *objects) {
        const std::string_view rest = std::string_view(o.key).substr(under.size());
        const auto slash = rest.find('/');
        if (slash == std::string_view::npos || slash == 0) continue;
        if (live_container_ids.contains(std::string(rest.substr(0, slash)))) continue;
        Status gone = co_await delete_payload(s3, bucket, o.key);
        if (!gone) co_return gone.error();
        deleted.push_back(o.key);
    }
    co_return deleted;
}

asio::awaitable<Result<std::vector<std::string>>> check_bucket(aws::S3Client& s3,
                                                               std::string bucket,
                                                               std::string prefix,
                                                               BucketSetup setup) {
    Result<BucketSettings> state = co_await read_bucket(s3, bucket);
    if (!state) co_return state.error().wrap("ecs: checking payload bucket " + bucket);
    co_return bucket_problems(*state, bucket, prefix, setup.require_tls);
}

asio::awaitable<Status> setup_bucket(aws::S3Client& s3, std::string bucket, std::string prefix,
                                     BucketSetup setup) {
    const std::string context = "ecs: setting up payload bucket " + bucket;
    const std::string under = key_prefix(prefix);
    if (setup.create) {
        Status created = co_await s3.create_bucket(bucket);
        // S3 answers BucketAlreadyOwnedByYou outside us-east-1 for a bucket we already have.
        if (!created &&
            created.error().message.find("BucketAlreadyOwnedByYou") == std::string::npos) {
            co_return created.error().wrap(context);
        }
    }
    Result<BucketSettings> state = co_await read_bucket(s3, bucket);
    if (!state) co_return state.error().wrap(context);
    // Everything that can refuse is decided before anything changes.
    const bool lifecycle_needed = !lifecycle_problems(state->lifecycle, under).empty();
    Result<std::vector<aws::LifecycleRule>> rules =
        lifecycle_to_write(state->lifecycle, bucket, under);
    if (lifecycle_needed && !rules) co_return rules.error().wrap(context);
    const bool policy_needed = setup.require_tls && policy_problem(state->policy, bucket);
    Result<std::string> policy = policy_with_tls_only(state->policy, bucket, setup.partition);
    if (policy_needed && !policy) co_return policy.error().wrap(context);

    if (!public_access_problems(state->public_access_block).empty()) {
        Status s = co_await s3.put_public_access_block(bucket, aws::PublicAccessBlock{});
        if (!s) co_return s.error().wrap(context);
    }
    if (encryption_problem(state->encryption)) {
        Status s = co_await s3.put_bucket_encryption(bucket, "AES256");
        if (!s) co_return s.error().wrap(context);
    }
    if (lifecycle_needed) {
        Status s = co_await s3.put_bucket_lifecycle_configuration(bucket, std::move(*rules));
        if (!s) co_return s.error().wrap(context);
    }
    // Last: over plain HTTP (a simulator) the TLS-only policy refuses every later request.
    if (policy_needed) {
        Status s = co_await s3.put_bucket_policy(bucket, std::move(*policy));
        if (!s) co_return s.error().wrap(context);
    }
    co_return ok();
}

IamPolicies iam_policies(std::string_view bucket, std::string_view prefix,
                         std::string_view partition) {
    const std::string arn = bucket_arn(partition, bucket);
    const std::string under = key_prefix(prefix);
    const std::string objects = arn + "/" + under + "*";

    json::object read;
    read["Sid"] = "SockerlessReadLaunchPayloads";
    read["Effect"] = "Allow";
    read["Action"] = "s3:GetObject";
    read["Resource"] = objects;

    json::object write;
    write["Sid"] = "SockerlessLaunchPayloads";
    write["Effect"] = "Allow";
    write["Action"] = strings({"s3:PutObject", "s3:GetObject", "s3:DeleteObject"});
    write["Resource"] = objects;

    json::object list;
    list["Sid"] = "SockerlessSweepLaunchPayloads";
    list["Effect"] = "Allow";
    list["Action"] = "s3:ListBucket";
    list["Resource"] = arn;
    if (!under.empty()) {
        json::object like;
        like["s3:prefix"] = strings({under, under + "*"});
        list["Condition"] = json::object{{"StringLike", std::move(like)}};
    }

    json::object bucket_setup;
    bucket_setup["Sid"] = "SockerlessPayloadBucketSetup";
    bucket_setup["Effect"] = "Allow";
    bucket_setup["Action"] = strings({
        "s3:CreateBucket",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        "s3:GetEncryptionConfiguration",
        "s3:PutEncryptionConfiguration",
        "s3:GetLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
    });
    bucket_setup["Resource"] = arn;

    IamPolicies out;
    out.task_role = json::serialize(policy_document(json::array{std::move(read)}));
    out.daemon = json::serialize(
        policy_document(json::array{std::move(write), std::move(list), std::move(bucket_setup)}));
    return out;
}

}  // namespace sockerless::ecs
