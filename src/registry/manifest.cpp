#include "registry/manifest.h"

#include "registry/digest.h"
#include "registry/json_read.h"

namespace sockerless::registry {
namespace {

namespace json = boost::json;
using json_read::array_field;
using json_read::int_field;
using json_read::object_field;
using json_read::string_field;
using json_read::strings_field;

// Unwraps a Result into `var`, returning its error from the enclosing function: the parsers below
// read a dozen fields each, and spelling out every check would bury what they read.
#define REGISTRY_TRY(var, expr)      \
    auto var##_result = (expr);      \
    if (!var##_result) {             \
        return var##_result.error(); \
    }                                \
    auto var = std::move(*var##_result)  // NOLINT(bugprone-macro-parentheses): a declaration

bool is_known_type(std::string_view t) {
    return t == kDockerManifest || t == kDockerManifestList || t == kOciManifest ||
           t == kOciIndex || t == kDockerSchema1 || t == kDockerSchema1Signed;
}

bool is_index_type(std::string_view t) {
    return t == kDockerManifestList || t == kOciIndex;
}

std::string_view without_parameters(std::string_view content_type) {
    content_type = content_type.substr(0, content_type.find(';'));
    while (!content_type.empty() && content_type.back() == ' ')
        content_type.remove_suffix(1);
    return content_type;
}

Result<std::optional<Platform>> parse_descriptor_platform(const json::object& obj) {
    REGISTRY_TRY(p, object_field(obj, "platform", "descriptor"));
    if (p == nullptr) return std::optional<Platform>();
    REGISTRY_TRY(os, string_field(*p, "os", "platform"));
    REGISTRY_TRY(arch, string_field(*p, "architecture", "platform"));
    REGISTRY_TRY(variant, string_field(*p, "variant", "platform"));
    return std::optional<Platform>(Platform{std::move(os), std::move(arch), std::move(variant)});
}

Result<Descriptor> parse_descriptor(const json::value& v, std::string_view what) {
    if (!v.is_object()) {
        return make_error(Errc::invalid_argument, std::string(what) + ": not an object");
    }
    const json::object& obj = v.as_object();
    Descriptor d;
    REGISTRY_TRY(media_type, string_field(obj, "mediaType", what));
    REGISTRY_TRY(digest, string_field(obj, "digest", what));
    REGISTRY_TRY(size, int_field(obj, "size", what));
    Result<Digest> parsed = parse_digest(digest);
    if (!parsed) return parsed.error().wrap(what);
    if (size.value_or(0) < 0) {
        return make_error(Errc::invalid_argument, std::string(what) + ": negative size");
    }
    d.media_type = std::move(media_type);
    d.digest = parsed->str();
    d.size = size.value_or(0);
    REGISTRY_TRY(platform, parse_descriptor_platform(obj));
    d.platform = std::move(platform);
    REGISTRY_TRY(annotations, object_field(obj, "annotations", what));
    if (annotations != nullptr) {
        for (const auto& member : *annotations) {
            if (member.value().is_string())
                d.annotations.emplace(member.key(), member.value().as_string());
        }
    }
    return d;
}

Result<std::vector<Descriptor>> parse_descriptors(const json::object& obj, std::string_view key,
                                                  std::string_view what) {
    REGISTRY_TRY(items, array_field(obj, key, what));
    std::vector<Descriptor> out;
    if (items == nullptr) return out;
    out.reserve(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
        const std::string item_what =
            std::string(what) + ": " + std::string(key) + "[" + std::to_string(i) + "]";
        REGISTRY_TRY(d, parse_descriptor((*items)[i], item_what));
        out.push_back(std::move(d));
    }
    return out;
}

Result<std::string> manifest_type(const json::object& obj, std::string_view content_type) {
    REGISTRY_TRY(declared, string_field(obj, "mediaType", "manifest"));
    if (!declared.empty()) return declared;
    const std::string_view header = without_parameters(content_type);
    if (is_known_type(header)) return std::string(header);
    REGISTRY_TRY(schema, int_field(obj, "schemaVersion", "manifest"));
    if (schema == 1) return std::string(kDockerSchema1);
    if (json_read::field(obj, "manifests") != nullptr) return std::string(kOciIndex);
    if (json_read::field(obj, "config") != nullptr) return std::string(kOciManifest);
    return make_error(Errc::invalid_argument, "unsupported manifest format");
}

Result<HealthConfig> parse_health(const json::object& obj) {
    constexpr std::string_view kWhat = "image config: Healthcheck";
    HealthConfig h;
    REGISTRY_TRY(test, strings_field(obj, "Test", kWhat));
    REGISTRY_TRY(interval, int_field(obj, "Interval", kWhat));
    REGISTRY_TRY(timeout, int_field(obj, "Timeout", kWhat));
    REGISTRY_TRY(start_period, int_field(obj, "StartPeriod", kWhat));
    REGISTRY_TRY(start_interval, int_field(obj, "StartInterval", kWhat));
    REGISTRY_TRY(retries, int_field(obj, "Retries", kWhat));
    h.test = std::move(test);
    h.interval_ns = interval.value_or(0);
    h.timeout_ns = timeout.value_or(0);
    h.start_period_ns = start_period.value_or(0);
    h.start_interval_ns = start_interval.value_or(0);
    h.retries = static_cast<int>(retries.value_or(0));
    return h;
}

// The keys of an object-valued member ({"80/tcp": {}}), as Docker writes port and volume sets.
Result<std::set<std::string>> key_set(const json::object& obj, std::string_view key) {
    REGISTRY_TRY(members, object_field(obj, key, "image config"));
    std::set<std::string> out;
    if (members == nullptr) return out;
    for (const auto& member : *members)
        out.emplace(member.key());
    return out;
}

Status parse_container_config(const json::object& c, ImageConfig& out) {
    constexpr std::string_view kWhat = "image config";
    REGISTRY_TRY(env, strings_field(c, "Env", kWhat));
    REGISTRY_TRY(cmd, strings_field(c, "Cmd", kWhat));
    REGISTRY_TRY(entrypoint, strings_field(c, "Entrypoint", kWhat));
    REGISTRY_TRY(working_dir, string_field(c, "WorkingDir", kWhat));
    REGISTRY_TRY(user, string_field(c, "User", kWhat));
    REGISTRY_TRY(stop_signal, string_field(c, "StopSignal", kWhat));
    REGISTRY_TRY(labels, object_field(c, "Labels", kWhat));
    REGISTRY_TRY(ports, key_set(c, "ExposedPorts"));
    REGISTRY_TRY(volumes, key_set(c, "Volumes"));
    REGISTRY_TRY(health, object_field(c, "Healthcheck", kWhat));
    out.env = std::move(env);
    out.cmd = std::move(cmd);
    out.entrypoint = std::move(entrypoint);
    out.working_dir = std::move(working_dir);
    out.user = std::move(user);
    out.stop_signal = std::move(stop_signal);
    if (labels != nullptr) {
        for (const auto& member : *labels) {
            if (!member.value().is_string()) {
                return make_error(Errc::invalid_argument,
                                  "image config: Labels: want string values");
            }
            out.labels.emplace(member.key(), member.value().as_string());
        }
    }
    for (const std::string& port : ports)
        out.exposed_ports.insert(port.find('/') == std::string::npos ? port + "/tcp" : port);
    out.volumes = std::move(volumes);
    if (health != nullptr) {
        REGISTRY_TRY(h, parse_health(*health));
        out.healthcheck = std::move(h);
    }
    return ok();
}

}  // namespace

std::string manifest_accept_header() {
    return std::string(kDockerManifest) + ", " + std::string(kDockerManifestList) + ", " +
           std::string(kOciManifest) + ", " + std::string(kOciIndex);
}

Result<Manifest> parse_manifest(std::string_view body, std::string_view content_type) {
    REGISTRY_TRY(obj, json_read::parse_object(body, "manifest"));
    REGISTRY_TRY(type, manifest_type(obj, content_type));
    if (type == kDockerSchema1 || type == kDockerSchema1Signed) {
        return make_error(Errc::invalid_argument,
                          "unsupported manifest format: Docker Image manifest version 2, schema 1 "
                          "is no longer supported; push the image as Docker schema 2 or OCI");
    }
    if (!is_known_type(type)) {
        return make_error(Errc::invalid_argument,
                          "unsupported manifest format: media type \"" + type + "\"");
    }
    REGISTRY_TRY(schema, int_field(obj, "schemaVersion", "manifest"));
    if (schema != 2) {
        return make_error(Errc::invalid_argument, "unsupported manifest format: schemaVersion " +
                                                      std::to_string(schema.value_or(0)));
    }
    Manifest m;
    m.media_type = type;
    if (is_index_type(type)) {
        m.kind = Manifest::Kind::index;
        REGISTRY_TRY(manifests, parse_descriptors(obj, "manifests", "manifest list"));
        m.manifests = std::move(manifests);
        return m;
    }
    m.kind = Manifest::Kind::image;
    const json::value* config = json_read::field(obj, "config");
    if (config == nullptr) {
        return make_error(Errc::invalid_argument, "manifest: no config descriptor");
    }
    REGISTRY_TRY(config_descriptor, parse_descriptor(*config, "manifest: config"));
    m.config = std::move(config_descriptor);
    REGISTRY_TRY(layers, parse_descriptors(obj, "layers", "manifest"));
    m.layers = std::move(layers);
    return m;
}

Result<Descriptor> select_manifest(const Manifest& index, const Platform& wanted) {
    std::vector<Platform> candidates;
    std::vector<std::size_t> positions;
    for (std::size_t i = 0; i < index.manifests.size(); ++i) {
        const Descriptor& d = index.manifests[i];
        if (!d.platform || is_index_type(d.media_type)) continue;
        candidates.push_back(*d.platform);
        positions.push_back(i);
    }
    const std::optional<std::size_t> best = best_match(candidates, wanted);
    if (!best) {
        return make_error(Errc::not_found, "no matching manifest for " + wanted.str() +
                                               " in the manifest list entries");
    }
    return index.manifests[positions[*best]];
}

Result<ImageConfig> parse_image_config(std::string_view text) {
    constexpr std::string_view kWhat = "image config";
    REGISTRY_TRY(obj, json_read::parse_object(text, kWhat));
    ImageConfig out;
    REGISTRY_TRY(os, string_field(obj, "os", kWhat));
    REGISTRY_TRY(arch, string_field(obj, "architecture", kWhat));
    REGISTRY_TRY(variant, string_field(obj, "variant", kWhat));
    REGISTRY_TRY(created, string_field(obj, "created", kWhat));
    out.os = std::move(os);
    out.architecture = std::move(arch);
    out.variant = std::move(variant);
    out.created = std::move(created);
    REGISTRY_TRY(config, object_field(obj, "config", kWhat));
    if (config != nullptr) {
        Status parsed = parse_container_config(*config, out);
        if (!parsed) return parsed.error();
    }
    return out;
}

Result<Image> make_image(const Reference& ref, std::string_view manifest_digest,
                         std::string_view platform_manifest_digest, const Manifest& manifest,
                         std::string config_json) {
    if (manifest.kind != Manifest::Kind::image) {
        return make_error(Errc::invalid_argument, "make_image: not an image manifest");
    }
    REGISTRY_TRY(config, parse_image_config(config_json));
    Image image;
    image.id = manifest.config.digest;
    image.manifest_digest = manifest_digest;
    image.platform_manifest_digest = platform_manifest_digest;
    image.repo_digests.push_back(ref.familiar_name() + "@" + std::string(manifest_digest));
    for (const Descriptor& d : manifest.layers) {
        image.layers.push_back(Layer{d.digest, d.size, d.media_type});
        image.size += d.size;
    }
    image.created = config.created;
    image.config = std::move(config);
    image.config_json = std::move(config_json);
    return image;
}

}  // namespace sockerless::registry

#undef REGISTRY_TRY
