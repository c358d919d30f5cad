#pragma once
// The interface the engine drives to run containers (DESIGN §3): start one, signal it, wait for
// its exit, stop it, remove it, read the logs it left. One implementation today: the ECS backend
// (src/backends/ecs/backend.h), talking to AWS or to the simulator.
//
// Records are plain values the engine stores (SQLite) and hands back on every later call, so a
// restarted daemon can go on with containers it started before.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "base/error.h"

namespace sockerless::runtime {

// What the engine asks to run: the container's config merged with its image's.
struct ContainerSpec {
    std::string id;  // 64 hex
    std::string name;
    std::string image;
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd;
    std::vector<std::string> env;  // KEY=VALUE
    std::string workdir;
    std::string user;
    bool tty = false;
    bool open_stdin = false;
    bool stdin_once = false;
    // The agent waits for the engine's start request (agentclient::Connection::start_main)
    // instead of starting the main process at boot: the engine attaches first, so no output is
    // missed. Ignored for keep-alive containers, which have no main process.
    bool hold = false;
    // The task outlives the main process, so a later start runs it again in the same task
    // (ContainerRecord::lingers); the engine ends the task when it no longer needs it. Ignored
    // for keep-alive containers.
    bool linger = false;
    std::map<std::string, std::string> labels;
    std::string cpu;     // backend units ("256" = 1/4 vCPU); empty: the backend's default
    std::string memory;  // MiB; empty: the backend's default
};

// What the backend recorded about a started container; the engine keeps it and serves it on the
// internal inspect endpoint. `agent_token` is a secret: never logged, never in an error.
struct ContainerRecord {
    std::string id;
    std::string task_arn;
    std::string task_definition_arn;
    std::string agent_address;  // "ip:port"
    std::string agent_token;
    std::string injection;    // "efs" or "init-container"
    std::string payload_uri;  // "s3://bucket/key" when the launch went through a payload
    bool keep_alive = false;
    bool lingers = false;  // the agent outlives the main process (ContainerSpec::linger)
    // Set when the task stopped before its agent was up but its main container had run: the
    // container ran and exited (e.g. `true`), which is not a failure to start.
    std::optional<int> exited_with;
};

struct MainState {
    bool running = false;
    std::optional<int> exit_code;  // of the last run, once one ended
};

struct ExitInfo {
    int exit_code = 0;
    std::string reason;  // ECS's stopped reason, or the container's reason; empty when it exited
};

// One piece of a container's output. From CloudWatch Logs: one event, a line without its
// newline. From the agent: what one read of the process's output gave, exactly as written.
struct LogLine {
    std::chrono::system_clock::time_point time;
    std::string message;
    int stream = 1;  // 1 stdout, 2 stderr (CloudWatch Logs does not tell them apart: 1)
};

class Runtime {
public:
    virtual ~Runtime() = default;

    // Starts the container and returns once its agent is ready (or once it already exited).
    virtual boost::asio::awaitable<Result<ContainerRecord>> start(ContainerSpec spec) = 0;
    // Delivers `signal` to the container's main process (through its agent).
    virtual boost::asio::awaitable<Status> kill(ContainerRecord record, int signal) = 0;
    // `signal`, then after `grace` SIGKILL, then the platform's own stop; returns the exit.
    virtual boost::asio::awaitable<Result<ExitInfo>> stop(ContainerRecord record, int signal,
                                                          std::chrono::milliseconds grace) = 0;
    // Waits until the container has exited.
    virtual boost::asio::awaitable<Result<ExitInfo>> wait(ContainerRecord record) = 0;
    // Stops what still runs and releases everything the container held.
    virtual boost::asio::awaitable<Status> remove(ContainerRecord record) = 0;
    // The output the platform recorded (after the container exited; while it runs, the agent
    // serves logs).
    virtual boost::asio::awaitable<Result<std::vector<LogLine>>> recorded_logs(
        ContainerRecord record) = 0;
    // What the agent of a task that is up tells of the main process: for a lingering task, whose
    // main process may have ended while no daemon watched.
    virtual boost::asio::awaitable<Result<MainState>> main_state(ContainerRecord record) = 0;
};

}  // namespace sockerless::runtime
