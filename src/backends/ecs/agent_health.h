#pragma once
// Readiness of the agent in a task: `docker start` returns only once the agent answers
// GET /health with 200, so the exec or attach that follows finds it listening.
//
// The prober is its own tiny HTTP client, not the AWS transport: plain HTTP (the agent is inside
// the VPC and speaks no TLS), one fresh TCP connection per probe with `Connection: close` (a
// pooled connection to an address that may be reused by the next task must never carry over),
// and a per-request timeout. A refused connection fails at once, so probing a task whose agent
// is not listening yet costs a round trip, not the request timeout.
//
// Timing: the first probe goes at once; after a failure the next one waits 10 ms, then twice as
// long each time up to `max_interval`. An agent that starts listening shortly after the task is
// RUNNING is seen within tens of milliseconds, instead of on the next step of a 1 s poll.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentproto/protocol.h"
#include "base/error.h"

namespace sockerless::ecs {

struct HealthCheck {
    std::string container_id;  // for messages and logs
    std::string address;       // "ip:port" ("[v6]:port" for IPv6)
    std::chrono::milliseconds timeout{60'000};
    std::chrono::milliseconds max_interval{1000};
    std::chrono::milliseconds request_timeout{2000};
    std::chrono::milliseconds first_interval{10};
    // How often `stopped_reason` is asked at most (it is asked after the first failed probe).
    std::chrono::milliseconds stopped_check_interval{1000};
};

// ECS's stopped reason once the task has stopped; nullopt while it has not.
using StoppedReason = std::function<boost::asio::awaitable<std::optional<std::string>>()>;

// One GET /health. Errc::timeout when the request timeout passed, Errc::unavailable for a
// refused or failed connection or a status other than 200 (the message then reads "HTTP 503").
boost::asio::awaitable<Status> probe_agent_health(boost::asio::any_io_executor executor,
                                                  std::string address,
                                                  std::chrono::milliseconds request_timeout);
// The same request, with the answer read: the agent's account of its main process. Errors as
// probe_agent_health's, and Errc::invalid_argument for a body that is not the agent's.
boost::asio::awaitable<Result<agentproto::Health>> read_agent_health(
    boost::asio::any_io_executor executor, std::string address,
    std::chrono::milliseconds request_timeout);

// Probes until the agent answers 200. Errors start "ecs: agent injection: " and name the
// container and the agent address:
//   - Errc::timeout after `check.timeout`, with the timeout, the last probe's error and the hint
//     to allow inbound TCP on the agent port from the daemon in the task's security group;
//   - Errc::unavailable as soon as `stopped_reason` reports that the task stopped, with ECS's
//     stopped reason (a missing EFS mount or agent binary shows up here);
//   - Errc::invalid_argument for an address that is not "ip:port".
boost::asio::awaitable<Status> wait_agent_healthy(boost::asio::any_io_executor executor,
                                                  HealthCheck check,
                                                  StoppedReason stopped_reason = {});

}  // namespace sockerless::ecs
