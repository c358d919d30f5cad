// Proxy configuration from the environment and NO_PROXY matching (transport.h). Pure functions.
//
// Choices where tools differ: a proxy URL without a scheme is http:// (curl, Go); a proxy URL
// without a port uses its scheme's default, 80, as the SDKs' HTTP stacks do (curl alone assumes
// 1080); NO_PROXY entries are separated by commas or whitespace and may be CIDR blocks (curl
// 7.86+, Go).

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>

#include "aws/transport.h"

namespace sockerless::aws {
namespace {

char to_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = to_lower(c);
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = to_lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// RFC 3986 percent-decoding of userinfo; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        const int hi = hex_value(s[i + 1]);
        const int lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

std::string base64(std::string_view data) {
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const auto n = (static_cast<unsigned char>(data[i]) << 16) |
                       (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (const std::size_t left = data.size() - i; left > 0) {
        unsigned n = static_cast<unsigned char>(data[i]) << 16;
        if (left == 2) n |= static_cast<unsigned char>(data[i + 1]) << 8;
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += left == 2 ? kAlphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

struct Proxy {
    Endpoint endpoint;
    std::string authorization;
};

// The value with any credentials masked, for error messages: proxy URLs are secrets' neighbours.
std::string redacted(std::string_view url) {
    const std::size_t at = url.rfind('@');
    if (at == std::string_view::npos) return std::string(url);
    const std::size_t sep = url.find("://");
    const std::size_t start = sep == std::string_view::npos ? 0 : sep + 3;
    if (at < start) return std::string(url);
    return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
}

Result<Proxy> parse_proxy_url(std::string_view name, std::string_view value) {
    auto fail = [&](Errc code, std::string_view why) {
        return make_error(code,
                          std::string(name) + "=\"" + redacted(value) + "\": " + std::string(why));
    };
    std::string url = value.find("://") == std::string_view::npos ? "http://" + std::string(value)
                                                                  : std::string(value);
    const std::size_t start = url.find("://") + 3;
    const std::size_t authority_end = url.find_first_of("/?#", start);
    const std::size_t at = url.rfind('@', authority_end);
    Proxy proxy;
    if (at != std::string::npos && at >= start) {
        std::string_view userinfo = std::string_view(url).substr(start, at - start);
        // Split before decoding: an escaped ':' belongs to the user name.
        const std::size_t colon = userinfo.find(':');
        std::optional<std::string> user = percent_decode(userinfo.substr(0, colon));
        std::optional<std::string> password = colon == std::string_view::npos
                                                  ? std::string()
                                                  : percent_decode(userinfo.substr(colon + 1));
        if (!user || !password) {
            return fail(Errc::invalid_argument, "bad percent-escape in the credentials");
        }
        proxy.authorization = "Basic " + base64(*user + ":" + *password);
        url.erase(start, at + 1 - start);
    }
    Result<Endpoint> ep = parse_endpoint_url(url);
    if (!ep) return fail(ep.error().code, ep.error().message);
    if (ep->scheme != "http") {
        return fail(Errc::not_implemented,
                    "TLS to the proxy itself is not supported; use an http:// proxy URL (HTTPS "
                    "requests still go through it in a CONNECT tunnel)");
    }
    if (!ep->base_path.empty()) return fail(Errc::invalid_argument, "a proxy URL has no path");
    proxy.endpoint = std::move(*ep);
    return proxy;
}

// Upper case first, then lower case.
std::optional<std::pair<std::string, std::string>> variable(const Environment& env,
                                                            std::string_view upper,
                                                            std::string_view lower) {
    if (auto v = env.get(upper)) return std::pair{std::string(upper), std::move(*v)};
    if (auto v = env.get(lower)) return std::pair{std::string(lower), std::move(*v)};
    return std::nullopt;
}

std::string_view trim_dots(std::string_view s) {
    while (s.starts_with('.'))
        s.remove_prefix(1);
    while (s.ends_with('.'))
        s.remove_suffix(1);
    return s;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    }
    return true;
}

// An IPv4 or IPv6 literal as network-order bytes; size 0 when `s` is not one.
struct Address {
    std::array<unsigned char, 16> bytes{};
    std::size_t size = 0;
};

Address parse_address(std::string_view s) {
    Address a;
    if (s.size() >= INET6_ADDRSTRLEN) return a;
    char buf[INET6_ADDRSTRLEN] = {};
    std::memcpy(buf, s.data(), s.size());
    if (::inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
        a.size = 4;
    } else if (::inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
        a.size = 16;
    }
    return a;
}

bool same_prefix(const Address& a, const Address& b, unsigned bits) {
    if (a.size != b.size || bits > a.size * 8) return false;
    const unsigned full = bits / 8;
    if (std::memcmp(a.bytes.data(), b.bytes.data(), full) != 0) return false;
    const unsigned rest = bits % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

// Splits "host:port", "[v6]:port", "[v6]" or a bare IPv6 literal; port 0 means any port.
std::pair<std::string_view, std::uint16_t> split_entry(std::string_view entry) {
    if (entry.starts_with('[')) {
        const std::size_t close = entry.find(']');
        if (close == std::string_view::npos) return {entry, 0};
        std::string_view host = entry.substr(1, close - 1);
        std::string_view rest = entry.substr(close + 1);
        std::uint16_t port = 0;
        if (rest.starts_with(':')) {
            std::from_chars(rest.data() + 1, rest.data() + rest.size(), port);
        }
        return {host, port};
    }
    const std::size_t colon = entry.rfind(':');
    if (colon == std::string_view::npos || entry.find(':') != colon) return {entry, 0};
    std::uint16_t port = 0;
    std::string_view digits = entry.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) return {entry, 0};
    return {entry.substr(0, colon), port};
}

bool entry_matches(std::string_view entry, std::string_view host, const Address& host_addr,
                   std::uint16_t port) {
    auto [pattern, entry_port] = split_entry(entry);
    if (entry_port != 0 && entry_port != port) return false;

    if (host_addr.size != 0) {
        const std::size_t slash = pattern.find('/');
        if (slash == std::string_view::npos) {
            Address a = parse_address(pattern);
            return a.size == host_addr.size &&
                   std::memcmp(a.bytes.data(), host_addr.bytes.data(), a.size) == 0;
        }
        unsigned bits = 0;
        std::string_view len = pattern.substr(slash + 1);
        auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
        if (ec != std::errc() || ptr != len.data() + len.size()) return false;
        return same_prefix(parse_address(pattern.substr(0, slash)), host_addr, bits);
    }

    pattern = trim_dots(pattern);
    if (pattern.empty()) return false;
    if (equals_ignoring_case(pattern, host)) return true;
    return host.size() > pattern.size() && host[host.size() - pattern.size() - 1] == '.' &&
           equals_ignoring_case(host.substr(host.size() - pattern.size()), pattern);
}

}  // namespace

Result<ProxySettings> proxy_settings(const Environment& env) {
    ProxySettings settings;
    if (auto v = variable(env, "HTTPS_PROXY", "https_proxy")) {
        Result<Proxy> p = parse_proxy_url(v->first, v->second);
        if (!p) return p.error();
        settings.https_proxy = std::move(p->endpoint);
        settings.https_proxy_authorization = std::move(p->authorization);
    }
    if (auto v = variable(env, "HTTP_PROXY", "http_proxy")) {
        Result<Proxy> p = parse_proxy_url(v->first, v->second);
        if (!p) return p.error();
        settings.http_proxy = std::move(p->endpoint);
        settings.http_proxy_authorization = std::move(p->authorization);
    }
    if (auto v = variable(env, "NO_PROXY", "no_proxy")) {
        std::string_view rest = v->second;
        while (!rest.empty()) {
            const std::size_t end = rest.find_first_of(", \t\r\n");
            std::string_view entry = rest.substr(0, end);
            if (!entry.empty()) settings.no_proxy.push_back(lowercase(entry));
            if (end == std::string_view::npos) break;
            rest.remove_prefix(end + 1);
        }
    }
    return settings;
}

bool bypasses_proxy(const ProxySettings& proxies, std::string_view host, std::uint16_t port) {
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    while (host.ends_with('.'))
        host.remove_suffix(1);
    const Address host_addr = parse_address(host);
    for (const std::string& entry : proxies.no_proxy) {
        if (entry == "*") return true;
        if (entry_matches(entry, host, host_addr, port)) return true;
    }
    return false;
}

}  // namespace sockerless::aws
