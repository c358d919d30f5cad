#pragma once
// Amazon EFS (REST-JSON, API 2015-02-01): the file system holding the agent binary and the
// read-only access points tasks mount it through. Describe calls follow their markers and return
// every match.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "aws/client.h"
#include "base/error.h"

namespace sockerless::aws {

ServiceId efs_service_id();

struct FileSystem {
    std::string file_system_id;
    std::string file_system_arn;
    std::string name;
    std::string life_cycle_state;  // "available", "creating", ...
    std::string owner_id;
    std::vector<NameValue> tags;
};

struct PosixUser {
    std::int64_t uid = 0;
    std::int64_t gid = 0;
    std::vector<std::int64_t> secondary_gids;
};

struct AccessPointRoot {
    std::string path = "/";
    // Set to have EFS create the directory when it does not exist.
    std::optional<std::int64_t> owner_uid;
    std::optional<std::int64_t> owner_gid;
    std::string permissions;  // octal, e.g. "0755"
};

struct CreateAccessPointRequest {
    std::string client_token;  // idempotency, up to 64 characters; "" picks a random one
    std::string file_system_id;
    std::optional<PosixUser> posix_user;
    AccessPointRoot root_directory;
    std::vector<NameValue> tags;
};

struct AccessPoint {
    std::string access_point_id;
    std::string access_point_arn;
    std::string file_system_id;
    std::string name;
    std::string life_cycle_state;
    std::string root_path;
    std::optional<PosixUser> posix_user;
    std::vector<NameValue> tags;
};

// ---- Pure request building and response parsing (unit-tested) ----------------------------------

boost::json::object create_access_point_input(const CreateAccessPointRequest& request);
FileSystem parse_file_system(const boost::json::object& fs);
AccessPoint parse_access_point(const boost::json::object& ap);

// ---- The client
// -----------------------------------------------------------------------------------

class EfsClient {
public:
    // `client` must be set up for efs_service_id() and outlive this object.
    explicit EfsClient(AwsClient& client) : client_(client) {}

    // One file system by id (Errc::not_found when absent), or every one for "".
    boost::asio::awaitable<Result<std::vector<FileSystem>>> describe_file_systems(
        std::string file_system_id = "");
    boost::asio::awaitable<Result<AccessPoint>> create_access_point(
        CreateAccessPointRequest request);
    // Exactly one of the two is set: an access point, or every access point of a file system.
    boost::asio::awaitable<Result<std::vector<AccessPoint>>> describe_access_points(
        std::string access_point_id, std::string file_system_id);
    boost::asio::awaitable<Status> delete_access_point(std::string access_point_id);

private:
    AwsClient& client_;
};

}  // namespace sockerless::aws
