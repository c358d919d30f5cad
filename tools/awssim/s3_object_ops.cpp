// S3 operations on objects: listings (ListObjects, ListObjectsV2), PutObject, GetObject and
// HeadObject (conditions and ranges), DeleteObject and DeleteObjects.

#include <algorithm>
#include <charconv>

#include <boost/beast/http.hpp>

#include "account.h"
#include "s3_checksum.h"
#include "s3_service.h"
#include "s3_xml.h"
#include "sigv4_verify.h"

namespace sockerless::awssim {
namespace http = boost::beast::http;
namespace {

constexpr std::size_t kMaxKeys = 1000;
constexpr std::size_t kMaxKeyBytes = 1024;
constexpr std::size_t kMaxMetadataBytes = 2048;
constexpr std::size_t kMaxDeleteObjects = 1000;
constexpr std::string_view kMetaPrefix = "x-amz-meta-";

// Representation headers S3 stores with an object and returns on GET and HEAD, with the
// response-* query parameters that override them.
constexpr auto kStoredHeaders = std::to_array<std::pair<std::string_view, std::string_view>>({
    {"content-type", "response-content-type"},
    {"cache-control", "response-cache-control"},
    {"content-disposition", "response-content-disposition"},
    {"content-encoding", "response-content-encoding"},
    {"content-language", "response-content-language"},
    {"expires", "response-expires"},
});

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string bucket_arn(std::string_view bucket) {
    return "arn:aws:s3:::" + std::string(bucket);
}

S3Error no_such_key(std::string_view key) {
    return S3Error{
        404, "NoSuchKey", "The specified key does not exist.", {{"Key", std::string(key)}}};
}

S3Error precondition_failed(std::string_view condition) {
    return S3Error{412,
                   "PreconditionFailed",
                   "At least one of the pre-conditions you specified did not hold",
                   {{"Condition", std::string(condition)}}};
}

// Content-Encoding as stored: the transfer's aws-chunked coding is not part of the object.
std::string stored_content_encoding(std::string_view header) {
    std::string out;
    while (!header.empty()) {
        std::size_t comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ')
            item.remove_suffix(1);
        if (!item.empty() && item != "aws-chunked") {
            if (!out.empty()) out += ",";
            out += item;
        }
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return out;
}

std::string expiration_header(const Bucket& bucket, const ObjectMeta& meta) {
    const auto* rule = expiration_rule(bucket, meta.key, meta.last_modified);
    if (!rule) return "";
    return "expiry-date=\"" +
           http_date(lifecycle_expiry(meta.last_modified, *rule->expiration_days)) +
           "\", rule-id=\"" + rule->id + "\"";
}

void set_encryption_headers(Response& res, const ObjectMeta& meta) {
    if (meta.sse.empty()) return;
    res.set("x-amz-server-side-encryption", meta.sse);
    if (!meta.kms_key_id.empty())
        res.set("x-amz-server-side-encryption-aws-kms-key-id", meta.kms_key_id);
    if (meta.bucket_key_enabled) res.set("x-amz-server-side-encryption-bucket-key-enabled", "true");
}

void set_checksum_headers(Response& res, const ObjectMeta& meta) {
    if (meta.checksum_algorithm.empty()) return;
    for (const auto& algorithm : checksum_algorithms()) {
        if (algorithm.name == meta.checksum_algorithm) res.set(algorithm.header, meta.checksum);
    }
    res.set("x-amz-checksum-type", "FULL_OBJECT");
}

// Resolves the server-side encryption of a new object from its headers and the bucket default.
std::optional<S3Error> resolve_encryption(const Request& request, const Bucket& bucket,
                                          std::string_view region, ObjectMeta& meta) {
    if (!request["x-amz-server-side-encryption-customer-algorithm"].empty())
        return S3Error{501,
                       "NotImplemented",
                       "A header you provided implies functionality that is not implemented",
                       {{"Header", "x-amz-server-side-encryption-customer-algorithm"}}};
    std::string_view sse = request["x-amz-server-side-encryption"];
    std::string_view key = request["x-amz-server-side-encryption-aws-kms-key-id"];
    std::string_view bucket_key = request["x-amz-server-side-encryption-bucket-key-enabled"];
    if (!sse.empty() && sse != "AES256" && sse != "aws:kms" && sse != "aws:kms:dsse") {
        return s3_invalid_argument("The encryption method specified is not supported",
                                   "x-amz-server-side-encryption", sse);
    }
    bool kms = sse.starts_with("aws:kms");
    if (!key.empty() && !kms) {
        return s3_invalid_argument(
            "Server Side Encryption with AWS KMS managed key requires HTTP header "
            "x-amz-server-side-encryption : aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id", key);
    }
    if (sse.empty()) {
        meta.sse = bucket.encryption.algorithm;
        meta.kms_key_id = bucket.encryption.kms_key_id;
        meta.bucket_key_enabled = bucket.encryption.bucket_key_enabled;
    } else {
        meta.sse = std::string(sse);
        meta.kms_key_id = std::string(key);
        bool same_kms = bucket.encryption.algorithm == sse;
        if (meta.kms_key_id.empty() && kms && same_kms)
            meta.kms_key_id = bucket.encryption.kms_key_id;
        meta.bucket_key_enabled = bucket_key.empty()
                                      ? kms && same_kms && bucket.encryption.bucket_key_enabled
                                      : lower(bucket_key) == "true";
    }
    if (meta.sse.starts_with("aws:kms") && meta.kms_key_id.empty())
        meta.kms_key_id =
            "arn:aws:kms:" + std::string(region) + ":" + std::string(kAccountId) + ":alias/aws/s3";
    if (!meta.sse.starts_with("aws:kms")) meta.bucket_key_enabled = false;
    return std::nullopt;
}

std::optional<S3Error> read_metadata(const Request& request, ObjectMeta& meta) {
    std::size_t bytes = 0;
    for (const auto& field : request) {
        std::string name = lower(std::string_view(field.name_string()));
        std::string value(field.value());
        if (name.starts_with(kMetaPrefix)) {
            std::string short_name = name.substr(kMetaPrefix.size());
            bytes += short_name.size() + value.size();
            meta.metadata[short_name] = value;
            continue;
        }
        for (const auto& [stored, override_param] : kStoredHeaders) {
            if (name == stored) meta.headers[name] = value;
        }
    }
    if (bytes > kMaxMetadataBytes) {
        return S3Error{400,
                       "MetadataTooLarge",
                       "Your metadata headers exceed the maximum allowed metadata size",
                       {{"Size", std::to_string(bytes)},
                        {"MaxSizeAllowed", std::to_string(kMaxMetadataBytes)}}};
    }
    if (auto it = meta.headers.find("content-encoding"); it != meta.headers.end()) {
        it->second = stored_content_encoding(it->second);
        if (it->second.empty()) meta.headers.erase(it);
    }
    if (!meta.headers.contains("content-type"))
        meta.headers["content-type"] = "binary/octet-stream";
    return std::nullopt;
}

// The status a conditional GET or HEAD gets before any body is read: 412, 304, or nullopt to go on.
std::optional<int> check_conditions(const Request& request, const ObjectMeta& meta,
                                    std::string& failed) {
    auto modified = std::chrono::floor<std::chrono::seconds>(meta.last_modified);
    std::string_view if_match = request[http::field::if_match];
    std::string_view if_none_match = request[http::field::if_none_match];
    if (!if_match.empty()) {
        if (!etag_matches(if_match, meta.etag)) {
            failed = "If-Match";
            return 412;
        }
    } else if (auto since = parse_http_date(request[http::field::if_unmodified_since])) {
        if (modified > *since) {
            failed = "If-Unmodified-Since";
            return 412;
        }
    }
    if (!if_none_match.empty()) {
        if (etag_matches(if_none_match, meta.etag)) return 304;
    } else if (auto since = parse_http_date(request[http::field::if_modified_since])) {
        if (modified <= *since) return 304;
    }
    return std::nullopt;
}

struct ListRequest {
    std::string prefix;
    std::string delimiter;
    std::size_t max_keys = kMaxKeys;
    std::string max_keys_text = "1000";
    bool url = false;
    std::string after;  // list keys (and common prefixes) greater than this
};

std::variant<ListRequest, S3Error> parse_list_request(const S3Target& target, bool v2) {
    ListRequest out;
    out.prefix = target.param("prefix").value_or("");
    out.delimiter = target.param("delimiter").value_or("");
    if (auto encoding = target.param("encoding-type")) {
        if (*encoding != "url") {
            return s3_invalid_argument("Invalid Encoding Method specified in Request",
                                       "encoding-type", *encoding);
        }
        out.url = true;
    }
    if (auto m = target.param("max-keys")) {
        long n = -1;
        auto [end, ec] = std::from_chars(m->data(), m->data() + m->size(), n);
        if (ec != std::errc() || end != m->data() + m->size() || n < 0 || n > INT32_MAX) {
            return s3_invalid_argument("Provided max-keys not an integer or within integer range",
                                       "max-keys", *m);
        }
        out.max_keys = std::min(static_cast<std::size_t>(n), kMaxKeys);
        out.max_keys_text = *m;
    }
    if (!v2) {
        out.after = target.param("marker").value_or("");
        return out;
    }
    if (auto token = target.param("continuation-token")) {
        auto decoded = base64_decode(*token);
        if (!decoded || decoded->empty()) {
            return s3_invalid_argument("The continuation token provided is incorrect",
                                       "continuation-token", *token);
        }
        out.after = *decoded;
    } else {
        out.after = target.param("start-after").value_or("");
    }
    return out;
}

struct ListPage {
    std::vector<const ObjectMeta*> contents;
    std::vector<std::string> common_prefixes;
    bool truncated = false;
    std::string last;  // the last key or common prefix on the page
};

ListPage list_page(const Bucket& bucket, const ListRequest& req) {
    ListPage page;
    auto it = bucket.objects.lower_bound(req.prefix);
    if (!req.after.empty() && req.after >= req.prefix) it = bucket.objects.upper_bound(req.after);
    for (; it != bucket.objects.end() && it->first.starts_with(req.prefix); ++it) {
        const std::string& key = it->first;
        std::string common;
        if (!req.delimiter.empty()) {
            std::size_t pos = key.find(req.delimiter, req.prefix.size());
            if (pos != std::string::npos) common = key.substr(0, pos + req.delimiter.size());
        }
        // A common prefix is reported once, on the page where its first key falls.
        if (!common.empty() && (common <= req.after || (!page.common_prefixes.empty() &&
                                                        page.common_prefixes.back() == common)))
            continue;
        if (page.contents.size() + page.common_prefixes.size() == req.max_keys) {
            page.truncated = req.max_keys > 0;
            break;
        }
        if (common.empty()) {
            page.contents.push_back(&it->second.meta);
            page.last = key;
        } else {
            page.common_prefixes.push_back(common);
            page.last = common;
        }
    }
    return page;
}

}  // namespace

Response S3Service::list_objects(Context& c, bool v2) {
    auto parsed = parse_list_request(c.target, v2);
    if (auto* e = std::get_if<S3Error>(&parsed)) return fail(c, *e);
    const auto& req = std::get<ListRequest>(parsed);
    ListPage page = list_page(*c.bucket, req);
    auto enc = [&](std::string_view s) { return req.url ? uri_encode(s, true) : std::string(s); };
    bool owner = !v2 || c.target.param("fetch-owner") == "true";

    XmlWriter xml;
    xml.open("ListBucketResult", kS3Namespace).element("Name", c.bucket->name);
    xml.element("Prefix", enc(req.prefix));
    if (v2) {
        if (auto token = c.target.param("continuation-token"))
            xml.element("ContinuationToken", *token);
        if (auto start = c.target.param("start-after")) xml.element("StartAfter", enc(*start));
        xml.element("KeyCount", std::to_string(page.contents.size() + page.common_prefixes.size()));
    } else {
        xml.element("Marker", enc(req.after));
        if (page.truncated && !req.delimiter.empty()) xml.element("NextMarker", enc(page.last));
    }
    xml.element("MaxKeys", req.max_keys_text);
    if (!req.delimiter.empty()) xml.element("Delimiter", enc(req.delimiter));
    if (req.url) xml.element("EncodingType", "url");
    xml.element("IsTruncated", page.truncated ? "true" : "false");
    for (const ObjectMeta* meta : page.contents) {
        xml.open("Contents")
            .element("Key", enc(meta->key))
            .element("LastModified", iso8601_millis(meta->last_modified))
            .element("ETag", meta->etag);
        if (!meta->checksum_algorithm.empty()) {
            xml.element("ChecksumAlgorithm", meta->checksum_algorithm)
                .element("ChecksumType", "FULL_OBJECT");
        }
        xml.element("Size", std::to_string(meta->size));
        if (owner) xml.open("Owner").element("ID", s3_owner_id()).close();
        xml.element("StorageClass", "STANDARD").close();
    }
    for (const auto& prefix : page.common_prefixes)
        xml.open("CommonPrefixes").element("Prefix", enc(prefix)).close();
    if (v2 && page.truncated) xml.element("NextContinuationToken", base64_encode(page.last));
    return reply(c, 200, "application/xml", xml.finish());
}

Response S3Service::put_object(Context& c) {
    const auto& request = c.request();
    const std::string& key = c.target.key;
    if (!request["x-amz-copy-source"].empty()) {
        return fail(c, S3Error{501,
                               "NotImplemented",
                               "A header you provided implies functionality that is not "
                               "implemented",
                               {{"Header", "x-amz-copy-source"}}});
    }
    if (key.size() > kMaxKeyBytes) {
        return fail(c, S3Error{400,
                               "KeyTooLongError",
                               "Your key is too long",
                               {{"Size", std::to_string(key.size())},
                                {"MaxSizeAllowed", std::to_string(kMaxKeyBytes)}}});
    }
    std::optional<PayloadChecksum> checksum;
    if (auto e = verify_integrity(c, false, checksum)) return fail(c, *e);

    auto existing = c.bucket->objects.find(key);
    bool exists = existing != c.bucket->objects.end();
    std::string_view if_none_match = request[http::field::if_none_match];
    if (!if_none_match.empty()) {
        if (if_none_match != "*") {
            return fail(c, S3Error{501,
                                   "NotImplemented",
                                   "A header you provided implies functionality that is not "
                                   "implemented",
                                   {{"Header", "If-None-Match"}}});
        }
        if (exists) return fail(c, precondition_failed("If-None-Match"));
    }
    std::string_view if_match = request[http::field::if_match];
    if (!if_match.empty()) {
        if (!exists) return fail(c, no_such_key(key));
        if (!etag_matches(if_match, existing->second.meta.etag))
            return fail(c, precondition_failed("If-Match"));
    }

    ObjectMeta meta;
    meta.key = key;
    meta.size = c.payload.size();
    meta.etag = "\"" + md5_hex(c.payload) + "\"";
    meta.last_modified = c.now;
    if (checksum) {
        meta.checksum_algorithm = checksum->algorithm;
        meta.checksum = checksum->value;
    }
    if (auto e = resolve_encryption(request, *c.bucket, region_, meta)) return fail(c, *e);
    if (auto e = read_metadata(request, meta)) return fail(c, *e);
    auto stored = store_.put_object(*c.bucket, std::move(meta), c.payload);
    if (!stored) return fail(c, s3_internal_error(stored.error().message));

    const ObjectMeta& m = **stored;
    auto res = reply(c, 200, "", "");
    res.set(http::field::etag, m.etag);
    set_encryption_headers(res, m);
    set_checksum_headers(res, m);
    if (auto expiration = expiration_header(*c.bucket, m); !expiration.empty())
        res.set("x-amz-expiration", expiration);
    return res;
}

Response S3Service::get_object(Context& c) {
    const auto& request = c.request();
    auto found = c.bucket->objects.find(c.target.key);
    if (found == c.bucket->objects.end()) {
        // Without s3:ListBucket a caller may not learn that a key is absent.
        if (!allowed(c, "s3:ListBucket", bucket_arn(c.bucket->name)))
            return fail(c, s3_access_denied());
        return fail(c, no_such_key(c.target.key));
    }
    const ObjectMeta& meta = found->second.meta;
    std::string failed_condition;
    if (auto status = check_conditions(request, meta, failed_condition)) {
        if (*status == 412) return fail(c, precondition_failed(failed_condition));
        auto res = reply(c, 304, "", "");
        res.set(http::field::etag, meta.etag);
        res.set(http::field::last_modified, http_date(meta.last_modified));
        return res;
    }
    ByteRange range{0, meta.size};
    std::string_view range_header = request[http::field::range];
    auto kind =
        range_header.empty() ? RangeResult::whole : parse_range(range_header, meta.size, range);
    if (kind == RangeResult::unsatisfiable) {
        return fail(c, S3Error{416,
                               "InvalidRange",
                               "The requested range is not satisfiable",
                               {{"RangeRequested", std::string(range_header)},
                                {"ActualObjectSize", std::to_string(meta.size)}}});
    }
    if (kind == RangeResult::whole) range = ByteRange{0, meta.size};

    std::string body;
    if (!c.head()) {
        auto data = store_.read_object(*c.bucket, meta, range.first, range.length);
        if (!data) return fail(c, s3_internal_error(data.error().message));
        body = std::move(*data);
    }
    bool partial = kind == RangeResult::partial;
    auto res = reply(c, partial ? 206 : 200, "", std::move(body));
    if (c.head()) res.set(http::field::content_length, std::to_string(range.length));
    if (partial) {
        res.set(http::field::content_range, "bytes " + std::to_string(range.first) + "-" +
                                                std::to_string(range.first + range.length - 1) +
                                                "/" + std::to_string(meta.size));
    }
    res.set(http::field::accept_ranges, "bytes");
    res.set(http::field::etag, meta.etag);
    res.set(http::field::last_modified, http_date(meta.last_modified));
    for (const auto& [name, override_param] : kStoredHeaders) {
        auto value = c.target.param(override_param);
        if (!value) {
            auto it = meta.headers.find(std::string(name));
            if (it == meta.headers.end()) continue;
            value = it->second;
        }
        res.set(name, *value);
    }
    for (const auto& [name, value] : meta.metadata)
        res.set(std::string(kMetaPrefix) + name, value);
    set_encryption_headers(res, meta);
    if (!partial && lower(request["x-amz-checksum-mode"]) == "enabled")
        set_checksum_headers(res, meta);
    if (auto expiration = expiration_header(*c.bucket, meta); !expiration.empty())
        res.set("x-amz-expiration", expiration);
    return res;
}

Response S3Service::delete_object(Context& c) {
    if (auto deleted = store_.delete_object(*c.bucket, c.target.key); !deleted)
        return fail(c, s3_internal_error(deleted.error().message));
    return reply(c, 204, "", "");
}

Response S3Service::delete_objects(Context& c) {
    std::optional<PayloadChecksum> checksum;
    if (auto e = verify_integrity(c, true, checksum)) return fail(c, *e);
    auto doc = parse_xml(c.payload);
    if (!doc || doc->name != "Delete") return fail(c, s3_malformed_xml());
    auto objects = doc->all("Object");
    if (objects.empty() || objects.size() > kMaxDeleteObjects) return fail(c, s3_malformed_xml());
    std::vector<std::string> keys;
    for (const XmlNode* object : objects) {
        auto key = object->child_text("Key");
        if (!key) return fail(c, s3_malformed_xml());
        keys.push_back(std::move(*key));
    }
    bool quiet = doc->child_text("Quiet") == "true";

    XmlWriter xml;
    xml.open("DeleteResult", kS3Namespace);
    for (const auto& key : keys) {
        if (!allowed(c, "s3:DeleteObject", bucket_arn(c.bucket->name) + "/" + key)) {
            xml.open("Error")
                .element("Key", key)
                .element("Code", "AccessDenied")
                .element("Message", "Access Denied")
                .close();
            continue;
        }
        if (auto deleted = store_.delete_object(*c.bucket, key); !deleted) {
            xml.open("Error")
                .element("Key", key)
                .element("Code", "InternalError")
                .element("Message", "We encountered an internal error. Please try again.")
                .close();
            continue;
        }
        if (!quiet) xml.open("Deleted").element("Key", key).close();
    }
    return reply(c, 200, "application/xml", xml.finish());
}

}  // namespace sockerless::awssim
