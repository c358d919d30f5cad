// sockerless-agent-exec: runs one command inside a running agent, like `docker exec` straight
// against the agent (for operators, demos and benchmarks). Exits with the command's status.

#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agentclient/client.h"

namespace {
namespace asio = boost::asio;
using namespace sockerless;

void write_all(int fd, const std::vector<unsigned char>& data) {
    std::size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n <= 0) return;
        off += static_cast<std::size_t>(n);
    }
}

asio::awaitable<void> forward_stdin(std::shared_ptr<agentclient::Session> session) {
    asio::posix::stream_descriptor in(co_await asio::this_coro::executor, ::dup(STDIN_FILENO));
    std::vector<unsigned char> buf(std::size_t{64} * 1024);
    while (true) {
        auto [ec, n] =
            co_await in.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
        if (n > 0) {
            auto st = co_await session->write_stdin(std::span<const unsigned char>(buf.data(), n));
            if (!st) break;
        }
        if (ec) break;
    }
    session->close_stdin();
}

asio::awaitable<int> run(agentclient::Endpoint endpoint, agentproto::ExecRequest request) {
    auto executor = co_await asio::this_coro::executor;
    auto connection = co_await agentclient::Connection::connect(executor, endpoint);
    if (!connection) {
        std::cerr << "sockerless-agent-exec: " << connection.error().message << "\n";
        co_return 125;
    }
    bool interactive = request.stdin;
    auto session = co_await (*connection)->exec(std::move(request));
    if (!session) {
        std::cerr << "sockerless-agent-exec: " << session.error().message << "\n";
        co_return session.error().code == Errc::not_found ? 127 : 126;
    }
    if (interactive) asio::co_spawn(executor, forward_stdin(*session), asio::detached);
    while (true) {
        auto out = co_await (*session)->read();
        if (!out) {
            std::cerr << "sockerless-agent-exec: " << out.error().message << "\n";
            co_return 125;
        }
        if (!*out) break;
        write_all((*out)->stream == agentproto::Stream::err ? STDERR_FILENO : STDOUT_FILENO,
                  (*out)->data);
    }
    (*connection)->close();
    co_return (*session)->exit_status() ? (*session)->exit_status()->code : 125;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sockerless-agent-exec: run a command in a running sockerless-agent"};
    std::string address = "127.0.0.1:9111";
    std::string token;
    agentproto::ExecRequest request;
    std::string size;
    app.add_option("--addr", address, "Agent address, IP:PORT");
    app.add_option("--token", token, "Agent token (default: $SOCKERLESS_AGENT_TOKEN)")
        ->envname("SOCKERLESS_AGENT_TOKEN");
    app.add_flag("-i,--interactive", request.stdin, "Forward stdin");
    app.add_flag("-t,--tty", request.tty, "Allocate a terminal");
    app.add_option("-e,--env", request.env, "KEY=VALUE to set (repeatable)");
    app.add_option("-w,--workdir", request.workdir, "Working directory");
    app.add_option("-u,--user", request.user, "uid[:gid] or name[:group]");
    app.add_option("command", request.argv, "Command and arguments, after --")->required();
    CLI11_PARSE(app, argc, argv);

    auto colon = address.rfind(':');
    if (colon == std::string::npos) {
        std::cerr << "sockerless-agent-exec: --addr must be IP:PORT, got \"" << address << "\"\n";
        return 125;
    }
    agentclient::Endpoint endpoint{address.substr(0, colon),
                                   static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))),
                                   token};
    asio::io_context io(1);
    int code = 125;
    asio::co_spawn(io, run(endpoint, request), [&](const std::exception_ptr& e, int c) {
        if (!e) code = c;
        io.stop();
    });
    io.run();
    return code;
}
