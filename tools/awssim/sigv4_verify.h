#pragma once
// Server-side AWS Signature Version 4 verification, written from the SigV4 specification
// independently of the project's client signer in src/aws: header-based signing (Authorization)
// and query-string signing (presigned URLs: X-Amz-Algorithm, -Credential, -Date, -Expires,
// -SignedHeaders, -Signature; S3's SigV2 presigned URLs are verified by sigv2_query.h).
//
// Contract: verify_sigv4 rebuilds the canonical request from what was received, never from what
// the client claims, and compares signatures in constant time. Its errors carry the codes,
// statuses and messages AWS's JSON services answer with, plus "RequestExpired" (403) for a
// presigned URL used after X-Amz-Date + X-Amz-Expires, which each service renders its own way.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api_error.h"

namespace sockerless::awssim {

struct SigV4Request {
    std::string method;
    std::string target;  // raw request-target as received: path, then optional "?query"
    std::vector<std::pair<std::string, std::string>> headers;  // names in any case, repeats kept
    std::string_view body;
};

struct SigV4Config {
    // Access key id -> its secret key; nullopt for a key the account does not know.
    std::function<std::optional<std::string>(std::string_view access_key)> secret_for;
    std::string region;
    std::chrono::seconds max_skew{std::chrono::minutes(15)};
};

// The credential scope of a verified request.
struct SigV4Scope {
    std::string access_key;
    std::string date;  // yyyymmdd
    std::string region;
    std::string service;
    std::string session_token;  // X-Amz-Security-Token (header or presigned query), "" if none
    bool presigned = false;     // signed in the query string
};

struct AuthorizationHeader {
    std::string access_key, date, region, service;
    std::vector<std::string> signed_headers;  // lowercase, as listed
    std::string signature;                    // lowercase hex
};

ApiResult<SigV4Scope> verify_sigv4(const SigV4Request& request, const SigV4Config& config,
                                   std::chrono::system_clock::time_point now);

// Whether the request-target carries a query-string signature (SigV4's X-Amz-Signature or
// X-Amz-Algorithm, or S3's SigV2 AWSAccessKeyId and Signature): such a request is signed even
// without an Authorization header.
bool is_presigned(std::string_view target);

// The building blocks, exposed for tests.
ApiResult<AuthorizationHeader> parse_authorization(std::string_view value);
// `payload_hash` replaces the x-amz-content-sha256 header or the body's SHA-256 when given
// (presigned S3 URLs sign "UNSIGNED-PAYLOAD").
std::string canonical_request(const SigV4Request& request,
                              const std::vector<std::string>& signed_headers,
                              bool double_encode_path,
                              std::optional<std::string_view> payload_hash = std::nullopt);
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw bytes
std::string signing_signature(std::string_view secret, const AuthorizationHeader& scope,
                              std::string_view amz_date, std::string_view canonical);
// The decoded query parameters of a request-target, in order.
std::vector<std::pair<std::string, std::string>> decode_query(std::string_view target);
std::string uri_decode(std::string_view s);
// RFC 3986 percent-encoding of everything but unreserved characters (and '/' when asked).
std::string uri_encode(std::string_view s, bool keep_slash);
// "20150830T123600Z" -> time point; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view s);
std::string format_amz_date(std::chrono::system_clock::time_point t);

}  // namespace sockerless::awssim
