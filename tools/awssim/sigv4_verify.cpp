#include "sigv4_verify.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/hex.h"
#include "sigv2_query.h"

namespace sockerless::awssim {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

std::string lower(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Trims and collapses runs of spaces, as SigV4 canonical header values require.
std::string canonical_value(std::string_view v) {
    std::string out;
    bool space = false;
    for (char c : trim(v)) {
        if (c == ' ' || c == '\t') {
            space = true;
            continue;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Each parameter decoded then strictly re-encoded, sorted by name then value.
std::string canonical_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> params;
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view item = query.substr(0, amp);
        if (!item.empty()) {
            std::size_t eq = item.find('=');
            std::string_view key = item.substr(0, eq);
            std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
            params.emplace_back(uri_encode(uri_decode(key), false),
                                uri_encode(uri_decode(value), false));
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    std::ranges::sort(params);
    std::string out;
    for (const auto& [k, v] : params) {
        if (!out.empty()) out.push_back('&');
        out.append(k).append("=").append(v);
    }
    return out;
}

std::optional<std::string> header_value(const SigV4Request& request, std::string_view name) {
    std::optional<std::string> value;
    for (const auto& [n, v] : request.headers) {
        if (lower(n) != name) continue;
        if (value)
            *value += "," + canonical_value(v);
        else
            value = canonical_value(v);
    }
    return value;
}

// "AKID/20150830/us-east-1/service/aws4_request" -> the scope fields of `out`; false when it has
// not that shape.
bool parse_credential(std::string_view cred, AuthorizationHeader& out) {
    std::vector<std::string> scope;
    for (std::size_t slash; (slash = cred.find('/')) != std::string_view::npos;) {
        scope.emplace_back(cred.substr(0, slash));
        cred.remove_prefix(slash + 1);
    }
    scope.emplace_back(cred);
    if (scope.size() != 5 || scope[4] != "aws4_request" || scope[1].size() != 8) return false;
    out.access_key = scope[0];
    out.date = scope[1];
    out.region = scope[2];
    out.service = scope[3];
    return true;
}

std::vector<std::string> split_signed_headers(std::string_view names) {
    std::vector<std::string> out;
    while (!names.empty()) {
        std::size_t semi = names.find(';');
        out.push_back(lower(names.substr(0, semi)));
        if (semi == std::string_view::npos) break;
        names.remove_prefix(semi + 1);
    }
    return out;
}

ApiError incomplete(std::string message) {
    return ApiError{403, "IncompleteSignatureException", std::move(message)};
}

ApiResult<void> check_skew(std::string_view amz_date,
                           std::chrono::system_clock::time_point signed_at,
                           std::chrono::system_clock::time_point now, std::chrono::seconds skew) {
    auto minutes = std::to_string(skew.count() / 60);
    if (signed_at < now - skew) {
        return ApiError{403, "InvalidSignatureException",
                        "Signature expired: " + std::string(amz_date) + " is now earlier than " +
                            format_amz_date(now - skew) + " (" + format_amz_date(now) + " - " +
                            minutes + " min.)"};
    }
    if (signed_at > now + skew) {
        return ApiError{403, "InvalidSignatureException",
                        "Signature not yet current: " + std::string(amz_date) +
                            " is still later than " + format_amz_date(now + skew) + " (" +
                            format_amz_date(now) + " + " + minutes + " min.)"};
    }
    return {};
}

}  // namespace

std::string uri_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int hi = hex_digit(s[i + 1]);
            int lo = hex_digit(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> decode_query(std::string_view target) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t q = target.find('?');
    if (q == std::string_view::npos) return out;
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view item = query.substr(0, amp);
        if (!item.empty()) {
            std::size_t eq = item.find('=');
            out.emplace_back(uri_decode(item.substr(0, eq)),
                             eq == std::string_view::npos ? "" : uri_decode(item.substr(eq + 1)));
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return out;
}

bool is_presigned(std::string_view target) {
    return is_sigv2_presigned(target) ||
           std::ranges::any_of(decode_query(target), [](const auto& p) {
               return p.first == "X-Amz-Signature" || p.first == "X-Amz-Algorithm";
           });
}

std::string uri_encode(std::string_view s, bool keep_slash) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
            (keep_slash && c == '/')) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
        }
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
    return hex_encode(std::span<const unsigned char>(digest, len));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &len);
    return std::string(reinterpret_cast<const char*>(digest), len);
}

std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view s) {
    if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
    for (std::size_t i = 0; i < 15; ++i) {
        if (i != 8 && !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    }
    auto num = [&](std::size_t pos, std::size_t n) {
        return std::stoi(std::string(s.substr(pos, n)));
    };
    std::tm tm{};
    tm.tm_year = num(0, 4) - 1900;
    tm.tm_mon = num(4, 2) - 1;
    tm.tm_mday = num(6, 2);
    tm.tm_hour = num(9, 2);
    tm.tm_min = num(11, 2);
    tm.tm_sec = num(13, 2);
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
        return std::nullopt;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string format_amz_date(std::chrono::system_clock::time_point t) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

ApiResult<AuthorizationHeader> parse_authorization(std::string_view value) {
    std::string whole(value);
    value = trim(value);
    if (!value.starts_with(kAlgorithm) || value.size() == kAlgorithm.size() ||
        value[kAlgorithm.size()] != ' ') {
        return incomplete(
            "Authorization header requires the AWS4-HMAC-SHA256 algorithm. "
            "Authorization=" +
            whole);
    }
    value.remove_prefix(kAlgorithm.size());
    std::optional<std::string> credential, signed_headers, signature;
    while (!value.empty()) {
        std::size_t comma = value.find(',');
        std::string_view part = trim(value.substr(0, comma));
        std::size_t eq = part.find('=');
        if (eq != std::string_view::npos) {
            std::string_view key = part.substr(0, eq);
            std::string val(part.substr(eq + 1));
            if (key == "Credential") credential = val;
            if (key == "SignedHeaders") signed_headers = val;
            if (key == "Signature") signature = val;
        }
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    for (auto [field, name] :
         {std::pair{&credential, "Credential"}, std::pair{&signed_headers, "SignedHeaders"},
          std::pair{&signature, "Signature"}}) {
        if (!*field)
            return incomplete("Authorization header requires '" + std::string(name) +
                              "' parameter. Authorization=" + whole);
    }
    AuthorizationHeader out;
    if (!parse_credential(*credential, out)) {
        return incomplete(
            "Credential should be scoped to a valid region, service and date, "
            "terminated by 'aws4_request'. Authorization=" +
            whole);
    }
    out.signed_headers = split_signed_headers(*signed_headers);
    out.signature = lower(*signature);
    return out;
}

std::string canonical_request(const SigV4Request& request,
                              const std::vector<std::string>& signed_headers,
                              bool double_encode_path,
                              std::optional<std::string_view> payload_hash) {
    std::string_view target = request.target;
    std::size_t q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
    std::string canonical_path = double_encode_path ? uri_encode(path, true) : std::string(path);
    if (canonical_path.empty()) canonical_path = "/";

    std::string out = request.method + "\n" + canonical_path + "\n" + canonical_query(query) + "\n";
    std::string names;
    for (const auto& name : signed_headers) {
        out += name + ":" + header_value(request, name).value_or("") + "\n";
        if (!names.empty()) names.push_back(';');
        names += name;
    }
    out += "\n" + names + "\n";
    if (payload_hash) {
        out += *payload_hash;
        return out;
    }
    auto payload = header_value(request, "x-amz-content-sha256");
    out += payload ? *payload : sha256_hex(request.body);
    return out;
}

std::string signing_signature(std::string_view secret, const AuthorizationHeader& scope,
                              std::string_view amz_date, std::string_view canonical) {
    std::string string_to_sign = std::string(kAlgorithm) + "\n" + std::string(amz_date) + "\n" +
                                 scope.date + "/" + scope.region + "/" + scope.service +
                                 "/aws4_request\n" + sha256_hex(canonical);
    std::string key = hmac_sha256("AWS4" + std::string(secret), scope.date);
    key = hmac_sha256(key, scope.region);
    key = hmac_sha256(key, scope.service);
    key = hmac_sha256(key, "aws4_request");
    std::string sig = hmac_sha256(key, string_to_sign);
    return hex_encode(std::span(reinterpret_cast<const unsigned char*>(sig.data()), sig.size()));
}

namespace {

constexpr std::int64_t kMaxPresignSeconds = std::int64_t{7} * 24 * 3600;

std::optional<std::string> param(const std::vector<std::pair<std::string, std::string>>& params,
                                 std::string_view name) {
    for (const auto& [k, v] : params) {
        if (k == name) return v;
    }
    return std::nullopt;
}

// The request-target without its X-Amz-Signature parameter, which the signature cannot cover.
std::string target_without_signature(std::string_view target) {
    std::size_t q = target.find('?');
    std::string out(target.substr(0, q));
    if (q == std::string_view::npos) return out;
    std::string_view query = target.substr(q + 1);
    char sep = '?';
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view item = query.substr(0, amp);
        if (!item.empty() && uri_decode(item.substr(0, item.find('='))) != "X-Amz-Signature") {
            out.push_back(sep);
            out.append(item);
            sep = '&';
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return out;
}

ApiResult<std::int64_t> parse_expires(std::string_view s) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size())
        return incomplete("X-Amz-Expires should be a number");
    if (v < 0) return incomplete("X-Amz-Expires must be non-negative");
    if (v > kMaxPresignSeconds)
        return incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800");
    return {boost::system::in_place_value, v};
}

ApiResult<SigV4Scope> verify_presigned(const SigV4Request& request, const SigV4Config& config,
                                       std::chrono::system_clock::time_point now) {
    auto params = decode_query(request.target);
    auto algorithm = param(params, "X-Amz-Algorithm");
    auto credential = param(params, "X-Amz-Credential");
    auto signature = param(params, "X-Amz-Signature");
    auto amz_date = param(params, "X-Amz-Date");
    auto signed_headers = param(params, "X-Amz-SignedHeaders");
    auto expires = param(params, "X-Amz-Expires");
    if (!algorithm || !credential || !signature || !amz_date || !signed_headers || !expires) {
        return incomplete(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
            "X-Amz-Expires parameters.");
    }
    if (*algorithm != kAlgorithm)
        return incomplete("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
    AuthorizationHeader auth;
    if (!parse_credential(*credential, auth)) {
        return incomplete(
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
            "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
    }
    auth.signed_headers = split_signed_headers(*signed_headers);
    auth.signature = lower(*signature);
    auto signed_at = parse_amz_date(*amz_date);
    if (!signed_at)
        return incomplete("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    auto lifetime = parse_expires(*expires);
    if (!lifetime) return lifetime.error();

    auto secret = config.secret_for ? config.secret_for(auth.access_key) : std::nullopt;
    if (!secret) {
        return ApiError{403, "UnrecognizedClientException",
                        "The security token included in the request is invalid."};
    }
    if (auth.region != config.region) {
        return ApiError{403, "InvalidSignatureException",
                        "Credential should be scoped to a valid region. "};
    }
    if (now > *signed_at + std::chrono::seconds(*lifetime))
        return ApiError{403, "RequestExpired", "Request has expired"};
    if (*signed_at > now + config.max_skew)
        return ApiError{403, "RequestExpired", "Request is not yet valid"};

    bool s3 = auth.service == "s3";
    SigV4Request unsigned_request = request;
    unsigned_request.target = target_without_signature(request.target);
    std::optional<std::string_view> payload;
    if (s3 && !header_value(request, "x-amz-content-sha256")) payload = "UNSIGNED-PAYLOAD";
    std::string canonical = canonical_request(unsigned_request, auth.signed_headers, !s3, payload);
    std::string expected = signing_signature(*secret, auth, *amz_date, canonical);
    bool host_signed = std::ranges::find(auth.signed_headers, "host") != auth.signed_headers.end();
    if (!host_signed || auth.date != amz_date->substr(0, 8) ||
        !constant_time_equal(expected, auth.signature))
        return ApiError{403, "InvalidSignatureException", std::string(kMismatch)};
    return SigV4Scope{auth.access_key,
                      auth.date,
                      auth.region,
                      auth.service,
                      param(params, "X-Amz-Security-Token").value_or(""),
                      true};
}

}  // namespace

ApiResult<SigV4Scope> verify_sigv4(const SigV4Request& request, const SigV4Config& config,
                                   std::chrono::system_clock::time_point now) {
    auto authorization = header_value(request, "authorization");
    if (!authorization && is_sigv2_presigned(request.target))
        return verify_sigv2_query(request, config, now);
    if (!authorization && is_presigned(request.target))
        return verify_presigned(request, config, now);
    if (!authorization)
        return ApiError{403, "MissingAuthenticationTokenException", "Missing Authentication Token"};
    auto auth = parse_authorization(*authorization);
    if (!auth) return auth.error();

    auto secret = config.secret_for ? config.secret_for(auth->access_key) : std::nullopt;
    if (!secret) {
        return ApiError{403, "UnrecognizedClientException",
                        "The security token included in the request is invalid."};
    }
    auto amz_date = header_value(request, "x-amz-date");
    if (!amz_date) {
        return incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a "
            "'Date' header. Authorization=" +
            *authorization);
    }
    auto signed_at = parse_amz_date(*amz_date);
    if (!signed_at) {
        return incomplete("Date must be in ISO-8601 'basic format'. Got '" + *amz_date +
                          "'. See http://en.wikipedia.org/wiki/ISO_8601");
    }
    if (auth->region != config.region) {
        return ApiError{403, "InvalidSignatureException",
                        "Credential should be scoped to a valid region. "};
    }
    if (amz_date->substr(0, 8) != auth->date) {
        return ApiError{403, "InvalidSignatureException",
                        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
                        "of date from HTTP: '" +
                            auth->date + "' != '" + amz_date->substr(0, 8) + "', from '" +
                            *amz_date + "'."};
    }
    bool host_signed =
        std::ranges::find(auth->signed_headers, "host") != auth->signed_headers.end();
    bool s3 = auth->service == "s3";
    std::string canonical = canonical_request(request, auth->signed_headers, !s3);
    std::string expected = signing_signature(*secret, *auth, *amz_date, canonical);
    if (!host_signed || !constant_time_equal(expected, auth->signature))
        return ApiError{403, "InvalidSignatureException", std::string(kMismatch)};
    if (auto skew = check_skew(*amz_date, *signed_at, now, config.max_skew); !skew)
        return skew.error();
    return SigV4Scope{auth->access_key,
                      auth->date,
                      auth->region,
                      auth->service,
                      header_value(request, "x-amz-security-token").value_or(""),
                      false};
}

}  // namespace sockerless::awssim
