#pragma once
// Fault injection, set over the admin endpoint and consumed by the router and the task runner.
//
// A fault applies to the next `count` matching events and is then used up, so tests inject
// exactly as many failures as they mean to (never by time). Call faults match a service's
// signing name and an operation name ("" matches any); the first matching fault with calls left
// applies. Task faults are taken by the task runner when it launches a task.
//
// Admin API (unsigned, on the simulator's listener):
//   POST   /_awssim/faults   {"service":"ecs","operation":"RunTask","count":2,
//                             "status":400,"code":"ThrottlingException","message":"Rate exceeded"}
//                            {"service":"ecs","operation":"DescribeTasks","latency_ms":300}
//                            {"task":"stop_before_running","stop_code":"TaskFailedToStart",
//                             "reason":"CannotPullContainerError: ...","count":1}
//                            {"task":"slow_provisioning","delay_ms":2000,"count":1}
//   GET    /_awssim/faults   the faults still armed
//   DELETE /_awssim/faults   disarms everything

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api_error.h"

namespace sockerless::awssim {

struct CallFault {
    std::string service;    // signing name: "ecs", "s3", "logs", ...; "" = any
    std::string operation;  // "" = any
    int remaining = 1;
    std::optional<ApiError> error;
    std::chrono::milliseconds latency{0};
};

enum class TaskFaultKind { stop_before_running, slow_provisioning };

struct TaskFault {
    TaskFaultKind kind = TaskFaultKind::stop_before_running;
    int remaining = 1;
    std::string stop_code = "TaskFailedToStart";  // stop_before_running
    std::string reason;                           // stop_before_running: stoppedReason
    std::chrono::milliseconds delay{0};           // slow_provisioning
};

// What the router does to one call.
struct CallEffect {
    std::optional<ApiError> error;  // answer this instead of running the operation
    std::chrono::milliseconds latency{0};
};

class FaultInjector {
public:
    // Arms a fault described by the admin JSON; InvalidParameterException when malformed.
    ApiResult<void> add(const boost::json::object& spec);
    void clear();
    [[nodiscard]] boost::json::array list() const;

    // Consumes one use of each matching call fault: at most one error and at most one latency.
    CallEffect on_call(std::string_view service, std::string_view operation);

    // Consumes one use of an armed task fault of `kind`, if any.
    std::optional<TaskFault> take_task_fault(TaskFaultKind kind);

private:
    std::vector<CallFault> calls_;
    std::vector<TaskFault> tasks_;
};

}  // namespace sockerless::awssim
