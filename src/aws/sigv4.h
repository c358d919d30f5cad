#pragma once
// AWS Signature Version 4: pure functions, no I/O and no clock (the caller passes `now`).
//
// The rules follow the AWS General Reference ("Create a signed AWS API request") and are checked
// byte for byte against botocore's signer (tests/aws/sigv4_botocore_diff.py). Where the published
// rules leave a choice open (which headers to sign, how repeated headers join), botocore's choice
// is taken, because botocore is what AWS services are known to accept.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sockerless::aws {

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // empty for long-term credentials
};

using NameValue = std::pair<std::string, std::string>;

struct HttpRequest {
    std::string method;
    std::string host;                // "name" or "name:port", exactly as sent in the Host header
    std::string path;                // raw, not yet URI-encoded; "" means "/"
    std::vector<NameValue> query;    // decoded names and values, in the order they are sent
    std::vector<NameValue> headers;  // repeats allowed; their values are signed joined by ','
    std::string body;
};

enum class PayloadSigning {
    sha256,            // the body's SHA-256 is signed
    unsigned_payload,  // "UNSIGNED-PAYLOAD" (S3): the body can stream without being hashed first
};

struct SignOptions {
    PayloadSigning payload = PayloadSigning::sha256;
    // S3 signs the path exactly as sent; every other service signs it after removing dot segments
    // and empty segments and URI-encoding it a second time. Leave unset for that default.
    std::optional<bool> double_encode_path;
    // Adds X-Amz-Content-SHA256 for services other than S3 (S3 always gets it, and so does
    // any service when the payload is unsigned, since the server cannot know otherwise).
    bool content_sha256_header = false;
};

struct PresignOptions {
    std::chrono::seconds expires{3600};  // S3 accepts 1 s to 7 days
    std::string scheme = "https";
};

// ---- Signing -----------------------------------------------------------------------------------

// Signs `req` in place. Owns the headers Authorization, X-Amz-Date, X-Amz-Security-Token and
// X-Amz-Content-SHA256: any the caller set are removed first, so re-signing a retry is safe.
// The Host header is signed from `req.host` unless `req.headers` carries one; the transport must
// send that same value. The transport must send the path as encoded_path(req) and the query as
// canonical_query_string(req.query) (or the same pairs in any order).
void sign(HttpRequest& req, const Credentials& creds, std::string_view region,
          std::string_view service, std::chrono::system_clock::time_point now,
          SignOptions options = {});

// A presigned URL in S3 style: the path is signed as sent (encoded once, not normalised), the
// payload is UNSIGNED-PAYLOAD, and the signed headers are Host plus any in `req.headers`, which
// the eventual user of the URL must then send. `req.body` is ignored. Operation parameters keep
// their order and precede the X-Amz-* parameters, as botocore and the AWS examples do.
std::string presign_url(const HttpRequest& req, const Credentials& creds, std::string_view region,
                        std::string_view service, std::chrono::system_clock::time_point now,
                        const PresignOptions& options = {});

// ---- Intermediate pieces (exposed so each step can be tested on its own) ------------------------

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// The canonical request sign() signs for `req` once sign() has added its headers; an
// Authorization header already present is ignored, so this can be recomputed from a signed request.
std::string canonical_request(const HttpRequest& req, std::string_view service,
                              const SignOptions& options = {});

// The query presign_url() signs and sends, minus X-Amz-Signature: `req.query` in order, then
// X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders and -Security-Token (if any).
std::vector<NameValue> presign_query(const HttpRequest& req, const Credentials& creds,
                                     std::string_view region, std::string_view service,
                                     std::chrono::system_clock::time_point now,
                                     const PresignOptions& options = {});

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Raw 32-byte HMAC-SHA256.
std::string hmac_sha256(std::string_view key, std::string_view data);

// AWS URI encoding: A-Z a-z 0-9 - _ . ~ stay, every other byte becomes %XX (uppercase hex);
// '/' stays too when `keep_slash` (paths). Bytes are encoded as given, so UTF-8 in, UTF-8 out.
std::string uri_encode(std::string_view s, bool keep_slash);

// The path as it goes on the wire: encoded once, '/' kept, "" becomes "/".
std::string encoded_path(const HttpRequest& req);

// The path as signed. With `double_encode` (all services but S3), dot segments and empty
// segments are removed from the wire path and the result is URI-encoded again.
std::string canonical_uri(std::string_view raw_path, bool double_encode);

// RFC 3986 "remove dot segments", also dropping empty segments as AWS services require.
std::string remove_dot_segments(std::string_view path);

// name=value pairs, each URI-encoded, sorted by encoded name then encoded value, joined by '&'.
std::string canonical_query_string(const std::vector<NameValue>& query);

struct CanonicalHeaders {
    std::string block;           // "name:value\n" per header, names lowercased and sorted
    std::string signed_headers;  // "name;name;..."
};

// Names are lowercased; values trimmed, inner whitespace runs collapsed to one space and repeats
// joined by ','. Hop-by-hop headers and User-Agent are left out: proxies and HTTP clients may
// rewrite them. `host` is signed as the Host header unless `headers` carries one.
CanonicalHeaders canonical_headers(const std::vector<NameValue>& headers, std::string_view host);

std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, const CanonicalHeaders& headers,
                              std::string_view payload_hash);

// "20150830T123600Z": the X-Amz-Date form of `now` in UTC.
std::string amz_date(std::chrono::system_clock::time_point now);

// "20150830/us-east-1/iam/aws4_request"; `date` is the yyyymmdd prefix of amz_date().
std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service);

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

// The raw 32-byte key: HMAC chain over date, region, service and "aws4_request".
std::string signing_key(std::string_view secret_access_key, std::string_view date,
                        std::string_view region, std::string_view service);

// Lowercase hex HMAC of the string to sign under the signing key.
std::string signature(std::string_view signing_key, std::string_view string_to_sign);

}  // namespace sockerless::aws
