#pragma once
// The engine (DESIGN §3): containers by id, id prefix and name; Docker's state machine and its
// events; wait conditions; the exec registry; and, for each running container, the daemon's
// connection to its agent. Containers run through runtime::Runtime (the ECS backend); their
// state is kept in the store so a restarted daemon goes on with them.
//
// How a container runs. Every task's agent is launched holding its main process (--hold). start()
// waits for the backend's start (task RUNNING, agent healthy), connects to the agent, opens the
// daemon's own attach session (the "monitor": it records the output to the container's log and
// learns the exit code), hands sessions to the clients that attached before start, and only
// then asks the agent to start the main process. So attach-before-start, `docker run` without
// -d, and logs miss no byte, and the exit code comes from the agent the moment the process ends.
//
// Everything runs on one executor (one thread); no locks.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agentclient/client.h"
#include "base/error.h"
#include "engine/container.h"
#include "engine/container_log.h"
#include "engine/events.h"
#include "engine/images.h"
#include "runtime/runtime.h"

namespace sockerless::store {
class Store;
}

namespace sockerless::engine {

struct EngineOptions {
    std::string state_dir;  // containers/<id>/container.log lives under it
    std::chrono::seconds default_stop_timeout{10};
    // How long the task of an exited container stays up so that starting the container again
    // runs it in the same task (GitLab starts its build container once per stage); 0: every
    // start gets a new task. Not for AutoRemove containers, which never start again.
    std::chrono::seconds restart_linger{60};
};

// POST /containers/create, parsed and validated by the route.
struct CreateRequest {
    std::string name;  // "" or a validated "/name"
    ContainerConfig config;
    HostSettings host;
    std::string host_config_json = "{}";
    std::string networking_config_json = "{}";
    std::string platform;
};

struct CreateResult {
    std::string id;
    std::vector<std::string> warnings;
};

enum class WaitCondition { not_running, next_exit, removed };

struct WaitResult {
    int status_code = 0;
    std::string error;  // Docker's {"Error":{"Message":...}} when not empty
};

struct ExecConfig {
    std::vector<std::string> cmd;
    std::vector<std::string> env;
    std::string working_dir;
    std::string user;
    bool tty = false;
    bool attach_stdin = false;
    bool attach_stdout = false;
    bool attach_stderr = false;
    bool privileged = false;
    std::string detach_keys;
    std::uint16_t rows = 0, cols = 0;  // ConsoleSize
};

struct Exec {
    std::string id;
    std::string container_id;
    ExecConfig config;
    bool running = false;
    bool started = false;
    std::optional<int> exit_code;
    int pid = 0;
    std::weak_ptr<agentclient::Session> session;  // while it runs
};

// The store's document for an exec.
std::string to_document(const Exec& e);
Result<Exec> exec_from_document(std::string_view doc);

struct AttachOptions {
    bool stdin = false;
    bool stdout = false;
    bool stderr = false;
};

// A container the store does not know, rebuilt from its task (the ECS task tags): what a daemon
// whose SQLite file lost the latest writes still finds on the platform.
struct AdoptedContainer {
    std::string id;
    std::string name;  // without "/"; empty: a generated one
    std::string image;
    Nanos started_at = 0;
    bool running = false;
    std::optional<int> exit_code;
    runtime::ContainerRecord record;
};

struct Stats {
    std::size_t containers = 0, running = 0, paused = 0, stopped = 0;
};

// What a route needs to follow a container's log while it runs.
struct LogFollow {
    std::string path;
    bool running = false;
};

class Engine {
public:
    Engine(boost::asio::any_io_executor executor, EngineOptions options, store::Store& store,
           runtime::Runtime& runtime, ImageStore& images, EventBus& events);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Reads the store. Then recover() reconnects to the agents of running containers (or learns
    // that they exited meanwhile).
    Status load();
    boost::asio::awaitable<void> recover();
    // Adds a container rebuilt from its task, unless the store already has it (call between
    // load() and recover()). False when it was known.
    Result<bool> adopt(AdoptedContainer adopted);
    // Closes agent connections and wakes every waiter; containers keep running.
    void shutdown();

    // ---- lookup ----
    // By full id, unique id prefix, or name (with or without "/"). Docker's errors: not_found
    // "No such container: REF"; an ambiguous prefix is invalid_argument.
    Result<Container*> find(std::string_view ref);
    [[nodiscard]] std::vector<const Container*> containers() const;
    [[nodiscard]] Stats stats() const;
    [[nodiscard]] const std::string& log_path(const Container& c) const;

    // ---- lifecycle ----
    Result<CreateResult> create(CreateRequest request);
    boost::asio::awaitable<Status> start(std::string ref);
    boost::asio::awaitable<Status> stop(std::string ref, std::optional<int> timeout_seconds,
                                        std::optional<int> signal);
    boost::asio::awaitable<Status> kill(std::string ref, int signal);
    boost::asio::awaitable<Status> restart(std::string ref, std::optional<int> timeout_seconds,
                                           std::optional<int> signal);
    boost::asio::awaitable<Status> remove(std::string ref, bool force, bool volumes);
    boost::asio::awaitable<Result<WaitResult>> wait(std::string ref, WaitCondition condition);
    // Validates now (so errors come before a hijack), then waits in the returned awaitable.
    Result<std::function<boost::asio::awaitable<Result<WaitResult>>()>> prepare_wait(
        std::string_view ref, WaitCondition condition);
    Status rename(std::string_view ref, std::string_view new_name);
    boost::asio::awaitable<Result<std::vector<std::string>>> prune(
        const std::function<bool(const Container&)>& selected);
    Status resize(std::string_view ref, std::uint16_t rows, std::uint16_t cols);

    // ---- streams ----
    // An agent attach session for a running container, or one handed over when the container
    // next starts (attach before start). Validation errors come from prepare_attach (before the
    // route hijacks); the returned awaitable then waits for the session. A null session means
    // the container exited before one could be made.
    using AttachWaiter =
        std::function<boost::asio::awaitable<Result<std::shared_ptr<agentclient::Session>>>()>;
    Result<AttachWaiter> prepare_attach(std::string_view ref, AttachOptions options);
    // A container's log file and whether it still runs; wait_log_growth() returns when the log
    // grew or the container stopped running (or `give_up` fired).
    Result<LogFollow> log_follow(std::string_view ref);
    boost::asio::awaitable<void> wait_log_growth(const std::string& id);

    // ---- exec ----
    Result<std::string> exec_create(std::string_view ref, ExecConfig config);
    Result<Exec*> find_exec(std::string_view id);
    // Starts the exec in its container through the agent; the route bridges the session and
    // reports the end with exec_finished().
    boost::asio::awaitable<Result<std::shared_ptr<agentclient::Session>>> exec_start(
        std::string id);
    void exec_finished(const std::string& id, std::optional<int> exit_code);
    Status exec_resize(std::string_view id, std::uint16_t rows, std::uint16_t cols);
    // Runs argv in the container and returns its stdout (docker top).
    boost::asio::awaitable<Result<std::string>> run_in_container(std::string ref,
                                                                 std::vector<std::string> argv);

    // ---- record ----
    Result<runtime::ContainerRecord> record(std::string_view ref);

private:
    struct Live;
    struct PendingAttach;

    Live& live(const std::string& id);
    Status persist(const Container& c);
    void publish(const Container& c, std::string action,
                 const std::map<std::string, std::string>& extra = {});
    void state_changed();
    boost::asio::awaitable<void> wait_state_change();
    boost::asio::awaitable<Status> start_container(std::string id);
    boost::asio::awaitable<void> reconnect(std::string id);
    // Waits until run `run` ended (or the container was removed), at most `limit` (negative:
    // no limit); true when it ended.
    boost::asio::awaitable<bool> wait_run_end(std::shared_ptr<Live> l, std::uint64_t run,
                                              std::uint64_t exits, std::chrono::seconds limit);
    boost::asio::awaitable<void> health_checks(std::string id, std::uint64_t run);
    // Ends the task that run `run` left up, unless the container starts again (or is removed)
    // within EngineOptions::restart_linger.
    boost::asio::awaitable<void> end_linger(std::string id, std::uint64_t run);
    // StopTask for a task whose agent outlives the main process; the exit the platform gives.
    boost::asio::awaitable<Result<runtime::ExitInfo>> stop_lingering_task(
        runtime::ContainerRecord record);
    // Runs argv in the container; its exit code (SIGKILLed after `timeout`).
    boost::asio::awaitable<Result<int>> run_with_timeout(std::string id,
                                                         std::vector<std::string> argv,
                                                         std::chrono::nanoseconds timeout);
    boost::asio::awaitable<Result<std::shared_ptr<agentclient::Connection>>> connection_for(
        std::string id);
    boost::asio::awaitable<void> monitor(std::string id, std::uint64_t run,
                                         std::shared_ptr<agentclient::Connection> connection,
                                         std::shared_ptr<agentclient::Session> session);
    void on_exit(const std::string& id, std::uint64_t run, int exit_code, const std::string& error);
    boost::asio::awaitable<void> auto_remove(std::string id);
    Status destroy(const std::string& id);
    runtime::ContainerSpec spec_of(const Container& c) const;
    Result<std::string> generate_id();

    boost::asio::any_io_executor executor_;
    EngineOptions options_;
    store::Store& store_;
    runtime::Runtime& runtime_;
    ImageStore& images_;
    EventBus& events_;
    std::map<std::string, std::unique_ptr<Container>> containers_;  // by id
    std::map<std::string, std::string> names_;                      // "/name" -> id
    std::map<std::string, std::shared_ptr<Live>> live_;
    std::map<std::string, std::unique_ptr<Exec>> execs_;
    std::unique_ptr<boost::asio::steady_timer> changed_;
    std::mt19937_64 random_;
    bool shutting_down_ = false;
};

}  // namespace sockerless::engine
