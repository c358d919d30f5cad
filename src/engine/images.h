#pragma once
// The images the daemon knows: what `docker pull` resolved from a registry (manifest and config
// only; tasks pull the layers themselves). `create` merges an image's config into the
// container's; an image the daemon has never pulled is "No such image", as in Docker, and the
// CLI then pulls it.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "engine/container.h"

namespace sockerless::store {
class Store;
}

namespace sockerless::engine {

struct Image {
    std::string id;                         // "sha256:<config digest>"
    std::vector<std::string> repo_tags;     // familiar "name:tag" references pointing here
    std::vector<std::string> repo_digests;  // "name@sha256:..."
    std::string created;                    // RFC 3339 from the config
    std::int64_t size = 0;                  // sum of compressed layer sizes
    std::string os = "linux";
    std::string architecture = "amd64";
    std::string variant;
    ContainerConfig config;  // Env, Cmd, Entrypoint, WorkingDir, User, Labels, ... of the image
    std::vector<std::string> layers;  // layer digests
};

std::string to_document(const Image& image);
Result<Image> image_from_document(std::string_view doc);

// `ref` normalized the way the CLI shows it: "busybox" -> "busybox:latest",
// "docker.io/library/busybox" -> "busybox:latest", "127.0.0.1:5000/x" -> "127.0.0.1:5000/x:latest";
// digests kept ("x@sha256:..."). Errc::invalid_argument for a malformed reference.
using RefNormalizer = Result<std::string> (*)(std::string_view ref);

class ImageStore {
public:
    ImageStore(store::Store& store, RefNormalizer normalizer)
        : store_(store), normalize_(normalizer) {}

    Status load();
    // Records `image` under `ref` (normalized), replacing what the reference pointed at.
    // Returns true when the reference already pointed at the same image ("up to date").
    Result<bool> put(std::string_view ref, Image image);
    // By reference, by full id ("sha256:..."), by id without "sha256:", or by a unique id prefix.
    [[nodiscard]] const Image* find(std::string_view ref_or_id) const;
    [[nodiscard]] std::vector<const Image*> all() const;
    // Untags `ref`; the image goes once no reference points at it. Errc::not_found when unknown.
    Status remove_ref(std::string_view ref);
    Result<std::string> normalize(std::string_view ref) const { return normalize_(ref); }

private:
    store::Store& store_;
    RefNormalizer normalize_;
    std::map<std::string, Image> by_id_;
    std::map<std::string, std::string> ref_to_id_;
};

}  // namespace sockerless::engine
