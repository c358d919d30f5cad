#pragma once
// Absolute http(s) URLs as the agent meets them: the container-credentials endpoint, an S3
// endpoint, and the object URL built from one. Only what those need: scheme, host (name, IPv4,
// or bracketed IPv6), optional port, and the request target; no userinfo, no fragment.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace sockerless::agent {

struct Url {
    std::string scheme;      // "http" or "https", lowercased
    std::string host;        // a name (lowercased) or an IP literal; IPv6 without brackets
    std::uint16_t port = 0;  // the scheme's default when the URL names none
    std::string target;      // path and query exactly as given; "/" at least

    [[nodiscard]] bool https() const noexcept { return scheme == "https"; }
    // "host" when the port is the scheme's default, else "host:port"; IPv6 in brackets.
    [[nodiscard]] std::string host_header() const;
    // scheme://host_header()target
    [[nodiscard]] std::string text() const;
};

// invalid_argument, naming the URL, for anything else than http:// or https:// with a host.
Result<Url> parse_url(std::string_view text);

// True when `host` is an IPv4 or IPv6 literal (IPv6 without brackets).
bool is_ip_literal(std::string_view host);

}  // namespace sockerless::agent
