#include "aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "base/hex.h"

namespace sockerless::aws {
namespace {

using Clock = std::chrono::system_clock;

constexpr std::string_view kWhitespace = " \t\n\v\f\r";

// Never signed. Hop-by-hop headers and User-Agent may be rewritten between us and AWS, which
// would break the signature (botocore leaves out the same set). Authorization cannot sign itself.
constexpr std::array<std::string_view, 12> kUnsignedHeaders = {
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
};

// The headers sign() owns; a caller's copies would otherwise be signed twice or go stale.
constexpr std::array<std::string_view, 4> kOwnedHeaders = {
    "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"};

// OpenSSL's one-shot digests fail only when allocation fails. Signing is pure and infallible by
// contract; out of memory here is treated like anywhere else (fatal), never as a wrong signature.
[[noreturn]] void crypto_failure() {
    std::abort();
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

template <std::size_t N>
bool is_one_of(std::string_view lower_name, const std::array<std::string_view, N>& names) {
    return std::find(names.begin(), names.end(), lower_name) != names.end();
}

// Trims and collapses inner whitespace runs to one space ("Trimall" in the AWS docs).
std::string trim_all(std::string_view value) {
    std::string out;
    std::size_t pos = value.find_first_not_of(kWhitespace);
    while (pos != std::string_view::npos) {
        std::size_t end = value.find_first_of(kWhitespace, pos);
        if (!out.empty()) out.push_back(' ');
        out.append(value.substr(pos, end - pos));
        if (end == std::string_view::npos) break;
        pos = value.find_first_not_of(kWhitespace, end);
    }
    return out;
}

std::string with_leading_slash(std::string_view raw_path) {
    if (!raw_path.empty() && raw_path.front() == '/') return std::string(raw_path);
    return "/" + std::string(raw_path);
}

bool is_s3(std::string_view service) {
    return service == "s3";
}

bool double_encodes(std::string_view service, const SignOptions& options) {
    return options.double_encode_path.value_or(!is_s3(service));
}

bool wants_content_sha256_header(std::string_view service, const SignOptions& options) {
    return is_s3(service) || options.content_sha256_header ||
           options.payload == PayloadSigning::unsigned_payload;
}

std::string payload_hash(const HttpRequest& req, const SignOptions& options) {
    if (options.payload == PayloadSigning::unsigned_payload) return std::string(kUnsignedPayload);
    return sha256_hex(req.body);
}

void remove_owned_headers(std::vector<NameValue>& headers) {
    std::erase_if(headers,
                  [](const NameValue& h) { return is_one_of(to_lower(h.first), kOwnedHeaders); });
}

std::string scope_date(std::string_view date_time) {
    return std::string(date_time.substr(0, 8));
}

}  // namespace

// ---- Hashing -----------------------------------------------------------------------------------

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) {
        crypto_failure();
    }
    return hex_encode(std::span<const unsigned char>(md.data(), len));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes, data.size(), md.data(),
             &len) == nullptr) {
        crypto_failure();
    }
    return std::string(reinterpret_cast<const char*>(md.data()), len);
}

// ---- Encoding ----------------------------------------------------------------------------------

std::string uri_encode(std::string_view s, bool keep_slash) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        const bool unreserved = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
                                (b >= '0' && b <= '9') || b == '-' || b == '_' || b == '.' ||
                                b == '~';
        if (unreserved || (keep_slash && b == '/')) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[b >> 4]);
            out.push_back(kHex[b & 0x0f]);
        }
    }
    return out;
}

std::string encoded_path(const HttpRequest& req) {
    return uri_encode(with_leading_slash(req.path), true);
}

std::string remove_dot_segments(std::string_view path) {
    std::vector<std::string_view> kept;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = std::min(path.find('/', start), path.size());
        std::string_view segment = path.substr(start, end - start);
        if (segment == "..") {
            if (!kept.empty()) kept.pop_back();
        } else if (!segment.empty() && segment != ".") {
            kept.push_back(segment);
        }
        start = end + 1;
    }
    std::string out = (!path.empty() && path.front() == '/') ? "/" : "";
    for (std::size_t i = 0; i < kept.size(); ++i) {
        if (i > 0) out.push_back('/');
        out.append(kept[i]);
    }
    if (!kept.empty() && path.back() == '/') out.push_back('/');
    return out;
}

std::string canonical_uri(std::string_view raw_path, bool double_encode) {
    std::string wire = uri_encode(with_leading_slash(raw_path), true);
    if (!double_encode) return wire;
    // Services other than S3 verify against the path they received, normalised and encoded again.
    return uri_encode(remove_dot_segments(wire), true);
}

std::string canonical_query_string(const std::vector<NameValue>& query) {
    std::vector<NameValue> encoded;
    encoded.reserve(query.size());
    for (const auto& [name, value] : query) {
        encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
    }
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty()) out.push_back('&');
        out.append(name).append("=").append(value);
    }
    return out;
}

// ---- Canonical request -------------------------------------------------------------------------

CanonicalHeaders canonical_headers(const std::vector<NameValue>& headers, std::string_view host) {
    std::map<std::string, std::string> joined;  // lowercase name -> values joined by ','
    for (const auto& [name, value] : headers) {
        std::string lower = to_lower(name);
        if (is_one_of(lower, kUnsignedHeaders)) continue;
        auto [it, inserted] = joined.try_emplace(std::move(lower), trim_all(value));
        if (!inserted) it->second.append(",").append(trim_all(value));
    }
    joined.try_emplace("host", trim_all(host));
    CanonicalHeaders out;
    for (const auto& [name, value] : joined) {
        out.block.append(name).append(":").append(value).append("\n");
        if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
        out.signed_headers.append(name);
    }
    return out;
}

