#include "registry/reference.h"

#include <algorithm>
#include <cctype>

#include "registry/digest.h"

namespace sockerless::registry {
namespace {

constexpr std::string_view kLegacyHubDomain = "index.docker.io";
constexpr std::string_view kOfficialPrefix = "library/";
constexpr std::size_t kMaxNameLength = 255;
constexpr std::size_t kMaxTagLength = 128;

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_alnum(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool is_word(char c) {
    return is_alnum(c) || c == '_';
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// alpha-numeric (separator alpha-numeric)*, separator := [._] | "__" | "-"+
bool valid_path_component(std::string_view s) {
    std::size_t i = 0;
    auto alnum_run = [&] {
        const std::size_t start = i;
        while (i < s.size() && is_lower_alnum(s[i]))
            ++i;
        return i > start;
    };
    if (!alnum_run()) return false;
    while (i < s.size()) {
        if (s[i] == '.') {
            ++i;
        } else if (s[i] == '_') {
            ++i;
            if (i < s.size() && s[i] == '_') ++i;
        } else if (s[i] == '-') {
            while (i < s.size() && s[i] == '-')
                ++i;
        } else {
            return false;
        }
        if (!alnum_run()) return false;
    }
    return true;
}

bool valid_path(std::string_view path) {
    while (true) {
        const std::size_t slash = path.find('/');
        if (!valid_path_component(path.substr(0, slash))) return false;
        if (slash == std::string_view::npos) return true;
        path.remove_prefix(slash + 1);
    }
}

// [a-zA-Z0-9] or [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view s) {
    if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool valid_host(std::string_view host) {
    if (host.starts_with('[')) {
        if (host.size() < 3 || !host.ends_with(']')) return false;
        return std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c)) || c == ':';
        });
    }
    while (true) {
        const std::size_t dot = host.find('.');
        if (!valid_domain_component(host.substr(0, dot))) return false;
        if (dot == std::string_view::npos) return true;
        host.remove_prefix(dot + 1);
    }
}

bool valid_domain(std::string_view domain) {
    const std::size_t bracket = domain.rfind(']');
    const std::size_t colon = domain.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        const std::string_view port = domain.substr(colon + 1);
        if (port.empty() ||
            !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return false;
        }
        domain = domain.substr(0, colon);
    }
    return valid_host(domain);
}

