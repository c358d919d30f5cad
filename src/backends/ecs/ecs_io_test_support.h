#pragma once
// For ecs_io_test: the real simulator and the real agent as child processes (their paths come
// from SOCKERLESS_AWSSIM and SOCKERLESS_AGENT), AWS clients pointed at the simulator, and a way
// to run coroutines to completion with a bound.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "aws/client.h"
#include "aws/ecs_client.h"
#include "aws/efs_client.h"
#include "aws/logs_client.h"
#include "aws/s3_client.h"
#include "aws/transport.h"

namespace sockerless::ecs::test {

// The variable's value, or nullopt when unset or empty.
std::optional<std::string> env_path(const char* name);

// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
public:
    explicit TempDir(std::string_view tag);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// Waits (inotify, bounded) until `path` exists; it must appear by a create or a rename.
bool wait_for_file(const std::filesystem::path& path, std::chrono::milliseconds limit);

// A port on 127.0.0.1 that nothing listened on a moment ago.
std::uint16_t free_port();

// A child process, SIGTERMed (then SIGKILLed after `grace`) and reaped on destruction. It also
// gets SIGKILL if the test process dies first.
class Child {
public:
    Child(const std::string& binary, const std::vector<std::string>& args,
          const std::vector<std::string>& extra_env, const std::filesystem::path& log,
          int stdout_fd = -1);
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    [[nodiscard]] pid_t pid() const { return pid_; }
    void stop();
    // Waits up to `limit` for the child to exit on its own and reaps it: its exit status (128+N
    // when a signal ended it), or nullopt while it still runs (stop() then ends it).
    std::optional<int> wait(std::chrono::milliseconds limit);

private:
    pid_t pid_ = -1;
};

// sockerless-awssim on 127.0.0.1:0 with its own state dir and task subnet, tasks as host
// processes unless another --container-mode is asked for ("image": from their real image under
// runc, which needs root).
class Sim {
public:
    // nullptr (with `why` set) when it could not start.
    static std::unique_ptr<Sim> start(const std::string& binary, std::string& why,
                                      std::string_view container_mode = "host");
    ~Sim();
    Sim(const Sim&) = delete;
    Sim& operator=(const Sim&) = delete;

    [[nodiscard]] aws::Endpoint endpoint() const;
    [[nodiscard]] std::string log() const;

private:
    Sim() = default;
    std::unique_ptr<TempDir> dir_;
    std::unique_ptr<Child> child_;
    std::thread drain_;
    std::atomic<bool> stopping_{false};
    int out_fd_ = -1;
    std::uint16_t port_ = 0;
};

// AWS clients for the simulator: root credentials (test/test) unless given a session's.
class SimClients {
public:
    SimClients(boost::asio::io_context& io, const aws::Endpoint& endpoint,
               aws::Credentials credentials = {"test", "test", ""});

    aws::Transport transport;
    aws::StaticProvider provider;
    aws::AwsClient ecs_aws;
    aws::AwsClient s3_aws;
    aws::AwsClient logs_aws;
    aws::AwsClient efs_aws;
    aws::EcsClient ecs{ecs_aws};
    aws::S3Client s3{s3_aws};
    aws::LogsClient logs{logs_aws};
    aws::EfsClient efs{efs_aws};

    // An unsigned request to the simulator's admin API; the response body, or an error.
    boost::asio::awaitable<Result<std::string>> admin(std::string method, std::string path,
                                                      std::string body);

    // The agent binary at `agent_path` staged on a new EFS file system behind a read-only
    // access point rooted at /sockerless/bin, as an operator prepares the efs strategy.
    struct AgentOnEfs {
        std::string file_system_id;
        std::string access_point_id;
    };
    boost::asio::awaitable<Result<AgentOnEfs>> stage_agent_on_efs(std::string creation_token,
                                                                  std::string agent_path);

private:
    aws::Endpoint endpoint_;
};

// Runs `call` on `io` until it completes or `limit` passes (nullopt then).
template <class T>
std::optional<T> run(boost::asio::io_context& io, boost::asio::awaitable<T> call,
                     std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    std::optional<T> out;
    std::exception_ptr failure;
    boost::asio::co_spawn(io, std::move(call), [&](const std::exception_ptr& e, T value) {
        failure = e;
        if (!e) out.emplace(std::move(value));
    });
    const auto deadline = std::chrono::steady_clock::now() + limit;
    io.restart();
    while (!out && !failure && std::chrono::steady_clock::now() < deadline) {
        io.run_one_until(deadline);
    }
    if (failure) std::rethrow_exception(failure);
    return out;
}

}  // namespace sockerless::ecs::test
