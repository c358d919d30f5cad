#pragma once
// Where registry requests go (pure): URLs of mirrors, token realms and redirects, and which
// registries may be spoken to over plain HTTP.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "registry/auth.h"

namespace sockerless::registry {

struct Url {
    std::string scheme;  // "http" or "https"
    std::string host;    // IPv6 literals without brackets
    std::uint16_t port = 0;
    std::string path;          // percent-decoded; "" means "/"
    std::vector<Param> query;  // percent-decoded, in order

    // "host" or "host:port" when the port is not the scheme's default; IPv6 in brackets.
    [[nodiscard]] std::string authority() const;
    // "scheme://authority/path?query" (encoded), for messages.
    [[nodiscard]] std::string str() const;
};

// An absolute http(s) URL; invalid_argument otherwise.
Result<Url> parse_url(std::string_view text);

// A redirect's Location resolved against the URL that was requested (absolute, "//host/...",
// "/path" or a relative path).
Result<Url> resolve_location(const Url& base, std::string_view location);

// "host:port" or "host" from a reference domain into a Url with the scheme's default port.
Result<Url> registry_url(std::string_view scheme, std::string_view domain);

// Whether `domain` (a reference domain: "host" or "host:port") may be spoken to without TLS:
// loopback (127.0.0.0/8, ::1, "localhost") always, as in Docker, and anything `insecure` lists,
// either exactly ("myregistry:5000") or as a CIDR that contains the host's IP literal
// ("10.0.0.0/8"). Host names are not resolved, so a CIDR matches only IP literal hosts.
bool is_insecure_registry(std::string_view domain, const std::vector<std::string>& insecure);

}  // namespace sockerless::registry