// [\w][\w.-]{0,127}
bool valid_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > kMaxTagLength || !is_word(tag.front())) return false;
    return std::all_of(tag.begin(), tag.end(),
                       [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

// algorithm-component ([+._-] algorithm-component)* ":" [0-9a-fA-F]{32,}; the algorithm and its
// length are checked afterwards by parse_digest.
bool digest_shaped(std::string_view s) {
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const std::string_view algorithm = s.substr(0, colon);
    const std::string_view hex = s.substr(colon + 1);
    bool component_start = true;
    for (char c : algorithm) {
        if (component_start) {
            if (std::isalpha(static_cast<unsigned char>(c)) == 0) return false;
            component_start = false;
        } else if (c == '+' || c == '.' || c == '_' || c == '-') {
            component_start = true;
        } else if (!is_alnum(c)) {
            return false;
        }
    }
    if (component_start || hex.size() < 32) return false;
    return std::all_of(hex.begin(), hex.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

Error invalid_format() {
    return make_error(Errc::invalid_argument, "invalid reference format");
}

Error must_be_lowercase() {
    return make_error(Errc::invalid_argument,
                      "invalid reference format: repository name must be lowercase");
}

bool is_hex64(std::string_view s) {
    return s.size() == 64 &&
           std::all_of(s.begin(), s.end(), [](char c) { return is_lower_alnum(c) && c <= 'f'; });
}

// distribution/reference's splitDockerDomain.
std::pair<std::string, std::string> split_docker_domain(std::string_view name) {
    std::string domain;
    std::string remainder;
    const std::size_t slash = name.find('/');
    const std::string_view first = name.substr(0, slash);
    if (slash == std::string_view::npos || (first.find_first_of(".:") == std::string_view::npos &&
                                            first != "localhost" && lower(first) == first)) {
        domain = kDockerHubDomain;
        remainder = name;
    } else {
        domain = first;
        remainder = name.substr(slash + 1);
    }
    if (domain == kLegacyHubDomain) domain = kDockerHubDomain;
    if (domain == kDockerHubDomain && remainder.find('/') == std::string::npos)
        remainder = std::string(kOfficialPrefix) + remainder;
    return {std::move(domain), std::move(remainder)};
}

// The full grammar on "domain/path[:tag][@digest]".
Result<Reference> parse_full(std::string_view s) {
    Reference ref;
    std::string_view name_tag = s;
    if (const std::size_t at = s.find('@'); at != std::string_view::npos) {
        const std::string_view digest = s.substr(at + 1);
        if (!digest_shaped(digest)) return invalid_format();
        Result<Digest> parsed = parse_digest(digest);
        if (!parsed) return parsed.error();
        ref.digest = parsed->str();
        name_tag = s.substr(0, at);
    }
    const std::size_t last_slash = name_tag.rfind('/');
    if (last_slash == std::string_view::npos) return invalid_format();
    std::string_view name = name_tag;
    if (const std::size_t colon = name_tag.find(':', last_slash); colon != std::string_view::npos) {
        ref.tag = name_tag.substr(colon + 1);
        if (!valid_tag(ref.tag)) return invalid_format();
        name = name_tag.substr(0, colon);
    }
    const std::size_t first_slash = name.find('/');
    ref.domain = name.substr(0, first_slash);
    ref.path = name.substr(first_slash + 1);
    if (!valid_domain(ref.domain) || !valid_path(ref.path)) {
        if (valid_domain(ref.domain) && valid_path(lower(ref.path))) return must_be_lowercase();
        return invalid_format();
    }
    if (name.size() > kMaxNameLength) {
        return make_error(Errc::invalid_argument,
                          "repository name must not be more than 255 characters");
    }
    return ref;
}

}  // namespace

std::string Reference::name() const {
    return domain + "/" + path;
}

std::string Reference::familiar_name() const {
    if (domain != kDockerHubDomain) return name();
    if (path.starts_with(kOfficialPrefix)) {
        const std::string_view rest = std::string_view(path).substr(kOfficialPrefix.size());
        if (rest.find('/') == std::string_view::npos) return std::string(rest);
    }
    return path;
}

std::string Reference::familiar_string() const {
    std::string out = familiar_name();
    if (!tag.empty()) out += ":" + tag;
    if (!digest.empty()) out += "@" + digest;
    return out;
}

std::string Reference::canonical_string() const {
    std::string out = name();
    if (!tag.empty()) out += ":" + tag;
    if (!digest.empty()) out += "@" + digest;
    return out;
}

std::string Reference::manifest_reference() const {
    return digest.empty() ? tag : digest;
}

Result<Reference> parse_reference(std::string_view text) {
    if (is_hex64(text)) {
        return make_error(Errc::invalid_argument,
                          "invalid repository name (" + std::string(text) +
                              "), cannot specify 64-byte hexadecimal strings");
    }
    auto [domain, remainder] = split_docker_domain(text);
    const std::string_view remote_name = std::string_view(remainder).substr(0, remainder.find(':'));
    if (lower(remote_name) != remote_name) return must_be_lowercase();
    Result<Reference> ref = parse_full(domain + "/" + remainder);
    if (!ref) return ref;
    if (ref->tag.empty() && ref->digest.empty()) ref->tag = kDefaultTag;
    return ref;
}

Result<std::string> familiar_reference(std::string_view text) {
    Result<Reference> ref = parse_reference(text);
    if (!ref) return ref.error();
    return ref->familiar_string();
}

std::string registry_host(std::string_view domain) {
    if (domain == kDockerHubDomain) return std::string(kDockerHubRegistryHost);
    return std::string(domain);
}

std::string normalize_server_address(std::string_view server) {
    if (server.starts_with("http://")) {
        server.remove_prefix(7);
    } else if (server.starts_with("https://")) {
        server.remove_prefix(8);
    }
    server = server.substr(0, server.find('/'));
    if (server.empty() || server == kLegacyHubDomain || server == kDockerHubRegistryHost ||
        server == kDockerHubDomain) {
        return std::string(kDockerHubDomain);
    }
    return std::string(server);
}

}  // namespace sockerless::registry
