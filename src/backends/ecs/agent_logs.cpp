#include "backends/ecs/agent_logs.h"

#include <string>

#include "agentclient/client.h"

namespace sockerless::ecs {
namespace asio = boost::asio;

Result<agentclient::Endpoint> agent_endpoint(const runtime::ContainerRecord& record) {
    const auto colon = record.agent_address.rfind(':');
    if (colon == std::string::npos) {
        return make_error(
            Errc::invalid_argument,
            "container " + record.id + " has no agent address (\"" + record.agent_address + "\")");
    }
    agentclient::Endpoint e;
    e.host = record.agent_address.substr(0, colon);
    e.port = static_cast<std::uint16_t>(std::stoul(record.agent_address.substr(colon + 1)));
    e.token = record.agent_token;
    return e;
}

asio::awaitable<Result<AgentLogs>> read_agent_logs(asio::any_io_executor executor,
                                                   runtime::ContainerRecord record,
                                                   LogsQuery query) {
    auto endpoint = agent_endpoint(record);
    if (!endpoint) co_return endpoint.error();
    auto connection = co_await agentclient::Connection::connect(executor, *endpoint);
    if (!connection) {
        co_return make_error(connection.error().code,
                             "container " + record.id + ": logs from agent " +
                                 record.agent_address + ": " + connection.error().message);
    }
    agentproto::LogsRequest request;
    request.stdout = query.stdout;
    request.stderr = query.stderr;
    request.since = query.since_ns;
    request.until = query.until_ns;
    request.tail = query.tail;
    auto session = (*connection)->logs(request);
    if (!session) {
        (*connection)->close();
        co_return session.error();
    }
    AgentLogs out;
    while (true) {
        auto piece = co_await (*session)->read();
        if (!piece) {
            (*connection)->close();
            co_return piece.error();
        }
        if (!*piece) break;
        runtime::LogLine line;
        line.time = std::chrono::system_clock::time_point(
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::nanoseconds((**piece).time)));
        line.message.assign((**piece).data.begin(), (**piece).data.end());
        line.stream = (**piece).stream == agentproto::Stream::err ? 2 : 1;
        out.entries.push_back(std::move(line));
    }
    const auto& end = (*session)->logs_end();
    out.truncated = end && end->dropped > 0;
    (*connection)->close();
    co_return out;
}

}  // namespace sockerless::ecs
