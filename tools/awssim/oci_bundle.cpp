#include "oci_bundle.h"

#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>

#include <boost/json.hpp>

namespace sockerless::awssim {
namespace json = boost::json;
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kOciVersion = "1.0.2";
constexpr std::string_view kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr std::uint64_t kMaxNofile = 1048576;

// Docker's default capability set.
constexpr std::string_view kCapabilities[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};
constexpr std::string_view kMaskedPaths[] = {
    "/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi",          "/sys/firmware",
};
constexpr std::string_view kReadonlyPaths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

json::array strings(std::span<const std::string_view> items) {
    json::array out;
    for (auto s : items)
        out.emplace_back(s);
    return out;
}

json::array strings(const std::vector<std::string>& items) {
    json::array out;
    for (const auto& s : items)
        out.emplace_back(s);
    return out;
}

json::object mount(std::string_view destination, std::string_view type, std::string_view source,
                   std::span<const std::string_view> options) {
    return json::object{{"destination", destination},
                        {"type", type},
                        {"source", source},
                        {"options", strings(options)}};
}

json::array mounts(const BundleSpec& spec) {
    static constexpr std::string_view kProc[] = {"nosuid", "noexec", "nodev"};
    static constexpr std::string_view kDev[] = {"nosuid", "strictatime", "mode=755", "size=65536k"};
    static constexpr std::string_view kPts[] = {"nosuid",        "noexec",    "newinstance",
                                                "ptmxmode=0666", "mode=0620", "gid=5"};
    static constexpr std::string_view kShm[] = {"nosuid", "noexec", "nodev", "mode=1777",
                                                "size=65536k"};
    static constexpr std::string_view kMqueue[] = {"nosuid", "noexec", "nodev"};
    static constexpr std::string_view kSys[] = {"nosuid", "noexec", "nodev", "ro"};
    static constexpr std::string_view kBindRw[] = {"rbind", "rprivate"};
    static constexpr std::string_view kBindRo[] = {"rbind", "rprivate", "ro"};
    json::array out{
        mount("/proc", "proc", "proc", kProc),
        mount("/dev", "tmpfs", "tmpfs", kDev),
        mount("/dev/pts", "devpts", "devpts", kPts),
        mount("/dev/shm", "tmpfs", "shm", kShm),
        mount("/dev/mqueue", "mqueue", "mqueue", kMqueue),
        mount("/sys", "sysfs", "sysfs", kSys),
    };
    for (const auto& m : spec.mounts) {
        out.push_back(mount(m.destination, "bind", m.source,
                            m.read_only ? std::span<const std::string_view>(kBindRo)
                                        : std::span<const std::string_view>(kBindRw)));
    }
    return out;
}

json::object process(const BundleSpec& spec, const std::vector<Rlimit>& rlimits) {
    std::vector<std::string> env = spec.env;
    if (std::ranges::none_of(env, [](const std::string& e) { return e.starts_with("PATH="); }))
        env.insert(env.begin(), std::string(kDefaultPath));
    json::array limits;
    for (const auto& r : rlimits)
        limits.push_back(json::object{{"type", r.type}, {"soft", r.soft}, {"hard", r.hard}});
    json::array caps = strings(kCapabilities);
    return json::object{
        {"terminal", spec.terminal},
        {"user", json::object{{"uid", spec.uid}, {"gid", spec.gid}}},
        {"args", strings(spec.args)},
        {"env", strings(env)},
        {"cwd", spec.cwd.empty() ? "/" : spec.cwd},
        {"capabilities",
         json::object{{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", std::move(limits)},
        {"noNewPrivileges", false},
    };
}

bool absolute(const std::string& path) {
    return !path.empty() && path.front() == '/';
}

}  // namespace

std::vector<Rlimit> container_rlimits() {
    struct rlimit current {};
    std::uint64_t nofile = kMaxNofile;
    if (::getrlimit(RLIMIT_NOFILE, &current) == 0 && current.rlim_max != RLIM_INFINITY)
        nofile = std::min<std::uint64_t>(nofile, current.rlim_max);
    return {Rlimit{"RLIMIT_NOFILE", nofile, nofile}};
}

std::string bundle_config(const BundleSpec& spec, const std::vector<Rlimit>& rlimits) {
    json::array namespaces;
    for (std::string_view type : {"pid", "mount", "ipc", "uts"})
        namespaces.push_back(json::object{{"type", type}});
    json::object config{
        {"ociVersion", kOciVersion},
        {"process", process(spec, rlimits)},
        {"root", json::object{{"path", spec.rootfs_dir}, {"readonly", false}}},
        {"hostname", spec.hostname},
        {"mounts", mounts(spec)},
        {"linux", json::object{{"namespaces", std::move(namespaces)},
                               {"maskedPaths", strings(kMaskedPaths)},
                               {"readonlyPaths", strings(kReadonlyPaths)}}},
    };
    return json::serialize(config);
}

ApiResult<void> write_bundle(const std::string& bundle_dir, const BundleSpec& spec) {
    if (spec.args.empty()) return invalid_parameter("the container has no command to run");
    if (!absolute(spec.rootfs_dir))
        return invalid_parameter("rootfs must be an absolute path: \"" + spec.rootfs_dir + "\"");
    if (!spec.cwd.empty() && !absolute(spec.cwd))
        return invalid_parameter("the working directory must be absolute: \"" + spec.cwd + "\"");
    for (const auto& m : spec.mounts) {
        if (!absolute(m.destination) || !absolute(m.source))
            return invalid_parameter("mount paths must be absolute: \"" + m.source + "\" -> \"" +
                                     m.destination + "\"");
    }
    std::error_code ec;
    fs::create_directories(bundle_dir, ec);
    if (ec) return ApiError{500, "InternalError", "create " + bundle_dir + ": " + ec.message()};
    std::string path = bundle_dir + "/config.json";
    std::ofstream out(path, std::ios::trunc);
    out << bundle_config(spec, container_rlimits());
    out.close();
    if (!out) return ApiError{500, "InternalError", "write " + path + ": " + std::strerror(errno)};
    return {};
}

bool oci_runtime_available() {
    if (::geteuid() != 0) return false;
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin";
    while (!dirs.empty()) {
        std::size_t colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        if (!dir.empty() && ::access((dir + "/runc").c_str(), X_OK) == 0) return true;
        if (colon == std::string_view::npos) break;
        dirs.remove_prefix(colon + 1);
    }
    return false;
}

ApiResult<std::string> mount_rootfs_overlay(const std::string& bundle_dir,
                                            const std::string& image_rootfs) {
    std::string merged = bundle_dir + "/rootfs";
    std::error_code ec;
    for (const std::string& dir : {merged, bundle_dir + "/upper", bundle_dir + "/work"}) {
        fs::create_directories(dir, ec);
        if (ec) return ApiError{500, "InternalError", "create " + dir + ": " + ec.message()};
    }
    std::string options = "lowerdir=" + image_rootfs + ",upperdir=" + bundle_dir +
                          "/upper,workdir=" + bundle_dir + "/work";
    if (::mount("overlay", merged.c_str(), "overlay", 0, options.c_str()) != 0) {
        return ApiError{500, "InternalError",
                        "mount overlay at " + merged + ": " + std::strerror(errno)};
    }
    return merged;
}

ApiResult<void> unmount_rootfs_overlay(const std::string& bundle_dir) {
    std::string merged = bundle_dir + "/rootfs";
    if (::umount2(merged.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
        return ApiError{500, "InternalError", "unmount " + merged + ": " + std::strerror(errno)};
    return {};
}

}  // namespace sockerless::awssim
