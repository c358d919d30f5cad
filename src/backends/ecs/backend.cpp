#include "backends/ecs/backend.h"

#include <algorithm>
#include <csignal>
#include <tuple>

#include <spdlog/spdlog.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agentclient/client.h"
#include "agentproto/launch.h"
#include "aws/ecs_client.h"
#include "aws/logs_client.h"
#include "aws/s3_client.h"
#include "backends/ecs/agent_health.h"
#include "backends/ecs/agent_logs.h"
#include "backends/ecs/eni.h"
#include "backends/ecs/entrypoint.h"
#include "backends/ecs/overrides.h"
#include "backends/ecs/payload_store.h"
#include "base/hex.h"

namespace sockerless::ecs {
namespace asio = boost::asio;
namespace {

constexpr std::string_view kInjectionPrefix = "ecs: agent injection: ";

Error injection_error(Errc code, std::string_view container_id, std::string_view what) {
    return make_error(code, std::string(kInjectionPrefix) + "container " +
                                std::string(container_id) + ": " + std::string(what));
}

// Keeps the error's code, adds the container and the injection prefix unless already there.
Error wrap(const Error& e, std::string_view container_id, std::string_view step) {
    if (e.message.starts_with(kInjectionPrefix)) return e;
    return injection_error(e.code, container_id, std::string(step) + ": " + e.message);
}

const aws::EcsContainer* main_container(const aws::EcsTask& task) {
    for (const aws::EcsContainer& c : task.containers) {
        if (c.name == kMainContainer) return &c;
    }
    return nullptr;
}

// "stopped reason (stop code); container main: reason".
std::string describe_stop(const aws::EcsTask& task) {
    std::string out = task.stopped_reason.empty() ? "no stopped reason" : task.stopped_reason;
    if (!task.stop_code.empty()) out += " (" + task.stop_code + ")";
    for (const aws::EcsContainer& c : task.containers) {
        if (!c.reason.empty()) out += "; container " + c.name + ": " + c.reason;
    }
    return out;
}

runtime::ExitInfo exit_of(const aws::EcsTask& task) {
    runtime::ExitInfo out;
    const aws::EcsContainer* main = main_container(task);
    if (main != nullptr && main->exit_code) {
        out.exit_code = *main->exit_code;
        if (!main->reason.empty()) out.reason = main->reason;
    } else {
        // The container never ran or its exit is unknown: Docker's "killed" is the closest.
        out.exit_code = 128 + SIGKILL;
        out.reason = describe_stop(task);
    }
    return out;
}

std::string task_id_of(std::string_view task_arn) {
    const auto slash = task_arn.rfind('/');
    return std::string(slash == std::string_view::npos ? task_arn : task_arn.substr(slash + 1));
}

// s3://bucket/key -> {bucket, key}.
std::pair<std::string, std::string> split_s3_uri(std::string_view uri) {
    if (!uri.starts_with("s3://")) return {};
    uri.remove_prefix(5);
    const auto slash = uri.find('/');
    if (slash == std::string_view::npos) return {};
    return {std::string(uri.substr(0, slash)), std::string(uri.substr(slash + 1))};
}

std::string_view tag_of(const aws::EcsTask& task, std::string_view key) {
    for (const aws::NameValue& tag : task.tags) {
        if (tag.first == key) return tag.second;
    }
    return {};
}

const aws::EcsContainerOverride* main_override(const aws::EcsTask& task) {
    for (const aws::EcsContainerOverride& o : task.container_overrides) {
        if (o.name == kMainContainer) return &o;
    }
    return nullptr;
}

std::optional<std::string_view> env_of(const aws::EcsContainerOverride& o, std::string_view name) {
    for (const aws::NameValue& e : o.environment) {
        if (e.first == name) return e.second;
    }
    return std::nullopt;
}

// Everything the task itself tells about its container. Whether the agent keeps alive is known
// only from inline overrides (nullopt otherwise: the task definition tells).
std::pair<RecoveredTask, std::optional<bool>> recovered_from(const aws::EcsTask& task,
                                                             std::uint16_t agent_port) {
    RecoveredTask r;
    r.container_id = tag_of(task, kContainerIdTag);
    r.name = tag_of(task, kContainerNameTag);
    r.task_arn = task.task_arn;
    r.task_definition_arn = task.task_definition_arn;
    r.last_status = task.last_status;
    r.started_at = task.started_at;
    if (auto address = agent_address(task, agent_port)) r.agent_address = *address;
    // The init container exists only in init-container definitions (task_definition.h).
    const bool init =
        std::any_of(task.containers.begin(), task.containers.end(),
                    [](const aws::EcsContainer& c) { return c.name == kInitContainer; });
    r.injection = std::string(
        format_strategy(init ? InjectionStrategy::init_container : InjectionStrategy::efs));
    if (const aws::EcsContainer* main = main_container(task)) {
        r.image = main->image;
        if (task.last_status == "STOPPED") r.exit_code = main->exit_code;
    }
    std::optional<bool> keep_alive;
    if (const aws::EcsContainerOverride* o = main_override(task)) {
        if (auto uri = env_of(*o, agentproto::kEnvPayloadUri)) {
            r.payload_uri = *uri;
        } else {
            r.agent_token = env_of(*o, agentproto::kEnvToken).value_or("");
            keep_alive = env_of(*o, agentproto::kEnvKeepAlive).value_or("") == "1";
            r.lingers = env_of(*o, agentproto::kEnvLinger).value_or("") == "1";
        }
    }
    if (keep_alive) r.keep_alive = *keep_alive;
    return {std::move(r), keep_alive};
}

// The main container's entryPoint in a DescribeTaskDefinition's taskDefinition object.
bool keeps_alive(const boost::json::object& definition) {
    const boost::json::value* containers = definition.if_contains("containerDefinitions");
    if (containers == nullptr || !containers->is_array()) return false;
    for (const boost::json::value& c : containers->get_array()) {
        if (!c.is_object()) continue;
        const boost::json::object& o = c.get_object();
        const boost::json::value* name = o.if_contains("name");
        const boost::json::value* entry = o.if_contains("entryPoint");
        if (name == nullptr || !name->is_string() || name->get_string() != kMainContainer ||
            entry == nullptr || !entry->is_array())
            continue;
        const boost::json::array& argv = entry->get_array();
        return std::any_of(argv.begin(), argv.end(), [](const boost::json::value& a) {
            return a.is_string() && a.get_string() == "--keep-alive";
        });
    }
    return false;
}

}  // namespace

// A registration in flight or done, shared by every start of the same shape.
struct EcsBackend::Registration {
    explicit Registration(const asio::any_io_executor& executor)
        : done(executor, asio::steady_timer::time_point::max()) {}
    std::optional<Result<std::string>> arn;
    asio::steady_timer done;  // cancelled when `arn` is set
};

EcsBackend::EcsBackend(asio::any_io_executor executor, EcsConfig config, aws::EcsClient& ecs,
                       aws::S3Client& s3, aws::LogsClient& logs, BackendOptions options)
    : executor_(std::move(executor)),
      config_(std::move(config)),
      ecs_(ecs),
      s3_(s3),
      logs_(logs),
      options_(std::move(options)),
      watcher_(executor_, ecs_, config_.cluster, options_.watcher) {}

EcsBackend::~EcsBackend() = default;

asio::awaitable<Result<std::string>> EcsBackend::task_definition_for(TaskShape shape) {
    const std::string family = shape_family(shape);
    auto found = definitions_.find(family);
    if (found != definitions_.end()) {
        std::shared_ptr<Registration> r = found->second;
        if (!r->arn) {
            boost::system::error_code ec;
            co_await r->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        if (r->arn && r->arn->has_value()) co_return *r->arn;
        // A failed registration is not cached: this start tries again below.
        if (definitions_[family] == r) definitions_.erase(family);
    }
    auto r = std::make_shared<Registration>(executor_);
    definitions_[family] = r;
    r->arn = co_await lookup_or_register(std::move(shape));
    r->done.cancel();
    if (!r->arn->has_value() && definitions_[family] == r) definitions_.erase(family);
    co_return *r->arn;
}

asio::awaitable<Result<std::string>> EcsBackend::lookup_or_register(TaskShape shape) {
    const std::string family = shape_family(shape);
    ++counters_.describe_task_definition;
    auto existing = co_await ecs_.describe_task_definition(family);
    if (existing && existing->status == "ACTIVE") {
        spdlog::debug("ecs: reusing task definition {} for shape {}", existing->task_definition_arn,
                      family);
        co_return existing->task_definition_arn;
    }
    if (!existing && existing.error().code != Errc::invalid_argument &&
        existing.error().code != Errc::not_found) {
        co_return existing.error();
    }
    ++counters_.register_task_definition;
    auto registered = co_await ecs_.register_task_definition(build_task_definition(shape));
    if (!registered) co_return registered.error();
    spdlog::info("ecs: registered task definition {}", registered->task_definition_arn);
    co_return registered->task_definition_arn;
}

asio::awaitable<Result<runtime::ContainerRecord>> EcsBackend::start(runtime::ContainerSpec spec) {
    const std::string id = spec.id;
    runtime::ContainerRecord record;
    record.id = id;
    record.injection = std::string(format_strategy(config_.strategy));

    agentproto::LaunchSpec launch;
    launch.entrypoint = spec.entrypoint;
    launch.cmd = spec.cmd;
    launch.env = spec.env;
    launch.workdir = spec.workdir;
    launch.user = spec.user;
    launch.tty = spec.tty;
    launch.open_stdin = spec.open_stdin;
    launch.stdin_once = spec.stdin_once;
    launch.keep_alive = is_keep_alive(spec.entrypoint, spec.cmd);
    // A keep-alive agent runs no main process, so there is nothing to hold.
    launch.hold = spec.hold && !launch.keep_alive;
    record.keep_alive = launch.keep_alive;
    launch.linger = spec.linger && !launch.keep_alive;
    record.lingers = launch.linger;
    auto token = new_agent_token();
    if (!token) co_return token.error();
    launch.token = *token;
    record.agent_token = *token;

    TaskShape shape = shape_of(config_, spec.image, launch.keep_alive, spec.cpu, spec.memory);
    if (Status size = check_fargate_size(shape.cpu, shape.memory); !size) {
        co_return make_error(Errc::invalid_argument,
                             "container " + id + ": " + size.error().message);
    }
    auto definition = co_await task_definition_for(shape);
    if (!definition) co_return wrap(definition.error(), id, "task definition");
    record.task_definition_arn = *definition;

    auto plan = plan_overrides(id, launch, config_.payload_mode, payload_target(config_));
    if (!plan) co_return plan.error();
    std::string payload_bucket;
    std::string payload_key;
    if (plan->payload) {
        ++counters_.put_payload;
        auto put = co_await put_payload(s3_, plan->payload->bucket, plan->payload->key,
                                        plan->payload->body);
        if (!put) co_return wrap(put.error(), id, "launch payload " + plan->payload->uri);
        payload_bucket = plan->payload->bucket;
        payload_key = plan->payload->key;
        record.payload_uri = plan->payload->uri;
    }

    aws::RunTaskRequest run;
    run.cluster = config_.cluster;
    run.task_definition = *definition;
    run.subnets = config_.subnets;
    run.security_groups = config_.security_groups;
    run.assign_public_ip = config_.assign_public_ip;
    run.overrides = std::move(plan->overrides);
    run.tags = {{std::string(kContainerIdTag), id}};
    if (!spec.name.empty()) run.tags.emplace_back(std::string(kContainerNameTag), spec.name);
    run.started_by = std::string(kStartedBy);
    auto client_token = random_hex_token(16);
    if (!client_token) co_return client_token.error();
    run.client_token = *client_token;
    StartTimings timings;
    timings.container_id = id;
    timings.run_task_sent = std::chrono::system_clock::now();
    ++counters_.run_task;
    auto ran = co_await ecs_.run_task(std::move(run));
    if (!ran || ran->tasks.empty()) {
        std::string why;
        if (!ran) {
            why = ran.error().message;
        } else {
            for (const aws::EcsFailure& f : ran->failures)
                why += (why.empty() ? "" : "; ") + f.reason +
                       (f.detail.empty() ? "" : " (" + f.detail + ")") +
                       (f.arn.empty() ? "" : " " + f.arn);
            if (why.empty()) why = "ECS started no task and reported no failure";
        }
        if (!payload_key.empty()) {
            ++counters_.delete_payload;
            if (Status gone = co_await delete_payload(s3_, payload_bucket, payload_key); !gone)
                spdlog::warn("ecs: container {}: could not delete payload {}: {}", id, payload_key,
                             gone.error().message);
        }
        co_return injection_error(ran ? Errc::unavailable : ran.error().code, id,
                                  "RunTask failed: " + why);
    }
    record.task_arn = ran->tasks.front().task_arn;
    spdlog::info("ecs: container {} task {} started", id, record.task_arn);

    auto task = co_await watcher_.wait(record.task_arn, TaskWatcher::Until::running_or_stopped,
                                       TaskWatcher::Clock::now() + options_.provisioning_timeout);
    if (!task) {
        co_await abandon(id, record.task_arn, payload_bucket, payload_key,
                         "sockerless: start failed");
        co_return wrap(task.error(), id, "task " + record.task_arn);
    }
    timings.running_seen = std::chrono::system_clock::now();
    timings.running_at = task->started_at;
    if (task->last_status == "STOPPED") {
        const aws::EcsContainer* main = main_container(*task);
        if (main != nullptr && main->exit_code) {
            // It ran and is already done: a start, not a failure.
            record.exited_with = *main->exit_code;
            co_await abandon(id, "", payload_bucket, payload_key, "");
            co_return record;
        }
        co_await abandon(id, "", payload_bucket, payload_key, "");
        co_return injection_error(Errc::unavailable, id,
                                  "task " + record.task_arn +
                                      " stopped before its agent was up: " + describe_stop(*task));
    }
    auto address = agent_address(*task, config_.agent_port);
    if (!address) {
        co_await abandon(id, record.task_arn, payload_bucket, payload_key,
                         "sockerless: no agent address");
        co_return wrap(address.error(), id, "ENI");
    }
    record.agent_address = *address;

    HealthCheck check;
    check.container_id = id;
    check.address = *address;
    check.timeout = config_.health_timeout;
    check.max_interval = config_.health_interval;
    std::string task_arn = record.task_arn;
    auto stopped_reason = [this, task_arn]() -> asio::awaitable<std::optional<std::string>> {
        std::vector<std::string> one;
        one.push_back(task_arn);
        auto d = co_await ecs_.describe_tasks(config_.cluster, std::move(one));
        if (!d || d->tasks.empty() || d->tasks.front().last_status != "STOPPED")
            co_return std::nullopt;
        co_return describe_stop(d->tasks.front());
    };
    if (Status healthy = co_await wait_agent_healthy(executor_, check, stopped_reason); !healthy) {
        // A main process that was quicker than the first probe (`true`) stopped the task: it
        // ran, and its exit code is the answer.
        std::vector<std::string> one;
        one.push_back(record.task_arn);
        auto now = co_await ecs_.describe_tasks(config_.cluster, std::move(one));
        if (now && !now->tasks.empty() && now->tasks.front().last_status == "STOPPED") {
            const aws::EcsContainer* main = main_container(now->tasks.front());
            if (main != nullptr && main->exit_code) {
                record.exited_with = *main->exit_code;
                co_await abandon(id, "", payload_bucket, payload_key, "");
                co_return record;
            }
        }
        spdlog::warn("ecs: container {} agent {} not healthy: {}", id, *address,
                     healthy.error().message);
        co_await abandon(id, record.task_arn, payload_bucket, payload_key,
                         "sockerless: agent not healthy");
        co_return healthy.error();
    }
    timings.healthy_seen = std::chrono::system_clock::now();
    spdlog::info("ecs: container {} agent {} healthy", id, *address);
    if (options_.on_started) options_.on_started(timings);
    // The agent read its payload before it answered /health: the object is no longer needed.
    if (!payload_key.empty()) co_await abandon(id, "", payload_bucket, payload_key, "");
    co_return record;
}

asio::awaitable<void> EcsBackend::abandon(std::string container_id, std::string task_arn,
                                          std::string payload_bucket, std::string payload_key,
                                          std::string reason) {
    if (!task_arn.empty()) {
        ++counters_.stop_task;
        auto stopped = co_await ecs_.stop_task(config_.cluster, task_arn, reason);
        if (!stopped)
            spdlog::warn("ecs: container {}: StopTask {}: {}", container_id, task_arn,
                         stopped.error().message);
    }
    if (!payload_key.empty()) {
        ++counters_.delete_payload;
        if (Status gone = co_await delete_payload(s3_, payload_bucket, payload_key); !gone)
            spdlog::warn("ecs: container {}: delete payload {}: {}", container_id, payload_key,
                         gone.error().message);
    }
}

asio::awaitable<Result<std::vector<std::string>>> EcsBackend::sweep_orphans(
    std::set<std::string> live_container_ids) {
    if (config_.payload_bucket.empty()) co_return std::vector<std::string>{};
    Result<std::vector<std::string>> deleted = co_await sweep_payloads(
        s3_, config_.payload_bucket, config_.payload_prefix, std::move(live_container_ids));
    if (!deleted) co_return deleted.error();
    counters_.delete_payload += deleted->size();
    for (const std::string& key : *deleted)
        spdlog::info("ecs: deleted orphaned payload s3://{}/{}", config_.payload_bucket, key);
    co_return deleted;
}

asio::awaitable<Result<std::vector<RecoveredTask>>> EcsBackend::list_tasks_of_containers() {
    std::vector<std::string> arns;
    std::set<std::string> listed;
    // RUNNING first: a task whose desired status turns STOPPED between the two listings shows
    // in both (and is described once) rather than in neither.
    for (const char* desired : {"RUNNING", "STOPPED"}) {
        aws::ListTasksRequest request;
        request.cluster = config_.cluster;
        request.started_by = std::string(kStartedBy);
        request.desired_status = desired;
        auto page = co_await ecs_.list_tasks(std::move(request));
        if (!page) {
            co_return make_error(page.error().code, "ecs: ListTasks (" + std::string(desired) +
                                                        ") in cluster " + config_.cluster + ": " +
                                                        page.error().message);
        }
        for (std::string& arn : *page) {
            if (listed.insert(arn).second) arns.push_back(std::move(arn));
        }
    }
    std::vector<RecoveredTask> out;
    if (arns.empty()) co_return out;
    auto described = co_await ecs_.describe_tasks(config_.cluster, std::move(arns));
    if (!described) {
        co_return make_error(
            described.error().code,
            "ecs: DescribeTasks in cluster " + config_.cluster + ": " + described.error().message);
    }
    // Sorted on (container id, creation, still live): of two tasks created in the same
    // millisecond, the stopped one is the older.
    std::vector<std::tuple<std::string, aws::SystemClock::time_point, bool, RecoveredTask>> found;
    std::map<std::string, bool> keep_alive_of;  // by task definition ARN
    for (const aws::EcsTask& task : described->tasks) {
        if (tag_of(task, kContainerIdTag).empty()) continue;
        std::pair<RecoveredTask, std::optional<bool>> from =
            recovered_from(task, config_.agent_port);
        RecoveredTask& recovered = from.first;
        if (!from.second) {
            auto known = keep_alive_of.find(task.task_definition_arn);
            if (known == keep_alive_of.end()) {
                auto fetched = co_await definition_keeps_alive(task.task_definition_arn);
                if (!fetched) co_return fetched.error();
                known = keep_alive_of.emplace(task.task_definition_arn, *fetched).first;
            }
            recovered.keep_alive = known->second;
        }
        found.emplace_back(recovered.container_id,
                           task.created_at.value_or(aws::SystemClock::time_point{}),
                           recovered.last_status != "STOPPED", std::move(recovered));
    }
    std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
        return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a)) <
               std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b));
    });
    out.reserve(found.size());
    for (auto& f : found)
        out.push_back(std::move(std::get<3>(f)));
    spdlog::info("ecs: found {} tasks of containers in cluster {}", out.size(), config_.cluster);
    co_return out;
}

