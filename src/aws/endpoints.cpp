// Endpoint URLs and the SDKs' endpoint resolution (transport.h). Pure: the environment comes in
// through Environment, so every rule is unit-tested without touching the process.
//
// The default endpoints are those botocore 1.43's endpoint rule sets produce for the services
// this project calls: <prefix>.<region>.<partition DNS suffix>, except S3 in us-east-1 (the
// legacy global s3.amazonaws.com) and the "aws-global" pseudo-region of S3 and STS.

#include <array>
#include <cctype>
#include <charconv>

#include "aws/transport.h"

namespace sockerless::aws {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_alnum(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char to_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = to_lower(c);
    return out;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    }
    return true;
}

Error malformed(std::string_view url, std::string_view why) {
    return make_error(Errc::invalid_argument,
                      "endpoint URL \"" + std::string(url) + "\": " + std::string(why));
}

std::uint16_t default_port(std::string_view scheme) {
    return scheme == "https" ? 443 : 80;
}

// A DNS name or IPv4 literal as RFC 3986's reg-name allows it in practice: letters, digits,
// '-', '.', '_' (some internal names carry underscores).
bool valid_reg_name(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    for (char c : host) {
        if (!is_alnum(c) && c != '-' && c != '.' && c != '_') return false;
    }
    return true;
}

bool valid_ipv6(std::string_view host) {
    if (host.find(':') == std::string_view::npos) return false;
    for (char c : host) {
        if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
    }
    return true;
}

// One DNS label as botocore's isValidHostLabel checks a region: 1-63 letters, digits and
// hyphens, neither first nor last a hyphen.
bool valid_host_label(std::string_view s) {
    if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
    for (char c : s) {
        if (!is_alnum(c) && c != '-') return false;
    }
    return true;
}

// `region` is "<family>-<word>-<digits>" as a partition's regionRegex has it.
bool in_family(std::string_view region, std::string_view family) {
    if (!region.starts_with(family) || region.size() <= family.size() ||
        region[family.size()] != '-') {
        return false;
    }
    std::string_view rest = region.substr(family.size() + 1);
    const std::size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string_view::npos) return false;
    for (char c : rest.substr(0, dash)) {
        if (!is_alnum(c) && c != '_') return false;
    }
    std::string_view digits = rest.substr(dash + 1);
    if (digits.empty()) return false;
    for (char c : digits) {
        if (!is_digit(c)) return false;
    }
    return true;
}

struct Partition {
    std::string_view family;
    std::string_view dns_suffix;
};

// botocore's partitions.json regionRegex values, as family prefixes.
constexpr std::array<Partition, 16> kPartitions = {{
    {"us", "amazonaws.com"},
    {"eu", "amazonaws.com"},
    {"ap", "amazonaws.com"},
    {"sa", "amazonaws.com"},
    {"ca", "amazonaws.com"},
    {"me", "amazonaws.com"},
    {"af", "amazonaws.com"},
    {"il", "amazonaws.com"},
    {"mx", "amazonaws.com"},
    {"cn", "amazonaws.com.cn"},
    {"eusc-de", "amazonaws.eu"},
    {"us-iso", "c2s.ic.gov"},
    {"us-isob", "sc2s.sgov.gov"},
    {"eu-isoe", "cloud.adc-e.uk"},
    {"us-isof", "csp.hci.ic.gov"},
    {"us-gov", "amazonaws.com"},
}};

// A region no partition claims belongs to the "aws" partition, as in botocore.
std::string_view dns_suffix(std::string_view region) {
    for (const Partition& p : kPartitions) {
        if (in_family(region, p.family)) return p.dns_suffix;
    }
    return "amazonaws.com";
}

// "CloudWatch Logs" -> "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", as the SDKs derive it from serviceId.
std::string service_variable(std::string_view service_id) {
    std::string name = "AWS_ENDPOINT_URL_";
    for (char c : service_id) {
        if (c == ' ' || c == '-') {
            name += '_';
        } else {
            name += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        }
    }
    return name;
}

Result<Endpoint> from_variable(const Environment& env, const std::string& name) {
    std::optional<std::string> value = env.get(name);
    if (!value) return make_error(Errc::not_found, name + " is not set");
    Result<Endpoint> parsed = parse_endpoint_url(*value);
    if (!parsed) return parsed.error().wrap(name);
    return parsed;
}

