#pragma once
// Amazon ECS (JSON 1.1, target prefix AmazonEC2ContainerServiceV20141113): one method per API
// operation, each taking the decoded request object and returning the response object or the
// error AWS would answer. Request and response shapes follow botocore's ecs/2014-11-13 model.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "api_error.h"
#include "ecs_state.h"

namespace sockerless::awssim {

inline constexpr std::string_view kEcsTargetPrefix = "AmazonEC2ContainerServiceV20141113";

// Whoever really runs tasks (the TaskRunner, when the simulator has I/O). Without one, tasks stay
// PROVISIONING until StopTask stops them on the spot.
class TaskLauncher {
public:
    virtual ~TaskLauncher() = default;
    // The task was just stored, PROVISIONING; from now on its lifecycle is the launcher's.
    virtual void launch(const std::string& task_id) = 0;
    // The task's desiredStatus just became STOPPED (request_stop was applied): stop it.
    virtual void stop(const std::string& task_id) = 0;
};

class EcsService {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;
    using Json = boost::json::object;

    EcsService(EcsState& state, Clock clock) : state_(state), clock_(std::move(clock)) {}

    // Not owned; may be null.
    void set_launcher(TaskLauncher* launcher) { launcher_ = launcher; }

    // Dispatches by operation name; request_bytes is the size of the HTTP body (AWS limits some
    // requests by their size). Unknown operations are UnknownOperationException.
    ApiResult<Json> call(std::string_view operation, const Json& input, std::size_t request_bytes);

    ApiResult<Json> create_cluster(const Json& in);
    ApiResult<Json> describe_clusters(const Json& in);
    ApiResult<Json> delete_cluster(const Json& in);
    ApiResult<Json> register_task_definition(const Json& in, std::size_t request_bytes);
    ApiResult<Json> describe_task_definition(const Json& in);
    ApiResult<Json> deregister_task_definition(const Json& in);
    ApiResult<Json> list_task_definitions(const Json& in);
    ApiResult<Json> tag_resource(const Json& in);
    ApiResult<Json> untag_resource(const Json& in);
    ApiResult<Json> list_tags_for_resource(const Json& in);
    ApiResult<Json> run_task(const Json& in);
    ApiResult<Json> describe_tasks(const Json& in);
    ApiResult<Json> list_tasks(const Json& in);
    ApiResult<Json> stop_task(const Json& in);

private:
    double now_seconds() const;
    // Validates request tags (shape and AWS's limits) into a list.
    ApiResult<Tags> parse_tags(const Json& in, std::string_view key) const;
    // Merges `added` into the resource's tags, enforcing the per-resource limit.
    ApiResult<void> apply_tags(const std::string& arn, const Tags& added);
    boost::json::array tags_json(std::string_view arn) const;
    boost::json::object cluster_json(const Cluster& cluster, bool with_tags) const;

    // The active cluster named by the request's "cluster" member (default "default").
    ApiResult<Cluster*> request_cluster(const Json& in);

    EcsState& state_;
    Clock clock_;
    TaskLauncher* launcher_ = nullptr;
};

}  // namespace sockerless::awssim