asio::awaitable<Result<bool>> EcsBackend::definition_keeps_alive(std::string task_definition_arn) {
    ++counters_.describe_task_definition;
    auto definition = co_await ecs_.describe_task_definition(task_definition_arn);
    if (definition) co_return keeps_alive(definition->raw);
    // A definition ECS no longer describes cannot say. A wrong guess costs little: stop() ends
    // the task with StopTask after the grace period either way.
    if (definition.error().code == Errc::not_found ||
        definition.error().code == Errc::invalid_argument) {
        spdlog::warn("ecs: task definition {}: {}; taking its agent as not keep-alive",
                     task_definition_arn, definition.error().message);
        co_return false;
    }
    co_return make_error(
        definition.error().code,
        "ecs: DescribeTaskDefinition " + task_definition_arn + ": " + definition.error().message);
}

asio::awaitable<Status> EcsBackend::kill(runtime::ContainerRecord record, int signal) {
    auto endpoint = agent_endpoint(record);
    if (!endpoint) co_return endpoint.error();
    auto connection = co_await agentclient::Connection::connect(executor_, *endpoint);
    if (!connection) {
        co_return make_error(connection.error().code, "container " + record.id + ": signal " +
                                                          std::to_string(signal) +
                                                          " through agent " + record.agent_address +
                                                          ": " + connection.error().message);
    }
    agentproto::AttachRequest attach;
    attach.stdout = false;
    attach.stderr = false;
    std::shared_ptr<agentclient::Session> session = (*connection)->attach(attach);
    session->signal(signal);
    (*connection)->close();
    co_return ok();
}

