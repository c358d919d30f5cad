#include "aws/efs_client.h"

#include <utility>

#include <boost/json/array.hpp>

#include "aws/json_fields.h"
#include "base/hex.h"

namespace sockerless::aws {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using json_fields::array_of;
using json_fields::int_of;
using json_fields::object_of;
using json_fields::pairs_of;
using json_fields::string_of;

constexpr std::string_view kFileSystemsPath = "/2015-02-01/file-systems";
constexpr std::string_view kAccessPointsPath = "/2015-02-01/access-points";

json::object posix_user_json(const PosixUser& u) {
    json::object o;
    o["Uid"] = u.uid;
    o["Gid"] = u.gid;
    if (!u.secondary_gids.empty()) {
        json::array gids;
        for (std::int64_t g : u.secondary_gids)
            gids.emplace_back(g);
        o["SecondaryGids"] = std::move(gids);
    }
    return o;
}

std::optional<PosixUser> parse_posix_user(const json::object& ap) {
    const json::value* v = ap.if_contains("PosixUser");
    if (v == nullptr || !v->is_object()) return std::nullopt;
    const json::object& u = v->get_object();
    PosixUser out;
    out.uid = int_of(u, "Uid").value_or(0);
    out.gid = int_of(u, "Gid").value_or(0);
    for (const json::value& g : array_of(u, "SecondaryGids")) {
        if (g.is_int64()) out.secondary_gids.push_back(g.get_int64());
    }
    return out;
}

}  // namespace

ServiceId efs_service_id() {
    return ServiceId{"EFS", "elasticfilesystem", "elasticfilesystem"};
}

json::object create_access_point_input(const CreateAccessPointRequest& r) {
    json::object in;
    in["ClientToken"] = r.client_token;
    in["FileSystemId"] = r.file_system_id;
    if (r.posix_user) in["PosixUser"] = posix_user_json(*r.posix_user);
    json::object root;
    root["Path"] = r.root_directory.path;
    if (r.root_directory.owner_uid && r.root_directory.owner_gid) {
        json::object creation;
        creation["OwnerUid"] = *r.root_directory.owner_uid;
        creation["OwnerGid"] = *r.root_directory.owner_gid;
        creation["Permissions"] = r.root_directory.permissions;
        root["CreationInfo"] = std::move(creation);
    }
    in["RootDirectory"] = std::move(root);
    if (!r.tags.empty()) in["Tags"] = json_fields::to_pairs(r.tags, "Key", "Value");
    return in;
}

FileSystem parse_file_system(const json::object& fs) {
    FileSystem out;
    out.file_system_id = string_of(fs, "FileSystemId");
    out.file_system_arn = string_of(fs, "FileSystemArn");
    out.name = string_of(fs, "Name");
    out.life_cycle_state = string_of(fs, "LifeCycleState");
    out.owner_id = string_of(fs, "OwnerId");
    out.tags = pairs_of(fs, "Tags", "Key", "Value");
    return out;
}

AccessPoint parse_access_point(const json::object& ap) {
    AccessPoint out;
    out.access_point_id = string_of(ap, "AccessPointId");
    out.access_point_arn = string_of(ap, "AccessPointArn");
    out.file_system_id = string_of(ap, "FileSystemId");
    out.name = string_of(ap, "Name");
    out.life_cycle_state = string_of(ap, "LifeCycleState");
    out.root_path = string_of(object_of(ap, "RootDirectory"), "Path");
    out.posix_user = parse_posix_user(ap);
    out.tags = pairs_of(ap, "Tags", "Key", "Value");
    return out;
}

asio::awaitable<Result<std::vector<FileSystem>>> EfsClient::describe_file_systems(
    std::string file_system_id) {
    std::vector<FileSystem> all;
    std::string marker;
    do {
        std::vector<NameValue> query;
        if (!file_system_id.empty()) query.emplace_back("FileSystemId", file_system_id);
        if (!marker.empty()) query.emplace_back("Marker", marker);
        Result<json::object> out = co_await client_.call_rest_json(
            "GET", std::string(kFileSystemsPath), std::move(query), nullptr, "DescribeFileSystems");
        if (!out) co_return out.error();
        for (const json::value& fs : array_of(*out, "FileSystems")) {
            if (fs.is_object()) all.push_back(parse_file_system(fs.get_object()));
        }
        marker = string_of(*out, "NextMarker");
    } while (!marker.empty());
    co_return all;
}

asio::awaitable<Result<AccessPoint>> EfsClient::create_access_point(
    CreateAccessPointRequest request) {
    if (request.client_token.empty()) {
        Result<std::string> token = random_hex_token(16);
        if (!token) co_return token.error().wrap("efs CreateAccessPoint: client token");
        request.client_token = std::move(*token);
    }
    Result<json::object> out =
        co_await client_.call_rest_json("POST", std::string(kAccessPointsPath), {},
                                        create_access_point_input(request), "CreateAccessPoint");
    if (!out) co_return out.error();
    co_return parse_access_point(*out);
}

asio::awaitable<Result<std::vector<AccessPoint>>> EfsClient::describe_access_points(
    std::string access_point_id, std::string file_system_id) {
    std::vector<AccessPoint> all;
    std::string token;
    do {
        std::vector<NameValue> query;
        if (!access_point_id.empty()) query.emplace_back("AccessPointId", access_point_id);
        if (!file_system_id.empty()) query.emplace_back("FileSystemId", file_system_id);
        if (!token.empty()) query.emplace_back("NextToken", token);
        Result<json::object> out =
            co_await client_.call_rest_json("GET", std::string(kAccessPointsPath), std::move(query),
                                            nullptr, "DescribeAccessPoints");
        if (!out) co_return out.error();
        for (const json::value& ap : array_of(*out, "AccessPoints")) {
            if (ap.is_object()) all.push_back(parse_access_point(ap.get_object()));
        }
        token = string_of(*out, "NextToken");
    } while (!token.empty());
    co_return all;
}

asio::awaitable<Status> EfsClient::delete_access_point(std::string access_point_id) {
    Result<json::object> out = co_await client_.call_rest_json(
        "DELETE", std::string(kAccessPointsPath) + "/" + access_point_id, {}, nullptr,
        "DeleteAccessPoint");
    if (!out) co_return out.error();
    co_return ok();
}

}  // namespace sockerless::aws
