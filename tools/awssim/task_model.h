#pragma once
// An ECS task as the simulator tracks it, and the pure rules around it: the order of task
// statuses, container dependency conditions, task health, the size of container overrides as ECS
// measures it, and the Task shape DescribeTasks answers with. No I/O here: EcsService creates
// tasks and the TaskRunner drives them through these states on the simulator's strand.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace sockerless::awssim {

using TimePoint = std::chrono::system_clock::time_point;
using Tags = std::vector<std::pair<std::string, std::string>>;  // in insertion order

// Task lastStatus values in the order ECS moves through them. A task only moves forward;
// STOPPED is final.
enum class TaskStatus {
    provisioning,
    pending,
    activating,
    running,
    deactivating,
    stopping,
    deprovisioning,
    stopped,
};

std::string_view task_status_name(TaskStatus status);
// Whether a task in `from` may move to `to`: strictly forward.
bool can_advance(TaskStatus from, TaskStatus to);

enum class ContainerStatus { pending, running, stopped };
std::string_view container_status_name(ContainerStatus status);

enum class Health { unknown, healthy, unhealthy };
std::string_view health_name(Health health);

// A container definition's healthCheck with ECS's defaults filled in.
struct HealthCheckSpec {
    std::vector<std::string> command;  // "CMD", args... or "CMD-SHELL", script
    std::chrono::seconds interval{30};
    std::chrono::seconds timeout{5};
    int retries = 3;
    std::chrono::seconds start_period{0};
};

struct ContainerDependency {
    std::string container;
    std::string condition;  // START, COMPLETE, SUCCESS or HEALTHY
};

// The awslogs options of a container's logConfiguration.
struct AwsLogsConfig {
    std::string group;
    std::string stream_prefix;
    bool create_group = false;
};

struct TaskContainer {
    // From the task definition, after the task's overrides.
    std::string name;
    std::string arn;
    std::string image;
    std::string runtime_id;
    std::string metadata_id;  // the path segment of this container's metadata endpoint
    bool essential = true;
    std::vector<std::string> entry_point;
    std::vector<std::string> command;
    std::vector<std::pair<std::string, std::string>> environment;
    std::string working_directory;
    std::string user;
    long cpu = 0;
    std::optional<long> memory;
    std::optional<long> memory_reservation;
    std::chrono::seconds stop_timeout{30};
    // How long containers depending on this one wait for its COMPLETE, SUCCESS or HEALTHY
    // condition after it started; none when unset.
    std::optional<std::chrono::seconds> start_timeout;
    std::vector<ContainerDependency> depends_on;
    std::optional<HealthCheckSpec> health_check;
    std::optional<AwsLogsConfig> awslogs;
    boost::json::object definition;  // as registered, for what the runner reads directly

    // What happened to it.
    ContainerStatus status = ContainerStatus::pending;
    std::optional<int> exit_code;
    std::string reason;
    Health health = Health::unknown;
    std::optional<TimePoint> started_at;
    std::optional<TimePoint> finished_at;
    std::string image_digest;
};

// The task's awsvpc network interface. Details appear once the ENI is attached (PENDING).
struct TaskEni {
    std::string attachment_id;
    std::string subnet_id;
    std::string eni_id;
    std::string mac_address;
    std::string private_ip;  // empty until attached
    std::string private_dns_name;
    std::string status = "PRECREATED";  // PRECREATED, ATTACHED, DELETED
};

struct Task {
    std::string id;
    std::string arn;
    std::string cluster_arn;
    std::string task_definition_arn;
    std::string family;
    long revision = 0;
    std::uint64_t sequence = 0;  // creation order, for ListTasks paging
    std::string cpu;             // task-level, after overrides
    std::string memory;          // task-level, after overrides
    std::string launch_type = "FARGATE";
    std::string platform_version = "1.4.0";
    std::string availability_zone;
    std::string group;
    std::string started_by;
    std::string client_token;
    std::string request_fingerprint;  // what a retry with the same token must match
    std::string task_role_arn;
    std::string execution_role_arn;
    bool enable_execute_command = false;
    boost::json::object overrides;  // TaskOverride as DescribeTasks reports it
    boost::json::array volumes;     // the task definition's volumes

    TaskStatus status = TaskStatus::provisioning;
    bool desired_stopped = false;
    std::string stop_code;
    std::string stopped_reason;
    long version = 1;
    TimePoint created_at;
    std::optional<TimePoint> connectivity_at;
    std::optional<TimePoint> pull_started_at;
    std::optional<TimePoint> pull_stopped_at;
    std::optional<TimePoint> started_at;
    std::optional<TimePoint> stopping_at;
    std::optional<TimePoint> execution_stopped_at;
    std::optional<TimePoint> stopped_at;

    TaskEni eni;
    std::vector<TaskContainer> containers;

    // The container-credentials endpoint's id and bearer token (task role only).
    std::string credentials_id;
    std::string credentials_token;

    TaskContainer* container(std::string_view name);
    [[nodiscard]] const TaskContainer* container(std::string_view name) const;
};

// Moves `task` forward to `to`, bumping its version; false (and no change) otherwise.
bool advance(Task& task, TaskStatus to);

// Marks the task as wanted stopped with ECS's stop code and reason. Only the first call counts:
// a task being stopped keeps the reason it was first stopped for.
void request_stop(Task& task, std::string stop_code, std::string reason, TimePoint now);

// The last step of stopping a task: containers that never ran become STOPPED, the ENI is
// DELETED and the task STOPPED at `now`.
void finish_stop(Task& task, TimePoint now);

// The task's healthStatus: UNHEALTHY when an essential container with a health check is
// unhealthy, HEALTHY when every essential container with a health check is healthy, else UNKNOWN.
Health task_health(const Task& task);

// What the dependsOn conditions of a PENDING container say about starting it now.
struct StartDecision {
    enum class Verdict { wait, ready, never } verdict = Verdict::wait;
    std::string reason;  // for never: why the condition can no longer be met, as ECS words it
};
// `now` decides whether a dependency's startTimeout has run out.
StartDecision start_decision(const Task& task, const TaskContainer& target, TimePoint now);

// The length ECS checks against its 8192 limit: the UTF-16 length (Java's String.length()) of
// the compact JSON serialization of the containerOverrides list.
std::size_t container_overrides_length(const boost::json::value& container_overrides);
inline constexpr std::size_t kMaxContainerOverridesLength = 8192;

// The Task shape of RunTask and DescribeTasks; `tags` is included when given.
boost::json::object task_json(const Task& task, const Tags* tags);

// Seconds since the epoch with millisecond precision, as ECS timestamps travel in JSON.
double epoch_seconds(TimePoint t);

}  // namespace sockerless::awssim