Result<std::uint16_t> parse_port(std::string_view digits, std::string_view url) {
    unsigned value = 0;
    const char* end = digits.data() + digits.size();
    auto [ptr, ec] = std::from_chars(digits.data(), end, value);
    if (digits.empty() || ec != std::errc() || ptr != end || value == 0 || value > 65535) {
        return malformed(url, "bad port \"" + std::string(digits) + "\"");
    }
    return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string Endpoint::host_header() const {
    std::string out;
    out.reserve(host.size() + 8);
    const bool ipv6 = host.find(':') != std::string::npos;
    if (ipv6) out += '[';
    out += host;
    if (ipv6) out += ']';
    if (port != default_port(scheme)) {
        out += ':';
        out += std::to_string(port);
    }
    return out;
}

std::string Endpoint::url() const {
    return scheme + "://" + host_header() + base_path;
}

Result<Endpoint> parse_endpoint_url(std::string_view url) {
    const std::size_t sep = url.find("://");
    if (sep == std::string_view::npos) return malformed(url, "no scheme (http:// or https://)");
    Endpoint ep;
    ep.scheme = lowercase(url.substr(0, sep));
    if (ep.scheme != "http" && ep.scheme != "https") {
        return malformed(url, "scheme must be http or https");
    }
    ep.port = default_port(ep.scheme);

    std::string_view rest = url.substr(sep + 3);
    const std::size_t path_start = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_start);
    std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start);
    if (authority.find('@') != std::string_view::npos) {
        return malformed(url, "credentials do not belong in an endpoint URL");
    }
    if (path.find_first_of("?#") != std::string_view::npos) {
        return malformed(url, "an endpoint URL has no query or fragment");
    }
    for (char c : path) {
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
            return malformed(url, "the path has a space or control character");
        }
    }

    std::string_view host = authority;
    std::string_view port;
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return malformed(url, "unterminated IPv6 literal");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) {
            return malformed(url, "junk after the IPv6 literal");
        }
        if (!valid_ipv6(host)) return malformed(url, "bad IPv6 literal");
        if (!after.empty()) port = after.substr(1);
        if (!after.empty() && port.empty()) return malformed(url, "empty port");
    } else {
        const std::size_t colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
            if (port.empty()) return malformed(url, "empty port");
        }
        if (host.empty()) return malformed(url, "no host");
        if (!valid_reg_name(host)) return malformed(url, "bad host \"" + std::string(host) + "\"");
    }
    ep.host = lowercase(host);
    if (!port.empty()) {
        Result<std::uint16_t> p = parse_port(port, url);
        if (!p) return p.error();
        ep.port = *p;
    }
    while (path.ends_with('/'))
        path.remove_suffix(1);
    ep.base_path = std::string(path);
    return ep;
}

Result<Endpoint> resolve_endpoint(const Environment& env, const ServiceId& service,
                                  std::string_view region,
                                  const std::optional<std::string>& override_url) {
    if (override_url && !override_url->empty()) {
        Result<Endpoint> parsed = parse_endpoint_url(*override_url);
        if (!parsed) return parsed.error().wrap("endpoint override");
        return parsed;
    }

    std::optional<std::string> ignore = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (!ignore || !equals_ignoring_case(*ignore, "true")) {
        for (const std::string& name :
             {service_variable(service.service_id), std::string("AWS_ENDPOINT_URL")}) {
            Result<Endpoint> configured = from_variable(env, name);
            if (configured || configured.error().code != Errc::not_found) return configured;
        }
    }

    if (!valid_host_label(region)) {
        return make_error(Errc::invalid_argument,
                          region.empty() ? service.service_id + ": no region configured"
                                         : service.service_id + ": invalid region \"" +
                                               std::string(region) + "\"");
    }
    const std::string& prefix = service.endpoint_prefix;
    Endpoint ep;
    if ((prefix == "s3" && (region == "us-east-1" || region == "aws-global")) ||
        (prefix == "sts" && region == "aws-global")) {
        ep.host = prefix + ".amazonaws.com";
    } else {
        ep.host = prefix + "." + std::string(region) + "." + std::string(dns_suffix(region));
    }
    return ep;
}

}  // namespace sockerless::aws
