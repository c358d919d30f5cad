#include "image_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <boost/json.hpp>

#include "base/fd.h"
#include "base/hex.h"
#include "image_layers.h"
#include "registry_client.h"
#include "sigv4_verify.h"

namespace sockerless::awssim {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

constexpr std::string_view kDockerHub = "registry-1.docker.io";
constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view kDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::size_t kMaxManifestBytes = std::size_t{4} * 1024 * 1024;
constexpr std::size_t kMaxConfigBytes = std::size_t{8} * 1024 * 1024;
constexpr std::string_view kImageFile = "image.json";

ApiError pull_error(std::string message) {
    return ApiError{500, "CannotPullContainerError", std::move(message)};
}

ApiError invalid_reference(std::string_view reference, std::string_view why) {
    return ApiError{
        400, "InvalidParameterException",
        "invalid reference format \"" + std::string(reference) + "\": " + std::string(why)};
}

bool valid_digest(std::string_view digest) {
    if (!digest.starts_with("sha256:") || digest.size() != 7 + 64) return false;
    return std::ranges::all_of(
        digest.substr(7), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool valid_repository(std::string_view repo) {
    if (repo.empty() || repo.front() == '/' || repo.back() == '/') return false;
    return std::ranges::all_of(repo, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-' || c == '/';
    });
}

std::string str(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::vector<std::string> strings(const json::object& o, std::string_view key) {
    std::vector<std::string> out;
    const auto* v = o.if_contains(key);
    if (!v || !v->is_array()) return out;
    for (const auto& item : v->as_array()) {
        if (item.is_string()) out.emplace_back(item.as_string());
    }
    return out;
}

ApiResult<Descriptor> parse_descriptor(const json::value& v, std::string_view what) {
    if (!v.is_object()) return pull_error(std::string(what) + " is not an object");
    const auto& o = v.as_object();
    Descriptor d;
    d.media_type = str(o, "mediaType");
    d.digest = str(o, "digest");
    if (!valid_digest(d.digest))
        return pull_error(std::string(what) + " has an unsupported digest \"" + d.digest + "\"");
    if (const auto* size = o.if_contains("size"); size && size->is_number())
        d.size = size->to_number<std::int64_t>();
    if (const auto* p = o.if_contains("platform"); p && p->is_object()) {
        d.platform = Platform{str(p->as_object(), "os"), str(p->as_object(), "architecture"),
                              str(p->as_object(), "variant")};
    }
    return d;
}

std::string sha256_digest(std::string_view data) {
    return "sha256:" + sha256_hex(data);
}

struct DigestCtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// Streams a blob to `path` while hashing it; done() checks the digest.
class BlobFile {
public:
    explicit BlobFile(const std::string& path)
        : path_(path),
          fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)),
          ctx_(EVP_MD_CTX_new()) {
        if (ctx_) EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
    }

    ApiResult<void> write(std::string_view chunk) {
        if (!fd_ || !ctx_) return pull_error("create " + path_ + ": " + std::strerror(errno));
        EVP_DigestUpdate(ctx_.get(), chunk.data(), chunk.size());
        while (!chunk.empty()) {
            ssize_t n = ::write(fd_.get(), chunk.data(), chunk.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return pull_error("write " + path_ + ": " + std::strerror(errno));
            chunk.remove_prefix(static_cast<std::size_t>(n));
        }
        return {};
    }

    ApiResult<void> done(std::string_view expected) {
        if (!fd_ || !ctx_) return pull_error("create " + path_ + ": " + std::strerror(errno));
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx_.get(), digest, &len);
        std::string got = "sha256:" + hex_encode(std::span<const unsigned char>(digest, len));
        if (got != expected)
            return pull_error("digest mismatch: expected " + std::string(expected) + ", got " +
                              got);
        return {};
    }

private:
    std::string path_;
    UniqueFd fd_;
    std::unique_ptr<EVP_MD_CTX, DigestCtxDeleter> ctx_;
};

ApiResult<void> fetch_blob_to(RegistryClient& client, const Descriptor& blob,
                              const std::string& path) {
    BlobFile file(path);
    auto got =
        client.get_blob(blob.digest, [&file](std::string_view chunk) { return file.write(chunk); });
    if (!got) return got;
    return file.done(blob.digest);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

json::object config_json(const ImageConfig& c) {
    auto array = [](const std::vector<std::string>& v) {
        json::array a;
        for (const auto& s : v)
            a.emplace_back(s);
        return a;
    };
    return json::object{{"Env", array(c.env)},
                        {"Entrypoint", array(c.entrypoint)},
                        {"Cmd", array(c.cmd)},
                        {"WorkingDir", c.working_dir},
                        {"User", c.user}};
}

// A finished image in the cache: its config, or nullopt when absent or unreadable.
std::optional<ImageConfig> cached_config(const std::string& image_dir) {
    std::string text = read_file(image_dir + "/" + std::string(kImageFile));
    if (text.empty()) return std::nullopt;
    auto config = parse_image_config(text);
    if (!config) return std::nullopt;
    return *config;
}

// Removes a temporary directory when the pull that made it ends, however it ends.
class TempDir {
public:
    explicit TempDir(std::string path) : path_(std::move(path)) {}
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace

bool ImageReference::plain_http() const {
    std::string host = registry;
    if (host.starts_with("[")) {
        host = host.substr(1, host.find(']') - 1);
    } else if (std::size_t colon = host.rfind(':'); colon != std::string::npos) {
        host = host.substr(0, colon);
    }
    return host == "localhost" || host == "::1" || host.starts_with("127.");
}

ApiResult<ImageReference> parse_image_reference(std::string_view reference) {
    if (reference.empty()) return invalid_reference(reference, "empty");
    ImageReference out;
    std::string_view name = reference;
    if (std::size_t at = name.find('@'); at != std::string_view::npos) {
        out.digest = std::string(name.substr(at + 1));
        if (!valid_digest(out.digest)) return invalid_reference(reference, "bad digest");
        name = name.substr(0, at);
    }
    std::size_t last_slash = name.rfind('/');
    std::size_t colon = name.rfind(':');
    if (colon != std::string_view::npos &&
        (last_slash == std::string_view::npos || colon > last_slash)) {
        out.tag = std::string(name.substr(colon + 1));
        name = name.substr(0, colon);
        if (out.tag.empty() || out.tag.size() > 128) return invalid_reference(reference, "bad tag");
    }
    std::size_t slash = name.find('/');
    std::string_view first = name.substr(0, slash);
    if (slash != std::string_view::npos &&
        (first.find_first_of(".:") != std::string_view::npos || first == "localhost")) {
        out.registry = std::string(first);
        out.repository = std::string(name.substr(slash + 1));
    } else {
        out.registry = std::string(kDockerHub);
        out.repository = std::string(name);
    }
    if (out.registry == "docker.io" || out.registry == "index.docker.io")
        out.registry = std::string(kDockerHub);
    if (out.registry == kDockerHub && out.repository.find('/') == std::string::npos)
        out.repository = "library/" + out.repository;
    if (!valid_repository(out.repository)) return invalid_reference(reference, "bad repository");
    if (out.tag.empty() && out.digest.empty()) out.tag = "latest";
    return out;
}

Platform host_platform() {
    struct utsname u {};
    ::uname(&u);
    std::string machine = u.machine;
    if (machine == "x86_64") return Platform{"linux", "amd64", ""};
    if (machine == "aarch64" || machine == "arm64") return Platform{"linux", "arm64", ""};
    if (machine.starts_with("armv7")) return Platform{"linux", "arm", "v7"};
    if (machine.starts_with("armv6")) return Platform{"linux", "arm", "v6"};
    if (machine == "i386" || machine == "i686") return Platform{"linux", "386", ""};
    return Platform{"linux", machine, ""};
}

std::optional<Descriptor> select_platform(const std::vector<Descriptor>& manifests,
                                          const Platform& want) {
    auto variant = [&](const std::string& v) {
        return want.architecture == "arm64" && v == "v8" ? std::string() : v;
    };
    for (const auto& d : manifests) {
        if (!d.platform || d.platform->os != want.os ||
            d.platform->architecture != want.architecture)
            continue;
        std::string have = variant(d.platform->variant);
        std::string wanted = variant(want.variant);
        if (have.empty() || wanted.empty() || have == wanted) return d;
    }
    return std::nullopt;
}

ApiResult<Manifest> parse_manifest(std::string_view content_type, std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return pull_error("manifest is not a JSON object");
    const auto& o = v.as_object();
    std::string type(content_type.substr(0, content_type.find(';')));
    if (type.empty() || type == "application/json" || type == "text/plain")
        type = str(o, "mediaType");
    if (type.empty()) {
        if (o.contains("manifests")) type = kOciIndex;
        if (o.contains("layers")) type = kOciManifest;
    }
    Manifest out;
    if (type == kOciIndex || type == kDockerList) {
        out.is_index = true;
        const auto* list = o.if_contains("manifests");
        if (!list || !list->is_array()) return pull_error("index without manifests");
        for (const auto& item : list->as_array()) {
            auto d = parse_descriptor(item, "index entry");
            if (!d) return d.error();
            out.manifests.push_back(std::move(*d));
        }
        return out;
    }
    if (type != kOciManifest && type != kDockerManifest) {
        if (type.find("manifest.v1") != std::string::npos || o.contains("fsLayers"))
            return pull_error("schema 1 manifests are not supported; push the image again");
        return pull_error("unsupported manifest media type \"" + type + "\"");
    }
    const auto* config = o.if_contains("config");
    if (!config) return pull_error("image manifest without config");
    auto c = parse_descriptor(*config, "config");
    if (!c) return c.error();
    out.config = std::move(*c);
    const auto* layers = o.if_contains("layers");
    if (!layers || !layers->is_array()) return pull_error("image manifest without layers");
    for (const auto& item : layers->as_array()) {
        auto d = parse_descriptor(item, "layer");
        if (!d) return d.error();
        out.layers.push_back(std::move(*d));
    }
    return out;
}

ApiResult<ImageConfig> parse_image_config(std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return pull_error("image config is not a JSON object");
    ImageConfig out;
    const auto* config = v.as_object().if_contains("config");
    if (!config) config = v.as_object().if_contains("Config");
    if (!config || !config->is_object()) return out;
    const auto& c = config->as_object();
    out.env = strings(c, "Env");
    out.entrypoint = strings(c, "Entrypoint");
    out.cmd = strings(c, "Cmd");
    out.working_dir = str(c, "WorkingDir");
    out.user = str(c, "User");
    return out;
}

ImageStore::ImageStore(std::string cache_dir, Platform platform)
    : cache_dir_(std::move(cache_dir)), platform_(std::move(platform)) {}

ApiResult<PulledImage> ImageStore::pull(std::string_view reference) {
    auto ref = parse_image_reference(reference);
    if (!ref) return ref.error();
    std::error_code ec;
    for (const char* sub : {"/images", "/resolved", "/tmp"}) {
        fs::create_directories(cache_dir_ + sub, ec);
        if (ec) return pull_error("create image cache " + cache_dir_ + sub + ": " + ec.message());
    }
    auto image_dir = [&](const std::string& digest) {
        return cache_dir_ + "/images/" + digest.substr(7);
    };
    // A digest pulled before needs no registry at all.
    if (!ref->digest.empty()) {
        std::string resolved = read_file(cache_dir_ + "/resolved/" + ref->digest.substr(7));
        if (valid_digest(resolved)) {
            if (auto config = cached_config(image_dir(resolved)))
                return PulledImage{image_dir(resolved) + "/rootfs", *config, ref->digest};
        }
    }

    RegistryClient client(ref->registry, ref->repository, ref->plain_http());
    auto top = client.get_manifest(ref->reference(), kMaxManifestBytes);
    if (!top) return top.error();
    std::string top_digest = sha256_digest(top->body);
    if (!ref->digest.empty() && top_digest != ref->digest)
        return pull_error("manifest digest mismatch: asked for " + ref->digest + ", got " +
                          top_digest);
    auto manifest = parse_manifest(top->headers["content-type"], top->body);
    if (!manifest) return manifest.error();
    std::string manifest_digest = top_digest;
    if (manifest->is_index) {
        auto chosen = select_platform(manifest->manifests, platform_);
        if (!chosen) {
            return pull_error("no matching manifest for " + platform_.os + "/" +
                              platform_.architecture +
                              (platform_.variant.empty() ? "" : "/" + platform_.variant) +
                              " in the manifest list entries of " + std::string(reference));
        }
        auto child = client.get_manifest(chosen->digest, kMaxManifestBytes);
        if (!child) return child.error();
        if (sha256_digest(child->body) != chosen->digest)
            return pull_error("manifest digest mismatch for " + chosen->digest);
        manifest = parse_manifest(child->headers["content-type"], child->body);
        if (!manifest) return manifest.error();
        if (manifest->is_index) return pull_error("nested image indexes are not supported");
        manifest_digest = chosen->digest;
    }
    std::string final_dir = image_dir(manifest_digest);
    auto config = cached_config(final_dir);
    if (!config) {
        auto built = build(client, *manifest, final_dir);
        if (!built) return built.error();
        config = *built;
    }
    std::ofstream(cache_dir_ + "/resolved/" + top_digest.substr(7), std::ios::trunc)
        << manifest_digest;
    return PulledImage{final_dir + "/rootfs", *config, top_digest};
}

ApiResult<ImageConfig> ImageStore::build(RegistryClient& client, const Manifest& manifest,
                                         const std::string& final_dir) {
    auto suffix = random_hex_token(8);
    TempDir tmp(cache_dir_ + "/tmp/pull-" + (suffix ? *suffix : std::to_string(::getpid())));
    std::error_code ec;
    fs::create_directories(tmp.path() + "/image/rootfs", ec);
    if (ec) return pull_error("create " + tmp.path() + ": " + ec.message());

    std::string blob = tmp.path() + "/blob";
    if (auto got = fetch_blob_to(client, manifest.config, blob); !got) return got.error();
    std::string config_text = read_file(blob);
    if (config_text.size() > kMaxConfigBytes) return pull_error("image config too large");
    auto config = parse_image_config(config_text);
    if (!config) return config.error();
    for (const auto& layer : manifest.layers) {
        if (auto got = fetch_blob_to(client, layer, blob); !got) return got.error();
        if (auto applied = apply_layer(tmp.path() + "/image/rootfs", blob); !applied)
            return applied.error();
    }
    std::ofstream(tmp.path() + "/image/" + std::string(kImageFile), std::ios::trunc)
        << json::serialize(json::object{{"config", config_json(*config)}});
    // The first finished pull of an image wins; a concurrent one finds it in place and uses it.
    fs::rename(tmp.path() + "/image", final_dir, ec);
    if (ec) {
        if (auto existing = cached_config(final_dir)) return *existing;
        return pull_error("install image into " + final_dir + ": " + ec.message());
    }
    return *config;
}

}  // namespace sockerless::awssim
