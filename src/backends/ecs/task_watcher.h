#pragma once
// Waiting for ECS tasks to reach a status, for any number of tasks at once, at the cost of one
// poll loop per cluster. Every pending task goes into the same DescribeTasks calls (at most
// aws::kDescribeTasksBatch tasks each), so 200 containers starting together cost a handful of
// calls per interval instead of 200: DescribeTasks is throttled per account, and a daemon that
// polls per container runs into that limit exactly when users start many containers.
//
// Contract:
//   - One TaskWatcher per cluster. It and every coroutine that calls wait() run on the executor
//     given at construction, from one thread (an io_context run by one thread, or one strand):
//     the waiter table has no lock.
//   - The loop runs only while someone waits. It polls first `min_interval` after it starts,
//     then doubles the interval up to `max_interval` while no task changes lastStatus; a status
//     change or a new waiter drops it back to `min_interval`.
//   - `running_or_stopped` returns once lastStatus is RUNNING or STOPPED (a task that is already
//     stopping is followed until STOPPED, so its exit codes and stopped reason are there);
//     `stopped` returns once it is STOPPED.
//   - DescribeTasks failures[] with reason MISSING end that task's waits with Errc::not_found;
//     another failure reason ends them with Errc::internal carrying ECS's reason and detail. An
//     API error (after the client's own retries) ends the waits of every task in that call.
//   - A deadline that passes ends the wait with Errc::timeout naming the last status seen.
//   - The EcsClient must outlive the watcher and any poll still in flight when it is destroyed;
//     destroying the watcher ends pending waits with Errc::unavailable.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "aws/ecs_client.h"
#include "base/error.h"

namespace sockerless::ecs {

struct TaskWatcherOptions {
    std::chrono::milliseconds min_interval{50};
    std::chrono::milliseconds max_interval{1000};
};

// What the watcher has done, for benchmarks and tests.
struct TaskWatcherCounters {
    std::uint64_t polls = 0;            // rounds of DescribeTasks over every pending task
    std::uint64_t describe_calls = 0;   // DescribeTasks calls (one per batch of up to 100)
    std::uint64_t tasks_described = 0;  // task ARNs sent in those calls
};

class TaskWatcher {
public:
    enum class Until { running_or_stopped, stopped };
    using Clock = std::chrono::steady_clock;

    TaskWatcher(boost::asio::any_io_executor executor, aws::EcsClient& ecs, std::string cluster,
                TaskWatcherOptions options = {});
    ~TaskWatcher();
    TaskWatcher(const TaskWatcher&) = delete;
    TaskWatcher& operator=(const TaskWatcher&) = delete;

    // The task as DescribeTasks reported it when `until` was met.
    boost::asio::awaitable<Result<aws::EcsTask>> wait(
        std::string task_arn, Until until, std::optional<Clock::time_point> deadline = {});

    [[nodiscard]] TaskWatcherCounters counters() const;
    // Waits not yet answered.
    [[nodiscard]] std::size_t pending() const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace sockerless::ecs
