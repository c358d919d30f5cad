#include "agent/url.h"

#include <charconv>

#include <boost/asio/ip/address.hpp>

namespace sockerless::agent {
namespace {

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = lower(c);
    return out;
}

std::uint16_t default_port(std::string_view scheme) {
    return scheme == "https" ? 443 : 80;
}

}  // namespace

bool is_ip_literal(std::string_view host) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(std::string(host), ec);
    return !ec;
}

std::string Url::host_header() const {
    std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != default_port(scheme)) out += ":" + std::to_string(port);
    return out;
}

std::string Url::text() const {
    return scheme + "://" + host_header() + target;
}

Result<Url> parse_url(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return make_error(Errc::invalid_argument,
                          "URL \"" + std::string(text) + "\": " + std::string(why));
    };
    const std::size_t sep = text.find("://");
    if (sep == std::string_view::npos) return bad("not an absolute URL");
    Url url;
    url.scheme = lowercase(text.substr(0, sep));
    if (url.scheme != "http" && url.scheme != "https")
        return bad("the scheme must be http or https");
    std::string_view rest = text.substr(sep + 3);
    const std::size_t end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
    if (target.find('#') != std::string_view::npos) return bad("fragments are not supported");
    if (authority.find('@') != std::string_view::npos)
        return bad("user information is not supported");

    std::string_view port;
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return bad("unterminated IPv6 address");
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) return bad("junk after the IPv6 address");
        if (!after.empty()) port = after.substr(1);
        boost::system::error_code ec;
        boost::asio::ip::make_address_v6(url.host, ec);
        if (ec) return bad("not an IPv6 address in brackets");
    } else {
        const std::size_t colon = authority.find(':');
        url.host = lowercase(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (url.host.empty()) return bad("no host");
    url.port = default_port(url.scheme);
    if (!port.empty() || authority.ends_with(':')) {
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535)
            return bad("the port must be a number from 1 to 65535");
        url.port = static_cast<std::uint16_t>(value);
    }
    url.target =
        target.empty() || target.starts_with('?') ? "/" + std::string(target) : std::string(target);
    return url;
}

}  // namespace sockerless::agent