asio::awaitable<Result<runtime::ExitInfo>> EcsBackend::wait(runtime::ContainerRecord record) {
    if (record.exited_with) co_return runtime::ExitInfo{*record.exited_with, {}};
    auto task = co_await watcher_.wait(record.task_arn, TaskWatcher::Until::stopped);
    if (!task) co_return task.error();
    co_return exit_of(*task);
}

asio::awaitable<Result<runtime::ExitInfo>> EcsBackend::stop(runtime::ContainerRecord record,
                                                            int signal,
                                                            std::chrono::milliseconds grace) {
    if (record.exited_with) co_return runtime::ExitInfo{*record.exited_with, {}};
    // Through the agent first: the main process gets the real signal and the agent exits with
    // its status (128+N), as Docker reports it. A keep-alive agent has no main process to
    // signal: ECS's own stop (SIGTERM to the agent, which then ends) is the signal.
    // (No co_await inside a conditional expression: GCC 12 destroys its temporaries twice.)
    Status sent = make_error(Errc::unavailable, "keep-alive agent has no main process");
    if (!record.keep_alive) sent = co_await kill(record, signal);
    if (sent) {
        auto exited = co_await watcher_.wait(record.task_arn, TaskWatcher::Until::stopped,
                                             TaskWatcher::Clock::now() + grace);
        if (exited) co_return exit_of(*exited);
        if (signal != SIGKILL && co_await kill(record, SIGKILL)) {
            exited = co_await watcher_.wait(record.task_arn, TaskWatcher::Until::stopped,
                                            TaskWatcher::Clock::now() + std::chrono::seconds(10));
            if (exited) co_return exit_of(*exited);
        }
    } else if (!record.keep_alive) {
        spdlog::warn("ecs: container {}: {}; stopping the task instead", record.id,
                     sent.error().message);
    }
    ++counters_.stop_task;
    auto stopped = co_await ecs_.stop_task(config_.cluster, record.task_arn, "sockerless: stop");
    if (!stopped) co_return wrap(stopped.error(), record.id, "StopTask");
    auto task = co_await watcher_.wait(record.task_arn, TaskWatcher::Until::stopped);
    if (!task) co_return task.error();
    co_return exit_of(*task);
}

