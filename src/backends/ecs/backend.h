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

struct BackendOptions {
    // How long a task may take from RunTask to RUNNING (image pulls on Fargate take a while).
    std::chrono::milliseconds provisioning_timeout{std::chrono::minutes(10)};
    TaskWatcherOptions watcher;
    // Called after every successful start whose agent became healthy.
    std::function<void(const StartTimings&)> on_started;
};

class EcsBackend final : public runtime::Runtime {
public:
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

    // The startup sweeper (DESIGN §6): deletes the payloads of every container not in
    // `live_container_ids` and returns their keys, each one logged. Nothing to do (an empty list)
    // without a payload bucket. Run it before the first start, or put every container being
    // started in the set: a payload written after the listing for a container outside the set
    // would be deleted (sweep_payloads).
    boost::asio::awaitable<Result<std::vector<std::string>>> sweep_orphans(
        std::set<std::string> live_container_ids);

    // The task definition ARN for `shape`: from the cache, else DescribeTaskDefinition on its
    // family, else RegisterTaskDefinition. Concurrent calls for one shape register it once.
    boost::asio::awaitable<Result<std::string>> task_definition_for(TaskShape shape);

    [[nodiscard]] const EcsConfig& config() const noexcept { return config_; }
    [[nodiscard]] BackendCounters counters() const noexcept { return counters_; }
    [[nodiscard]] TaskWatcherCounters watcher_counters() const { return watcher_.counters(); }

private:
    struct Registration;

    boost::asio::awaitable<Result<std::string>> lookup_or_register(TaskShape shape);
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
