#include "backends/ecs/agent_health.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace sockerless::ecs {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxHealthBody = std::size_t{16} * 1024;
constexpr std::string_view kContext = "ecs: agent injection: ";

// "2s", "1.5s", "300ms": for messages.
std::string format_duration(std::chrono::milliseconds d) {
    const auto ms = d.count();
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    if (ms < 1000) return std::to_string(ms) + "ms";
    return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + "s";
}

struct AgentAddress {
    tcp::endpoint endpoint;
    std::string port;
};

// "10.0.1.47:9111" or "[fd00::1]:9111".
Result<AgentAddress> parse_address(std::string_view address) {
    const auto colon = address.rfind(':');
    auto bad = [&] {
        return make_error(Errc::invalid_argument,
                          "agent address \"" + std::string(address) + "\" is not ip:port");
    };
    if (colon == std::string_view::npos) return bad();
    std::string_view host = address.substr(0, colon);
    const std::string_view port_text = address.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
        return bad();
    }
    boost::system::error_code aec;
    const auto ip = asio::ip::make_address(std::string(host), aec);
    if (aec) return bad();
    return AgentAddress{tcp::endpoint(ip, static_cast<std::uint16_t>(port)),
                        std::string(port_text)};
}

// What went wrong, in the words the user sees after "last error: ".
Error probe_error(const boost::system::error_code& ec, std::chrono::milliseconds timeout) {
    if (ec == beast::error::timeout || ec == asio::error::timed_out) {
        return make_error(Errc::timeout, "timed out after " + format_duration(timeout));
    }
    if (ec == asio::error::connection_refused) {
        return make_error(Errc::unavailable, "connection refused");
    }
    return make_error(Errc::unavailable, ec.message());
}

}  // namespace

namespace {

// One GET /health: the body of a 200 answer.
asio::awaitable<Result<std::string>> get_health(asio::any_io_executor executor, std::string address,
                                                std::chrono::milliseconds request_timeout) {
    Result<AgentAddress> target = parse_address(address);
    if (!target) co_return target.error();
    beast::tcp_stream stream(executor);
    stream.expires_after(request_timeout);
    auto [cec] = co_await stream.async_connect(target->endpoint, kUse);
    if (cec) co_return probe_error(cec, request_timeout);

    http::request<http::empty_body> req{http::verb::get, "/health", 11};
    req.set(http::field::host, address);
    req.set(http::field::user_agent, "sockerlessd");
    req.set(http::field::connection, "close");
    auto [wec, wn] = co_await http::async_write(stream, req, kUse);
    if (wec) co_return probe_error(wec, request_timeout);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxHealthBody);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kUse);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (rec) co_return probe_error(rec, request_timeout);
    const unsigned status = parser.get().result_int();
    if (status != 200) co_return make_error(Errc::unavailable, "HTTP " + std::to_string(status));
    co_return std::move(parser.get().body());
}

}  // namespace

asio::awaitable<Status> probe_agent_health(asio::any_io_executor executor, std::string address,
                                           std::chrono::milliseconds request_timeout) {
    auto body = co_await get_health(std::move(executor), std::move(address), request_timeout);
    if (!body) co_return body.error();
    co_return ok();
}

asio::awaitable<Result<agentproto::Health>> read_agent_health(
    asio::any_io_executor executor, std::string address,
    std::chrono::milliseconds request_timeout) {
    auto body = co_await get_health(std::move(executor), address, request_timeout);
    if (!body) co_return body.error();
    auto health = agentproto::parse_health(*body);
    if (!health)
        co_return make_error(Errc::invalid_argument, "GET /health of the agent at " + address +
                                                         ": " + health.error().message);
    co_return *health;
}

asio::awaitable<Status> wait_agent_healthy(asio::any_io_executor executor, HealthCheck check,
                                           StoppedReason stopped_reason) {
    const std::string who = std::string(kContext) + "container " + check.container_id + ": ";
    Result<AgentAddress> target = parse_address(check.address);
    if (!target) co_return make_error(target.error().code, who + target.error().message);

    const auto started = Clock::now();
    const auto deadline = started + check.timeout;
    auto interval = check.first_interval;
    std::optional<Clock::time_point> last_stopped_check;
    Error last = make_error(Errc::unavailable, "no probe made");
    asio::steady_timer timer(executor);
    for (int probes = 1;; ++probes) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        const auto budget = std::clamp(left, std::chrono::milliseconds(1), check.request_timeout);
        Status probe = co_await probe_agent_health(executor, check.address, budget);
        if (probe) {
            spdlog::debug(
                "agent health: container={} address={} status=healthy probes={} ms={}",
                check.container_id, check.address, probes,
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started)
                    .count());
            co_return ok();
        }
        last = probe.error();
        spdlog::debug("agent health: container={} address={} status=unhealthy error=\"{}\"",
                      check.container_id, check.address, last.message);

        const auto now = Clock::now();
        if (stopped_reason &&
            (!last_stopped_check || now - *last_stopped_check >= check.stopped_check_interval)) {
            last_stopped_check = now;
            std::optional<std::string> reason = co_await stopped_reason();
            if (reason) {
                spdlog::debug("agent health: container={} address={} status=task-stopped",
                              check.container_id, check.address);
                co_return make_error(Errc::unavailable,
                                     who + "the task stopped before the agent at " + check.address +
                                         " became healthy: " + *reason);
            }
        }
        if (Clock::now() >= deadline) break;
        timer.expires_at(std::min(Clock::now() + interval, deadline));
        auto [ec] = co_await timer.async_wait(kUse);
        if (ec) {
            co_return make_error(Errc::unavailable, who + "waiting for the agent at " +
                                                        check.address + " was cancelled");
        }
        interval = std::min(interval * 2, check.max_interval);
    }
    co_return make_error(Errc::timeout,
                         who + "the agent at " + check.address + " did not become healthy within " +
                             format_duration(check.timeout) + " (last error: " + last.message +
                             "); allow inbound TCP on port " + target->port +
                             " from the daemon in the task's security group");
}

}  // namespace sockerless::ecs
