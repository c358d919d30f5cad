#pragma once
// A running container's output, from its agent (docs/agent-protocol.md section 17): exact,
// stdout and stderr apart, with the time the agent read each piece, and no ingestion lag. The
// agent keeps the last 2 MiB; older output, and the output of a stopped task, is in CloudWatch
// Logs (EcsBackend::recorded_logs).

#include <cstdint>
#include <optional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "agentclient/client.h"
#include "runtime/runtime.h"

namespace sockerless::ecs {

struct LogsQuery {
    bool stdout = true;
    bool stderr = true;
    std::int64_t since_ns = 0;          // 0: from the start of what the agent holds
    std::int64_t until_ns = 0;          // 0: up to now
    std::optional<std::uint64_t> tail;  // the last N lines, per stream as Docker counts them
};

struct AgentLogs {
    std::vector<runtime::LogLine> entries;
    // The agent had already dropped older output: what came before is only in CloudWatch Logs.
    bool truncated = false;
};

// Where the container's agent listens and the token it wants; invalid_argument naming the
// container when the record has no agent address.
Result<agentclient::Endpoint> agent_endpoint(const runtime::ContainerRecord& record);

// Everything the agent holds that matches `query` (no follow). Errc::not_implemented when the
// agent predates logs sessions; connection errors name the container and the agent address.
boost::asio::awaitable<Result<AgentLogs>> read_agent_logs(boost::asio::any_io_executor executor,
                                                          runtime::ContainerRecord record,
                                                          LogsQuery query);

}  // namespace sockerless::ecs
