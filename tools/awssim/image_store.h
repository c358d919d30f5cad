#pragma once
// Container images for tasks run under an OCI runtime: pulled from their registry (distribution
// API v2) and unpacked into a root filesystem on disk, cached by manifest digest.
//
// pull() is blocking and is meant for a worker thread: it touches no simulator state, only its
// cache directory, and concurrent pulls (of the same image too) are safe: each builds in a private
// temporary directory and renames the result into place; the first rename wins and the others
// use its result. Supported: references with tag or digest, anonymous bearer-token auth
// (WWW-Authenticate: Bearer realm=...,service=...,scope=...), Docker v2 manifest lists and OCI
// indexes (the host's platform is chosen), Docker v2 schema 2 and OCI image manifests, layers
// in any compression libarchive reads (gzip, zstd, none), whiteouts and opaque directories.
// Registries on 127.0.0.0/8, ::1 and localhost are spoken to over plain HTTP, others over HTTPS
// with the system's CA certificates.
//
// The rootfs_dir of a pulled image is shared by every task of that image: callers must treat it
// as read-only (oci_bundle.h mounts a private overlay on it for each container).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api_error.h"

namespace sockerless::awssim {

// What the image's config says about how to run it (Docker's and OCI's "config" object).
struct ImageConfig {
    std::vector<std::string> env;
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd;
    std::string working_dir;
    std::string user;
};

struct PulledImage {
    std::string rootfs_dir;
    ImageConfig config;
    // The digest the reference resolved to: the index's for a multi-platform image, as the
    // registry (and ECS's imageDigest) name it.
    std::string digest;
};

struct ImageReference {
    std::string registry;    // "127.0.0.1:5000"; Docker Hub is "registry-1.docker.io"
    std::string repository;  // "busybox", "library/busybox" on Docker Hub
    std::string tag;         // "latest" when the reference names neither tag nor digest
    std::string digest;      // "sha256:<64 hex>" or ""

    // What to ask the registry for: the digest when there is one, else the tag.
    [[nodiscard]] std::string reference() const { return digest.empty() ? tag : digest; }
    // True for registries spoken to over plain HTTP (loopback addresses and localhost).
    [[nodiscard]] bool plain_http() const;
};

// Docker's reference grammar: [registry/]repository[:tag][@digest]. The first component is a
// registry when it holds a '.' or ':' or is "localhost"; otherwise the image is on Docker Hub
// (with "library/" for single-component names). InvalidParameterException when malformed.
ApiResult<ImageReference> parse_image_reference(std::string_view reference);

struct Platform {
    std::string os = "linux";
    std::string architecture;  // Go's spelling: amd64, arm64, arm, 386, ppc64le, s390x, riscv64
    std::string variant;       // "v7" for arm, usually "" (or "v8" for arm64)
};

// The platform of this machine in Go's spelling (uname's machine mapped).
Platform host_platform();

struct Descriptor {
    std::string media_type;
    std::string digest;
    std::int64_t size = 0;
    std::optional<Platform> platform;  // index entries only
};

// A parsed manifest: an index (manifest list) or an image manifest.
struct Manifest {
    bool is_index = false;
    std::vector<Descriptor> manifests;  // index
    Descriptor config;                  // image manifest
    std::vector<Descriptor> layers;     // image manifest, base layer first
};

// Parses a manifest body whose Content-Type (or, when that is generic, its own mediaType field,
// or failing both its shape) says what it is. Schema 1 manifests and unknown types are
// CannotPullContainerError.
ApiResult<Manifest> parse_manifest(std::string_view content_type, std::string_view body);

// The index entry for `want`: same os and architecture, and the same variant when both name one
// (an entry without a variant matches any; arm64 treats "" and "v8" alike). The first match in
// index order wins, as containerd's default matcher does.
std::optional<Descriptor> select_platform(const std::vector<Descriptor>& manifests,
                                          const Platform& want);

// The run configuration from an image config blob; a missing "config" object gives an empty one.
ApiResult<ImageConfig> parse_image_config(std::string_view body);

class RegistryClient;

class ImageStore {
public:
    explicit ImageStore(std::string cache_dir, Platform platform = host_platform());

    // Pulls `reference` (or finds it in the cache) and returns its unpacked root filesystem.
    // Errors are CannotPullContainerError with the reason (not found, unauthorized, digest
    // mismatch, unreachable registry, no manifest for the platform...).
    ApiResult<PulledImage> pull(std::string_view reference);

    [[nodiscard]] const std::string& cache_dir() const { return cache_dir_; }

private:
    // Fetches config and layers into a private directory and renames it to `final_dir`.
    ApiResult<ImageConfig> build(RegistryClient& client, const Manifest& manifest,
                                 const std::string& final_dir);

    std::string cache_dir_;
    Platform platform_;
};

}  // namespace sockerless::awssim
