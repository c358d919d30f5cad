#pragma once
// What a registry serves for an image, parsed (pure, no I/O): Docker schema 2 manifests and
// manifest lists, OCI manifests and indexes, and the image config blob, plus the Image the
// daemon records from them. Malformed input is Errc::invalid_argument naming what was wrong.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "registry/platform.h"
#include "registry/reference.h"

namespace sockerless::registry {

inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerSchema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

// The Accept header of a manifest request: the four types above, Docker's before OCI's and each
// single-image type before its list type, as containerd's resolver sends them.
std::string manifest_accept_header();

struct Descriptor {
    std::string media_type;
    std::string digest;  // validated "algorithm:hex"
    std::int64_t size = 0;
    std::optional<Platform> platform;  // set in index entries that declare one
    std::map<std::string, std::string> annotations;
};

struct Manifest {
    enum class Kind { image, index };
    Kind kind = Kind::image;
    std::string media_type;
    Descriptor config;                  // image
    std::vector<Descriptor> layers;     // image
    std::vector<Descriptor> manifests;  // index
};

// Parses a manifest body. The type comes from the body's mediaType, else from `content_type`
// (parameters ignored), else from its shape ("manifests" -> OCI index, "config" -> OCI
// manifest). Docker schema 1 is refused ("unsupported manifest format"), as dockerd does now.
Result<Manifest> parse_manifest(std::string_view body, std::string_view content_type);

// The entry of an index or manifest list to pull for `wanted` (platform.h's matching; entries
// without a platform never match). Errc::not_found "no matching manifest for <platform> in the
// manifest list entries" when there is none.
Result<Descriptor> select_manifest(const Manifest& index, const Platform& wanted);

struct HealthConfig {
    std::vector<std::string> test;  // ["CMD-SHELL", "..."], ["CMD", ...], ["NONE"]
    std::int64_t interval_ns = 0;
    std::int64_t timeout_ns = 0;
    std::int64_t start_period_ns = 0;
    std::int64_t start_interval_ns = 0;
    int retries = 0;

    friend bool operator==(const HealthConfig&, const HealthConfig&) = default;
};

// The parts of an image config `docker create` merges into a container's config.
struct ImageConfig {
    std::vector<std::string> env;
    std::vector<std::string> cmd;
    std::vector<std::string> entrypoint;
    std::string working_dir;
    std::string user;
    std::map<std::string, std::string> labels;
    std::set<std::string> exposed_ports;  // "80/tcp" ("80" in a config is read as "80/tcp")
    std::set<std::string> volumes;
    std::string stop_signal;
    std::optional<HealthConfig> healthcheck;
    std::string os;
    std::string architecture;
    std::string variant;
    std::string created;  // RFC 3339, as in the config
};

// Parses an image config blob (Docker's and OCI's are the same shape). Field names match as Go's
// encoding/json matches them: exactly, else case-insensitively.
Result<ImageConfig> parse_image_config(std::string_view json);

struct Layer {
    std::string digest;
    std::int64_t size = 0;
    std::string media_type;
};

struct Image {
    std::string id;               // "sha256:<hex of the config blob's digest>"
    std::string manifest_digest;  // what the reference resolved to: the index's when it names one
    std::string platform_manifest_digest;   // the image manifest's own digest
    std::vector<std::string> repo_digests;  // "busybox@sha256:<manifest_digest>"
    std::vector<Layer> layers;
    std::int64_t size = 0;  // sum of the (compressed) layer sizes
    ImageConfig config;
    std::string config_json;  // the config blob exactly as fetched
    std::string created;
};

// The Image for `ref` from its image manifest and config blob (whose digest the caller has
// verified against manifest.config).
Result<Image> make_image(const Reference& ref, std::string_view manifest_digest,
                         std::string_view platform_manifest_digest, const Manifest& manifest,
                         std::string config_json);

}  // namespace sockerless::registry
