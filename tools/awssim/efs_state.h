#pragma once
// Amazon EFS file systems and access points, each file system backed by a directory
// <root>/<fs-id>/ (root = <state_dir>/efs). Metadata is saved to <root>/efs-state.json after every
// change and loaded at construction, so file systems (and files staged into them, such as the
// agent binary) survive a restart of the simulator.
//
// Paths inside a file system are resolved one component at a time without following symbolic
// links: a task can create any link it likes in a file system it mounts, and neither the admin
// route nor an access point's root directory may be led outside the file system by one.
// Not thread-safe: the simulator serves every request from one strand; host_path() results are
// plain strings the task runner may use on any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api_error.h"

namespace sockerless::awssim {

using EfsTags = std::vector<std::pair<std::string, std::string>>;  // in insertion order

struct FileSystem {
    std::string id;
    std::string arn;
    std::string creation_token;
    double creation_time = 0;  // seconds since the epoch
    std::string performance_mode = "generalPurpose";
    std::string throughput_mode = "bursting";
    std::optional<double> provisioned_throughput_mibps;
    bool encrypted = false;
    std::optional<std::string> kms_key_id;
    std::optional<std::string> availability_zone_name;
    EfsTags tags;
};

struct PosixUser {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::vector<std::uint32_t> secondary_gids;
};

struct CreationInfo {
    std::uint32_t owner_uid = 0;
    std::uint32_t owner_gid = 0;
    std::string permissions;  // octal, "755" or "0755"
};

struct AccessPoint {
    std::string id;
    std::string arn;
    std::string client_token;
    std::string file_system_id;
    std::optional<PosixUser> posix_user;
    std::string root_path = "/";
    std::optional<CreationInfo> creation_info;
    EfsTags tags;
};

// "fs-..." or a file system ARN -> "fs-..."; likewise for access points. Anything else is
// returned unchanged (and then found by nobody).
std::string efs_resource_id(std::string_view id_or_arn);

// Splits a relative path inside a file system into components, refusing empty paths and "." or
// ".." components (BadRequest).
ApiResult<std::vector<std::string>> efs_path_components(std::string_view path);

class EfsState {
public:
    // `root_dir` empty: metadata only, nothing on disk (unit tests of the pure service).
    EfsState(std::string root_dir, std::string region);

    [[nodiscard]] const std::string& root_dir() const { return root_dir_; }
    [[nodiscard]] const std::vector<FileSystem>& file_systems() const { return file_systems_; }
    [[nodiscard]] const std::vector<AccessPoint>& access_points() const { return access_points_; }
    // Problems met loading saved metadata at construction ("" when none).
    [[nodiscard]] const std::string& load_error() const { return load_error_; }

    FileSystem* find_file_system(std::string_view id);
    FileSystem* find_by_creation_token(std::string_view token);
    AccessPoint* find_access_point(std::string_view id);
    AccessPoint* find_by_client_token(std::string_view token);

    // Assigns id and ARN, creates the directory, saves. `fs` carries everything else.
    ApiResult<FileSystem> create_file_system(FileSystem fs);
    // FileSystemNotFound; FileSystemInUse while access points exist. Removes the directory.
    ApiResult<void> delete_file_system(std::string_view id);

    // Assigns id and ARN and creates the root directory when it is missing and CreationInfo says
    // how: owner and permissions applied when running as root, permissions only otherwise.
    ApiResult<AccessPoint> create_access_point(AccessPoint ap);
    ApiResult<void> delete_access_point(std::string_view id);

    // Replaces the tags of a file system or access point (by id); false when there is none.
    bool set_tags(std::string_view id, EfsTags tags);

    // The host directory a task's EFS volume maps to: the access point's root directory inside
    // the file system, or the file system's root when access_point_id is empty. Errors:
    // FileSystemNotFound, AccessPointNotFound, BadRequest (access point of another file
    // system), ResourceInitializationError (the directory is missing or reached through a link).
    [[nodiscard]] ApiResult<std::string> host_path(std::string_view fs_id,
                                                   std::string_view access_point_id) const;

    // Writes `content` as the file at `path` inside the file system (parents created 0755),
    // atomically (a temporary file renamed into place, so a running binary is replaced, not
    // rewritten), with `mode`.
    ApiResult<void> put_file(std::string_view fs_id, std::string_view path,
                             std::string_view content, std::uint32_t mode);
    [[nodiscard]] ApiResult<std::string> read_file(std::string_view fs_id,
                                                   std::string_view path) const;

private:
    [[nodiscard]] std::string fs_dir(std::string_view fs_id) const;
    void load();
    void save();

    std::string root_dir_;
    std::string region_;
    std::vector<FileSystem> file_systems_;
    std::vector<AccessPoint> access_points_;
    std::string load_error_;
};

}  // namespace sockerless::awssim
