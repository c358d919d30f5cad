#include "registry/endpoints.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace sockerless::registry {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
            hex_digit(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// Unreserved bytes stay; in a path (`path`) so do '/' and the other characters RFC 3986 allows
// there unencoded (sub-delims, ':' and '@'), so digests read as "sha256:...".
std::string percent_encode(std::string_view s, bool path) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    static constexpr std::string_view kPathExtras = "/:@!$&'()*+,;=";
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~' ||
            (path && kPathExtras.find(c) != std::string_view::npos)) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 15]);
        }
    }
    return out;
}

std::vector<Param> parse_query(std::string_view q) {
    std::vector<Param> out;
    while (!q.empty()) {
        const std::size_t amp = q.find('&');
        const std::string_view pair = q.substr(0, amp);
        if (!pair.empty()) {
            const std::size_t eq = pair.find('=');
            out.emplace_back(
                percent_decode(pair.substr(0, eq)),
                eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1)));
        }
        if (amp == std::string_view::npos) break;
        q.remove_prefix(amp + 1);
    }
    return out;
}

std::uint16_t default_port(std::string_view scheme) {
    return scheme == "https" ? 443 : 80;
}

// "host", "host:port", "[v6]", "[v6]:port" -> host (no brackets) and port (0 when absent).
Result<std::pair<std::string, std::uint16_t>> split_authority(std::string_view authority) {
    std::string_view host = authority;
    std::string_view port;
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            return make_error(Errc::invalid_argument, "unterminated IPv6 literal");
        }
        host = authority.substr(1, close - 1);
        const std::string_view rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (!rest.starts_with(':')) {
                return make_error(Errc::invalid_argument, "text after the IPv6 literal");
            }
            port = rest.substr(1);
        }
    } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) return make_error(Errc::invalid_argument, "no host");
    unsigned value = 0;
    if (!port.empty()) {
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
            return make_error(Errc::invalid_argument, "bad port \"" + std::string(port) + "\"");
    }
    return std::make_pair(std::string(host), static_cast<std::uint16_t>(value));
}

bool is_loopback(std::string_view host) {
    if (host == "localhost" || host == "::1") return true;
    in_addr v4{};
    const std::string h(host);
    if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24) == 127;
    }
    return false;
}

// Whether the IP literal `host` lies in "addr/bits".
bool in_cidr(std::string_view host, std::string_view cidr) {
    const std::size_t slash = cidr.find('/');
    const std::string net(cidr.substr(0, slash));
    int bits = 0;
    const std::string_view bits_text = cidr.substr(slash + 1);
    const auto [end, ec] =
        std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
    if (ec != std::errc() || end != bits_text.data() + bits_text.size() || bits < 0) return false;
    std::array<unsigned char, 16> a{};
    std::array<unsigned char, 16> b{};
    int family = AF_INET;
    std::size_t length = 4;
    const std::string h(host);
    if (::inet_pton(AF_INET, net.c_str(), a.data()) != 1) {
        family = AF_INET6;
        length = 16;
        if (::inet_pton(AF_INET6, net.c_str(), a.data()) != 1) return false;
    }
    if (::inet_pton(family, h.c_str(), b.data()) != 1) return false;
    if (static_cast<std::size_t>(bits) > length * 8) return false;
    for (std::size_t i = 0; i < length && bits > 0; ++i, bits -= 8) {
        const unsigned mask = bits >= 8 ? 0xffU : (0xffU << (8 - bits)) & 0xffU;
        if ((a[i] & mask) != (b[i] & mask)) return false;
    }
    return true;
}

}  // namespace

std::string Url::authority() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port == default_port(scheme)) return h;
    return h + ":" + std::to_string(port);
}

std::string Url::str() const {
    std::string out = scheme + "://" + authority() +
                      (path.empty() ? std::string("/") : percent_encode(path, true));
    for (std::size_t i = 0; i < query.size(); ++i) {
        out += i == 0 ? '?' : '&';
        out += percent_encode(query[i].first, false) + "=" + percent_encode(query[i].second, false);
    }
    return out;
}

Result<Url> parse_url(std::string_view text) {
    auto invalid = [&](std::string_view why) {
        return make_error(Errc::invalid_argument,
                          "invalid URL \"" + std::string(text) + "\": " + std::string(why));
    };
    const std::size_t sep = text.find("://");
    if (sep == std::string_view::npos) return invalid("not absolute");
    Url url;
    url.scheme = text.substr(0, sep);
    std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (url.scheme != "http" && url.scheme != "https") return invalid("scheme is not http(s)");
    std::string_view rest = text.substr(sep + 3);
    rest = rest.substr(0, rest.find('#'));
    const std::size_t path_start = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, path_start);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);  // userinfo is never used for registries
    Result<std::pair<std::string, std::uint16_t>> hp = split_authority(authority);
    if (!hp) return invalid(hp.error().message);
    url.host = std::move(hp->first);
    url.port = hp->second == 0 ? default_port(url.scheme) : hp->second;
    if (path_start != std::string_view::npos) {
        std::string_view tail = rest.substr(path_start);
        const std::size_t question = tail.find('?');
        url.path = percent_decode(tail.substr(0, question));
        if (question != std::string_view::npos) url.query = parse_query(tail.substr(question + 1));
    }
    return url;
}

Result<Url> resolve_location(const Url& base, std::string_view location) {
    if (location.find("://") != std::string_view::npos) return parse_url(location);
    if (location.starts_with("//")) return parse_url(base.scheme + ":" + std::string(location));
    Url out = base;
    out.query.clear();
    std::string_view path = location;
    const std::size_t question = path.find('?');
    if (question != std::string_view::npos) {
        out.query = parse_query(path.substr(question + 1));
        path = path.substr(0, question);
    }
    if (path.starts_with('/')) {
        out.path = percent_decode(path);
    } else {
        const std::size_t slash = base.path.rfind('/');
        out.path =
            (slash == std::string::npos ? std::string("/") : base.path.substr(0, slash + 1)) +
            percent_decode(path);
    }
    return out;
}

Result<Url> registry_url(std::string_view scheme, std::string_view domain) {
    return parse_url(std::string(scheme) + "://" + std::string(domain));
}

bool is_insecure_registry(std::string_view domain, const std::vector<std::string>& insecure) {
    Result<std::pair<std::string, std::uint16_t>> hp = split_authority(domain);
    if (!hp) return false;
    const std::string& host = hp->first;
    if (is_loopback(host)) return true;
    for (std::string_view entry : insecure) {
        if (const std::size_t sep = entry.find("://"); sep != std::string_view::npos)
            entry.remove_prefix(sep + 3);
        while (entry.ends_with('/'))
            entry.remove_suffix(1);
        if (entry.find('/') != std::string_view::npos) {
            if (in_cidr(host, entry)) return true;
        } else if (entry == domain) {
            return true;
        }
    }
    return false;
}

}  // namespace sockerless::registry