asio::awaitable<Status> EcsBackend::remove(runtime::ContainerRecord record) {
    if (!record.task_arn.empty() && !record.exited_with) {
        ++counters_.stop_task;
        auto stopped =
            co_await ecs_.stop_task(config_.cluster, record.task_arn, "sockerless: remove");
        if (!stopped && stopped.error().code != Errc::not_found &&
            stopped.error().code != Errc::invalid_argument) {
            co_return wrap(stopped.error(), record.id, "StopTask");
        }
    }
    auto [bucket, key] = split_s3_uri(record.payload_uri);
    if (!key.empty()) {
        ++counters_.delete_payload;
        if (Status gone = co_await delete_payload(s3_, bucket, key); !gone) co_return gone;
    }
    co_return ok();
}

asio::awaitable<Result<runtime::MainState>> EcsBackend::main_state(
    runtime::ContainerRecord record) {
    auto health =
        co_await read_agent_health(executor_, record.agent_address, std::chrono::seconds(2));
    if (!health) co_return wrap(health.error(), record.id, "agent " + record.agent_address);
    co_return runtime::MainState{health->main_running, health->exit_code};
}

asio::awaitable<Result<std::vector<runtime::LogLine>>> EcsBackend::recorded_logs(
    runtime::ContainerRecord record) {
    std::vector<runtime::LogLine> lines;
    if (record.task_arn.empty()) co_return lines;
    aws::GetLogEventsRequest request;
    request.log_group_name = config_.log_group;
    request.log_stream_name = config_.log_stream_prefix + "/" + std::string(kMainContainer) + "/" +
                              task_id_of(record.task_arn);
    // Pages until the forward token repeats, bounded.
    for (int page = 0; page < 1000; ++page) {
        auto got = co_await logs_.get_log_events(request);
        if (!got) co_return got.error();
        for (const aws::LogEvent& e : got->events) {
            runtime::LogLine line;
            line.time =
                std::chrono::system_clock::time_point(std::chrono::milliseconds(e.timestamp));
            line.message = e.message;
            lines.push_back(std::move(line));
        }
        if (got->events.empty() || got->next_forward_token == request.next_token) break;
        request.next_token = got->next_forward_token;
    }
    co_return lines;
}

}  // namespace sockerless::ecs
