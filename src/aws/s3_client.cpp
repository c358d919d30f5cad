#include "aws/s3_client.h"

#include <charconv>
#include <utility>

#include <openssl/evp.h>

#include "aws/xml.h"

namespace sockerless::aws {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

std::string xml_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

void append_element(std::string& out, std::string_view name, std::string_view text) {
    out.append("<").append(name).append(">").append(xml_escape(text));
    out.append("</").append(name).append(">");
}

std::string_view bool_text(bool b) {
    return b ? "true" : "false";
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// encoding-type=url keys, decoded as botocore does (unquote_plus).
std::string url_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
                   hex_digit(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::uint64_t to_u64(std::string_view s) {
    std::uint64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

ObjectInfo object_info(const HttpResponse& res) {
    return ObjectInfo{std::string(res.header("ETag")), to_u64(res.header("Content-Length")),
                      std::string(res.header("Content-Type")),
                      std::string(res.header("x-amz-server-side-encryption"))};
}

bool ends_with_amazonaws(std::string_view host) {
    return host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn");
}

PutObjectResult put_result(const HttpResponse& res) {
    PutObjectResult out;
    out.etag = res.header("ETag");
    out.server_side_encryption = res.header("x-amz-server-side-encryption");
    return out;
}

GetObjectResult get_result(HttpResponse&& res) {
    GetObjectResult out;
    out.info = object_info(res);
    out.body = std::move(res.body);
    return out;
}

HttpRequest bucket_request(std::string method, std::string path) {
    HttpRequest req;
    req.method = std::move(method);
    req.path = std::move(path);
    return req;
}

}  // namespace

ServiceId s3_service_id() {
    return ServiceId{"S3", "s3", "s3"};
}

bool virtual_host_compatible(std::string_view bucket) {
    if (bucket.size() < 3 || bucket.size() > 63) return false;
    if (bucket.front() == '-' || bucket.back() == '-') return false;
    for (char c : bucket) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool use_virtual_host(const Endpoint& endpoint, std::string_view bucket) {
    return ends_with_amazonaws(endpoint.host) && endpoint.base_path.empty() &&
           virtual_host_compatible(bucket);
}

std::string content_md5(std::string_view body) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(body.data(), body.size(), digest, &len, EVP_md5(), nullptr);
    std::string out(static_cast<std::size_t>(4) * ((len + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest,
                                  static_cast<int>(len));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string create_bucket_body(std::string_view region) {
    if (region.empty() || region == "us-east-1") return {};
    std::string out = "<CreateBucketConfiguration xmlns=\"";
    out.append(kS3Namespace).append("\">");
    append_element(out, "LocationConstraint", region);
    out.append("</CreateBucketConfiguration>");
    return out;
}

std::string lifecycle_body(const std::vector<LifecycleRule>& rules) {
    std::string out = "<LifecycleConfiguration xmlns=\"";
    out.append(kS3Namespace).append("\">");
    for (const LifecycleRule& r : rules) {
        out.append("<Rule>");
        if (!r.id.empty()) append_element(out, "ID", r.id);
        out.append("<Filter>");
        append_element(out, "Prefix", r.prefix);
        out.append("</Filter>");
        append_element(out, "Status", r.enabled ? "Enabled" : "Disabled");
        out.append("<Expiration>");
        append_element(out, "Days", std::to_string(r.expiration_days));
        out.append("</Expiration>");
        if (r.abort_incomplete_multipart_days > 0) {
            out.append("<AbortIncompleteMultipartUpload>");
            append_element(out, "DaysAfterInitiation",
                           std::to_string(r.abort_incomplete_multipart_days));
            out.append("</AbortIncompleteMultipartUpload>");
        }
        out.append("</Rule>");
    }
    out.append("</LifecycleConfiguration>");
    return out;
}

std::string encryption_body(std::string_view algorithm, std::string_view kms_key_id,
                            bool bucket_key_enabled) {
    std::string out = "<ServerSideEncryptionConfiguration xmlns=\"";
    out.append(kS3Namespace).append("\"><Rule><ApplyServerSideEncryptionByDefault>");
    append_element(out, "SSEAlgorithm", algorithm);
    if (!kms_key_id.empty()) append_element(out, "KMSMasterKeyID", kms_key_id);
    out.append("</ApplyServerSideEncryptionByDefault>");
    if (bucket_key_enabled) append_element(out, "BucketKeyEnabled", "true");
    out.append("</Rule></ServerSideEncryptionConfiguration>");
    return out;
}

std::string public_access_block_body(const PublicAccessBlock& b) {
    std::string out = "<PublicAccessBlockConfiguration xmlns=\"";
    out.append(kS3Namespace).append("\">");
    append_element(out, "BlockPublicAcls", bool_text(b.block_public_acls));
    append_element(out, "IgnorePublicAcls", bool_text(b.ignore_public_acls));
    append_element(out, "BlockPublicPolicy", bool_text(b.block_public_policy));
    append_element(out, "RestrictPublicBuckets", bool_text(b.restrict_public_buckets));
    out.append("</PublicAccessBlockConfiguration>");
    return out;
}

Result<ListObjectsPage> parse_list_objects(std::string_view body) {
    Result<XmlElement> doc = parse_xml(body);
    if (!doc) return doc.error().wrap("s3 ListObjectsV2");
    if (doc->name != "ListBucketResult") {
        return make_error(Errc::internal,
                          "s3 ListObjectsV2: unexpected response element <" + doc->name + ">");
    }
    const bool url_encoded = doc->child_text("EncodingType") == "url";
    ListObjectsPage page;
    for (const XmlElement& c : doc->children) {
        if (c.name != "Contents") continue;
        ObjectSummary o;
        o.key = url_encoded ? url_decode(c.child_text("Key")) : std::string(c.child_text("Key"));
        o.size = to_u64(c.child_text("Size"));
        o.etag = c.child_text("ETag");
        o.last_modified = c.child_text("LastModified");
        page.objects.push_back(std::move(o));
    }
    if (doc->child_text("IsTruncated") == "true") {
        page.next_continuation_token = doc->child_text("NextContinuationToken");
    }
    return page;
}

Result<std::vector<LifecycleRule>> parse_lifecycle(std::string_view body) {
    Result<XmlElement> doc = parse_xml(body);
    if (!doc) return doc.error().wrap("s3 GetBucketLifecycleConfiguration");
    if (doc->name != "LifecycleConfiguration") {
        return make_error(
            Errc::internal,
            "s3 GetBucketLifecycleConfiguration: unexpected response element <" + doc->name + ">");
    }
    std::vector<LifecycleRule> rules;
    for (const XmlElement& r : doc->children) {
        if (r.name != "Rule") continue;
        LifecycleRule rule;
        rule.id = r.child_text("ID");
        if (const XmlElement* filter = r.child("Filter")) {
            const XmlElement* conj = filter->child("And");
            rule.prefix = (conj != nullptr ? conj : filter)->child_text("Prefix");
        } else {
            rule.prefix = r.child_text("Prefix");
        }
        rule.enabled = r.child_text("Status") == "Enabled";
        const XmlElement* expiration = r.child("Expiration");
        rule.expiration_days =
            expiration != nullptr ? static_cast<int>(to_u64(expiration->child_text("Days"))) : 0;
        const XmlElement* abort = r.child("AbortIncompleteMultipartUpload");
        rule.abort_incomplete_multipart_days =
            abort != nullptr ? static_cast<int>(to_u64(abort->child_text("DaysAfterInitiation")))
                             : 0;
        rules.push_back(std::move(rule));
    }
    return rules;
}

Result<BucketEncryption> parse_encryption(std::string_view body) {
    Result<XmlElement> doc = parse_xml(body);
    if (!doc) return doc.error().wrap("s3 GetBucketEncryption");
    const XmlElement* rule = doc->child("Rule");
    const XmlElement* defaults =
        rule != nullptr ? rule->child("ApplyServerSideEncryptionByDefault") : nullptr;
    if (doc->name != "ServerSideEncryptionConfiguration" || defaults == nullptr) {
        return make_error(Errc::internal,
                          "s3 GetBucketEncryption: no ApplyServerSideEncryptionByDefault rule");
    }
    BucketEncryption out;
    out.algorithm = defaults->child_text("SSEAlgorithm");
    out.kms_key_id = defaults->child_text("KMSMasterKeyID");
    out.bucket_key_enabled = rule->child_text("BucketKeyEnabled") == "true";
    return out;
}

Result<PublicAccessBlock> parse_public_access_block(std::string_view body) {
    Result<XmlElement> doc = parse_xml(body);
    if (!doc) return doc.error().wrap("s3 GetPublicAccessBlock");
    if (doc->name != "PublicAccessBlockConfiguration") {
        return make_error(Errc::internal, "s3 GetPublicAccessBlock: unexpected response element <" +
                                              doc->name + ">");
    }
    // An absent setting is off, as S3 reads it.
    PublicAccessBlock out;
    out.block_public_acls = doc->child_text("BlockPublicAcls") == "true";
    out.ignore_public_acls = doc->child_text("IgnorePublicAcls") == "true";
    out.block_public_policy = doc->child_text("BlockPublicPolicy") == "true";
    out.restrict_public_buckets = doc->child_text("RestrictPublicBuckets") == "true";
    return out;
}

// ---- The client
// -----------------------------------------------------------------------------------

asio::awaitable<Result<HttpResponse>> S3Client::send(std::string bucket, HttpRequest req,
                                                     std::string operation) {
    Endpoint endpoint = client_.endpoint();
    if (use_virtual_host(endpoint, bucket)) {
        endpoint.host = bucket + "." + endpoint.host;
        if (req.path.empty()) req.path = "/";
    } else {
        req.path = "/" + bucket + req.path;
    }
    co_return co_await client_.send_to(std::move(endpoint), std::move(req), std::move(operation),
                                       Protocol::rest_xml);
}

asio::awaitable<Result<PutObjectResult>> S3Client::put_object(std::string bucket, std::string key,
                                                              std::string body,
                                                              PutObjectOptions options) {
    HttpRequest req = bucket_request("PUT", "/" + key);
    req.body = std::move(body);
    if (options.if_none_match) req.headers.emplace_back("If-None-Match", "*");
    if (!options.content_type.empty())
        req.headers.emplace_back("Content-Type", options.content_type);
    if (!options.server_side_encryption.empty()) {
        req.headers.emplace_back("x-amz-server-side-encryption", options.server_side_encryption);
    }
    if (!options.sse_kms_key_id.empty()) {
        req.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id",
                                 options.sse_kms_key_id);
    }
    Result<HttpResponse> res = co_await send(std::move(bucket), std::move(req), "PutObject");
    if (!res) co_return res.error();
    co_return put_result(*res);
}

asio::awaitable<Result<GetObjectResult>> S3Client::get_object(std::string bucket, std::string key) {
    Result<HttpResponse> res =
        co_await send(std::move(bucket), bucket_request("GET", "/" + key), "GetObject");
    if (!res) co_return res.error();
    co_return get_result(std::move(*res));
}

asio::awaitable<Status> S3Client::delete_object(std::string bucket, std::string key) {
    Result<HttpResponse> res =
        co_await send(std::move(bucket), bucket_request("DELETE", "/" + key), "DeleteObject");
    if (!res) co_return res.error();
    co_return ok();
}

asio::awaitable<Result<ObjectInfo>> S3Client::head_object(std::string bucket, std::string key) {
    Result<HttpResponse> res =
        co_await send(std::move(bucket), bucket_request("HEAD", "/" + key), "HeadObject");
    if (!res) co_return res.error();
    co_return object_info(*res);
}

asio::awaitable<Result<std::vector<ObjectSummary>>> S3Client::list_objects_v2(std::string bucket,
                                                                              std::string prefix,
                                                                              int page_size) {
    std::vector<ObjectSummary> all;
    std::string token;
    do {
        HttpRequest req = bucket_request("GET", "");
        req.query.emplace_back("list-type", "2");
        req.query.emplace_back("encoding-type", "url");
        if (!prefix.empty()) req.query.emplace_back("prefix", prefix);
        if (page_size > 0) req.query.emplace_back("max-keys", std::to_string(page_size));
        if (!token.empty()) req.query.emplace_back("continuation-token", token);
        Result<HttpResponse> res = co_await send(bucket, std::move(req), "ListObjectsV2");
        if (!res) co_return res.error();
        Result<ListObjectsPage> page = parse_list_objects(res->body);
        if (!page) co_return page.error();
        std::move(page->objects.begin(), page->objects.end(), std::back_inserter(all));
        token = std::move(page->next_continuation_token);
    } while (!token.empty());
    co_return all;
}

asio::awaitable<Status> S3Client::create_bucket(std::string bucket) {
    HttpRequest req = bucket_request("PUT", "");
    req.body = create_bucket_body(client_.region());
    if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/xml");
    Result<HttpResponse> res = co_await send(std::move(bucket), std::move(req), "CreateBucket");
    if (!res) co_return res.error();
    co_return ok();
}

asio::awaitable<Status> S3Client::put_bucket_subresource(std::string bucket,
                                                         std::string subresource, std::string body,
                                                         std::string content_type,
                                                         std::string operation) {
    HttpRequest req = bucket_request("PUT", "");
    req.query.emplace_back(std::move(subresource), "");
    req.headers.emplace_back("Content-Type", std::move(content_type));
    req.headers.emplace_back("Content-MD5", content_md5(body));
    req.body = std::move(body);
    Result<HttpResponse> res =
        co_await send(std::move(bucket), std::move(req), std::move(operation));
    if (!res) co_return res.error();
    co_return ok();
}

asio::awaitable<Status> S3Client::put_bucket_policy(std::string bucket, std::string policy_json) {
    co_return co_await put_bucket_subresource(std::move(bucket), "policy", std::move(policy_json),
                                              "application/json", "PutBucketPolicy");
}

asio::awaitable<Result<std::string>> S3Client::get_bucket_subresource(std::string bucket,
                                                                      std::string subresource,
                                                                      std::string operation) {
    HttpRequest req = bucket_request("GET", "");
    req.query.emplace_back(std::move(subresource), "");
    Result<HttpResponse> res =
        co_await send(std::move(bucket), std::move(req), std::move(operation));
    if (!res) co_return res.error();
    co_return std::move(res->body);
}

asio::awaitable<Result<std::string>> S3Client::get_bucket_policy(std::string bucket) {
    co_return co_await get_bucket_subresource(std::move(bucket), "policy", "GetBucketPolicy");
}

asio::awaitable<Result<std::vector<LifecycleRule>>> S3Client::get_bucket_lifecycle_configuration(
    std::string bucket) {
    Result<std::string> body = co_await get_bucket_subresource(std::move(bucket), "lifecycle",
                                                               "GetBucketLifecycleConfiguration");
    if (!body) co_return body.error();
    co_return parse_lifecycle(*body);
}

asio::awaitable<Result<BucketEncryption>> S3Client::get_bucket_encryption(std::string bucket) {
    Result<std::string> body =
        co_await get_bucket_subresource(std::move(bucket), "encryption", "GetBucketEncryption");
    if (!body) co_return body.error();
    co_return parse_encryption(*body);
}

asio::awaitable<Result<PublicAccessBlock>> S3Client::get_public_access_block(std::string bucket) {
    Result<std::string> body = co_await get_bucket_subresource(
        std::move(bucket), "publicAccessBlock", "GetPublicAccessBlock");
    if (!body) co_return body.error();
    co_return parse_public_access_block(*body);
}

asio::awaitable<Status> S3Client::put_bucket_lifecycle_configuration(
    std::string bucket, std::vector<LifecycleRule> rules) {
    co_return co_await put_bucket_subresource(std::move(bucket), "lifecycle", lifecycle_body(rules),
                                              "application/xml", "PutBucketLifecycleConfiguration");
}

asio::awaitable<Status> S3Client::put_bucket_encryption(std::string bucket, std::string algorithm,
                                                        std::string kms_key_id,
                                                        bool bucket_key_enabled) {
    co_return co_await put_bucket_subresource(
        std::move(bucket), "encryption", encryption_body(algorithm, kms_key_id, bucket_key_enabled),
        "application/xml", "PutBucketEncryption");
}

asio::awaitable<Status> S3Client::put_public_access_block(std::string bucket,
                                                          PublicAccessBlock block) {
    co_return co_await put_bucket_subresource(std::move(bucket), "publicAccessBlock",
                                              public_access_block_body(block), "application/xml",
                                              "PutPublicAccessBlock");
}

}  // namespace sockerless::aws
