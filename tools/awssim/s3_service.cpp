#include "s3_service.h"

#include <algorithm>
#include <array>
#include <iostream>

#include <boost/beast/http.hpp>

#include "account.h"
#include "s3_checksum.h"
#include "s3_policy.h"

namespace sockerless::awssim {
namespace http = boost::beast::http;
namespace {

constexpr std::string_view kMaxSkewMillis = "900000";

// Subresources of S3 the simulator does not serve; a request naming one is NotImplemented
// rather than mistaken for a plain bucket or object operation.
constexpr auto kUnsupportedSubresources = std::to_array<std::string_view>({
    "accelerate",     "acl",
    "analytics",      "attributes",
    "cors",           "intelligent-tiering",
    "inventory",      "legal-hold",
    "logging",        "metadataTable",
    "metrics",        "notification",
    "object-lock",    "ownershipControls",
    "partNumber",     "policyStatus",
    "renameObject",   "replication",
    "requestPayment", "restore",
    "retention",      "select",
    "session",        "tagging",
    "torrent",        "uploadId",
    "uploads",        "versionId",
    "versioning",     "versions",
    "website",
});

// Bucket configuration subresources: GET, PUT and DELETE operations and the IAM actions they need.
struct ConfigRoute {
    std::string_view subresource;
    std::string_view get, put, del;
    std::string_view get_action, put_action;
};
constexpr auto kConfigRoutes = std::to_array<ConfigRoute>({
    {"policy", "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy", "s3:GetBucketPolicy",
     "s3:PutBucketPolicy"},
    {"lifecycle", "GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration",
     "DeleteBucketLifecycle", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"},
    {"encryption", "GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption",
     "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration"},
    {"publicAccessBlock", "GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock",
     "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
});

S3Error method_not_allowed(std::string_view method, std::string_view resource_type) {
    return S3Error{405,
                   "MethodNotAllowed",
                   "The specified method is not allowed against this resource.",
                   {{"Method", std::string(method)}, {"ResourceType", std::string(resource_type)}}};
}

S3Error not_implemented(std::string_view header) {
    S3Error e{501,
              "NotImplemented",
              "A header you provided implies functionality that is not implemented",
              {}};
    if (!header.empty()) e.extra.emplace_back("Header", std::string(header));
    return e;
}

std::optional<S3Error> unsupported_subresource(const S3Target& target) {
    for (const auto& [name, value] : target.query) {
        if (std::ranges::find(kUnsupportedSubresources, name) != kUnsupportedSubresources.end())
            return not_implemented("");
    }
    return std::nullopt;
}

std::variant<S3Route, S3Error> route_bucket(std::string_view method, const S3Target& target) {
    for (const auto& r : kConfigRoutes) {
        if (!target.has_param(r.subresource)) continue;
        if (method == "GET") return S3Route{std::string(r.get), std::string(r.get_action)};
        if (method == "PUT") return S3Route{std::string(r.put), std::string(r.put_action)};
        if (method == "DELETE") {
            std::string action(r.subresource == "policy" ? "s3:DeleteBucketPolicy" : r.put_action);
            return S3Route{std::string(r.del), action};
        }
        return method_not_allowed(method, "BUCKET");
    }
    if (target.has_param("location")) {
        if (method == "GET") return S3Route{"GetBucketLocation", "s3:GetBucketLocation"};
        return method_not_allowed(method, "BUCKET");
    }
    if (target.has_param("delete")) {
        if (method == "POST") return S3Route{"DeleteObjects", "s3:DeleteObject"};
        return method_not_allowed(method, "BUCKET");
    }
    if (auto e = unsupported_subresource(target)) return *e;
    if (method == "PUT") return S3Route{"CreateBucket", "s3:CreateBucket"};
    if (method == "DELETE") return S3Route{"DeleteBucket", "s3:DeleteBucket"};
    if (method == "HEAD") return S3Route{"HeadBucket", "s3:ListBucket"};
    if (method == "GET") {
        bool v2 = target.param("list-type") == "2";
        return S3Route{v2 ? "ListObjectsV2" : "ListObjects", "s3:ListBucket"};
    }
    return method_not_allowed(method, "BUCKET");
}

std::string bucket_arn(std::string_view bucket) {
    return "arn:aws:s3:::" + std::string(bucket);
}

bool is_hex_sha256(std::string_view s) {
    return s.size() == 64 && std::ranges::all_of(s, [](unsigned char c) {
               return std::isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
           });
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The region and access key a rejected request claimed, for S3's error details.
struct ClaimedScope {
    std::string access_key;
    std::string region;
};

ClaimedScope claimed_scope(const Request& request) {
    ClaimedScope out;
    if (auto auth = parse_authorization(request[http::field::authorization])) {
        out.access_key = auth->access_key;
        out.region = auth->region;
        return out;
    }
    for (const auto& [k, v] : decode_query(request.target())) {
        if (k == "AWSAccessKeyId") out.access_key = v;
        if (k != "X-Amz-Credential") continue;
        std::string_view cred = v;
        out.access_key = std::string(cred.substr(0, cred.find('/')));
        std::size_t first = cred.find('/');
        std::size_t second = first == std::string_view::npos ? first : cred.find('/', first + 1);
        std::size_t third = second == std::string_view::npos ? second : cred.find('/', second + 1);
        if (third != std::string_view::npos)
            out.region = std::string(cred.substr(second + 1, third - second - 1));
    }
    return out;
}

}  // namespace

S3Error s3_access_denied() {
    return S3Error{403, "AccessDenied", "Access Denied", {}};
}

S3Error s3_no_such_bucket(std::string_view bucket) {
    return S3Error{404,
                   "NoSuchBucket",
                   "The specified bucket does not exist",
                   {{"BucketName", std::string(bucket)}}};
}

S3Error s3_malformed_xml() {
    return S3Error{400,
                   "MalformedXML",
                   "The XML you provided was not well-formed or did not validate against our "
                   "published schema",
                   {}};
}

S3Error s3_internal_error(std::string_view detail) {
    std::cerr << "sockerless-awssim: s3: " << detail << "\n";
    return S3Error{500, "InternalError", "We encountered an internal error. Please try again.", {}};
}

S3Error s3_invalid_argument(std::string message, std::string_view name, std::string_view value) {
    S3Error e{400, "InvalidArgument", std::move(message), {}};
    if (!name.empty()) {
        e.extra.emplace_back("ArgumentName", std::string(name));
        e.extra.emplace_back("ArgumentValue", std::string(value));
    }
    return e;
}

std::string s3_owner_id() {
    return sha256_hex(std::string("sockerless-awssim/") + std::string(kAccountId));
}

std::variant<S3Route, S3Error> route_s3(std::string_view method, const S3Target& target) {
    if (target.bucket.empty()) {
        if (method == "GET") return S3Route{"ListBuckets", "s3:ListAllMyBuckets"};
        return method_not_allowed(method, "SERVICE");
    }
    if (target.key.empty()) return route_bucket(method, target);
    if (auto e = unsupported_subresource(target)) return *e;
    if (method == "PUT") return S3Route{"PutObject", "s3:PutObject"};
    if (method == "GET") return S3Route{"GetObject", "s3:GetObject"};
    if (method == "HEAD") return S3Route{"HeadObject", "s3:GetObject"};
    if (method == "DELETE") return S3Route{"DeleteObject", "s3:DeleteObject"};
    return method_not_allowed(method, "OBJECT");
}

S3Service::S3Service(const std::string& state_dir, std::string region, Clock clock)
    : store_(state_dir.empty() ? std::string() : state_dir + "/s3"),
      region_(std::move(region)),
      clock_(std::move(clock)) {
    if (auto loaded = store_.load(); !loaded)
        std::cerr << "sockerless-awssim: s3: " << loaded.error().message << "\n";
}

bool S3Service::Context::head() const {
    return request().method() == http::verb::head;
}

std::string S3Service::operation(const Request& request) const {
    auto target = parse_s3_target(request[http::field::host], request.target());
    auto route = route_s3(request.method_string(), target);
    if (const auto* r = std::get_if<S3Route>(&route)) return r->operation;
    return "";
}

Response S3Service::reply(const Context& c, int status, std::string_view content_type,
                          std::string body) const {
    auto res = make_response(c.request(), status, content_type, std::move(body));
    res.set("x-amz-request-id", s3_request_id(c.call.request_id));
    res.set("x-amz-id-2", s3_host_id(c.call.request_id));
    return res;
}

Response S3Service::render(const Request& request, std::string_view request_id,
                           const S3Error& e) const {
    bool head = request.method() == http::verb::head;
    std::string id = s3_request_id(request_id);
    std::string host_id = s3_host_id(request_id);
    auto res = make_response(request, e.status, "application/xml",
                             head ? std::string() : s3_error_document(e, id, host_id));
    res.set("x-amz-request-id", id);
    res.set("x-amz-id-2", host_id);
    return res;
}

Response S3Service::fail(const Context& c, const S3Error& e) const {
    return render(c.request(), c.call.request_id, e);
}

Response S3Service::error(const Request& request, const ApiError& error,
                          std::string_view request_id) const {
    bool presigned = is_presigned(request.target());
    ClaimedScope claimed = claimed_scope(request);
    S3Error e{error.status, error.code, error.message, {}};
    if (error.code == "InvalidSignatureException") {
        if (error.message.starts_with("Signature expired") ||
            error.message.starts_with("Signature not yet current")) {
            e = S3Error{403,
                        "RequestTimeTooSkewed",
                        "The difference between the request time and the current time is too "
                        "large.",
                        {{"MaxAllowedSkewMilliseconds", std::string(kMaxSkewMillis)}}};
        } else if (error.message.starts_with("Credential should be scoped to a valid region")) {
            std::string detail =
                "the region '" + claimed.region + "' is wrong; expecting '" + region_ + "'";
            e = presigned ? S3Error{400,
                                    "AuthorizationQueryParametersError",
                                    "Error parsing the X-Amz-Credential parameter; " + detail,
                                    {}}
                          : S3Error{400,
                                    "AuthorizationHeaderMalformed",
                                    "The authorization header is malformed; " + detail,
                                    {{"Region", region_}}};
        } else {
            e = S3Error{403,
                        "SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you "
                        "provided. Check your key and signing method.",
                        {{"AWSAccessKeyId", claimed.access_key}}};
        }
    } else if (error.code == "UnrecognizedClientException") {
        bool token = !request["X-Amz-Security-Token"].empty() ||
                     request.target().find("X-Amz-Security-Token=") != std::string_view::npos;
        e = token ? S3Error{400,
                            "InvalidToken",
                            "The provided token is malformed or otherwise invalid.",
                            {}}
                  : S3Error{403,
                            "InvalidAccessKeyId",
                            "The AWS Access Key Id you provided does not exist in our records.",
                            {{"AWSAccessKeyId", claimed.access_key}}};
    } else if (error.code == "MissingAuthenticationTokenException") {
        e = s3_access_denied();
    } else if (error.code == "IncompleteSignatureException") {
        e = S3Error{
            400,
            presigned ? "AuthorizationQueryParametersError" : "AuthorizationHeaderMalformed",
            error.message,
            {}};
    } else if (error.code == "RequestExpired") {
        e = S3Error{403, "AccessDenied", error.message, {}};
    } else if (error.code == "ThrottlingException") {
        e = S3Error{503, "SlowDown", "Please reduce your request rate.", {}};
    }
    return render(request, request_id, e);
}

std::optional<S3Error> S3Service::decode_payload(Context& c) const {
    const auto& request = c.request();
    std::string_view declared = request["x-amz-content-sha256"];
    bool presigned = c.call.scope.presigned;
    if (declared.empty()) {
        if (!presigned) {
            return S3Error{400,
                           "InvalidRequest",
                           "Missing required header for this request: x-amz-content-sha256",
                           {}};
        }
        c.payload = request.body();
        return std::nullopt;
    }
    if (declared == "UNSIGNED-PAYLOAD") {
        c.payload = request.body();
        return std::nullopt;
    }
    if (declared == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
        auto decoded = decode_aws_chunked(request.body());
        if (!decoded)
            return S3Error{400, "IncompleteBody", "The request body terminated unexpectedly", {}};
        std::string_view length = request["x-amz-decoded-content-length"];
        if (!length.empty() && length != std::to_string(decoded->payload.size())) {
            return S3Error{400,
                           "IncompleteBody",
                           "You did not provide the number of bytes specified by the "
                           "x-amz-decoded-content-length HTTP header",
                           {}};
        }
        c.payload = std::move(decoded->payload);
        c.trailers = std::move(decoded->trailers);
        return std::nullopt;
    }
    if (declared.starts_with("STREAMING-")) return not_implemented("x-amz-content-sha256");
    if (!is_hex_sha256(declared)) {
        return S3Error{
            400,
            "InvalidArgument",
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, "
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
            {{"ArgumentName", "x-amz-content-sha256"}, {"ArgumentValue", std::string(declared)}}};
    }
    std::string computed = sha256_hex(request.body());
    if (lower(declared) != computed) {
        return S3Error{400,
                       "XAmzContentSHA256Mismatch",
                       "The provided 'x-amz-content-sha256' header does not match what was "
                       "computed.",
                       {{"ClientComputedContentSHA256", std::string(declared)},
                        {"S3ComputedContentSHA256", computed}}};
    }
    c.payload = request.body();
    return std::nullopt;
}

std::optional<S3Error> S3Service::verify_integrity(const Context& c, bool required,
                                                   std::optional<PayloadChecksum>& found) const {
    const auto& request = c.request();
    std::string_view md5 = request["Content-MD5"];
    if (!md5.empty()) {
        auto digest = base64_decode(md5);
        if (!digest || digest->size() != 16) {
            return S3Error{400,
                           "InvalidDigest",
                           "The Content-MD5 you specified was invalid.",
                           {{"Content-MD5", std::string(md5)}}};
        }
        std::string computed = md5_raw(c.payload);
        if (*digest != computed) {
            return S3Error{400,
                           "BadDigest",
                           "The Content-MD5 you specified did not match what we received.",
                           {{"ExpectedDigest", std::string(md5)},
                            {"CalculatedDigest", base64_encode(computed)}}};
        }
    }
    std::string_view trailer = request["x-amz-trailer"];
    for (const auto& algorithm : checksum_algorithms()) {
        std::optional<std::string> sent;
        std::string_view header = request[algorithm.header];
        if (!header.empty()) sent = std::string(header);
        for (const auto& [name, value] : c.trailers) {
            if (name == algorithm.header) sent = value;
        }
        if (!sent) continue;
        if (found) {
            return S3Error{400,
                           "InvalidRequest",
                           "Expecting a single x-amz-checksum- header. Multiple checksum Types "
                           "are not allowed.",
                           {}};
        }
        std::string computed = checksum_base64(algorithm, c.payload);
        auto decoded = base64_decode(*sent);
        if (!decoded || decoded->size() != base64_decode(computed)->size()) {
            return S3Error{400,
                           "InvalidRequest",
                           "Value for " + std::string(algorithm.header) + " header is invalid.",
                           {}};
        }
        if (*sent != computed) {
            return S3Error{400,
                           "BadDigest",
                           "The " + std::string(algorithm.name) +
                               " you specified did not match the calculated checksum.",
                           {}};
        }
        found = PayloadChecksum{std::string(algorithm.name), computed};
    }
    if (!found && !trailer.empty()) {
        return S3Error{400,
                       "InvalidRequest",
                       "The x-amz-trailer header specified " + std::string(trailer) +
                           " but no such trailer was found in the request body.",
                       {}};
    }
    if (!found && !request["x-amz-sdk-checksum-algorithm"].empty()) {
        return S3Error{400,
                       "InvalidRequest",
                       "x-amz-sdk-checksum-algorithm specified, but no corresponding "
                       "x-amz-checksum-* or x-amz-trailer headers were found.",
                       {}};
    }
    if (required && !found && md5.empty()) {
        return S3Error{
            400, "InvalidRequest", "Missing required header for this request: Content-MD5", {}};
    }
    return std::nullopt;
}

bool S3Service::allowed(const Context& c, std::string_view action,
                        std::string_view resource) const {
    const Identity& who = c.call.identity;
    AccessRequest req;
    req.action = std::string(action);
    req.resource = std::string(resource);
    req.account_id = who.account_id;
    req.principal_arn = who.arn;
    req.role_arn = who.role_arn;
    auto& ctx = req.context;
    ctx["aws:securetransport"] = c.call.secure ? "true" : "false";
    ctx["aws:principalarn"] = who.role_arn.empty() ? who.arn : who.role_arn;
    ctx["aws:userid"] = who.user_id;
    ctx["aws:principalaccount"] = who.account_id;
    ctx["aws:principaltype"] = who.role_arn.empty() ? "Account" : "AssumedRole";
    ctx["s3:authtype"] = c.call.scope.presigned ? "REST-QUERY-STRING" : "REST-HEADER";
    ctx["s3:signatureversion"] = "AWS4-HMAC-SHA256";
    if (action == "s3:ListBucket") {
        for (std::string_view name : {"prefix", "delimiter", "max-keys"}) {
            if (auto v = c.target.param(name)) ctx["s3:" + std::string(name)] = *v;
        }
    }
    if (action == "s3:PutObject") {
        for (std::string_view name :
             {"x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
              "x-amz-acl", "x-amz-storage-class", "x-amz-content-sha256"}) {
            std::string_view v = c.request()[name];
            if (!v.empty()) ctx["s3:" + std::string(name)] = std::string(v);
        }
    }
    const BucketPolicy* policy = c.bucket && c.bucket->policy ? &*c.bucket->policy : nullptr;
    return authorize(policy, req);
}

Response S3Service::handle(const Call& call) {
    const auto& request = call.request;
    Context c{
        call,    parse_s3_target(request[http::field::host], request.target()), {}, {}, {}, nullptr,
        clock_()};
    auto route = route_s3(request.method_string(), c.target);
    if (const auto* e = std::get_if<S3Error>(&route)) return fail(c, *e);
    const auto& r = std::get<S3Route>(route);
    c.operation = r.operation;
    if (auto e = decode_payload(c)) return fail(c, *e);
    std::string_view owner = request["x-amz-expected-bucket-owner"];
    if (!owner.empty() && owner != kAccountId) return fail(c, s3_access_denied());

    if (c.target.bucket.empty() || r.operation == "CreateBucket") {
        std::string resource = c.target.bucket.empty() ? "*" : bucket_arn(c.target.bucket);
        if (!allowed(c, r.action, resource)) return fail(c, s3_access_denied());
        return dispatch(c);
    }
    c.bucket = store_.find(c.target.bucket);
    bool root = call.identity.role_arn.empty();
    if (!c.bucket) return fail(c, root ? s3_no_such_bucket(c.target.bucket) : s3_access_denied());
    store_.expire_objects(*c.bucket, c.now);
    // The account root can always manage the bucket policy, even one that denies it everything,
    // so a bucket can never be locked away from its owner.
    bool policy_op = r.operation.find("BucketPolicy") != std::string::npos;
    if (r.operation != "DeleteObjects" && !(root && policy_op)) {
        std::string resource = bucket_arn(c.target.bucket);
        if (!c.target.key.empty()) resource += "/" + c.target.key;
        if (!allowed(c, r.action, resource)) return fail(c, s3_access_denied());
    }
    return dispatch(c);
}

Response S3Service::dispatch(Context& c) {
    using Op = Response (S3Service::*)(Context&);
    static constexpr auto kOps = std::to_array<std::pair<std::string_view, Op>>({
        {"ListBuckets", &S3Service::list_buckets},
        {"CreateBucket", &S3Service::create_bucket},
        {"DeleteBucket", &S3Service::delete_bucket},
        {"HeadBucket", &S3Service::head_bucket},
        {"GetBucketLocation", &S3Service::get_bucket_location},
        {"PutBucketPolicy", &S3Service::put_bucket_policy},
        {"GetBucketPolicy", &S3Service::get_bucket_policy},
        {"DeleteBucketPolicy", &S3Service::delete_bucket_policy},
        {"PutBucketLifecycleConfiguration", &S3Service::put_bucket_lifecycle},
        {"GetBucketLifecycleConfiguration", &S3Service::get_bucket_lifecycle},
        {"DeleteBucketLifecycle", &S3Service::delete_bucket_lifecycle},
        {"PutBucketEncryption", &S3Service::put_bucket_encryption},
        {"GetBucketEncryption", &S3Service::get_bucket_encryption},
        {"DeleteBucketEncryption", &S3Service::delete_bucket_encryption},
        {"PutPublicAccessBlock", &S3Service::put_public_access_block},
        {"GetPublicAccessBlock", &S3Service::get_public_access_block},
        {"DeletePublicAccessBlock", &S3Service::delete_public_access_block},
        {"PutObject", &S3Service::put_object},
        {"GetObject", &S3Service::get_object},
        {"HeadObject", &S3Service::get_object},
        {"DeleteObject", &S3Service::delete_object},
        {"DeleteObjects", &S3Service::delete_objects},
    });
    if (c.operation == "ListObjects" || c.operation == "ListObjectsV2")
        return list_objects(c, c.operation == "ListObjectsV2");
    for (const auto& [name, op] : kOps) {
        if (name == c.operation) return (this->*op)(c);
    }
    return fail(c, not_implemented(""));
}

}  // namespace sockerless::awssim
