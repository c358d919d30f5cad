#include "sigv2_query.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/hex.h"
#include "s3_checksum.h"
#include "s3_wire.h"

namespace sockerless::awssim {
namespace {

// Subresources and response overrides that belong to the canonical resource, as S3 lists them.
constexpr auto kSignedSubresources = std::to_array<std::string_view>({
    "accelerate",
    "acl",
    "cors",
    "defaultObjectAcl",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
    "analytics",
    "inventory",
    "metrics",
});

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return std::string(s);
}

std::string header(const SigV4Request& request, std::string_view name) {
    for (const auto& [n, v] : request.headers) {
        if (lower(n) == name) return trim(v);
    }
    return "";
}

std::string param(const SigV4Request& request, std::string_view name) {
    for (const auto& [k, v] : decode_query(request.target)) {
        if (k == name) return v;
    }
    return "";
}

std::string hmac_sha1_base64(std::string_view key, std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &len);
    return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

// x-amz-* headers and query parameters (presigned URLs carry them in the query), sorted.
std::string canonical_amz_headers(const SigV4Request& request) {
    std::map<std::string, std::string> amz;
    auto add = [&](const std::string& name, const std::string& value) {
        auto [it, inserted] = amz.emplace(name, value);
        if (!inserted) it->second += "," + value;
    };
    for (const auto& [n, v] : request.headers) {
        std::string name = lower(n);
        if (name.starts_with("x-amz-")) add(name, trim(v));
    }
    for (const auto& [k, v] : decode_query(request.target)) {
        std::string name = lower(k);
        if (name.starts_with("x-amz-")) add(name, trim(v));
    }
    std::string out;
    for (const auto& [name, value] : amz)
        out.append(name).append(":").append(value).append("\n");
    return out;
}

std::string canonical_resource(const SigV4Request& request) {
    std::string_view target = request.target;
    std::string out(target.substr(0, target.find('?')));
    if (auto bucket = virtual_host_bucket(header(request, "host"))) out = "/" + *bucket + out;
    std::vector<std::pair<std::string, std::string>> subresources;
    std::string_view query =
        target.find('?') == std::string_view::npos ? "" : target.substr(target.find('?') + 1);
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view item = query.substr(0, amp);
        std::size_t eq = item.find('=');
        std::string name(item.substr(0, eq));
        if (std::ranges::find(kSignedSubresources, name) != kSignedSubresources.end()) {
            subresources.emplace_back(
                name, eq == std::string_view::npos ? "" : "=" + uri_decode(item.substr(eq + 1)));
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    std::ranges::sort(subresources);
    char sep = '?';
    for (const auto& [name, value] : subresources) {
        out.push_back(sep);
        out += name + value;
        sep = '&';
    }
    return out;
}

}  // namespace

bool is_sigv2_presigned(std::string_view target) {
    bool key = false;
    bool signature = false;
    for (const auto& [k, v] : decode_query(target)) {
        key = key || k == "AWSAccessKeyId";
        signature = signature || k == "Signature";
    }
    return key && signature;
}

std::string sigv2_string_to_sign(const SigV4Request& request, std::string_view expires) {
    auto standard = [&](std::string_view name) {
        std::string from_query = param(request, name);
        return from_query.empty() ? header(request, name) : from_query;
    };
    return request.method + "\n" + standard("content-md5") + "\n" + standard("content-type") +
           "\n" + std::string(expires) + "\n" + canonical_amz_headers(request) +
           canonical_resource(request);
}

ApiResult<SigV4Scope> verify_sigv2_query(const SigV4Request& request, const SigV4Config& config,
                                         std::chrono::system_clock::time_point now) {
    std::string access_key = param(request, "AWSAccessKeyId");
    std::string signature = param(request, "Signature");
    std::string expires = param(request, "Expires");
    std::int64_t expires_at = 0;
    auto [end, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), expires_at);
    if (access_key.empty() || signature.empty() || ec != std::errc() ||
        end != expires.data() + expires.size()) {
        return ApiError{403, "IncompleteSignatureException",
                        "Query-string authentication requires the Signature, Expires and "
                        "AWSAccessKeyId parameters"};
    }
    auto secret = config.secret_for ? config.secret_for(access_key) : std::nullopt;
    if (!secret) {
        return ApiError{403, "UnrecognizedClientException",
                        "The security token included in the request is invalid."};
    }
    if (std::chrono::system_clock::to_time_t(now) > expires_at)
        return ApiError{403, "RequestExpired", "Request has expired"};
    std::string expected = hmac_sha1_base64(*secret, sigv2_string_to_sign(request, expires));
    if (!constant_time_equal(expected, signature)) {
        return ApiError{403, "InvalidSignatureException",
                        "The request signature we calculated does not match the signature you "
                        "provided. Check your AWS Secret Access Key and signing method. Consult "
                        "the service documentation for details."};
    }
    std::string date = format_amz_date(now).substr(0, 8);
    return SigV4Scope{access_key, date, config.region, "s3", param(request, "x-amz-security-token"),
                      true};
}

}  // namespace sockerless::awssim
