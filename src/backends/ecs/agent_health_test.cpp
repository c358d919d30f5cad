#include "backends/ecs/agent_health.h"

#include <gtest/gtest.h>

#include <fstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "backends/ecs/ecs_io_test_support.h"

// The prober against the real agent binary (SOCKERLESS_AGENT) and against small real servers
// on 127.0.0.1 for the failure modes. Durations are bounded, never asserted.

namespace sockerless::ecs {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;
using test::run;

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
const std::string kToken(64, 'a');

// The agent in keep-alive mode on 127.0.0.1:`port` (0: any), its port written to a file.
class Agent {
public:
    Agent(const std::string& binary, std::uint16_t port) : dir_("agent") {
        port_file_ = dir_.path() / "agent.port";
        const std::vector<std::string> env = {"SOCKERLESS_AGENT_ADDR=127.0.0.1",
                                              "SOCKERLESS_AGENT_PORT=" + std::to_string(port),
                                              "SOCKERLESS_AGENT_TOKEN=" + kToken,
                                              "SOCKERLESS_AGENT_PORT_FILE=" + port_file_.string()};
        const std::vector<std::string> args = {"--keep-alive"};
        child_ = std::make_unique<test::Child>(binary, args, env, dir_.path() / "agent.log");
    }

    const std::filesystem::path& port_file() const { return port_file_; }

private:
    test::TempDir dir_;
    std::filesystem::path port_file_;
    std::unique_ptr<test::Child> child_;
};

// A server that answers every request with `status` and counts connections and requests.
struct StatusServer {
    StatusServer(asio::io_context& io, unsigned status_in)
        : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), status(status_in) {
        asio::co_spawn(io, accept_loop(this), asio::detached);
    }

    static asio::awaitable<void> accept_loop(StatusServer* self) {
        for (;;) {
            auto [ec, socket] = co_await self->acceptor.async_accept(kUse);
            if (ec) co_return;
            ++self->connections;
            beast::flat_buffer buffer;
            http::request<http::string_body> req;
            auto [rec, rn] = co_await http::async_read(socket, buffer, req, kUse);
            if (rec) continue;
            ++self->requests;
            self->last_connection_header = std::string(req[http::field::connection]);
            http::response<http::string_body> res{static_cast<http::status>(self->status), 11};
            res.body() = "not yet";
            res.prepare_payload();
            co_await http::async_write(socket, res, kUse);
        }
    }

    std::string address() const {
        return "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
    }

    tcp::acceptor acceptor;
    unsigned status;
    int connections = 0;
    int requests = 0;
    std::string last_connection_header;
};

std::optional<std::string> agent_binary() {
    return test::env_path("SOCKERLESS_AGENT");
}

#define REQUIRE_AGENT(var)           \
    const auto var = agent_binary(); \
    if (!(var)) GTEST_SKIP() << "SOCKERLESS_AGENT is not set (path to sockerless-agent)"

HealthCheck check_for(std::string address) {
    HealthCheck c;
    c.container_id = "c0ffee";
    c.address = std::move(address);
    c.timeout = std::chrono::seconds(20);
    return c;
}

TEST(AgentHealth, HealthyAgentAnswersAtOnce) {
    REQUIRE_AGENT(binary);
    Agent agent(*binary, 0);
    ASSERT_TRUE(test::wait_for_file(agent.port_file(), std::chrono::seconds(20)))
        << "the agent did not start listening";
    const std::string port = [&] {
        std::ifstream in(agent.port_file());
        std::string p;
        in >> p;
        return p;
    }();
    asio::io_context io;
    auto out = run(io, wait_agent_healthy(io.get_executor(), check_for("127.0.0.1:" + port)));
    ASSERT_TRUE(out) << "the wait did not end";
    EXPECT_TRUE(out->has_value()) << out->error().message;
}

TEST(AgentHealth, AgentThatStartsLaterIsSeen) {
    REQUIRE_AGENT(binary);
    const std::uint16_t port = test::free_port();
    ASSERT_NE(port, 0);
    asio::io_context io;
    std::optional<Status> result;
    asio::co_spawn(
        io, wait_agent_healthy(io.get_executor(), check_for("127.0.0.1:" + std::to_string(port))),
        [&](const std::exception_ptr&, Status s) { result = std::move(s); });
    // Some probes are refused before the agent exists; how many does not matter.
    io.run_for(milliseconds(100));
    ASSERT_FALSE(result) << "healthy before the agent started: " << result->has_value();
    Agent agent(*binary, port);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!result && std::chrono::steady_clock::now() < deadline)
        io.run_one_until(deadline);
    ASSERT_TRUE(result) << "the wait did not end";
    EXPECT_TRUE(result->has_value()) << result->error().message;
}

