#pragma once
// Image references as Docker normalizes them (distribution/reference's ParseNormalizedNamed plus
// the default tag a pull adds):
//
//   "busybox"                    -> docker.io/library/busybox:latest
//   "index.docker.io/x/y"        -> docker.io/x/y:latest
//   "127.0.0.1:5000/x/y:t"       -> 127.0.0.1:5000/x/y:t
//   "name@sha256:<64 hex>"       -> docker.io/library/name@sha256:... (no default tag)
//
// The first path component is a registry domain when it contains '.' or ':', is "localhost", or
// has an uppercase letter; otherwise the reference is on Docker Hub. Errors are
// Errc::invalid_argument with Docker's wording: "invalid reference format", "invalid reference
// format: repository name must be lowercase", "repository name must not be more than 255
// characters", "invalid repository name (<hex>), cannot specify 64-byte hexadecimal strings".

#include <string>
#include <string_view>

#include "base/error.h"

namespace sockerless::registry {

inline constexpr std::string_view kDockerHubDomain = "docker.io";
inline constexpr std::string_view kDockerHubRegistryHost = "registry-1.docker.io";
inline constexpr std::string_view kDefaultTag = "latest";

struct Reference {
    std::string domain;  // "docker.io", "127.0.0.1:5000", "[::1]:5000"
    std::string path;    // "library/busybox": the repository name the registry's API uses
    std::string tag;     // "" when the reference names a digest only
    std::string digest;  // "sha256:..." or ""

    // "docker.io/library/busybox"
    [[nodiscard]] std::string name() const;
    // "busybox", "user/app", "127.0.0.1:5000/busybox": Docker Hub's domain and "library/" dropped.
    [[nodiscard]] std::string familiar_name() const;
    // familiar_name() with ":tag" and/or "@digest", as `docker images` and pull messages show it.
    [[nodiscard]] std::string familiar_string() const;
    // name() with ":tag" and/or "@digest".
    [[nodiscard]] std::string canonical_string() const;
    // What the manifest is fetched by: the digest when there is one (a digest pins the image even
    // next to a tag), else the tag. Also the id of a pull's first progress line.
    [[nodiscard]] std::string manifest_reference() const;

    friend bool operator==(const Reference&, const Reference&) = default;
};

Result<Reference> parse_reference(std::string_view text);

// parse_reference(text)->familiar_string(): the form images are recorded under.
Result<std::string> familiar_reference(std::string_view text);

// Where a domain's registry API is: Docker Hub's is registry-1.docker.io, every other domain is
// its own host.
std::string registry_host(std::string_view domain);

// A server address as `docker login` and X-Registry-Auth give it ("https://index.docker.io/v1/",
// "http://127.0.0.1:5000/", "myregistry:5000") reduced to its domain ("docker.io",
// "127.0.0.1:5000", "myregistry:5000"); "" means Docker Hub.
std::string normalize_server_address(std::string_view server);

}  // namespace sockerless::registry
