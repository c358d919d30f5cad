#pragma once
// Amazon ECS (JSON 1.1, target prefix AmazonEC2ContainerServiceV20141113): the calls the ECS
// backend makes. Task definitions and overrides are large and only ever built by the backend, so
// they travel as JSON objects; what the backend reads back is typed.
//
// DescribeTasks is batched (ECS takes at most 100 tasks per call) and ListTasks follows nextToken;
// both return everything in one result.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "aws/client.h"
#include "base/error.h"

namespace sockerless::aws {

inline constexpr std::string_view kEcsTargetPrefix = "AmazonEC2ContainerServiceV20141113";
inline constexpr std::size_t kDescribeTasksBatch = 100;

ServiceId ecs_service_id();

struct EcsFailure {
    std::string arn;
    std::string reason;  // e.g. "MISSING"
    std::string detail;
};

struct EcsContainer {
    std::string name;
    std::string container_arn;
    std::string image;
    std::string last_status;
    std::optional<int> exit_code;
    std::string reason;
};

struct EcsAttachment {
    std::string id;
    std::string type;  // "ElasticNetworkInterface"
    std::string status;
    std::vector<NameValue> details;  // name/value, e.g. "privateIPv4Address"

    // The detail's value; "" when absent.
    [[nodiscard]] std::string_view detail(std::string_view name) const;
};

// One entry of a task's overrides.containerOverrides. The environment may hold secrets given at
// RunTask: never log it.
struct EcsContainerOverride {
    std::string name;
    std::vector<std::string> command;
    std::vector<NameValue> environment;  // name/value, in the order RunTask gave them
};

struct EcsTask {
    std::string task_arn;
    std::string cluster_arn;
    std::string task_definition_arn;
    std::string last_status;
    std::string desired_status;
    std::string stop_code;
    std::string stopped_reason;
    std::string started_by;
    std::string group;
    std::vector<EcsContainer> containers;
    std::vector<EcsAttachment> attachments;
    std::vector<EcsContainerOverride> container_overrides;
    std::vector<NameValue> tags;
    std::optional<SystemClock::time_point> created_at;
    std::optional<SystemClock::time_point> started_at;
    std::optional<SystemClock::time_point> stopping_at;
    std::optional<SystemClock::time_point> stopped_at;
};

struct EcsTasksResult {
    std::vector<EcsTask> tasks;
    std::vector<EcsFailure> failures;
};

struct EcsTaskDefinition {
    std::string task_definition_arn;
    std::string family;
    int revision = 0;
    std::string status;  // "ACTIVE", "INACTIVE"
    std::vector<NameValue> tags;
    boost::json::object raw;  // the whole taskDefinition object, for shape comparisons
};

struct EcsCluster {
    std::string cluster_arn;
    std::string cluster_name;
    std::string status;  // "ACTIVE", "PROVISIONING", "INACTIVE", ...
    int running_tasks_count = 0;
    int pending_tasks_count = 0;
};

struct EcsClustersResult {
    std::vector<EcsCluster> clusters;
    std::vector<EcsFailure> failures;
};

struct RunTaskRequest {
    std::string cluster;
    std::string task_definition;  // family, family:revision or ARN
    int count = 1;
    std::string launch_type = "FARGATE";
    std::string platform_version;  // "" leaves ECS's default
    std::vector<std::string> subnets;
    std::vector<std::string> security_groups;
    bool assign_public_ip = false;
    boost::json::object overrides;  // sent as is; empty means none
    std::vector<NameValue> tags;
    std::string started_by;
    std::string group;
    bool enable_ecs_managed_tags = false;
    std::string propagate_tags;  // "" or "TASK_DEFINITION"
    // Idempotency: a retried RunTask with the same token starts no second task (up to 64 chars).
    std::string client_token;
};

struct ListTasksRequest {
    std::string cluster;
    std::string family;
    std::string started_by;
    std::string desired_status;  // "RUNNING", "PENDING", "STOPPED" or "" for ECS's default
    int page_size = 0;           // maxResults per call; 0 leaves ECS's default (100)
};

// ---- Pure request building and response parsing (unit-tested) ----------------------------------

boost::json::object run_task_input(const RunTaskRequest& request);
boost::json::object list_tasks_input(const ListTasksRequest& request, std::string_view next_token);
// The DescribeTasks inputs for `tasks`, at most kDescribeTasksBatch each; include: ["TAGS"].
std::vector<boost::json::object> describe_tasks_inputs(std::string_view cluster,
                                                       const std::vector<std::string>& tasks);

EcsTask parse_task(const boost::json::object& task);
EcsTasksResult parse_tasks_result(const boost::json::object& output);
EcsTaskDefinition parse_task_definition(const boost::json::object& output);
EcsCluster parse_cluster(const boost::json::object& cluster);

// ---- The client
// -----------------------------------------------------------------------------------

class EcsClient {
public:
    // `client` must be set up for ecs_service_id() and outlive this object.
    explicit EcsClient(AwsClient& client) : client_(client) {}

    // `input` is RegisterTaskDefinition's whole request (family, containerDefinitions, ...).
    boost::asio::awaitable<Result<EcsTaskDefinition>> register_task_definition(
        boost::json::object input);
    boost::asio::awaitable<Result<EcsTaskDefinition>> deregister_task_definition(
        std::string task_definition);
    // With the definition's tags.
    boost::asio::awaitable<Result<EcsTaskDefinition>> describe_task_definition(
        std::string task_definition);

    // ECS reports per-task placement problems in failures[], not as an error.
    boost::asio::awaitable<Result<EcsTasksResult>> run_task(RunTaskRequest request);
    // Any number of tasks (ARNs or ids), in batches of kDescribeTasksBatch; with their tags.
    boost::asio::awaitable<Result<EcsTasksResult>> describe_tasks(std::string cluster,
                                                                  std::vector<std::string> tasks);
    // Every matching task ARN, following nextToken.
    boost::asio::awaitable<Result<std::vector<std::string>>> list_tasks(ListTasksRequest request);
    boost::asio::awaitable<Result<EcsTask>> stop_task(std::string cluster, std::string task,
                                                      std::string reason);
    boost::asio::awaitable<Status> tag_resource(std::string resource_arn,
                                                std::vector<NameValue> tags);

    boost::asio::awaitable<Result<EcsCluster>> create_cluster(std::string cluster_name,
                                                              std::vector<NameValue> tags = {});
    boost::asio::awaitable<Result<EcsClustersResult>> describe_clusters(
        std::vector<std::string> clusters);

private:
    boost::asio::awaitable<Result<boost::json::object>> call(std::string operation,
                                                             boost::json::object input);

    AwsClient& client_;
};

}  // namespace sockerless::aws
