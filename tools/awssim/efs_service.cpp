#include "efs_service.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "account.h"
#include "ec2_state.h"
#include "json_protocol.h"
#include "query_protocol.h"

namespace sockerless::awssim {
namespace http = boost::beast::http;
namespace json = boost::json;
namespace {

constexpr std::string_view kPrefix = "/2015-02-01/";
constexpr std::string_view kJsonContentType = "application/json";
constexpr std::size_t kMaxTags = 50;
constexpr std::size_t kMaxAccessPointsPerFileSystem = 10000;
constexpr long kDefaultPageSize = 100;
constexpr std::uint64_t kMaxPosixId = 4294967295ULL;
constexpr std::size_t kMaxRootPathLength = 100;
constexpr std::size_t kMaxRootPathComponents = 4;

using QueryPairs = std::vector<std::pair<std::string, std::string>>;

ApiError bad_request(std::string message) {
    return ApiError{400, "BadRequest", std::move(message)};
}

// AWS's wording for a constraint a request member breaks.
ApiError validation(std::string_view value, std::string_view member, std::string_view constraint) {
    return bad_request("1 validation error detected: Value '" + std::string(value) + "' at '" +
                       std::string(member) +
                       "' failed to satisfy constraint: " + std::string(constraint));
}

ApiError missing(std::string_view member) {
    return bad_request("1 validation error detected: Value null at '" + std::string(member) +
                       "' failed to satisfy constraint: Member must not be null");
}

// Percent-decoding without form encoding's '+' (path segments and file names).
std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto hex = [](char c) {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// Every name=value of a query string in order, repeats kept (UntagResource's tagKeys).
QueryPairs query_pairs(std::string_view query) {
    QueryPairs out;
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view item = query.substr(0, amp);
        if (!item.empty()) {
            std::size_t eq = item.find('=');
            out.emplace_back(form_decode(item.substr(0, eq)),
                             eq == std::string_view::npos ? "" : form_decode(item.substr(eq + 1)));
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return out;
}

std::optional<std::string> query_value(const QueryPairs& q, std::string_view name) {
    for (const auto& [k, v] : q) {
        if (k == name) return v;
    }
    return std::nullopt;
}

ApiResult<long> page_size(const QueryPairs& q, std::string_view name) {
    auto v = query_value(q, name);
    if (!v) return ApiResult<long>(boost::system::in_place_value, kDefaultPageSize);
    long n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || end != v->data() + v->size() || n < 1)
        return validation(*v, name, "Member must have value greater than or equal to 1");
    return ApiResult<long>(boost::system::in_place_value, n);
}

// A page of `total` items starting after the item whose id is `marker` (absent: the first).
template <class T>
ApiResult<std::pair<std::size_t, std::size_t>> page_of(const std::vector<const T*>& items,
                                                       const std::optional<std::string>& marker,
                                                       long size) {
    std::size_t begin = 0;
    if (marker) {
        auto it = std::ranges::find_if(items, [&](const T* item) { return item->id == *marker; });
        if (it == items.end()) return bad_request("Invalid pagination token: " + *marker);
        begin = static_cast<std::size_t>(it - items.begin());
    }
    return std::pair{begin, std::min(items.size(), begin + static_cast<std::size_t>(size))};
}

ApiResult<std::optional<bool>> opt_bool(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return std::optional<bool>{};
    if (!v->is_bool()) return bad_request("Unexpected value for field '" + std::string(key) + "'");
    return std::optional<bool>(v->as_bool());
}

ApiResult<std::uint32_t> posix_id(const json::object& o, std::string_view key,
                                  std::string_view member) {
    auto v = opt_int(o, key);
    if (!v) return bad_request(v.error().message);
    if (!*v) return missing(member);
    if (**v < 0 || static_cast<std::uint64_t>(**v) > kMaxPosixId)
        return validation(std::to_string(**v), member,
                          "Member must have value less than or equal to 4294967295");
    return ApiResult<std::uint32_t>(boost::system::in_place_value, static_cast<std::uint32_t>(**v));
}

ApiResult<EfsTags> parse_tags(const json::object& in, std::string_view member) {
    auto list = opt_objects(in, "Tags");
    if (!list) return bad_request(list.error().message);
    EfsTags out;
    if (!*list) return out;
    if ((*list)->size() > kMaxTags)
        return validation("[...]", member, "Member must have length less than or equal to 50");
    for (const auto& item : **list) {
        auto key = opt_string(item.as_object(), "Key");
        auto value = opt_string(item.as_object(), "Value");
        if (!key || !value) return bad_request("Tag keys and values must be strings.");
        if (!*key) return missing(std::string(member) + ".member.key");
        if (!*value) return missing(std::string(member) + ".member.value");
        if ((*key)->empty() || (*key)->size() > 128)
            return validation(**key, std::string(member) + ".member.key",
                              "Member must have length between 1 and 128");
        if ((*value)->size() > 256)
            return validation(**value, std::string(member) + ".member.value",
                              "Member must have length less than or equal to 256");
        std::string prefix = (*key)->substr(0, 4);
        std::ranges::transform(prefix, prefix.begin(),
                               [](unsigned char c) { return std::tolower(c); });
        if (prefix == "aws:") return bad_request("Tag keys with the prefix 'aws:' are reserved.");
        auto same = std::ranges::find(out, **key, &std::pair<std::string, std::string>::first);
        if (same != out.end())
            same->second = **value;
        else
            out.emplace_back(**key, **value);
    }
    return out;
}

json::array tags_json(const EfsTags& tags) {
    json::array out;
    for (const auto& [k, v] : tags)
        out.push_back(json::object{{"Key", k}, {"Value", v}});
    return out;
}

std::optional<std::string> name_tag(const EfsTags& tags) {
    auto it = std::ranges::find(tags, "Name", &std::pair<std::string, std::string>::first);
    if (it == tags.end()) return std::nullopt;
    return it->second;
}

// RootDirectory.Path: "/" or up to four components, none starting with '.', none holding a
// character the model's pattern excludes.
bool valid_root_path(std::string_view path) {
    if (path == "/") return true;
    if (path.empty() || path.size() > kMaxRootPathLength || path.front() != '/') return false;
    constexpr std::string_view kForbidden = "$#<>;`|&?{}^*\n";
    std::size_t count = 0;
    path.remove_prefix(1);
    while (true) {
        std::size_t slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        if (part.empty() || part.front() == '.' ||
            part.find_first_of(kForbidden) != std::string_view::npos)
            return false;
        ++count;
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return count <= kMaxRootPathComponents;
}

bool valid_permissions(std::string_view p) {
    return (p.size() == 3 || p.size() == 4) &&
           std::ranges::all_of(p, [](char c) { return c >= '0' && c <= '7'; });
}

EfsReply conflict(std::string_view code, std::string message, std::string_view id_member,
                  const std::string& id) {
    return EfsReply{409, json::object{{"ErrorCode", code}, {"Message", message}, {id_member, id}},
                    std::string(code)};
}

struct Route {
    std::string collection;  // "file-systems", "access-points", "resource-tags"
    std::string id;          // decoded path parameter, "" for the collection itself
    bool valid = false;
};

Route parse_route(std::string_view path) {
    Route route;
    if (!path.starts_with(kPrefix)) return route;
    path.remove_prefix(kPrefix.size());
    std::size_t slash = path.find('/');
    route.collection = std::string(path.substr(0, slash));
    if (slash != std::string_view::npos) {
        std::string_view id = path.substr(slash + 1);
        if (id.empty() || id.find('/') != std::string_view::npos) return route;
        route.id = percent_decode(id);
    }
    route.valid = route.collection == "file-systems" || route.collection == "access-points" ||
                  route.collection == "resource-tags";
    if (route.collection == "resource-tags" && route.id.empty()) route.valid = false;
    return route;
}

std::string operation_name(http::verb method, const Route& route) {
    if (!route.valid) return "";
    bool with_id = !route.id.empty();
    if (route.collection == "file-systems") {
        if (method == http::verb::post && !with_id) return "CreateFileSystem";
        if (method == http::verb::get && !with_id) return "DescribeFileSystems";
        if (method == http::verb::delete_ && with_id) return "DeleteFileSystem";
    } else if (route.collection == "access-points") {
        if (method == http::verb::post && !with_id) return "CreateAccessPoint";
        if (method == http::verb::get && !with_id) return "DescribeAccessPoints";
        if (method == http::verb::delete_ && with_id) return "DeleteAccessPoint";
    } else {
        if (method == http::verb::post) return "TagResource";
        if (method == http::verb::get) return "ListTagsForResource";
        if (method == http::verb::delete_) return "UntagResource";
    }
    return "";
}

Response admin_json(const Request& request, int status, const json::object& body) {
    return make_response(request, status, kJsonContentType, json::serialize(body));
}

}  // namespace

std::string EfsService::operation(const Request& request) const {
    std::string_view target = request.target();
    return operation_name(request.method(), parse_route(target.substr(0, target.find('?'))));
}

Response EfsService::handle(const Call& call) {
    const auto& request = call.request;
    auto reply = this->call(request.method_string(), request.target(), request.body());
    if (!reply) return error(request, reply.error(), call.request_id);
    Response res = reply->body ? make_response(request, reply->status, kJsonContentType,
                                               json::serialize(*reply->body))
                               : make_response(request, reply->status, "", "");
    res.set("x-amzn-RequestId", call.request_id);
    if (!reply->error_code.empty()) res.set("x-amzn-ErrorType", reply->error_code);
    return res;
}

Response EfsService::error(const Request& request, const ApiError& error,
                           std::string_view request_id) const {
    json::object body{{"ErrorCode", error.code}, {"Message", error.message}};
    auto res = make_response(request, error.status, kJsonContentType, json::serialize(body));
    res.set("x-amzn-RequestId", request_id);
    res.set("x-amzn-ErrorType", error.code);
    return res;
}

ApiResult<EfsReply> EfsService::call(std::string_view method, std::string_view target,
                                     std::string_view body) {
    std::size_t q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
    Route route = parse_route(path);
    std::string op = operation_name(http::string_to_verb(method), route);
    if (op.empty()) {
        return ApiError{404, "UnknownOperationException",
                        "No EFS operation " + std::string(method) + " " + std::string(path)};
    }
    json::object input;
    if (method == "POST") {
        auto parsed = parse_request_body(body);
        if (!parsed) return bad_request(parsed.error().message);
        input = std::move(*parsed);
    }
    if (op == "CreateFileSystem") return create_file_system(input);
    if (op == "DescribeFileSystems") return describe_file_systems(query);
    if (op == "DeleteFileSystem") return delete_file_system(efs_resource_id(route.id));
    if (op == "CreateAccessPoint") return create_access_point(input);
    if (op == "DescribeAccessPoints") return describe_access_points(query);
    if (op == "DeleteAccessPoint") return delete_access_point(efs_resource_id(route.id));
    if (op == "TagResource") return tag_resource(efs_resource_id(route.id), input);
    if (op == "UntagResource") return untag_resource(efs_resource_id(route.id), query);
    return list_tags_for_resource(efs_resource_id(route.id), query);
}

json::object EfsService::file_system_json(const FileSystem& fs) const {
    json::object out{
        {"OwnerId", kAccountId},
        {"CreationToken", fs.creation_token},
        {"FileSystemId", fs.id},
        {"FileSystemArn", fs.arn},
        {"CreationTime", fs.creation_time},
        {"LifeCycleState", "available"},
        {"NumberOfMountTargets", 0},
        {"SizeInBytes",
         json::object{
             {"Value", 6144}, {"ValueInIA", 0}, {"ValueInStandard", 6144}, {"ValueInArchive", 0}}},
        {"PerformanceMode", fs.performance_mode},
        {"Encrypted", fs.encrypted},
        {"ThroughputMode", fs.throughput_mode},
        {"Tags", tags_json(fs.tags)},
        {"FileSystemProtection", json::object{{"ReplicationOverwriteProtection", "ENABLED"}}},
    };
    if (auto name = name_tag(fs.tags)) out["Name"] = *name;
    if (fs.kms_key_id) out["KmsKeyId"] = *fs.kms_key_id;
    if (fs.provisioned_throughput_mibps)
        out["ProvisionedThroughputInMibps"] = *fs.provisioned_throughput_mibps;
    if (fs.availability_zone_name) {
        out["AvailabilityZoneName"] = *fs.availability_zone_name;
        for (const auto& zone : region_zones(region_)) {
            if (zone.name == *fs.availability_zone_name) out["AvailabilityZoneId"] = zone.zone_id;
        }
    }
    return out;
}

json::object EfsService::access_point_json(const AccessPoint& ap) {
    json::object root{{"Path", ap.root_path}};
    if (ap.creation_info) {
        root["CreationInfo"] = json::object{{"OwnerUid", ap.creation_info->owner_uid},
                                            {"OwnerGid", ap.creation_info->owner_gid},
                                            {"Permissions", ap.creation_info->permissions}};
    }
    json::object out{
        {"ClientToken", ap.client_token},
        {"Tags", tags_json(ap.tags)},
        {"AccessPointId", ap.id},
        {"AccessPointArn", ap.arn},
        {"FileSystemId", ap.file_system_id},
        {"RootDirectory", std::move(root)},
        {"OwnerId", kAccountId},
        {"LifeCycleState", "available"},
    };
    if (auto name = name_tag(ap.tags)) out["Name"] = *name;
    if (ap.posix_user) {
        json::array gids;
        for (auto g : ap.posix_user->secondary_gids)
            gids.push_back(g);
        json::object user{{"Uid", ap.posix_user->uid}, {"Gid", ap.posix_user->gid}};
        if (!gids.empty()) user["SecondaryGids"] = std::move(gids);
        out["PosixUser"] = std::move(user);
    }
    return out;
}

ApiResult<EfsReply> EfsService::create_file_system(const json::object& in) {
    auto token = opt_string(in, "CreationToken");
    if (!token) return bad_request(token.error().message);
    if (!*token) return missing("creationToken");
    if ((*token)->empty() || (*token)->size() > 64)
        return validation(**token, "creationToken", "Member must have length between 1 and 64");
    if (FileSystem* existing = state_.find_by_creation_token(**token)) {
        return conflict("FileSystemAlreadyExists",
                        "File system '" + existing->id + "' already exists with creation token '" +
                            **token + "'",
                        "FileSystemId", existing->id);
    }
    FileSystem fs;
    fs.creation_token = **token;
    auto performance = opt_string(in, "PerformanceMode");
    auto throughput = opt_string(in, "ThroughputMode");
    auto kms = opt_string(in, "KmsKeyId");
    auto zone = opt_string(in, "AvailabilityZoneName");
    auto encrypted = opt_bool(in, "Encrypted");
    if (!performance || !throughput || !kms || !zone)
        return bad_request("Unexpected value in the request body.");
    if (!encrypted) return encrypted.error();
    fs.performance_mode = performance->value_or("generalPurpose");
    if (fs.performance_mode != "generalPurpose" && fs.performance_mode != "maxIO")
        return validation(fs.performance_mode, "performanceMode",
                          "Member must satisfy enum value set: [generalPurpose, maxIO]");
    fs.throughput_mode = throughput->value_or("bursting");
    if (fs.throughput_mode != "bursting" && fs.throughput_mode != "provisioned" &&
        fs.throughput_mode != "elastic")
        return validation(fs.throughput_mode, "throughputMode",
                          "Member must satisfy enum value set: [bursting, provisioned, elastic]");
    if (const auto* p = in.if_contains("ProvisionedThroughputInMibps"); p && !p->is_null()) {
        if (!p->is_number()) return bad_request("ProvisionedThroughputInMibps must be a number.");
        fs.provisioned_throughput_mibps = p->to_number<double>();
    }
    if (fs.throughput_mode == "provisioned" && !fs.provisioned_throughput_mibps)
        return bad_request(
            "ProvisionedThroughputInMibps is required when ThroughputMode is "
            "provisioned.");
    if (fs.throughput_mode != "provisioned" && fs.provisioned_throughput_mibps)
        return bad_request(
            "ProvisionedThroughputInMibps can only be set when ThroughputMode is "
            "provisioned.");
    if (fs.provisioned_throughput_mibps && *fs.provisioned_throughput_mibps < 1.0)
        return validation(std::to_string(*fs.provisioned_throughput_mibps),
                          "provisionedThroughputInMibps",
                          "Member must have value greater than or equal to 1.0");
    fs.encrypted = encrypted->value_or(false);
    fs.kms_key_id = *kms;
    if (fs.kms_key_id && !fs.encrypted)
        return bad_request("Encrypted must be true when a KmsKeyId is specified.");
    if (*zone) {
        auto zones = region_zones(region_);
        if (std::ranges::find(zones, **zone, &AvailabilityZone::name) == zones.end()) {
            return ApiError{400, "UnsupportedAvailabilityZone",
                            "Availability zone '" + **zone + "' is not supported."};
        }
        fs.availability_zone_name = *zone;
    }
    auto tags = parse_tags(in, "tags");
    if (!tags) return tags.error();
    fs.tags = std::move(*tags);
    fs.creation_time = static_cast<double>(
        std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count());
    auto created = state_.create_file_system(std::move(fs));
    if (!created) return created.error();
    return EfsReply{201, file_system_json(*created), ""};
}

ApiResult<EfsReply> EfsService::describe_file_systems(std::string_view query) {
    QueryPairs q = query_pairs(query);
    auto size = page_size(q, "MaxItems");
    if (!size) return size.error();
    auto id = query_value(q, "FileSystemId");
    auto token = query_value(q, "CreationToken");
    auto marker = query_value(q, "Marker");
    std::vector<const FileSystem*> chosen;
    if (id) {
        const FileSystem* fs = state_.find_file_system(efs_resource_id(*id));
        if (!fs) {
            return ApiError{404, "FileSystemNotFound",
                            "File system '" + efs_resource_id(*id) + "' does not exist."};
        }
        chosen.push_back(fs);
    } else {
        for (const auto& fs : state_.file_systems())
            chosen.push_back(&fs);
    }
    if (token)
        std::erase_if(chosen, [&](const FileSystem* fs) { return fs->creation_token != *token; });
    auto page = page_of(chosen, marker, *size);
    if (!page) return page.error();
    json::array list;
    for (std::size_t i = page->first; i < page->second; ++i)
        list.push_back(file_system_json(*chosen[i]));
    json::object out{{"FileSystems", std::move(list)}};
    if (marker) out["Marker"] = *marker;
    if (page->second < chosen.size()) out["NextMarker"] = chosen[page->second]->id;
    return EfsReply{200, std::move(out), ""};
}

ApiResult<EfsReply> EfsService::delete_file_system(const std::string& id) {
    auto deleted = state_.delete_file_system(id);
    if (!deleted) return deleted.error();
    return EfsReply{204, std::nullopt, ""};
}

ApiResult<EfsReply> EfsService::create_access_point(const json::object& in) {
    auto token = opt_string(in, "ClientToken");
    auto fs_id = opt_string(in, "FileSystemId");
    if (!token || !fs_id) return bad_request("Unexpected value in the request body.");
    if (!*token) return missing("clientToken");
    if (!*fs_id) return missing("fileSystemId");
    if ((*token)->empty() || (*token)->size() > 64)
        return validation(**token, "clientToken", "Member must have length between 1 and 64");
    if (AccessPoint* existing = state_.find_by_client_token(**token)) {
        return conflict("AccessPointAlreadyExists",
                        "Access point '" + existing->id + "' already exists with client token '" +
                            **token + "'",
                        "AccessPointId", existing->id);
    }
    AccessPoint ap;
    ap.client_token = **token;
    ap.file_system_id = efs_resource_id(**fs_id);
    if (!state_.find_file_system(ap.file_system_id)) {
        return ApiError{404, "FileSystemNotFound",
                        "File system '" + ap.file_system_id + "' does not exist."};
    }
    std::size_t existing = static_cast<std::size_t>(std::ranges::count(
        state_.access_points(), ap.file_system_id, &AccessPoint::file_system_id));
    if (existing >= kMaxAccessPointsPerFileSystem) {
        return ApiError{403, "AccessPointLimitExceeded",
                        "You have reached the maximum number of access points for file system '" +
                            ap.file_system_id + "'."};
    }
    if (const auto* user = in.if_contains("PosixUser"); user && !user->is_null()) {
        if (!user->is_object()) return bad_request("PosixUser must be a structure.");
        const auto& u = user->as_object();
        auto uid = posix_id(u, "Uid", "posixUser.uid");
        if (!uid) return uid.error();
        auto gid = posix_id(u, "Gid", "posixUser.gid");
        if (!gid) return gid.error();
        PosixUser posix{*uid, *gid, {}};
        if (const auto* gids = u.if_contains("SecondaryGids"); gids && !gids->is_null()) {
            if (!gids->is_array() || gids->as_array().size() > 16)
                return validation("[...]", "posixUser.secondaryGids",
                                  "Member must have length less than or equal to 16");
            for (const auto& g : gids->as_array()) {
                if (!g.is_int64() || g.as_int64() < 0 ||
                    static_cast<std::uint64_t>(g.as_int64()) > kMaxPosixId)
                    return bad_request("SecondaryGids must be integers from 0 to 4294967295.");
                posix.secondary_gids.push_back(static_cast<std::uint32_t>(g.as_int64()));
            }
        }
        ap.posix_user = posix;
    }
    if (const auto* root = in.if_contains("RootDirectory"); root && !root->is_null()) {
        if (!root->is_object()) return bad_request("RootDirectory must be a structure.");
        const auto& r = root->as_object();
        auto path = opt_string(r, "Path");
        if (!path) return bad_request(path.error().message);
        ap.root_path = path->value_or("/");
        if (!valid_root_path(ap.root_path))
            return validation(ap.root_path, "rootDirectory.path",
                              "Member must satisfy regular expression pattern: "
                              "^(\\/|(\\/(?!\\.)+[^$#<>;`|&?{}^*/\\n]+){1,4})$");
        if (const auto* info = r.if_contains("CreationInfo"); info && !info->is_null()) {
            if (!info->is_object()) return bad_request("CreationInfo must be a structure.");
            const auto& ci = info->as_object();
            auto owner_uid = posix_id(ci, "OwnerUid", "rootDirectory.creationInfo.ownerUid");
            if (!owner_uid) return owner_uid.error();
            auto owner_gid = posix_id(ci, "OwnerGid", "rootDirectory.creationInfo.ownerGid");
            if (!owner_gid) return owner_gid.error();
            auto permissions = opt_string(ci, "Permissions");
            if (!permissions) return bad_request(permissions.error().message);
            if (!*permissions) return missing("rootDirectory.creationInfo.permissions");
            if (!valid_permissions(**permissions))
                return validation(**permissions, "rootDirectory.creationInfo.permissions",
                                  "Member must satisfy regular expression pattern: ^[0-7]{3,4}$");
            ap.creation_info = CreationInfo{*owner_uid, *owner_gid, **permissions};
        }
    }
    auto tags = parse_tags(in, "tags");
    if (!tags) return tags.error();
    ap.tags = std::move(*tags);
    auto created = state_.create_access_point(std::move(ap));
    if (!created) return created.error();
    return EfsReply{200, access_point_json(*created), ""};
}

ApiResult<EfsReply> EfsService::describe_access_points(std::string_view query) {
    QueryPairs q = query_pairs(query);
    auto size = page_size(q, "MaxResults");
    if (!size) return size.error();
    auto ap_id = query_value(q, "AccessPointId");
    auto fs_id = query_value(q, "FileSystemId");
    auto next = query_value(q, "NextToken");
    if (ap_id && fs_id)
        return bad_request("You can specify either an AccessPointId or a FileSystemId, not both.");
    std::vector<const AccessPoint*> chosen;
    if (ap_id) {
        const AccessPoint* ap = state_.find_access_point(efs_resource_id(*ap_id));
        if (!ap) {
            return ApiError{404, "AccessPointNotFound",
                            "Access point '" + efs_resource_id(*ap_id) + "' does not exist."};
        }
        chosen.push_back(ap);
    } else {
        std::string fs = fs_id ? efs_resource_id(*fs_id) : "";
        if (fs_id && !state_.find_file_system(fs)) {
            return ApiError{404, "FileSystemNotFound", "File system '" + fs + "' does not exist."};
        }
        for (const auto& ap : state_.access_points()) {
            if (!fs_id || ap.file_system_id == fs) chosen.push_back(&ap);
        }
    }
    auto page = page_of(chosen, next, *size);
    if (!page) return page.error();
    json::array list;
    for (std::size_t i = page->first; i < page->second; ++i)
        list.push_back(access_point_json(*chosen[i]));
    json::object out{{"AccessPoints", std::move(list)}};
    if (page->second < chosen.size()) out["NextToken"] = chosen[page->second]->id;
    return EfsReply{200, std::move(out), ""};
}

ApiResult<EfsReply> EfsService::delete_access_point(const std::string& id) {
    auto deleted = state_.delete_access_point(id);
    if (!deleted) return deleted.error();
    return EfsReply{204, std::nullopt, ""};
}

namespace {

ApiError resource_not_found(const std::string& id) {
    if (id.starts_with("fsap-"))
        return ApiError{404, "AccessPointNotFound", "Access point '" + id + "' does not exist."};
    return ApiError{404, "FileSystemNotFound", "File system '" + id + "' does not exist."};
}

const EfsTags* tags_of(EfsState& state, const std::string& id) {
    if (const FileSystem* fs = state.find_file_system(id)) return &fs->tags;
    if (const AccessPoint* ap = state.find_access_point(id)) return &ap->tags;
    return nullptr;
}

}  // namespace

ApiResult<EfsReply> EfsService::tag_resource(const std::string& id, const json::object& in) {
    const EfsTags* current = tags_of(state_, id);
    if (!current) return resource_not_found(id);
    if (!in.contains("Tags")) return missing("tags");
    auto added = parse_tags(in, "tags");
    if (!added) return added.error();
    EfsTags merged = *current;
    for (const auto& [k, v] : *added) {
        auto it = std::ranges::find(merged, k, &std::pair<std::string, std::string>::first);
        if (it != merged.end())
            it->second = v;
        else
            merged.emplace_back(k, v);
    }
    if (merged.size() > kMaxTags) return bad_request("A resource can have at most 50 tags.");
    state_.set_tags(id, std::move(merged));
    return EfsReply{200, std::nullopt, ""};
}

ApiResult<EfsReply> EfsService::untag_resource(const std::string& id, std::string_view query) {
    const EfsTags* current = tags_of(state_, id);
    if (!current) return resource_not_found(id);
    std::vector<std::string> keys;
    for (auto& [k, v] : query_pairs(query)) {
        if (k == "tagKeys") keys.push_back(std::move(v));
    }
    if (keys.empty()) return missing("tagKeys");
    EfsTags remaining = *current;
    std::erase_if(remaining, [&](const std::pair<std::string, std::string>& t) {
        return std::ranges::find(keys, t.first) != keys.end();
    });
    state_.set_tags(id, std::move(remaining));
    return EfsReply{200, std::nullopt, ""};
}

ApiResult<EfsReply> EfsService::list_tags_for_resource(const std::string& id,
                                                       std::string_view query) {
    const EfsTags* current = tags_of(state_, id);
    if (!current) return resource_not_found(id);
    QueryPairs q = query_pairs(query);
    auto size = page_size(q, "MaxResults");
    if (!size) return size.error();
    std::size_t begin = 0;
    if (auto token = query_value(q, "NextToken")) {
        std::size_t offset = 0;
        auto [end, ec] = std::from_chars(token->data(), token->data() + token->size(), offset);
        if (ec != std::errc() || end != token->data() + token->size() || offset > current->size())
            return bad_request("Invalid pagination token: " + *token);
        begin = offset;
    }
    std::size_t end = std::min(current->size(), begin + static_cast<std::size_t>(*size));
    json::array list;
    for (std::size_t i = begin; i < end; ++i)
        list.push_back(json::object{{"Key", (*current)[i].first}, {"Value", (*current)[i].second}});
    json::object out{{"Tags", std::move(list)}};
    if (end < current->size()) out["NextToken"] = std::to_string(end);
    return EfsReply{200, std::move(out), ""};
}

Response serve_efs_admin(EfsState& state, const Request& request, std::string_view rest) {
    std::string_view target = request.target();
    std::size_t q = target.find('?');
    QueryPairs query =
        q == std::string_view::npos ? QueryPairs{} : query_pairs(target.substr(q + 1));
    std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
        return admin_json(request, 400,
                          json::object{{"message", "use /_awssim/efs/<file-system-id>/<path>"}});
    }
    std::string fs_id = percent_decode(rest.substr(0, slash));
    std::string path = percent_decode(rest.substr(slash + 1));
    auto fail = [&](const ApiError& e) {
        return admin_json(request, e.status,
                          json::object{{"code", e.code}, {"message", e.message}});
    };
    if (request.method() == http::verb::get) {
        auto content = state.read_file(fs_id, path);
        if (!content) return fail(content.error());
        return make_response(request, 200, "application/octet-stream", std::move(*content));
    }
    if (request.method() != http::verb::put)
        return admin_json(request, 405, json::object{{"message", "use PUT or GET"}});
    std::string mode_text = query_value(query, "mode").value_or("0644");
    unsigned mode = 0;
    auto [end, ec] =
        std::from_chars(mode_text.data(), mode_text.data() + mode_text.size(), mode, 8);
    if (ec != std::errc() || end != mode_text.data() + mode_text.size() || mode > 07777 ||
        mode_text.empty()) {
        return admin_json(request, 400,
                          json::object{{"message", "mode must be octal, e.g. 0755: " + mode_text}});
    }
    auto put = state.put_file(fs_id, path, request.body(), mode);
    if (!put) return fail(put.error());
    return admin_json(request, 200,
                      json::object{{"FileSystemId", fs_id},
                                   {"Path", path},
                                   {"Bytes", request.body().size()},
                                   {"Mode", mode_text}});
}

}  // namespace sockerless::awssim
