#pragma once
// Server-side AWS Signature Version 4 verification (header-based signing), written from the
// SigV4 specification independently of the project's client signer in src/aws.
//
// Contract: verify_sigv4 rebuilds the canonical request from what was received, never from what
// the client claims, and compares signatures in constant time. Its errors carry the codes,
// statuses and messages AWS's JSON services answer with.

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
};

struct AuthorizationHeader {
    std::string access_key, date, region, service;
    std::vector<std::string> signed_headers;  // lowercase, as listed
    std::string signature;                    // lowercase hex
};

ApiResult<SigV4Scope> verify_sigv4(const SigV4Request& request, const SigV4Config& config,
                                   std::chrono::system_clock::time_point now);

// The building blocks, exposed for tests.
ApiResult<AuthorizationHeader> parse_authorization(std::string_view value);
std::string canonical_request(const SigV4Request& request,
                              const std::vector<std::string>& signed_headers,
                              bool double_encode_path);
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw bytes
std::string signing_signature(std::string_view secret, const AuthorizationHeader& scope,
                              std::string_view amz_date, std::string_view canonical);
// RFC 3986 percent-encoding of everything but unreserved characters (and '/' when asked).
std::string uri_encode(std::string_view s, bool keep_slash);
// "20150830T123600Z" -> time point; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view s);
std::string format_amz_date(std::chrono::system_clock::time_point t);

}  // namespace sockerless::awssim
