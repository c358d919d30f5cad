#pragma once
// The ECS backend (DESIGN §5–§6): runs each container as a Fargate task whose main container is
// the agent, started in front of the user's command.
//
// start():
//   1. the task definition for the container's shape, registered once per shape and found again
//      by family after a restart (task_definition.h);
//   2. a fresh agent token, and the launch spec inline in the overrides or as an S3 payload
//      (overrides.h, payload_store.h);
//   3. RunTask with a clientToken, so a retried call never starts two tasks;
//   4. the task watched (batched with every other start, task_watcher.h) until RUNNING or STOPPED;
//   5. the agent's address from the task's ENI (eni.h) and its /health polled (agent_health.h).
// Whatever fails after RunTask stops the task and deletes the payload: nothing is left running
// or lying in the bucket for a container whose start failed. Every error names the container and
// starts with "ecs: agent injection: " once the task exists.
//
// Everything runs on one executor (one thread); the clients must outlive the backend.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "backends/ecs/config.h"
#include "backends/ecs/task_definition.h"
#include "backends/ecs/task_watcher.h"
#include "runtime/runtime.h"

namespace sockerless::aws {
class EcsClient;
class S3Client;
class LogsClient;
}  // namespace sockerless::aws

namespace sockerless::ecs {

// Tags every task carries (never a secret): what a restarted daemon recovers containers from.
inline constexpr std::string_view kContainerIdTag = "sockerless-container-id";
inline constexpr std::string_view kContainerNameTag = "sockerless-container-name";
inline constexpr std::string_view kStartedBy = "sockerless";

// AWS calls the backend made, for benchmarks ("calls per docker run").
struct BackendCounters {
    std::uint64_t register_task_definition = 0;
    std::uint64_t describe_task_definition = 0;
    std::uint64_t run_task = 0;
    std::uint64_t stop_task = 0;
    std::uint64_t put_payload = 0;
    std::uint64_t delete_payload = 0;
};

// When each step of one start happened, for benchmarks and debug logs.
struct StartTimings {
    std::string container_id;
    std::chrono::system_clock::time_point run_task_sent;
    std::optional<std::chrono::system_clock::time_point> running_at;  // ECS's startedAt
    std::chrono::system_clock::time_point running_seen;  // when the watcher reported it
    std::chrono::system_clock::time_point healthy_seen;  // when /health answered 200
};

// A task of this backend's cluster that carries a container's id tag: what a restarted daemon
// rebuilds a container from when its store lost it (DESIGN §9).
struct RecoveredTask {
    std::string container_id;  // the kContainerIdTag tag
    std::string name;          // the kContainerNameTag tag; "" when the container had no name
    std::string task_arn;
    std::string task_definition_arn;
    // "ip:port" from the task's ENI, as start() found it; "" while ECS reports no address (still
    // PROVISIONING). A stopped task may still report the address it had.
    std::string agent_address;
    // The agent's token from the RunTask overrides when the launch was inline; "" for a payload
    // launch, whose token only the (deleted) payload held. A secret: never logged.
    std::string agent_token;
    std::string image;        // the main container's
    std::string injection;    // "efs" or "init-container", from the task's containers
    std::string payload_uri;  // "s3://bucket/key" for a payload launch, else ""
    bool keep_alive = false;
    // The agent outlives the main process (an inline launch's overrides say so; false for a
    // payload launch): a RUNNING task may hold an exited container.
    bool lingers = false;
    std::string last_status;       // ECS's: PROVISIONING, PENDING, RUNNING, ..., STOPPED
    std::optional<int> exit_code;  // the main container's, once the task is STOPPED
    std::optional<std::chrono::system_clock::time_point> started_at;
};

struct BackendOptions {
    // How long a task may take from RunTask to RUNNING (image pulls on Fargate take a while).
    std::chrono::milliseconds provisioning_timeout{std::chrono::minutes(10)};
    TaskWatcherOptions watcher;
    // Called after every successful start whose agent became healthy.
    std::function<void(const StartTimings&)> on_started;
};

class EcsBackend final : public runtime::Runtime {
public:
    using RecoveredTask = ecs::RecoveredTask;