std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, const CanonicalHeaders& headers,
                              std::string_view payload_hash) {
    std::string out;
    out.append(method).append("\n");
    out.append(canonical_uri).append("\n");
    out.append(canonical_query).append("\n");
    out.append(headers.block).append("\n");
    out.append(headers.signed_headers).append("\n");
    out.append(payload_hash);
    return out;
}

std::string canonical_request(const HttpRequest& req, std::string_view service,
                              const SignOptions& options) {
    return canonical_request(req.method, canonical_uri(req.path, double_encodes(service, options)),
                             canonical_query_string(req.query),
                             canonical_headers(req.headers, req.host), payload_hash(req, options));
}

// ---- Signature ---------------------------------------------------------------------------------

std::string amz_date(Clock::time_point now) {
    const auto secs = std::chrono::floor<std::chrono::seconds>(now);
    const auto day = std::chrono::floor<std::chrono::days>(secs);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{secs - day};
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%04d%02u%02uT%02d%02d%02dZ",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return buf.data();
}

std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service) {
    std::string out(date);
    out.append("/").append(region).append("/").append(service).append("/aws4_request");
    return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
    std::string out(kAlgorithm);
    out.append("\n").append(amz_date).append("\n").append(scope).append("\n");
    out.append(sha256_hex(canonical_request));
    return out;
}

std::string signing_key(std::string_view secret_access_key, std::string_view date,
                        std::string_view region, std::string_view service) {
    std::string key = hmac_sha256("AWS4" + std::string(secret_access_key), date);
    key = hmac_sha256(key, region);
    key = hmac_sha256(key, service);
    return hmac_sha256(key, "aws4_request");
}

std::string signature(std::string_view signing_key, std::string_view string_to_sign) {
    std::string mac = hmac_sha256(signing_key, string_to_sign);
    return hex_encode(std::span<const unsigned char>(
        reinterpret_cast<const unsigned char*>(mac.data()), mac.size()));
}

void sign(HttpRequest& req, const Credentials& creds, std::string_view region,
          std::string_view service, Clock::time_point now, SignOptions options) {
    remove_owned_headers(req.headers);
    const std::string date_time = amz_date(now);
    const std::string payload = payload_hash(req, options);
    req.headers.emplace_back("X-Amz-Date", date_time);
    if (!creds.session_token.empty()) {
        req.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
    }
    if (wants_content_sha256_header(service, options)) {
        req.headers.emplace_back("X-Amz-Content-SHA256", payload);
    }

    const std::string date = scope_date(date_time);
    const std::string scope = credential_scope(date, region, service);
    const CanonicalHeaders headers = canonical_headers(req.headers, req.host);
    const std::string cr =
        canonical_request(req.method, canonical_uri(req.path, double_encodes(service, options)),
                          canonical_query_string(req.query), headers, payload);
    const std::string sig = signature(signing_key(creds.secret_access_key, date, region, service),
                                      string_to_sign(date_time, scope, cr));
    req.headers.emplace_back("Authorization",
                             std::string(kAlgorithm) + " Credential=" + creds.access_key_id + "/" +
                                 scope + ", SignedHeaders=" + headers.signed_headers +
                                 ", Signature=" + sig);
}

// ---- Presigned URLs ----------------------------------------------------------------------------

std::vector<NameValue> presign_query(const HttpRequest& req, const Credentials& creds,
                                     std::string_view region, std::string_view service,
                                     Clock::time_point now, const PresignOptions& options) {
    const std::string date_time = amz_date(now);
    std::vector<NameValue> query = req.query;
    query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
    query.emplace_back(
        "X-Amz-Credential",
        creds.access_key_id + "/" + credential_scope(scope_date(date_time), region, service));
    query.emplace_back("X-Amz-Date", date_time);
    query.emplace_back("X-Amz-Expires", std::to_string(options.expires.count()));
    query.emplace_back("X-Amz-SignedHeaders",
                       canonical_headers(req.headers, req.host).signed_headers);
    if (!creds.session_token.empty()) {
        query.emplace_back("X-Amz-Security-Token", creds.session_token);
    }
    return query;
}

std::string presign_url(const HttpRequest& req, const Credentials& creds, std::string_view region,
                        std::string_view service, Clock::time_point now,
                        const PresignOptions& options) {
    const std::vector<NameValue> query = presign_query(req, creds, region, service, now, options);
    const std::string date_time = amz_date(now);  // the same X-Amz-Date presign_query() used
    const std::string date = scope_date(date_time);
    const std::string cr =
        canonical_request(req.method, canonical_uri(req.path, false), canonical_query_string(query),
                          canonical_headers(req.headers, req.host), kUnsignedPayload);
    const std::string sig =
        signature(signing_key(creds.secret_access_key, date, region, service),
                  string_to_sign(date_time, credential_scope(date, region, service), cr));

    std::string url = options.scheme + "://" + req.host + encoded_path(req) + "?";
    for (const auto& [name, value] : query) {
        url.append(uri_encode(name, false)).append("=").append(uri_encode(value, false));
        url.push_back('&');
    }
    return url + "X-Amz-Signature=" + sig;
}

}  // namespace sockerless::aws
