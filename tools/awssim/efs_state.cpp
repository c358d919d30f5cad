#include "efs_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "account.h"
#include "base/fd.h"
#include "base/hex.h"

namespace sockerless::awssim {
namespace json = boost::json;
namespace {

constexpr std::string_view kMetadataFile = "efs-state.json";
constexpr mode_t kDirMode = 0755;

ApiError fs_not_found(std::string_view id) {
    return ApiError{404, "FileSystemNotFound",
                    "File system '" + std::string(id) + "' does not exist."};
}

ApiError ap_not_found(std::string_view id) {
    return ApiError{404, "AccessPointNotFound",
                    "Access point '" + std::string(id) + "' does not exist."};
}

ApiError internal(std::string_view what, int err) {
    return ApiError{500, "InternalServerError", std::string(what) + ": " + std::strerror(err)};
}

std::string new_id(std::string_view prefix) {
    auto hex = random_hex_token(9);
    return std::string(prefix) + "-" + (hex ? hex->substr(0, 17) : std::string(17, '0'));
}

// Opens (creating when asked) the directory `components` beneath `root_fd`, one component at a
// time and never through a symbolic link. `on_created(dir_fd, name, is_last)` runs after each
// mkdir, to apply ownership and permissions.
template <class OnCreated>
ApiResult<UniqueFd> open_beneath(int root_fd, const std::vector<std::string>& components,
                                 bool create, OnCreated on_created) {
    UniqueFd dir(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
    if (!dir) return internal("dup", errno);
    for (std::size_t i = 0; i < components.size(); ++i) {
        const std::string& name = components[i];
        int fd = ::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
            if (::mkdirat(dir.get(), name.c_str(), kDirMode) != 0 && errno != EEXIST)
                return internal("mkdir " + name, errno);
            on_created(dir.get(), name, i + 1 == components.size());
            fd = ::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) {
            int err = errno;
            if (err == ENOENT) return ApiError{404, "NotFound", "no directory " + name};
            if (err == ELOOP || err == ENOTDIR)
                return ApiError{400, "BadRequest",
                                "'" + name + "' is a symbolic link or not a directory"};
            return internal("open " + name, err);
        }
        dir.reset(fd);
    }
    return dir;
}

ApiResult<UniqueFd> open_root(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return internal("open " + dir, errno);
    return UniqueFd(fd);
}

json::array tags_json(const EfsTags& tags) {
    json::array out;
    for (const auto& [k, v] : tags)
        out.push_back(json::object{{"Key", k}, {"Value", v}});
    return out;
}

EfsTags tags_from(const json::value* v) {
    EfsTags out;
    if (!v || !v->is_array()) return out;
    for (const auto& t : v->as_array()) {
        if (!t.is_object()) continue;
        const auto* k = t.as_object().if_contains("Key");
        const auto* val = t.as_object().if_contains("Value");
        if (k && k->is_string() && val && val->is_string())
            out.emplace_back(std::string(k->as_string()), std::string(val->as_string()));
    }
    return out;
}

std::string str(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::uint32_t u32(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v && v->is_int64()) return static_cast<std::uint32_t>(v->as_int64());
    if (v && v->is_uint64()) return static_cast<std::uint32_t>(v->as_uint64());
    return 0;
}

json::object fs_to_json(const FileSystem& fs) {
    json::object o{{"id", fs.id},
                   {"arn", fs.arn},
                   {"creation_token", fs.creation_token},
                   {"creation_time", fs.creation_time},
                   {"performance_mode", fs.performance_mode},
                   {"throughput_mode", fs.throughput_mode},
                   {"encrypted", fs.encrypted},
                   {"tags", tags_json(fs.tags)}};
    if (fs.provisioned_throughput_mibps)
        o["provisioned_throughput_mibps"] = *fs.provisioned_throughput_mibps;
    if (fs.kms_key_id) o["kms_key_id"] = *fs.kms_key_id;
    if (fs.availability_zone_name) o["availability_zone_name"] = *fs.availability_zone_name;
    return o;
}

FileSystem fs_from_json(const json::object& o) {
    FileSystem fs;
    fs.id = str(o, "id");
    fs.arn = str(o, "arn");
    fs.creation_token = str(o, "creation_token");
    if (const auto* t = o.if_contains("creation_time"); t && t->is_number())
        fs.creation_time = t->to_number<double>();
    fs.performance_mode = str(o, "performance_mode");
    fs.throughput_mode = str(o, "throughput_mode");
    if (const auto* e = o.if_contains("encrypted"); e && e->is_bool()) fs.encrypted = e->as_bool();
    if (const auto* p = o.if_contains("provisioned_throughput_mibps"); p && p->is_number())
        fs.provisioned_throughput_mibps = p->to_number<double>();
    if (o.contains("kms_key_id")) fs.kms_key_id = str(o, "kms_key_id");
    if (o.contains("availability_zone_name"))
        fs.availability_zone_name = str(o, "availability_zone_name");
    fs.tags = tags_from(o.if_contains("tags"));
    return fs;
}

json::object ap_to_json(const AccessPoint& ap) {
    json::object o{{"id", ap.id},
                   {"arn", ap.arn},
                   {"client_token", ap.client_token},
                   {"file_system_id", ap.file_system_id},
                   {"root_path", ap.root_path},
                   {"tags", tags_json(ap.tags)}};
    if (ap.posix_user) {
        json::array gids;
        for (auto g : ap.posix_user->secondary_gids)
            gids.push_back(g);
        o["posix_user"] = json::object{
            {"uid", ap.posix_user->uid}, {"gid", ap.posix_user->gid}, {"secondary_gids", gids}};
    }
    if (ap.creation_info) {
        o["creation_info"] = json::object{{"owner_uid", ap.creation_info->owner_uid},
                                          {"owner_gid", ap.creation_info->owner_gid},
                                          {"permissions", ap.creation_info->permissions}};
    }
    return o;
}

AccessPoint ap_from_json(const json::object& o) {
    AccessPoint ap;
    ap.id = str(o, "id");
    ap.arn = str(o, "arn");
    ap.client_token = str(o, "client_token");
    ap.file_system_id = str(o, "file_system_id");
    ap.root_path = str(o, "root_path");
    if (ap.root_path.empty()) ap.root_path = "/";
    if (const auto* u = o.if_contains("posix_user"); u && u->is_object()) {
        PosixUser user{u32(u->as_object(), "uid"), u32(u->as_object(), "gid"), {}};
        if (const auto* g = u->as_object().if_contains("secondary_gids"); g && g->is_array()) {
            for (const auto& gid : g->as_array()) {
                if (gid.is_number()) user.secondary_gids.push_back(gid.to_number<std::uint32_t>());
            }
        }
        ap.posix_user = user;
    }
    if (const auto* c = o.if_contains("creation_info"); c && c->is_object()) {
        ap.creation_info =
            CreationInfo{u32(c->as_object(), "owner_uid"), u32(c->as_object(), "owner_gid"),
                         str(c->as_object(), "permissions")};
    }
    ap.tags = tags_from(o.if_contains("tags"));
    return ap;
}

}  // namespace

std::string efs_resource_id(std::string_view id_or_arn) {
    if (id_or_arn.starts_with("arn:")) {
        std::size_t slash = id_or_arn.rfind('/');
        if (slash != std::string_view::npos) return std::string(id_or_arn.substr(slash + 1));
    }
    return std::string(id_or_arn);
}

ApiResult<std::vector<std::string>> efs_path_components(std::string_view path) {
    std::vector<std::string> out;
    while (!path.empty()) {
        std::size_t slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        if (part == "." || part == "..")
            return ApiError{400, "BadRequest", "path components '.' and '..' are not allowed"};
        if (part.find('\0') != std::string_view::npos)
            return ApiError{400, "BadRequest", "path contains a NUL character"};
        if (!part.empty()) out.emplace_back(part);
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    if (out.empty()) return ApiError{400, "BadRequest", "the path names no file"};
    return out;
}

EfsState::EfsState(std::string root_dir, std::string region)
    : root_dir_(std::move(root_dir)), region_(std::move(region)) {
    load();
}

std::string EfsState::fs_dir(std::string_view fs_id) const {
    return root_dir_ + "/" + std::string(fs_id);
}

void EfsState::load() {
    if (root_dir_.empty()) return;
    std::ifstream in(root_dir_ + "/" + std::string(kMetadataFile));
    if (!in) return;
    std::stringstream buffer;
    buffer << in.rdbuf();
    boost::system::error_code ec;
    json::value v = json::parse(buffer.str(), ec);
    if (ec || !v.is_object()) {
        load_error_ =
            "unreadable " + std::string(kMetadataFile) + "; starting without file systems";
        return;
    }
    if (const auto* list = v.as_object().if_contains("file_systems"); list && list->is_array()) {
        for (const auto& fs : list->as_array()) {
            if (fs.is_object()) file_systems_.push_back(fs_from_json(fs.as_object()));
        }
    }
    if (const auto* list = v.as_object().if_contains("access_points"); list && list->is_array()) {
        for (const auto& ap : list->as_array()) {
            if (ap.is_object()) access_points_.push_back(ap_from_json(ap.as_object()));
        }
    }
}

void EfsState::save() {
    if (root_dir_.empty()) return;
    json::array fss, aps;
    for (const auto& fs : file_systems_)
        fss.push_back(fs_to_json(fs));
    for (const auto& ap : access_points_)
        aps.push_back(ap_to_json(ap));
    std::string path = root_dir_ + "/" + std::string(kMetadataFile);
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << json::serialize(json::object{{"file_systems", fss}, {"access_points", aps}});
        if (!out) return;  // the in-memory state stays authoritative for this run
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
}

FileSystem* EfsState::find_file_system(std::string_view id) {
    auto it = std::ranges::find(file_systems_, id, &FileSystem::id);
    return it == file_systems_.end() ? nullptr : &*it;
}

FileSystem* EfsState::find_by_creation_token(std::string_view token) {
    auto it = std::ranges::find(file_systems_, token, &FileSystem::creation_token);
    return it == file_systems_.end() ? nullptr : &*it;
}

AccessPoint* EfsState::find_access_point(std::string_view id) {
    auto it = std::ranges::find(access_points_, id, &AccessPoint::id);
    return it == access_points_.end() ? nullptr : &*it;
}

AccessPoint* EfsState::find_by_client_token(std::string_view token) {
    auto it = std::ranges::find(access_points_, token, &AccessPoint::client_token);
    return it == access_points_.end() ? nullptr : &*it;
}

ApiResult<FileSystem> EfsState::create_file_system(FileSystem fs) {
    fs.id = new_id("fs");
    fs.arn = "arn:aws:elasticfilesystem:" + region_ + ":" + std::string(kAccountId) +
             ":file-system/" + fs.id;
    if (!root_dir_.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(root_dir_, ec);
        if (ec)
            return ApiError{500, "InternalServerError",
                            "create " + root_dir_ + ": " + ec.message()};
        if (::mkdir(fs_dir(fs.id).c_str(), kDirMode) != 0) return internal("mkdir " + fs.id, errno);
        ::chmod(fs_dir(fs.id).c_str(), kDirMode);  // whatever the umask
    }
    file_systems_.push_back(fs);
    save();
    return fs;
}

ApiResult<void> EfsState::delete_file_system(std::string_view id) {
    auto it = std::ranges::find(file_systems_, id, &FileSystem::id);
    if (it == file_systems_.end()) return fs_not_found(id);
    if (std::ranges::any_of(access_points_,
                            [&](const AccessPoint& ap) { return ap.file_system_id == id; })) {
        return ApiError{409, "FileSystemInUse",
                        "File system '" + std::string(id) + "' is in use by access points."};
    }
    if (!root_dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(fs_dir(id), ec);
        if (ec)
            return ApiError{500, "InternalServerError",
                            "remove " + std::string(id) + ": " + ec.message()};
    }
    file_systems_.erase(it);
    save();
    return {};
}

ApiResult<AccessPoint> EfsState::create_access_point(AccessPoint ap) {
    if (!find_file_system(ap.file_system_id)) return fs_not_found(ap.file_system_id);
    ap.id = new_id("fsap");
    ap.arn = "arn:aws:elasticfilesystem:" + region_ + ":" + std::string(kAccountId) +
             ":access-point/" + ap.id;
    if (!root_dir_.empty() && ap.root_path != "/" && ap.creation_info) {
        auto components = efs_path_components(ap.root_path);
        if (!components) return components.error();
        auto root = open_root(fs_dir(ap.file_system_id));
        if (!root) return root.error();
        const CreationInfo& info = *ap.creation_info;
        unsigned long permissions = 0;
        auto [end, ec] =
            std::from_chars(info.permissions.data(),
                            info.permissions.data() + info.permissions.size(), permissions, 8);
        if (ec != std::errc() || end != info.permissions.data() + info.permissions.size())
            return ApiError{400, "BadRequest", "Permissions must be 3 or 4 octal digits."};
        mode_t mode = static_cast<mode_t>(permissions) & 07777;
        bool as_root = ::geteuid() == 0;
        auto on_created = [&](int dir_fd, const std::string& name, bool last) {
            // Directories on the way are the file system owner's; the last is CreationInfo's.
            if (!last) {
                ::fchmodat(dir_fd, name.c_str(), kDirMode, 0);
                return;
            }
            if (as_root)
                ::fchownat(dir_fd, name.c_str(), info.owner_uid, info.owner_gid,
                           AT_SYMLINK_NOFOLLOW);
            ::fchmodat(dir_fd, name.c_str(), mode, 0);
        };
        auto dir = open_beneath(root->get(), *components, true, on_created);
        if (!dir) return dir.error();
    }
    access_points_.push_back(ap);
    save();
    return ap;
}

ApiResult<void> EfsState::delete_access_point(std::string_view id) {
    auto it = std::ranges::find(access_points_, id, &AccessPoint::id);
    if (it == access_points_.end()) return ap_not_found(id);
    access_points_.erase(it);
    save();
    return {};
}

bool EfsState::set_tags(std::string_view id, EfsTags tags) {
    if (FileSystem* fs = find_file_system(id)) {
        fs->tags = std::move(tags);
    } else if (AccessPoint* ap = find_access_point(id)) {
        ap->tags = std::move(tags);
    } else {
        return false;
    }
    save();
    return true;
}

ApiResult<std::string> EfsState::host_path(std::string_view fs_id,
                                           std::string_view access_point_id) const {
    auto fs = std::ranges::find(file_systems_, fs_id, &FileSystem::id);
    if (fs == file_systems_.end()) return fs_not_found(fs_id);
    std::string root_path = "/";
    if (!access_point_id.empty()) {
        auto ap = std::ranges::find(access_points_, access_point_id, &AccessPoint::id);
        if (ap == access_points_.end()) return ap_not_found(access_point_id);
        if (ap->file_system_id != fs_id) {
            return ApiError{400, "BadRequest",
                            "Access point '" + ap->id + "' belongs to file system '" +
                                ap->file_system_id + "', not '" + std::string(fs_id) + "'."};
        }
        root_path = ap->root_path;
    }
    std::string base = fs_dir(fs_id);
    if (root_path == "/") return base;
    auto components = efs_path_components(root_path);
    if (!components) return components.error();
    std::string out = base;
    for (const auto& c : *components)
        out += "/" + c;
    if (root_dir_.empty()) return out;
    auto root = open_root(base);
    if (!root) return root.error();
    auto dir = open_beneath(root->get(), *components, false, [](int, const std::string&, bool) {});
    if (!dir) {
        return ApiError{400, "ResourceInitializationError",
                        "EFS access point '" + std::string(access_point_id) + "' root directory " +
                            root_path + " is not usable in file system '" + std::string(fs_id) +
                            "': " + dir.error().message};
    }
    return out;
}

ApiResult<void> EfsState::put_file(std::string_view fs_id, std::string_view path,
                                   std::string_view content, std::uint32_t mode) {
    if (std::ranges::find(file_systems_, fs_id, &FileSystem::id) == file_systems_.end())
        return fs_not_found(fs_id);
    auto components = efs_path_components(path);
    if (!components) return components.error();
    std::string name = components->back();
    components->pop_back();
    auto root = open_root(fs_dir(fs_id));
    if (!root) return root.error();
    auto dir = open_beneath(
        root->get(), *components, true,
        [](int dir_fd, const std::string& n, bool) { ::fchmodat(dir_fd, n.c_str(), kDirMode, 0); });
    if (!dir) return dir.error();

    // The staging route writes as the file system's root user would. A simulator that is not
    // root meets the permissions an access point gave the directory (0555 for the agent's), so it
    // lends itself the owner's write bit for the write and gives the directory its mode back.
    struct stat dir_stat {};
    bool lent_write = false;
    if (::fstat(dir->get(), &dir_stat) == 0 && (dir_stat.st_mode & S_IWUSR) == 0 &&
        dir_stat.st_uid == ::geteuid()) {
        lent_write = ::fchmod(dir->get(), (dir_stat.st_mode & 07777) | S_IWUSR) == 0;
    }
    struct RestoreMode {
        int fd;
        mode_t mode;
        bool active;
        ~RestoreMode() {
            if (active) ::fchmod(fd, mode);
        }
    } restore{dir->get(), dir_stat.st_mode & 07777, lent_write};

    auto suffix = random_hex_token(8);
    std::string tmp = "." + name + ".tmp-" + (suffix ? *suffix : std::string("0"));
    UniqueFd file(::openat(dir->get(), tmp.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file) return internal("create " + tmp, errno);
    std::size_t written = 0;
    while (written < content.size()) {
        ssize_t n = ::write(file.get(), content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::unlinkat(dir->get(), tmp.c_str(), 0);
            return internal("write " + tmp, err);
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fchmod(file.get(), static_cast<mode_t>(mode & 07777)) != 0 ||
        ::renameat(dir->get(), tmp.c_str(), dir->get(), name.c_str()) != 0) {
        int err = errno;
        ::unlinkat(dir->get(), tmp.c_str(), 0);
        return internal("install " + name, err);
    }
    return {};
}

ApiResult<std::string> EfsState::read_file(std::string_view fs_id, std::string_view path) const {
    if (std::ranges::find(file_systems_, fs_id, &FileSystem::id) == file_systems_.end())
        return fs_not_found(fs_id);
    auto components = efs_path_components(path);
    if (!components) return components.error();
    std::string name = components->back();
    components->pop_back();
    auto root = open_root(fs_dir(fs_id));
    if (!root) return root.error();
    auto dir = open_beneath(root->get(), *components, false, [](int, const std::string&, bool) {});
    if (!dir) return dir.error();
    // O_NONBLOCK: a FIFO a task left there must not block the simulator's only thread.
    UniqueFd file(
        ::openat(dir->get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!file) {
        if (errno == ENOENT) return ApiError{404, "NotFound", "no file " + std::string(path)};
        return ApiError{400, "BadRequest",
                        "cannot open " + std::string(path) + ": " + std::strerror(errno)};
    }
    struct stat st {};
    if (::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return ApiError{400, "BadRequest", std::string(path) + " is not a regular file"};
    std::string out;
    char buf[65536];
    while (true) {
        ssize_t n = ::read(file.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return internal("read " + std::string(path), errno);
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

}  // namespace sockerless::awssim