TEST(AgentHealth, TimeoutMessageNamesEverything) {
    const std::uint16_t port = test::free_port();  // nothing listens there
    ASSERT_NE(port, 0);
    const std::string address = "127.0.0.1:" + std::to_string(port);
    HealthCheck check = check_for(address);
    check.timeout = milliseconds(300);
    check.max_interval = milliseconds(50);
    asio::io_context io;
    auto out = run(io, wait_agent_healthy(io.get_executor(), check), std::chrono::seconds(20));
    ASSERT_TRUE(out) << "the wait did not end";
    ASSERT_FALSE(out->has_value());
    const Error& e = out->error();
    EXPECT_EQ(e.code, Errc::timeout);
    EXPECT_TRUE(e.message.starts_with("ecs: agent injection: ")) << e.message;
    EXPECT_NE(e.message.find("container c0ffee"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find(address), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("within 300ms"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("last error: connection refused"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("allow inbound TCP on port " + std::to_string(port) +
                             " from the daemon in the task's security group"),
              std::string::npos)
        << e.message;
}

TEST(AgentHealth, SilentServerTimesOutPerRequest) {
    asio::io_context io;
    // Accepts (the kernel completes the handshake) but never answers.
    tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    HealthCheck check = check_for("127.0.0.1:" + std::to_string(silent.local_endpoint().port()));
    check.timeout = milliseconds(400);
    check.request_timeout = milliseconds(100);
    auto out = run(io, wait_agent_healthy(io.get_executor(), check), std::chrono::seconds(20));
    ASSERT_TRUE(out) << "the wait did not end";
    ASSERT_FALSE(out->has_value());
    EXPECT_NE(out->error().message.find("last error: timed out after"), std::string::npos)
        << out->error().message;
}

TEST(AgentHealth, UnhealthyStatusIsTheLastError) {
    asio::io_context io;
    StatusServer server(io, 503);
    HealthCheck check = check_for(server.address());
    check.timeout = milliseconds(300);
    check.max_interval = milliseconds(50);
    auto out = run(io, wait_agent_healthy(io.get_executor(), check), std::chrono::seconds(20));
    ASSERT_TRUE(out) << "the wait did not end";
    ASSERT_FALSE(out->has_value());
    EXPECT_EQ(out->error().code, Errc::timeout);
    EXPECT_NE(out->error().message.find("(last error: HTTP 503)"), std::string::npos)
        << out->error().message;
    // One connection per probe, each asking to be closed.
    EXPECT_GE(server.requests, 2);
    EXPECT_EQ(server.connections, server.requests);
    EXPECT_EQ(server.last_connection_header, "close");
}

TEST(AgentHealth, StoppedTaskEndsTheWait) {
    const std::uint16_t port = test::free_port();
    ASSERT_NE(port, 0);
    HealthCheck check = check_for("127.0.0.1:" + std::to_string(port));
    check.stopped_check_interval = milliseconds(0);
    int asked = 0;
    StoppedReason reason = [&asked]() -> asio::awaitable<std::optional<std::string>> {
        ++asked;
        if (asked < 2) co_return std::nullopt;
        co_return std::string("CannotStartContainerError: /sockerless-agent: no such file");
    };
    asio::io_context io;
    auto out =
        run(io, wait_agent_healthy(io.get_executor(), check, reason), std::chrono::seconds(20));
    ASSERT_TRUE(out) << "the wait did not end";
    ASSERT_FALSE(out->has_value());
    EXPECT_EQ(asked, 2);
    EXPECT_EQ(out->error().code, Errc::unavailable);
    EXPECT_TRUE(out->error().message.starts_with("ecs: agent injection: container c0ffee: "))
        << out->error().message;
    EXPECT_NE(out->error().message.find("CannotStartContainerError: /sockerless-agent"),
              std::string::npos)
        << out->error().message;
}

TEST(AgentHealth, MalformedAddressIsRefused) {
    asio::io_context io;
    for (const char* bad : {"10.0.0.1", "10.0.0.1:", "host:9111", "10.0.0.1:70000"}) {
        auto out = run(io, wait_agent_healthy(io.get_executor(), check_for(bad)));
        ASSERT_TRUE(out);
        ASSERT_FALSE(out->has_value()) << bad;
        EXPECT_EQ(out->error().code, Errc::invalid_argument) << bad;
        EXPECT_TRUE(out->error().message.starts_with("ecs: agent injection: container c0ffee: "))
            << out->error().message;
    }
}

}  // namespace
}  // namespace sockerless::ecs
