#pragma once
// Test support: runs the real sockerless-agent binary as a child process (listening on
// 127.0.0.1, port 0) and drives it with the real agent client. Waits are event-driven: inotify for
// the port file, pidfd for process exit, the client's own completions for everything else.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "agentclient/client.h"

namespace sockerless::testing {

// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view content);

struct AgentOptions {
    std::vector<std::string> agent_args;  // before "--"
    std::vector<std::string> command;     // after "--"; empty: no "--"
    std::vector<std::string> env;         // extra KEY=VALUE
    bool with_token = true;
    // Run the agent through this prefix (e.g. unshare + chroot) instead of directly.
    std::vector<std::string> wrapper;
    std::string agent_path;  // default: the build's agent binary
    // When the wrapper chroots: the host path of the new root. The port file then lives at
    // /tmp/agent.port inside it.
    std::filesystem::path rootfs;
};

class AgentProcess {
public:
    explicit AgentProcess(AgentOptions options = {});
    ~AgentProcess();
    AgentProcess(const AgentProcess&) = delete;
    AgentProcess& operator=(const AgentProcess&) = delete;

    pid_t pid() const noexcept { return pid_; }
    std::uint16_t port() const noexcept { return port_; }
    const std::string& token() const noexcept { return token_; }
    agentclient::Endpoint endpoint() const { return {"127.0.0.1", port_, token_}; }
    const TempDir& dir() const noexcept { return dir_; }
    std::string stdout_log() const { return read_file(dir_.path() / "agent.out"); }
    std::string stderr_log() const { return read_file(dir_.path() / "agent.err"); }

    void signal(int signal) const;
    // Waits for the agent to exit; returns its status as a shell reports it (128+N for signals),
    // or nullopt when it did not exit within `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(20));

private:
    TempDir dir_;
    std::string token_;
    pid_t pid_ = -1;
    int pidfd_ = -1;
    std::uint16_t port_ = 0;
    std::optional<int> exit_;
};

// Runs an awaitable on `io` until it completes (or fails the test after `timeout`).
template <class T>
T run_sync(boost::asio::io_context& io, boost::asio::awaitable<T> awaitable,
           std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    std::optional<T> result;
    std::exception_ptr error;
    boost::asio::co_spawn(io, std::move(awaitable), [&](const std::exception_ptr& e, T value) {
        error = e;
        if (!e) result.emplace(std::move(value));
    });
    auto deadline = std::chrono::steady_clock::now() + timeout;
    io.restart();
    while (!result && !error && std::chrono::steady_clock::now() < deadline) {
        io.run_one_until(deadline);
    }
    if (error) std::rethrow_exception(error);
    if (!result) throw std::runtime_error("run_sync: timed out");
    return std::move(*result);
}

struct Collected {
    std::string out;
    std::string err;
    std::optional<agentproto::Exit> exit;
    std::optional<Error> error;
};

// Reads a session to its end, keeping stdout and stderr apart.
boost::asio::awaitable<Collected> collect(std::shared_ptr<agentclient::Session> session);

// Connects (failing the test on error).
std::shared_ptr<agentclient::Connection> connect_or_fail(boost::asio::io_context& io,
                                                         const agentclient::Endpoint& ep);

// exec to completion on `connection`.
Collected exec_collect(boost::asio::io_context& io,
                       const std::shared_ptr<agentclient::Connection>& connection,
                       agentproto::ExecRequest request);

std::string agent_binary();
// False in the sanitizer build, whose agent is dynamically linked.
bool agent_is_static();
std::string repo_root();

}  // namespace sockerless::testing
