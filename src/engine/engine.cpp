#include "engine/engine.h"

#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <filesystem>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/hex.h"
#include "engine/merge.h"
#include "engine/names.h"
#include "engine/signals.h"
#include "store/store.h"

namespace sockerless::engine {

namespace asio = boost::asio;

// What the engine holds for a container beyond its stored model: the agent connection of the
// current run, clients waiting to attach before start, the log writer, and what waiters watch.
// Shared with waiters, so a removed container's waiters still see `removed` and the exit code.
struct Engine::Live {
    std::shared_ptr<agentclient::Connection> connection;
    std::shared_ptr<agentclient::Session> monitor;
    std::uint64_t run = 0;  // increases with every start; a monitor reports only its own run
    bool starting = false;
    bool stopping = false;
    std::vector<std::shared_ptr<PendingAttach>> pending;
    std::optional<LogWriter> log;
    std::string log_path;
    std::uint64_t exits = 0;
    int last_exit = 0;
    bool removed = false;
};

struct Engine::PendingAttach {
    agentproto::AttachRequest request;
    std::shared_ptr<agentclient::Session> session;
    std::optional<Error> error;
    bool done = false;
};

namespace {

Error not_running(const Container& c) {
    return make_error(Errc::conflict, "Container " + c.id + " is not running");
}

agentclient::Endpoint endpoint_of(const runtime::ContainerRecord& r) {
    agentclient::Endpoint e;
    const auto colon = r.agent_address.rfind(':');
    e.host = r.agent_address.substr(0, colon);
    if (colon != std::string::npos)
        e.port = static_cast<std::uint16_t>(std::stoi(r.agent_address.substr(colon + 1)));
    e.token = r.agent_token;
    return e;
}

// Fargate's cpu units and memory (MiB) for a container's limits: the smallest valid pair that
// covers both; empty strings leave the backend's defaults.
std::pair<std::string, std::string> fargate_size(const HostSettings& host) {
    if (host.nano_cpus == 0 && host.memory == 0) return {};
    struct Size {
        int cpu;
        int min_mib;
        int max_mib;
        int step;
    };
    static constexpr Size kSizes[] = {{256, 512, 2048, 512},
                                      {512, 1024, 4096, 1024},
                                      {1024, 2048, 8192, 1024},
                                      {2048, 4096, 16384, 1024},
                                      {4096, 8192, 30720, 1024}};
    const std::int64_t want_cpu = host.nano_cpus * 1024 / 1'000'000'000;
    const std::int64_t want_mib = (host.memory + (1 << 20) - 1) >> 20;
    for (const Size& s : kSizes) {
        if (s.cpu < want_cpu || s.max_mib < want_mib) continue;
        std::int64_t mib = s.min_mib;
        while (mib < want_mib)
            mib += s.step;
        return {std::to_string(s.cpu), std::to_string(mib)};
    }
    return {"4096", "30720"};
}

}  // namespace

Engine::Engine(asio::any_io_executor executor, EngineOptions options, store::Store& store,
               runtime::Runtime& runtime, ImageStore& images, EventBus& events)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      store_(store),
      runtime_(runtime),
      images_(images),
      events_(events),
      changed_(std::make_unique<asio::steady_timer>(executor_,
                                                    std::chrono::steady_clock::time_point::max())),
      random_(std::random_device{}()) {}

Engine::~Engine() = default;

Engine::Live& Engine::live(const std::string& id) {
    auto& slot = live_[id];
    if (!slot) {
        slot = std::make_shared<Live>();
        slot->log_path = options_.state_dir + "/containers/" + id + "/container.log";
    }
    return *slot;
}

const std::string& Engine::log_path(const Container& c) const {
    static const std::string no_log;
    auto it = live_.find(c.id);
    return it == live_.end() ? no_log : it->second->log_path;
}

void Engine::state_changed() {
    changed_->cancel();
}

asio::awaitable<void> Engine::wait_state_change() {
    boost::system::error_code ec;
    co_await changed_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

Status Engine::persist(const Container& c) {
    return store_.put_container(c.id, c.name, to_document(c));
}

void Engine::publish(const Container& c, std::string action,
                     const std::map<std::string, std::string>& extra) {
    Event e;
    e.type = "container";
    e.action = std::move(action);
    e.actor_id = c.id;
    e.attributes = c.config.labels;
    e.attributes["name"] = c.name.substr(1);
    e.attributes["image"] = c.config.image;
    for (const auto& [k, v] : extra)
        e.attributes[k] = v;
    events_.publish(std::move(e));
}

// ---- load and recovery --------------------------------------------------------------------------

Status Engine::load() {
    auto rows = store_.containers();
    if (!rows) return rows.error();
    for (const store::Row& row : *rows) {
        auto c = container_from_document(row.doc);
        if (!c) {
            spdlog::error("store: container {} unreadable, skipped: {}", row.id, c.error().message);
            continue;
        }
        const std::string id = c->id;  // the assignment below moves *c before indexing
        names_[c->name] = id;
        live(id);
        containers_[id] = std::make_unique<Container>(std::move(*c));
    }
    auto exec_rows = store_.execs();
    if (!exec_rows) return exec_rows.error();
    for (const store::Row& row : *exec_rows) {
        auto e = exec_from_document(row.doc);
        if (!e) continue;
        if (e->running) {
            // The daemon went away while it ran: its end was not seen.
            e->running = false;
        }
        const std::string id = e->id;
        execs_[id] = std::make_unique<Exec>(std::move(*e));
    }
    const Stats s = stats();
    spdlog::info("state: {} containers ({} running), {} execs", s.containers, s.running,
                 execs_.size());
    return ok();
}

Result<bool> Engine::adopt(AdoptedContainer adopted) {
    if (adopted.id.size() != 64 || containers_.contains(adopted.id)) return false;
    auto c = std::make_unique<Container>();
    c->id = adopted.id;
    std::string name = adopted.name.empty() ? "" : "/" + adopted.name;
    if (name.empty() || names_.contains(name)) {
        auto generated = generate_name(
            random_, [this](std::string_view n) { return names_.contains("/" + std::string(n)); },
            adopted.id);
        if (!generated) return generated.error();
        name = generated->starts_with('/') ? *generated : "/" + *generated;
    }
    c->name = name;
    c->created = adopted.started_at != 0 ? adopted.started_at : now_nanos();
    c->config.image = adopted.image;
    c->config.hostname = c->id.substr(0, 12);
    if (const Image* image = images_.find(adopted.image)) {
        c->image_id = image->id;
        c->config = merge_image_config(std::move(c->config), *image);
    }
    c->has_been_started = true;
    c->state.started_at = c->created;
    if (adopted.running) {
        c->state.status = ContainerStatus::running;
    } else {
        c->state.status = ContainerStatus::exited;
        c->state.exit_code = adopted.exit_code.value_or(128 + SIGKILL);
        c->state.finished_at = now_nanos();
    }
    c->record = std::move(adopted.record);
    c->record.id = c->id;
    std::error_code ec;
    std::filesystem::create_directories(options_.state_dir + "/containers/" + c->id, ec);
    if (Status st = persist(*c); !st) return st.error();
    spdlog::warn("container {} ({}): missing from the store, recovered from its task {} ({})",
                 c->id, c->name, c->record.task_arn, status_name(c->state.status));
    names_[c->name] = c->id;
    live(c->id);
    const std::string id = c->id;
    containers_[id] = std::move(c);
    return true;
}

asio::awaitable<void> Engine::recover() {
    std::vector<std::string> running;
    for (const auto& [id, c] : containers_) {
        if (c->running())
            running.push_back(id);
        else if (c->record.lingers)  // its task may still be up: the linger starts over
            asio::co_spawn(executor_, end_linger(id, live(id).run), asio::detached);
    }
    for (const std::string& id : running)
        co_await reconnect(id);
}

asio::awaitable<void> Engine::reconnect(std::string id) {
    if (!containers_.contains(id)) co_return;
    Live& l = live(id);
    ++l.run;
    const std::uint64_t run = l.run;
    const runtime::ContainerRecord record = containers_[id]->record;
    if (record.lingers) {
        // Its task is up, but the main process may have ended while no daemon watched.
        auto state = co_await runtime_.main_state(record);
        if (!containers_.contains(id)) co_return;
        if (state && !state->running) {
            spdlog::info("container {}: exited while the daemon was away; its task lingers", id);
            on_exit(id, run, state->exit_code.value_or(0), "");
            co_return;
        }
    }
    auto connection = co_await agentclient::Connection::connect(executor_, endpoint_of(record),
                                                                std::chrono::seconds(5));
    if (!containers_.contains(id)) co_return;
    if (connection) {
        agentproto::AttachRequest request;
        request.stdout = true;
        request.stderr = true;
        auto session = (*connection)->attach(request);
        l.connection = *connection;
        l.monitor = session;
        spdlog::info("container {}: reconnected to its agent at {}", id, record.agent_address);
        asio::co_spawn(executor_, monitor(id, run, *connection, session), asio::detached);
        if (containers_[id]->state.health)
            asio::co_spawn(executor_, health_checks(id, run), asio::detached);
        co_return;
    }
    spdlog::warn("container {}: agent {} unreachable after restart ({}); asking the backend", id,
                 record.agent_address, connection.error().message);
    asio::co_spawn(
        executor_,
        [this, id, run, record]() -> asio::awaitable<void> {
            auto exited = co_await runtime_.wait(record);
            if (exited)
                on_exit(id, run, exited->exit_code, exited->reason);
            else
                on_exit(id, run, 128 + SIGKILL, exited.error().message);
        },
        asio::detached);
}

void Engine::shutdown() {
    shutting_down_ = true;
    for (auto& [id, l] : live_) {
        if (l->connection) l->connection->close();
        for (auto& p : l->pending) {
            p->error = make_error(Errc::unavailable, "the daemon is shutting down");
            p->done = true;
        }
    }
    state_changed();
    events_.shutdown();
}

// ---- lookup -------------------------------------------------------------------------------------

Result<Container*> Engine::find(std::string_view ref) {
    if (ref.empty()) return make_error(Errc::not_found, "No such container: ");
    if (auto it = containers_.find(std::string(ref)); it != containers_.end())
        return it->second.get();
    std::string name = ref.starts_with('/') ? std::string(ref) : "/" + std::string(ref);
    if (auto it = names_.find(name); it != names_.end()) return containers_[it->second].get();
    Container* found = nullptr;
    for (auto& [id, c] : containers_) {
        if (id.starts_with(ref)) {
            if (found != nullptr)
                return make_error(Errc::invalid_argument,
                                  "multiple IDs found with provided prefix: " + std::string(ref));
            found = c.get();
        }
    }
    if (found == nullptr)
        return make_error(Errc::not_found, "No such container: " + std::string(ref));
    return found;
}

std::vector<const Container*> Engine::containers() const {
    std::vector<const Container*> out;
    out.reserve(containers_.size());
    for (const auto& [id, c] : containers_)
        out.push_back(c.get());
    return out;
}

Stats Engine::stats() const {
    Stats s;
    for (const auto& [id, c] : containers_) {
        ++s.containers;
        if (c->state.status == ContainerStatus::paused)
            ++s.paused;
        else if (c->running())
            ++s.running;
        else
            ++s.stopped;
    }
    return s;
}

Result<runtime::ContainerRecord> Engine::record(std::string_view ref) {
    auto c = find(ref);
    if (!c) return c.error();
    return (*c)->record;
}

// ---- create -------------------------------------------------------------------------------------

Result<std::string> Engine::generate_id() {
    for (int attempt = 0; attempt < 16; ++attempt) {
        auto id = random_hex_token(32);
        if (!id) return id.error();
        // Docker avoids ids whose short form is all digits (it would read as a number).
        const std::string short_id = id->substr(0, 12);
        if (std::all_of(short_id.begin(), short_id.end(), [](char ch) { return ch <= '9'; }))
            continue;
        if (!containers_.contains(*id)) return *id;
    }
    return make_error(Errc::internal, "could not generate a unique container id");
}

Result<CreateResult> Engine::create(CreateRequest request) {
    const Image* image = images_.find(request.config.image);
    if (image == nullptr)
        return make_error(Errc::not_found, "No such image: " + request.config.image);
    auto id = generate_id();
    if (!id) return id.error();

    std::string name = request.name;
    if (name.empty()) {
        auto generated = generate_name(
            random_,
            [this](std::string_view candidate) {
                return names_.contains(candidate.starts_with('/') ? std::string(candidate)
                                                                  : "/" + std::string(candidate));
            },
            *id);
        if (!generated) return generated.error();
        name = generated->starts_with('/') ? *generated : "/" + *generated;
    } else if (auto holder = names_.find(name); holder != names_.end()) {
        return make_error(Errc::conflict, "Conflict. The container name \"" + name +
                                              "\" is already in use by container \"" +
                                              holder->second +
                                              "\". You have to remove (or rename) that container "
                                              "to be able to reuse that name.");
    }

    auto c = std::make_unique<Container>();
    c->id = *id;
    c->name = name;
    c->created = now_nanos();
    c->config = merge_image_config(std::move(request.config), *image);
    if ((!c->config.cmd || c->config.cmd->empty()) &&
        (!c->config.entrypoint || c->config.entrypoint->empty()))
        return make_error(Errc::invalid_argument, "No command specified");
    if (c->config.hostname.empty()) c->config.hostname = c->id.substr(0, 12);
    c->host = std::move(request.host);
    c->host_config_json = std::move(request.host_config_json);
    c->networking_config_json = std::move(request.networking_config_json);
    c->image_id = image->id;

    std::error_code ec;
    std::filesystem::create_directories(options_.state_dir + "/containers/" + c->id, ec);
    if (ec)
        return make_error(Errc::internal,
                          "create the directory of container " + c->id + ": " + ec.message());
    if (Status st = persist(*c); !st) {
        std::filesystem::remove_all(options_.state_dir + "/containers/" + c->id, ec);
        return st.error();
    }
    names_[c->name] = c->id;
    live(c->id);
    publish(*c, "create");
    CreateResult result;
    result.id = c->id;
    containers_[c->id] = std::move(c);
    return result;
}

runtime::ContainerSpec Engine::spec_of(const Container& c) const {
    runtime::ContainerSpec s;
    s.id = c.id;
    s.name = c.name.substr(1);
    s.image = c.config.image;
    if (c.config.entrypoint) s.entrypoint = *c.config.entrypoint;
    if (c.config.cmd) s.cmd = *c.config.cmd;
    s.env = c.config.env;
    s.workdir = c.config.working_dir;
    s.user = c.config.user;
    s.tty = c.config.tty;
    s.open_stdin = c.config.open_stdin;
    s.stdin_once = c.config.stdin_once;
    s.hold = true;
    s.linger = options_.restart_linger.count() > 0 && !c.host.auto_remove;
    s.labels = c.config.labels;
    auto [cpu, memory] = fargate_size(c.host);
    s.cpu = cpu;
    s.memory = memory;
    return s;
}

// ---- start --------------------------------------------------------------------------------------

asio::awaitable<Status> Engine::start(std::string ref) {
    auto found = find(ref);
    if (!found) co_return found.error();
    Container& c = **found;
    if (c.state.status == ContainerStatus::removing)
        co_return make_error(Errc::conflict, "container " + c.id +
                                                 " is marked for removal and "
                                                 "cannot be started");
    if (c.running() || live(c.id).starting)
        co_return make_error(Errc::not_modified, "container " + c.id + " is already started");
    co_return co_await start_container(c.id);
}

asio::awaitable<Status> Engine::start_container(std::string id) {
    Container* c = containers_[id].get();
    auto live_ref = live_[id];  // kept alive across suspensions
    Live& l = *live_ref;
    l.starting = true;
    l.stopping = false;

    auto fail_pending = [&](const Error& e) {
        for (auto& p : l.pending) {
            p->error = e;
            p->done = true;
        }
        l.pending.clear();
    };
    // As dockerd: a failed start leaves the container in its state with the error and an exit
    // code (127/126 for a command that cannot run, else 128), and AutoRemove still removes it.
    auto failed = [&](Error e) -> Status {
        l.starting = false;
        auto it = containers_.find(id);
        if (it != containers_.end()) {
            Container& cc = *it->second;
            cc.state.error = e.message;
            if (cc.state.exit_code == 0) cc.state.exit_code = 128;
            (void)persist(cc);
            if (cc.host.auto_remove) asio::co_spawn(executor_, auto_remove(id), asio::detached);
        }
        fail_pending(e);
        state_changed();
        return e;
    };

    if (!l.log) {
        auto writer = LogWriter::open(l.log_path);
        if (!writer) co_return failed(writer.error());
        l.log = std::move(*writer);
    }

    // The task of the last run is still up (it lingers): the main process runs again in it.
    Result<std::shared_ptr<agentclient::Connection>> connection =
        make_error(Errc::unavailable, "no task yet");
    Result<runtime::ContainerRecord> record = c->record;
    if (c->record.lingers && !c->record.task_arn.empty()) {
        connection = co_await agentclient::Connection::connect(executor_, endpoint_of(c->record),
                                                               std::chrono::seconds(2));
        if (!containers_.contains(id))
            co_return make_error(Errc::not_found, "No such container: " + id);
        c = containers_[id].get();
        if (!connection)
            spdlog::info(
                "container {}: the agent of task {} no longer answers ({}); starting a "
                "new task",
                id, c->record.task_arn, connection.error().message);
    }
    if (!connection) {
        record = co_await runtime_.start(spec_of(*c));
        if (containers_.find(id) == containers_.end()) {
            // Removed (rm -f) while its task was starting: release the task it got.
            if (record) (void)co_await runtime_.remove(*record);
            co_return make_error(Errc::not_found, "No such container: " + id);
        }
        c = containers_[id].get();
        if (!record) co_return failed(record.error());
        c->record = *record;
    }

    if (!connection && record->exited_with) {
        // Ran and ended before its agent was reachable (only without --hold): its output is
        // what the platform recorded.
        auto lines = co_await runtime_.recorded_logs(*record);
        if (lines)
            for (const runtime::LogLine& line : *lines)
                (void)l.log->write(line.stream, line.message + "\n", now_nanos());
        l.starting = false;
        c->has_been_started = true;
        c->state.status = ContainerStatus::running;
        c->state.started_at = now_nanos();
        ++l.run;
        fail_pending(make_error(Errc::not_found, "container " + id + " exited"));
        publish(*c, "start");
        on_exit(id, l.run, *record->exited_with, "");
        co_return ok();
    }

    if (!connection)
        connection = co_await agentclient::Connection::connect(executor_, endpoint_of(*record));
    if (!connection) {
        co_await runtime_.stop(*record, SIGKILL, std::chrono::milliseconds(0));
        co_return failed(connection.error().wrap("container " + id + ": agent"));
    }
    agentproto::AttachRequest monitor_request;
    monitor_request.stdout = true;
    monitor_request.stderr = true;
    auto monitor_session = (*connection)->attach(monitor_request);
    // Attach-before-start clients get their sessions now, before the process exists.
    for (auto& p : l.pending) {
        p->session = (*connection)->attach(p->request);
        p->done = true;
    }
    l.pending.clear();
    state_changed();

    int pid = 0;
    if (!record->keep_alive) {
        agentproto::StartRequest start;
        auto started = co_await (*connection)->start_main(start);
        if (!started) {
            (*connection)->close();
            co_await runtime_.stop(*record, SIGKILL, std::chrono::milliseconds(0));
            // Docker reports a command that cannot run as exit 127 (not found) or 126, and
            // the message in the runtime's words, which clients map to those codes too.
            const bool not_found = started.error().code == Errc::not_found;
            if (containers_.contains(id)) containers_[id]->state.exit_code = not_found ? 127 : 126;
            co_return failed(
                make_error(Errc::internal,
                           "failed to start container " + id +
                               ": unable to start container process: " + started.error().message));
        }
        pid = *started;
    }
    if (!containers_.contains(id))
        co_return make_error(Errc::not_found, "No such container: " + id);
    c = containers_[id].get();
    ++l.run;
    l.connection = *connection;
    l.monitor = monitor_session;
    l.starting = false;
    c->has_been_started = true;
    c->stopped_by_user = false;
    c->state.status = ContainerStatus::running;
    c->state.pid = pid;
    c->state.exit_code = 0;
    c->state.error.clear();
    c->state.started_at = now_nanos();
    if (c->config.healthcheck && !c->config.healthcheck->test.empty() &&
        c->config.healthcheck->test.front() != "NONE")
        c->state.health = HealthState{"starting", 0};
    if (Status st = persist(*c); !st)
        spdlog::error("container {}: persisting its start: {}", id, st.error().message);
    // Clients that attached while the start request was in flight get the run from its start.
    for (auto& p : l.pending) {
        p->request.replay = true;
        p->session = (*connection)->attach(p->request);
        p->done = true;
    }
    l.pending.clear();
    publish(*c, "start");
    state_changed();
    asio::co_spawn(executor_, monitor(id, l.run, *connection, monitor_session), asio::detached);
    if (c->state.health) asio::co_spawn(executor_, health_checks(id, l.run), asio::detached);
    co_return ok();
}

namespace {

constexpr std::int64_t kDefaultHealthInterval = 30'000'000'000;  // dockerd's defaults, ns
constexpr std::int64_t kDefaultHealthTimeout = 30'000'000'000;
constexpr int kDefaultHealthRetries = 3;

}  // namespace

// Docker's health checks: the test runs in the container (through the agent) every interval;
// `retries` consecutive failures make it unhealthy, a success healthy. Failures during the start
// period do not count. Ends with the run.
asio::awaitable<void> Engine::health_checks(std::string id, std::uint64_t run) {
    auto live_ref = live_[id];
    if (!containers_.contains(id) || !containers_[id]->config.healthcheck) co_return;
    const HealthConfig h = *containers_[id]->config.healthcheck;
    std::vector<std::string> argv;
    if (h.test.size() >= 2 && h.test.front() == "CMD-SHELL")
        argv = {"/bin/sh", "-c", h.test[1]};
    else if (h.test.size() >= 2 && h.test.front() == "CMD")
        argv.assign(h.test.begin() + 1, h.test.end());
    else
        co_return;
    const auto interval =
        std::chrono::nanoseconds(h.interval > 0 ? h.interval : kDefaultHealthInterval);
    const auto timeout =
        std::chrono::nanoseconds(h.timeout > 0 ? h.timeout : kDefaultHealthTimeout);
    const int retries = h.retries > 0 ? h.retries : kDefaultHealthRetries;
    const Nanos started = now_nanos();
    asio::steady_timer timer(executor_);
    while (live_ref->run == run && !live_ref->removed && !shutting_down_) {
        const bool starting = h.start_period > 0 && now_nanos() - started < h.start_period;
        timer.expires_after(starting && h.start_interval > 0
                                ? std::chrono::nanoseconds(h.start_interval)
                                : std::chrono::duration_cast<std::chrono::nanoseconds>(interval));
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        auto it = containers_.find(id);
        if (it == containers_.end() || live_ref->run != run || !it->second->running()) co_return;
        auto result = co_await run_with_timeout(id, argv, timeout);
        it = containers_.find(id);
        if (it == containers_.end() || live_ref->run != run || !it->second->running() ||
            !it->second->state.health)
            co_return;
        HealthState& health = *it->second->state.health;
        const std::string before = health.status;
        if (result && *result == 0) {
            health.failing_streak = 0;
            health.status = "healthy";
        } else if (!(h.start_period > 0 && now_nanos() - started < h.start_period)) {
            ++health.failing_streak;
            if (health.failing_streak >= retries) health.status = "unhealthy";
        }
        if (health.status != before) {
            (void)persist(*it->second);
            publish(*it->second, "health_status: " + health.status);
            state_changed();
        }
    }
}

asio::awaitable<Result<int>> Engine::run_with_timeout(std::string id, std::vector<std::string> argv,
                                                      std::chrono::nanoseconds timeout) {
    auto connection = co_await connection_for(id);
    if (!connection) co_return connection.error();
    agentproto::ExecRequest request;
    request.argv = std::move(argv);
    auto session = co_await (*connection)->exec(std::move(request));
    if (!session) co_return session.error();
    asio::steady_timer deadline(executor_, timeout);
    auto s = *session;
    deadline.async_wait([s](boost::system::error_code ec) {
        if (!ec) s->signal(SIGKILL);
    });
    auto exit = co_await s->wait();
    deadline.cancel();
    if (!exit) co_return exit.error();
    co_return exit->code;
}

asio::awaitable<void> Engine::monitor(std::string id, std::uint64_t run,
                                      std::shared_ptr<agentclient::Connection> connection,
                                      std::shared_ptr<agentclient::Session> session) {
    auto live_ref = live_[id];
    bool lost = false;
    while (true) {
        auto piece = co_await session->read();
        if (!piece) {
            lost = true;
            break;
        }
        if (!*piece) break;
        if (live_ref->log) {
            const int stream = (**piece).stream == agentproto::Stream::err ? 2 : 1;
            const std::string_view data(reinterpret_cast<const char*>((**piece).data.data()),
                                        (**piece).data.size());
            if (Status st = live_ref->log->write(stream, data, now_nanos()); !st)
                spdlog::warn("container {}: log: {}", id, st.error().message);
        }
        state_changed();
    }
    if (live_ref->log) (void)live_ref->log->flush(now_nanos());
    if (!lost && session->exit_status()) {
        on_exit(id, run, session->exit_status()->code, "");
        co_return;
    }
    if (shutting_down_) co_return;
    // The connection to the agent broke: the task's own end is the authority.
    auto it = containers_.find(id);
    if (it == containers_.end() || live_ref->run != run) co_return;
    spdlog::info("container {}: connection to its agent ended; waiting for the task", id);
    // A lingering task does not end with its main process, whose end the agent would have
    // reported: without the agent, the platform stops the task and tells its status.
    const runtime::ContainerRecord record = it->second->record;
    Result<runtime::ExitInfo> exited = make_error(Errc::unavailable, "not yet");
    if (record.lingers) {
        exited = co_await stop_lingering_task(record);
        if (auto again = containers_.find(id); again != containers_.end())
            again->second->record.lingers = false;  // its task is gone
    } else {
        exited = co_await runtime_.wait(record);
    }
    if (exited)
        on_exit(id, run, exited->exit_code, exited->reason);
    else
        on_exit(id, run, 128 + SIGKILL, exited.error().message);
    (void)connection;
}

void Engine::on_exit(const std::string& id, std::uint64_t run, int exit_code,
                     const std::string& error) {
    auto it = containers_.find(id);
    if (it == containers_.end()) return;
    Container& c = *it->second;
    Live& l = live(id);
    if (l.run != run || !c.running()) return;
    c.state.status = ContainerStatus::exited;
    c.state.exit_code = exit_code;
    c.state.pid = 0;
    c.state.finished_at = now_nanos();
    if (!error.empty() && exit_code == 128 + SIGKILL && !l.stopping) c.state.error = error;
    if (c.state.health) c.state.health->status = "unhealthy";
    c.state.health.reset();
    ++l.exits;
    l.last_exit = exit_code;
    if (c.record.lingers) {
        // The task outlives the main process, but Docker ends every process of a container
        // with it: execs still running are killed.
        for (auto& [eid, e] : execs_)
            if (e->container_id == id && e->running)
                if (auto session = e->session.lock()) session->signal(SIGKILL);
        asio::co_spawn(executor_, end_linger(id, run), asio::detached);
    }
    if (l.connection) l.connection->close();
    l.connection.reset();
    l.monitor.reset();
    for (auto& [eid, e] : execs_) {
        if (e->container_id == id && e->running) {
            e->running = false;
            if (!e->exit_code) e->exit_code = 128 + SIGKILL;
        }
    }
    if (Status st = persist(c); !st)
        spdlog::error("container {}: persisting its exit: {}", id, st.error().message);
    publish(c, "die", {{"exitCode", std::to_string(exit_code)}});
    state_changed();
    if (c.host.auto_remove) asio::co_spawn(executor_, auto_remove(id), asio::detached);
}

asio::awaitable<Result<runtime::ExitInfo>> Engine::stop_lingering_task(
    runtime::ContainerRecord record) {
    // The agent may have no main process to signal: the platform's own stop (SIGTERM to the
    // agent, which then ends) is what ends the task, as for a keep-alive container.
    record.keep_alive = true;
    co_return co_await runtime_.stop(std::move(record), SIGTERM, std::chrono::seconds(0));
}

asio::awaitable<void> Engine::end_linger(std::string id, std::uint64_t run) {
    auto live_ref = live_[id];
    if (co_await wait_run_end(live_ref, run, live_ref->exits, options_.restart_linger))
        co_return;  // started again, or removed
    auto it = containers_.find(id);
    if (it == containers_.end() || shutting_down_ || live_ref->starting || it->second->running())
        co_return;
    const runtime::ContainerRecord idle = it->second->record;
    if (auto stopped = co_await stop_lingering_task(idle); !stopped)
        spdlog::warn("container {}: ending its task {}: {}", id, idle.task_arn,
                     stopped.error().message);
    else
        spdlog::debug("container {}: task {} ended after lingering {}s", id, idle.task_arn,
                      options_.restart_linger.count());
    if (auto again = containers_.find(id); again != containers_.end() &&
                                           !again->second->running() && !live_ref->starting &&
                                           again->second->record.task_arn == idle.task_arn) {
        again->second->record.lingers = false;
        (void)persist(*again->second);
    }
}

asio::awaitable<void> Engine::auto_remove(std::string id) {
    auto it = containers_.find(id);
    if (it == containers_.end()) co_return;
    if (Status st = co_await runtime_.remove(it->second->record); !st)
        spdlog::warn("container {}: releasing its task: {}", id, st.error().message);
    if (containers_.contains(id) && !containers_[id]->running()) (void)destroy(id);
}

// ---- stop, kill, restart ----------------------------------------------------------------------

asio::awaitable<Status> Engine::stop(std::string ref, std::optional<int> timeout_seconds,
                                     std::optional<int> signal) {
    auto found = find(ref);
    if (!found) co_return found.error();
    Container* c = *found;
    const std::string id = c->id;
    if (!c->running()) co_return make_error(Errc::not_modified, "container already stopped");
    auto live_ref = live_[id];
    Live& l = *live_ref;
    c->stopped_by_user = true;
    int sig = signal.value_or(0);
    if (sig == 0 && !c->config.stop_signal.empty())
        sig = parse_signal(c->config.stop_signal).value_or(SIGTERM);
    if (sig == 0) sig = SIGTERM;
    int timeout = timeout_seconds.value_or(
        c->config.stop_timeout.value_or(static_cast<int>(options_.default_stop_timeout.count())));
    l.stopping = true;
    publish(*c, "kill", {{"signal", std::to_string(sig)}});
    const std::uint64_t run = l.run;
    const std::uint64_t exits = l.exits;
    auto exited = [&] { return l.exits != exits || l.removed || l.run != run; };

    if (l.monitor && !c->record.keep_alive) {
        l.monitor->signal(sig);
        if (!co_await wait_run_end(live_ref, run, exits, std::chrono::seconds(timeout)) &&
            l.monitor) {
            publish(*containers_[id], "kill", {{"signal", std::to_string(SIGKILL)}});
            l.monitor->signal(SIGKILL);
            co_await wait_run_end(live_ref, run, exits, std::chrono::seconds(10));
        }
    }
    if (!exited() && containers_.contains(id)) {
        // No agent to signal (keep-alive, or it is unreachable): the platform stops the task.
        auto info = co_await runtime_.stop(containers_[id]->record, sig,
                                           std::chrono::seconds(std::max(timeout, 0)));
        if (!exited()) {
            if (info)
                on_exit(id, run, info->exit_code, "");
            else
                on_exit(id, run, 128 + SIGKILL, info.error().message);
        }
    }
    l.stopping = false;
    if (containers_.contains(id)) publish(*containers_[id], "stop");
    co_return ok();
}

asio::awaitable<bool> Engine::wait_run_end(std::shared_ptr<Live> l, std::uint64_t run,
                                           std::uint64_t exits, std::chrono::seconds limit) {
    auto ended = [&] { return l->exits != exits || l->removed || l->run != run; };
    if (limit.count() < 0) {
        while (!ended() && !shutting_down_)
            co_await wait_state_change();
        co_return ended();
    }
    asio::steady_timer deadline(executor_, limit);
    // Shared with the handler: it may run after this frame is gone (expired just as it ended).
    auto expired = std::make_shared<bool>(false);
    deadline.async_wait([this, expired](boost::system::error_code ec) {
        if (!ec) {
            *expired = true;
            state_changed();
        }
    });
    while (!ended() && !*expired && !shutting_down_)
        co_await wait_state_change();
    deadline.cancel();
    co_return ended();
}

asio::awaitable<Status> Engine::kill(std::string ref, int signal) {
    auto found = find(ref);
    if (!found) co_return found.error();
    Container* c = *found;
    if (!c->running())
        co_return make_error(Errc::conflict, "Cannot kill container: " + std::string(ref) + ": " +
                                                 not_running(*c).message);
    Live& l = live(c->id);
    publish(*c, "kill", {{"signal", std::to_string(signal)}});
    if (l.monitor && !c->record.keep_alive) {
        l.monitor->signal(signal);
        co_return ok();
    }
    if (signal == SIGKILL || signal == SIGTERM || signal == SIGINT || signal == SIGQUIT) {
        const std::string id = c->id;
        const std::uint64_t run = l.run;
        auto info = co_await runtime_.stop(c->record, signal, std::chrono::milliseconds(0));
        if (info) on_exit(id, run, 128 + signal, "");
        co_return ok();
    }
    co_return co_await runtime_.kill(c->record, signal);
}

asio::awaitable<Status> Engine::restart(std::string ref, std::optional<int> timeout_seconds,
                                        std::optional<int> signal) {
    auto found = find(ref);
    if (!found) co_return found.error();
    const std::string id = (*found)->id;
    if ((*found)->running()) {
        if (Status st = co_await stop(id, timeout_seconds, signal);
            !st && st.error().code != Errc::not_modified)
            co_return st;
    }
    if (!containers_.contains(id))
        co_return make_error(Errc::not_found, "No such container: " + id);
    if (Status st = co_await start_container(id); !st) co_return st;
    // RestartCount counts restarts by the restart policy only: `docker restart` leaves it.
    if (containers_.contains(id)) publish(*containers_[id], "restart");
    co_return ok();
}

// ---- remove -------------------------------------------------------------------------------------

Status Engine::destroy(const std::string& id) {
    auto it = containers_.find(id);
    if (it == containers_.end()) return ok();
    Container& c = *it->second;
    if (Status st = store_.delete_container(id); !st) return st;
    std::error_code ec;
    std::filesystem::remove_all(options_.state_dir + "/containers/" + id, ec);
    publish(c, "destroy");
    names_.erase(c.name);
    for (auto e = execs_.begin(); e != execs_.end();) {
        if (e->second->container_id == id)
            e = execs_.erase(e);
        else
            ++e;
    }
    if (auto l = live_.find(id); l != live_.end()) {
        l->second->removed = true;
        for (auto& p : l->second->pending) {
            p->error = make_error(Errc::not_found, "container " + id + " was removed");
            p->done = true;
        }
        if (l->second->connection) l->second->connection->close();
        live_.erase(l);
    }
    containers_.erase(it);
    state_changed();
    return ok();
}

asio::awaitable<Status> Engine::remove(std::string ref, bool force, bool volumes) {
    (void)volumes;  // containers have no local volumes: task storage goes with the task
    auto found = find(ref);
    if (!found) co_return found.error();
    Container* c = *found;
    const std::string id = c->id;
    if (c->state.status == ContainerStatus::removing)
        co_return make_error(Errc::conflict,
                             "removal of container " + id + " is already in progress");
    if (c->running() || live(id).starting) {
        if (!force)
            co_return make_error(
                Errc::conflict,
                "You cannot remove a running container " + id +
                    ". Stop the container before attempting removal or force remove");
        Live& l = live(id);
        const std::uint64_t run = l.run;
        l.stopping = true;
        publish(*c, "kill", {{"signal", std::to_string(SIGKILL)}});
        if (l.monitor && !c->record.keep_alive) {
            l.monitor->signal(SIGKILL);
            co_await wait_run_end(live_[id], run, l.exits, std::chrono::seconds(5));
        }
        if (containers_.contains(id) && containers_[id]->running())
            on_exit(id, run, 128 + SIGKILL, "");
    }
    if (!containers_.contains(id)) co_return ok();
    c = containers_[id].get();
    c->state.status = ContainerStatus::removing;
    if (Status st = co_await runtime_.remove(c->record); !st) {
        if (containers_.contains(id)) {
            containers_[id]->state.status = ContainerStatus::dead;
            (void)persist(*containers_[id]);
        }
        co_return st.error().wrap("remove container " + id);
    }
    co_return destroy(id);
}

asio::awaitable<Result<std::vector<std::string>>> Engine::prune(
    const std::function<bool(const Container&)>& selected) {
    std::vector<std::string> ids;
    for (const auto& [id, c] : containers_)
        if (!c->running() && !live(id).starting && selected(*c)) ids.push_back(id);
    std::vector<std::string> removed;
    for (const std::string& id : ids) {
        if (Status st = co_await remove(id, false, false); st) removed.push_back(id);
    }
    if (!removed.empty()) {
        Event e;
        e.type = "container";
        e.action = "prune";
        e.attributes["reclaimed"] = "0";
        events_.publish(std::move(e));
    }
    co_return removed;
}

// ---- wait ---------------------------------------------------------------------------------------

Result<std::function<asio::awaitable<Result<WaitResult>>()>> Engine::prepare_wait(
    std::string_view ref, WaitCondition condition) {
    auto found = find(ref);
    if (!found) return found.error();
    const std::string id = (*found)->id;
    auto l = live_[id];
    const std::uint64_t exits = l->exits;
    return std::function<asio::awaitable<Result<WaitResult>>()>(
        [this, id, l, exits, condition]() -> asio::awaitable<Result<WaitResult>> {
            while (!shutting_down_) {
                auto it = containers_.find(id);
                const Container* c = it == containers_.end() ? nullptr : it->second.get();
                switch (condition) {
                    case WaitCondition::not_running:
                        if (c == nullptr || (!c->running() && !l->starting))
                            co_return WaitResult{c ? c->state.exit_code : l->last_exit, {}};
                        break;
                    case WaitCondition::next_exit:
                        if (l->exits != exits || c == nullptr)
                            co_return WaitResult{l->last_exit, {}};
                        break;
                    case WaitCondition::removed:
                        if (l->removed || c == nullptr) co_return WaitResult{l->last_exit, {}};
                        break;
                }
                co_await wait_state_change();
            }
            co_return make_error(Errc::unavailable, "the daemon is shutting down");
        });
}

asio::awaitable<Result<WaitResult>> Engine::wait(std::string ref, WaitCondition condition) {
    auto waiter = prepare_wait(ref, condition);
    if (!waiter) co_return waiter.error();
    co_return co_await (*waiter)();
}

// ---- rename, resize -----------------------------------------------------------------------------

Status Engine::rename(std::string_view ref, std::string_view new_name) {
    auto found = find(ref);
    if (!found) return found.error();
    Container& c = **found;
    auto valid = validate_name(new_name);
    if (!valid) return valid.error();
    if (*valid == c.name)
        return make_error(Errc::invalid_argument,
                          "Renaming a container with the same name as its current name");
    if (auto holder = names_.find(*valid); holder != names_.end())
        return make_error(Errc::conflict, "Conflict. The container name \"" + *valid +
                                              "\" is already in use by container \"" +
                                              holder->second +
                                              "\". You have to remove (or rename) that container "
                                              "to be able to reuse that name.");
    const std::string old = c.name;
    c.name = *valid;
    if (Status st = persist(c); !st) {
        c.name = old;
        return st;
    }
    names_.erase(old);
    names_[c.name] = c.id;
    publish(c, "rename", {{"oldName", old}});
    return ok();
}

Status Engine::resize(std::string_view ref, std::uint16_t rows, std::uint16_t cols) {
    auto found = find(ref);
    if (!found) return found.error();
    Container& c = **found;
    if (!c.running()) return not_running(c);
    Live& l = live(c.id);
    if (l.monitor) l.monitor->resize(rows, cols);
    return ok();
}

// ---- attach and logs ----------------------------------------------------------------------------

Result<Engine::AttachWaiter> Engine::prepare_attach(std::string_view ref, AttachOptions options) {
    auto found = find(ref);
    if (!found) return found.error();
    Container& c = **found;
    if (c.state.status == ContainerStatus::paused)
        return make_error(Errc::conflict,
                          "You cannot attach to a paused container, unpause it "
                          "first");
    const std::string id = c.id;
    agentproto::AttachRequest request;
    request.stdin = options.stdin;
    request.stdout = options.stdout;
    request.stderr = options.stderr;
    return AttachWaiter(
        [this, id, request]() -> asio::awaitable<Result<std::shared_ptr<agentclient::Session>>> {
            auto it = containers_.find(id);
            if (it == containers_.end())
                co_return make_error(Errc::not_found, "No such container: " + id);
            Live& l = live(id);
            if (it->second->running() && !l.starting) {
                auto connection = co_await connection_for(id);
                if (!connection) co_return connection.error();
                co_return (*connection)->attach(request);
            }
            auto pending = std::make_shared<PendingAttach>();
            pending->request = request;
            l.pending.push_back(pending);
            auto live_ref = live_[id];
            while (!pending->done && !shutting_down_)
                co_await wait_state_change();
            if (pending->error) co_return *pending->error;
            if (!pending->done) co_return make_error(Errc::unavailable, "shutting down");
            co_return pending->session;
        });
}

Result<LogFollow> Engine::log_follow(std::string_view ref) {
    auto found = find(ref);
    if (!found) return found.error();
    LogFollow f;
    f.path = live((*found)->id).log_path;
    f.running = (*found)->running() || live((*found)->id).starting;
    return f;
}

asio::awaitable<void> Engine::wait_log_growth(const std::string& id) {
    (void)id;
    co_await wait_state_change();
}

// ---- exec ---------------------------------------------------------------------------------------

Result<std::string> Engine::exec_create(std::string_view ref, ExecConfig config) {
    auto found = find(ref);
    if (!found) return found.error();
    Container& c = **found;
    if (!c.running() || live(c.id).starting) return not_running(c);
    if (c.state.status == ContainerStatus::paused)
        return make_error(Errc::conflict, "Container " + c.id +
                                              " is paused, unpause the "
                                              "container before exec");
    if (config.cmd.empty()) return make_error(Errc::invalid_argument, "No exec command specified");
    auto id = random_hex_token(32);
    if (!id) return id.error();
    auto e = std::make_unique<Exec>();
    e->id = *id;
    e->container_id = c.id;
    e->config = std::move(config);
    if (Status st = store_.put_exec(e->id, e->container_id, to_document(*e)); !st)
        return st.error();
    std::string joined;
    for (const std::string& a : e->config.cmd)
        joined += (joined.empty() ? "" : " ") + a;
    publish(c, "exec_create: " + joined, {{"execID", e->id}});
    execs_[e->id] = std::move(e);
    return *id;
}

Result<Exec*> Engine::find_exec(std::string_view id) {
    auto it = execs_.find(std::string(id));
    if (it == execs_.end())
        return make_error(Errc::not_found, "No such exec instance: " + std::string(id));
    return it->second.get();
}

asio::awaitable<Result<std::shared_ptr<agentclient::Connection>>> Engine::connection_for(
    std::string id) {
    auto it = containers_.find(id);
    if (it == containers_.end()) co_return make_error(Errc::not_found, "No such container: " + id);
    Live& l = live(id);
    if (l.connection && l.connection->connected()) co_return l.connection;
    auto connection =
        co_await agentclient::Connection::connect(executor_, endpoint_of(it->second->record));
    if (!connection) co_return connection.error().wrap("container " + id + ": agent");
    if (containers_.contains(id)) live(id).connection = *connection;
    co_return *connection;
}

asio::awaitable<Result<std::shared_ptr<agentclient::Session>>> Engine::exec_start(std::string id) {
    auto found = find_exec(id);
    if (!found) co_return found.error();
    Exec* e = *found;
    if (e->started)
        co_return make_error(Errc::conflict, "Error: Exec command " + id + " is already running");
    auto container = containers_.find(e->container_id);
    if (container == containers_.end() || !container->second->running())
        co_return make_error(Errc::conflict, "Container " + e->container_id + " is not running");
    e->started = true;
    e->running = true;
    const std::string container_id = e->container_id;
    publish(*container->second,
            "exec_start: " +
                [&] {
                    std::string joined;
                    for (const std::string& a : e->config.cmd)
                        joined += (joined.empty() ? "" : " ") + a;
                    return joined;
                }(),
            {{"execID", id}});
    auto connection = co_await connection_for(container_id);
    if (!connection) {
        exec_finished(id, 126);
        co_return connection.error();
    }
    agentproto::ExecRequest request;
    request.argv = e->config.cmd;
    request.env = e->config.env;
    request.workdir = e->config.working_dir;
    request.user = e->config.user;
    request.tty = e->config.tty;
    request.stdin = e->config.attach_stdin;
    request.rows = e->config.rows;
    request.cols = e->config.cols;
    auto session = co_await (*connection)->exec(std::move(request));
    auto again = execs_.find(id);
    if (!session) {
        // dockerd reports every exec that cannot start as 126, a missing binary included.
        if (again != execs_.end()) exec_finished(id, 126);
        co_return session.error();
    }
    if (again != execs_.end()) {
        again->second->pid = (*session)->pid();
        again->second->session = *session;
    }
    co_return *session;
}

void Engine::exec_finished(const std::string& id, std::optional<int> exit_code) {
    auto it = execs_.find(id);
    if (it == execs_.end()) return;
    Exec& e = *it->second;
    e.running = false;
    e.exit_code = exit_code.value_or(128 + SIGKILL);
    (void)store_.put_exec(e.id, e.container_id, to_document(e));
    if (auto c = containers_.find(e.container_id); c != containers_.end())
        publish(*c->second, "exec_die",
                {{"execID", id}, {"exitCode", std::to_string(*e.exit_code)}});
    state_changed();
}

Status Engine::exec_resize(std::string_view id, std::uint16_t rows, std::uint16_t cols) {
    auto found = find_exec(id);
    if (!found) return found.error();
    auto session = (*found)->session.lock();
    if (!session) return make_error(Errc::conflict, "Exec " + std::string(id) + " is not running");
    session->resize(rows, cols);
    return ok();
}

asio::awaitable<Result<std::string>> Engine::run_in_container(std::string ref,
                                                              std::vector<std::string> argv) {
    auto found = find(ref);
    if (!found) co_return found.error();
    if (!(*found)->running()) co_return not_running(**found);
    auto connection = co_await connection_for((*found)->id);
    if (!connection) co_return connection.error();
    agentproto::ExecRequest request;
    request.argv = std::move(argv);
    auto session = co_await (*connection)->exec(std::move(request));
    if (!session) co_return session.error();
    std::string out;
    std::string err;
    while (true) {
        auto piece = co_await (*session)->read();
        if (!piece) co_return piece.error();
        if (!*piece) break;
        std::string& into = (**piece).stream == agentproto::Stream::err ? err : out;
        into.append((**piece).data.begin(), (**piece).data.end());
    }
    const auto& exit = (*session)->exit_status();
    if (exit && exit->code != 0)
        co_return make_error(Errc::internal, "ps exited with " + std::to_string(exit->code) +
                                                 (err.empty() ? "" : ": " + err));
    co_return out;
}

}  // namespace sockerless::engine
