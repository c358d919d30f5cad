#pragma once
// Amazon EFS (REST-JSON, API 2015-02-01) over EfsState: CreateFileSystem, DescribeFileSystems,
// DeleteFileSystem, CreateAccessPoint, DescribeAccessPoints, DeleteAccessPoint, TagResource,
// UntagResource and ListTagsForResource. Shapes follow botocore's efs/2015-02-01 model; errors
// are the x-amzn-ErrorType header plus {"ErrorCode", "Message"} (and the id members that
// FileSystemAlreadyExists and AccessPointAlreadyExists carry).
//
// Also the admin route that stages files into a file system without NFS, as an operator does
// once for the agent binary (unsigned, on the simulator's listener):
//   PUT /_awssim/efs/<fs-id>/<path>?mode=0755   body -> the file (parents created, atomically)
//   GET /_awssim/efs/<fs-id>/<path>             the file's bytes

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "efs_state.h"
#include "service.h"

namespace sockerless::awssim {

// What one EFS operation answers: a status and a JSON body (none for 204). An error that carries
// members beyond ErrorCode and Message is answered this way too, with error_code set.
struct EfsReply {
    int status = 200;
    std::optional<boost::json::object> body;
    std::string error_code;
};

class EfsService final : public Service {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    EfsService(EfsState& state, std::string region, Clock clock)
        : state_(state), region_(std::move(region)), clock_(std::move(clock)) {}

    [[nodiscard]] std::string operation(const Request& request) const override;
    Response handle(const Call& call) override;
    [[nodiscard]] Response error(const Request& request, const ApiError& error,
                                 std::string_view request_id) const override;

    // Runs the operation `method` + `target` (path and query) names, with the request body.
    ApiResult<EfsReply> call(std::string_view method, std::string_view target,
                             std::string_view body);

private:
    ApiResult<EfsReply> create_file_system(const boost::json::object& in);
    ApiResult<EfsReply> describe_file_systems(std::string_view query);
    ApiResult<EfsReply> delete_file_system(const std::string& id);
    ApiResult<EfsReply> create_access_point(const boost::json::object& in);
    ApiResult<EfsReply> describe_access_points(std::string_view query);
    ApiResult<EfsReply> delete_access_point(const std::string& id);
    ApiResult<EfsReply> tag_resource(const std::string& id, const boost::json::object& in);
    ApiResult<EfsReply> untag_resource(const std::string& id, std::string_view query);
    ApiResult<EfsReply> list_tags_for_resource(const std::string& id, std::string_view query);

    [[nodiscard]] boost::json::object file_system_json(const FileSystem& fs) const;
    [[nodiscard]] static boost::json::object access_point_json(const AccessPoint& ap);

    EfsState& state_;
    std::string region_;
    Clock clock_;
};

// The admin route's handler; `rest` is the path after "/_awssim/efs/".
Response serve_efs_admin(EfsState& state, const Request& request, std::string_view rest);

}  // namespace sockerless::awssim
