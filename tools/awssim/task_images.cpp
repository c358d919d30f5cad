#include "task_images.h"

#include <charconv>
#include <filesystem>
#include <fstream>

namespace sockerless::awssim {
namespace json = boost::json;
namespace {

std::string string_of(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<std::uint32_t> number(std::string_view s) {
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return value;
}

// The fields of the line of a colon-separated database (passwd, group) whose field `key_index`
// equals `key`.
std::optional<std::vector<std::string>> find_entry(const std::string& path, std::string_view key,
                                                   std::size_t key_index) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> fields;
        std::size_t start = 0;
        while (true) {
            std::size_t colon = line.find(':', start);
            fields.push_back(line.substr(start, colon - start));
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
        if (fields.size() > key_index && fields[key_index] == key) return fields;
    }
    return std::nullopt;
}

ApiError user_error(std::string_view user, std::string_view why) {
    return ApiError{400, "CannotStartContainerError",
                    "unable to find user " + std::string(user) + ": " + std::string(why)};
}

}  // namespace

std::optional<ContainerMode> parse_container_mode(std::string_view text) {
    if (text == "host") return ContainerMode::host;
    if (text == "image") return ContainerMode::image;
    if (text == "auto") return ContainerMode::automatic;
    return std::nullopt;
}

bool runs_from_image(ContainerMode mode, std::string_view image, bool runtime_available) {
    if (mode != ContainerMode::automatic) return mode == ContainerMode::image;
    if (!runtime_available) return false;
    std::size_t slash = image.find('/');
    if (slash == std::string_view::npos) return false;
    std::string_view first = image.substr(0, slash);
    return first.find_first_of(".:") != std::string_view::npos || first == "localhost";
}

std::vector<std::string> container_args(const TaskContainer& container, const ImageConfig& image) {
    std::vector<std::string> args =
        container.entry_point.empty() ? image.entrypoint : container.entry_point;
    const std::vector<std::string>& cmd =
        !container.command.empty()
            ? container.command
            : (container.entry_point.empty() ? image.cmd : std::vector<std::string>{});
    args.insert(args.end(), cmd.begin(), cmd.end());
    return args;
}

ApiResult<std::pair<std::uint32_t, std::uint32_t>> resolve_user(std::string_view rootfs,
                                                                std::string_view user) {
    if (user.empty()) return std::pair<std::uint32_t, std::uint32_t>{0, 0};
    std::size_t colon = user.find(':');
    std::string_view name = user.substr(0, colon);
    std::string passwd = std::string(rootfs) + "/etc/passwd";
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    if (auto n = number(name)) {
        uid = *n;
        if (auto entry = find_entry(passwd, name, 2); entry && entry->size() > 3)
            gid = number((*entry)[3]).value_or(0);
    } else {
        auto entry = find_entry(passwd, name, 0);
        if (!entry || entry->size() < 4)
            return user_error(user, "no matching entries in passwd file");
        auto u = number((*entry)[2]);
        auto g = number((*entry)[3]);
        if (!u || !g) return user_error(user, "malformed passwd entry");
        uid = *u;
        gid = *g;
    }
    if (colon != std::string_view::npos) {
        std::string_view group = user.substr(colon + 1);
        if (auto n = number(group)) {
            gid = *n;
        } else {
            auto entry = find_entry(std::string(rootfs) + "/etc/group", group, 0);
            if (!entry || entry->size() < 3 || !number((*entry)[2]))
                return user_error(user, "no matching entries in group file");
            gid = *number((*entry)[2]);
        }
    }
    return std::pair{uid, gid};
}

ApiResult<std::vector<BundleSpec::Mount>> container_mounts(const json::array& volumes,
                                                           const json::object& definition,
                                                           const std::string& scratch,
                                                           const EfsResolver& efs) {
    std::vector<BundleSpec::Mount> out;
    const auto* points = definition.if_contains("mountPoints");
    if (!points || !points->is_array()) return out;
    for (const auto& p : points->as_array()) {
        if (!p.is_object()) continue;
        const auto& point = p.as_object();
        std::string source_volume = string_of(point, "sourceVolume");
        std::string destination = string_of(point, "containerPath");
        const auto* ro = point.if_contains("readOnly");
        bool read_only = ro && ro->is_bool() && ro->as_bool();
        const json::object* volume = nullptr;
        for (const auto& v : volumes) {
            if (v.is_object() && string_of(v.as_object(), "name") == source_volume)
                volume = &v.as_object();
        }
        if (!volume) {
            return ApiError{400, "ResourceInitializationError",
                            "the mount point's volume \"" + source_volume +
                                "\" is not a volume of the task definition"};
        }
        const auto* efs_config = volume->if_contains("efsVolumeConfiguration");
        if (efs_config && efs_config->is_object()) {
            const auto& e = efs_config->as_object();
            std::string access_point;
            if (const auto* auth = e.if_contains("authorizationConfig"); auth && auth->is_object())
                access_point = string_of(auth->as_object(), "accessPointId");
            auto path = efs(string_of(e, "fileSystemId"), access_point);
            if (!path) {
                return ApiError{400, "ResourceInitializationError",
                                "failed to invoke EFS utils commands to set up EFS volumes: " +
                                    path.error().message};
            }
            out.push_back(BundleSpec::Mount{*path, destination, read_only});
            continue;
        }
        if (const auto* host = volume->if_contains("host");
            host && host->is_object() && !string_of(host->as_object(), "sourcePath").empty()) {
            return ApiError{400, "ResourceInitializationError",
                            "host volumes are not supported on Fargate: \"" + source_volume + "\""};
        }
        std::string dir = (std::filesystem::path(scratch) / "volumes" / source_volume).string();
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec)
            return ApiError{500, "ResourceInitializationError",
                            "create " + dir + ": " + ec.message()};
        out.push_back(BundleSpec::Mount{dir, destination, read_only});
    }
    return out;
}

std::string host_path_of(const std::string& path, const std::vector<BundleSpec::Mount>& mounts) {
    const BundleSpec::Mount* best = nullptr;
    for (const BundleSpec::Mount& m : mounts) {
        const std::string& d = m.destination;
        bool under =
            path == d || (path.starts_with(d) && (d.ends_with('/') || path[d.size()] == '/'));
        if (under && (best == nullptr || d.size() > best->destination.size())) best = &m;
    }
    if (best == nullptr) return path;
    return best->source + path.substr(best->destination.size());
}

}  // namespace sockerless::awssim