    EcsBackend(boost::asio::any_io_executor executor, EcsConfig config, aws::EcsClient& ecs,
               aws::S3Client& s3, aws::LogsClient& logs, BackendOptions options = {});
    ~EcsBackend() override;
    EcsBackend(const EcsBackend&) = delete;
    EcsBackend& operator=(const EcsBackend&) = delete;

    boost::asio::awaitable<Result<runtime::ContainerRecord>> start(
        runtime::ContainerSpec spec) override;
    boost::asio::awaitable<Status> kill(runtime::ContainerRecord record, int signal) override;
    boost::asio::awaitable<Result<runtime::ExitInfo>> stop(
        runtime::ContainerRecord record, int signal, std::chrono::milliseconds grace) override;
    boost::asio::awaitable<Result<runtime::ExitInfo>> wait(
        runtime::ContainerRecord record) override;
    boost::asio::awaitable<Status> remove(runtime::ContainerRecord record) override;
    boost::asio::awaitable<Result<std::vector<runtime::LogLine>>> recorded_logs(
        runtime::ContainerRecord record) override;
    boost::asio::awaitable<Result<runtime::MainState>> main_state(
        runtime::ContainerRecord record) override;

    // The startup sweeper (DESIGN §6): deletes the payloads of every container not in
    // `live_container_ids` and returns their keys, each one logged. Nothing to do (an empty list)
    // without a payload bucket. Run it before the first start, or put every container being
    // started in the set: a payload written after the listing for a container outside the set
    // would be deleted (sweep_payloads).
    boost::asio::awaitable<Result<std::vector<std::string>>> sweep_orphans(
        std::set<std::string> live_container_ids);

    // Every task of the configured cluster started by this backend (startedBy kStartedBy) that
    // carries a kContainerIdTag tag: the live ones (desired RUNNING: PROVISIONING, PENDING,
    // RUNNING) and those ECS still reports as stopped (about an hour on AWS). Sorted by container
    // id, then by creation, so the last task of a container started more than once is its
    // current one. ListTasks, DescribeTasks with tags in batches of 100, and
    // DescribeTaskDefinition once per definition only for payload launches, whose overrides do
    // not say whether the agent keeps alive (a definition ECS no longer describes counts as not
    // keep-alive). Any other failed call fails the whole listing (callers retry it); a task gone
    // between ListTasks and DescribeTasks is left out.
    boost::asio::awaitable<Result<std::vector<RecoveredTask>>> list_tasks_of_containers();

    // The task definition ARN for `shape`: from the cache, else DescribeTaskDefinition on its
    // family, else RegisterTaskDefinition. Concurrent calls for one shape register it once.
    boost::asio::awaitable<Result<std::string>> task_definition_for(TaskShape shape);

    [[nodiscard]] const EcsConfig& config() const noexcept { return config_; }
    [[nodiscard]] BackendCounters counters() const noexcept { return counters_; }
    [[nodiscard]] TaskWatcherCounters watcher_counters() const { return watcher_.counters(); }

private:
    struct Registration;

    boost::asio::awaitable<Result<std::string>> lookup_or_register(TaskShape shape);
    // Whether the definition's main container runs the agent with --keep-alive.
    boost::asio::awaitable<Result<bool>> definition_keeps_alive(std::string task_definition_arn);
    // Stops a task the start gave up on and deletes its payload; failures are logged only.
    boost::asio::awaitable<void> abandon(std::string container_id, std::string task_arn,
                                         std::string payload_bucket, std::string payload_key,
                                         std::string reason);

    boost::asio::any_io_executor executor_;
    EcsConfig config_;
    aws::EcsClient& ecs_;
    aws::S3Client& s3_;
    aws::LogsClient& logs_;
    BackendOptions options_;
    TaskWatcher watcher_;
    std::map<std::string, std::shared_ptr<Registration>> definitions_;  // by family
    BackendCounters counters_;
};

}  // namespace sockerless::ecs
