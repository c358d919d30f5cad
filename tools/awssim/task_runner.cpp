#include "task_runner.h"

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>

#include "awslogs_writer.h"
#include "base/hex.h"
#include "task_images.h"

namespace sockerless::awssim {
namespace asio = boost::asio;
namespace {

// Task role credentials live six hours and are renewed when less than one is left.
constexpr auto kCredentialsLifetime = std::chrono::hours(6);
constexpr auto kCredentialsRenewal = std::chrono::hours(1);

// How long shutdown lets processes exit on SIGTERM before killing them.
constexpr auto kShutdownGrace = std::chrono::milliseconds(2000);

// What a host-mode container inherits from the simulator's environment. Nothing else leaks in:
// in particular no AWS_* variable, which would shadow the task's own credentials.
constexpr std::array<const char*, 12> kInheritedEnvironment{
    "PATH",   "HOME", "USER",   "LOGNAME",    "SHELL",         "LANG",
    "LC_ALL", "TZ",   "TMPDIR", "PYENV_ROOT", "PYENV_VERSION", "LD_LIBRARY_PATH"};

// IPv4 addresses something on this host listens on (TCP), from /proc/net/tcp.
std::set<std::uint32_t> listening_addresses() {
    std::set<std::uint32_t> out;
    std::ifstream in("/proc/net/tcp");
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        // "  0: 0100007F:1F90 00000000:0000 0A ..."; the address is in network byte order.
        std::size_t colon = line.find(':');
        if (colon == std::string::npos || line.size() < colon + 34) continue;
        std::string address = line.substr(colon + 2, 8);
        std::string state = line.substr(colon + 31, 2);
        if (state != "0A") continue;
        auto raw = static_cast<std::uint32_t>(std::strtoul(address.c_str(), nullptr, 16));
        out.insert(((raw & 0xFF) << 24) | ((raw & 0xFF00) << 8) | ((raw >> 8) & 0xFF00) |
                   (raw >> 24));
    }
    return out;
}

std::string dns_name(const std::string& ip, std::string_view region) {
    std::string name = "ip-" + ip;
    std::ranges::replace(name, '.', '-');
    return name + (region == "us-east-1" ? ".ec2.internal"
                                         : "." + std::string(region) + ".compute.internal");
}

}  // namespace

Result<std::unique_ptr<TaskRunner>> TaskRunner::create(const asio::any_io_executor& executor,
                                                       TaskRunnerConfig config, Services services,
                                                       Clock clock) {
    auto pool = AddressPool::parse(config.task_subnet);
    if (!pool) return pool.error();
    // A random starting point, so that simulators sharing a host rarely hand out the same
    // addresses (the walk also skips addresses something already listens on).
    std::random_device seed;
    pool->set_cursor(static_cast<std::uint32_t>(seed()));
    if (config.state_dir.empty())
        config.state_dir = (std::filesystem::temp_directory_path() / "awssim").string();
    return std::unique_ptr<TaskRunner>(
        new TaskRunner(executor, std::move(config), services, std::move(clock), std::move(*pool)));
}

TaskRunner::TaskRunner(const asio::any_io_executor& executor, TaskRunnerConfig config,
                       Services services, Clock clock, AddressPool pool)
    : executor_(executor),
      config_(std::move(config)),
      services_(services),
      clock_(std::move(clock)),
      pool_(std::move(pool)),
      images_(config_.state_dir + "/images"),
      runtime_available_(config_.container_mode != ContainerMode::host && oci_runtime_available()),
      runc_root_(config_.state_dir + "/runc") {}

TaskRunner::~TaskRunner() {
    {
        std::lock_guard lock(pull_channel_->mutex);
        pull_channel_->open = false;
    }
    shutdown();
}

void TaskRunner::launch(const std::string& task_id) {
    Task* task = services_.ecs.find_task(task_id);
    if (!task) return;
    auto run = std::make_unique<TaskRun>(executor_);
    run->containers.resize(task->containers.size());
    auto delay = config_.provisioning_delay;
    if (auto slow = services_.faults.take_task_fault(TaskFaultKind::slow_provisioning))
        delay = slow->delay;
    if (auto fail = services_.faults.take_task_fault(TaskFaultKind::stop_before_running))
        run->fail_before_running = std::move(*fail);
    run->timer.expires_after(delay);
    run->timer.async_wait([this, task_id](const boost::system::error_code& ec) {
        if (!ec) on_provisioned(task_id);
    });
    runs_[task_id] = std::move(run);
}

void TaskRunner::stop(const std::string& task_id) {
    progress(task_id);
}

void TaskRunner::on_provisioned(const std::string& task_id) {
    Task* task = services_.ecs.find_task(task_id);
    auto it = runs_.find(task_id);
    if (!task || it == runs_.end()) return;
    TaskRun& run = *it->second;
    run.provisioned = true;
    if (run.fail_before_running) {
        request_stop(*task, run.fail_before_running->stop_code, run.fail_before_running->reason,
                     clock_());
    } else if (!task->desired_stopped && attach_eni(*task) && prepare_logs(*task)) {
        issue_credentials(*task);
        start_pulls(*task, run);
        run.scratch = std::filesystem::path(config_.state_dir) / "tasks" / task->id;
        std::error_code ec;
        std::filesystem::create_directories(run.scratch, ec);
        if (ec) {
            request_stop(*task, "TaskFailedToStart",
                         "ResourceInitializationError: create task scratch directory " +
                             run.scratch.string() + ": " + ec.message(),
                         clock_());
        }
    }
    progress(task_id);
}

bool TaskRunner::attach_eni(Task& task) {
    std::set<std::uint32_t> listening = listening_addresses();
    auto ip = pool_.acquire([&](std::uint32_t a) { return listening.contains(a); });
    if (!ip) {
        request_stop(
            task, "TaskFailedToStart",
            "ResourceInitializationError: no free address left in the task subnet " + pool_.cidr(),
            clock_());
        return false;
    }
    task.eni.private_ip = *ip;
    task.eni.private_dns_name = dns_name(*ip, config_.region);
    task.eni.status = "ATTACHED";
    task.connectivity_at = clock_();
    advance(task, TaskStatus::pending);
    return true;
}

void TaskRunner::issue_credentials(Task& task) {
    if (task.task_role_arn.empty()) return;
    auto session = services_.identities.issue_session(task.task_role_arn, task.id, clock_(),
                                                      kCredentialsLifetime);
    auto token = random_hex_token(32);
    task.credentials_id = new_request_id();
    task.credentials_token = token ? *token : new_request_id();
    credentials_[task.credentials_id] =
        IssuedCredentials{task.id, task.credentials_token, session, {session.access_key}};
}

const TaskRunner::IssuedCredentials* TaskRunner::credentials(std::string_view id) {
    auto it = credentials_.find(id);
    if (it == credentials_.end()) return nullptr;
    IssuedCredentials& issued = it->second;
    // As ECS does, hand out fresh credentials well before the old ones expire; the old ones stay
    // valid until then (an SDK may still hold them).
    if (issued.session.expiration - clock_() < kCredentialsRenewal) {
        issued.session = services_.identities.issue_session(issued.session.role_arn, issued.task_id,
                                                            clock_(), kCredentialsLifetime);
        issued.access_keys.push_back(issued.session.access_key);
    }
    return &issued;
}

std::optional<pid_t> TaskRunner::container_pid(std::string_view task_id, std::size_t index) const {
    auto it = runs_.find(task_id);
    if (it == runs_.end() || index >= it->second->containers.size()) return std::nullopt;
    const auto& process = it->second->containers[index].process;
    if (!process || process->exited()) return std::nullopt;
    return process->pid();
}

bool TaskRunner::prepare_logs(Task& task) {
    auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch()).count();
    for (const auto& c : task.containers) {
        if (!c.awslogs || services_.logs.find_group(c.awslogs->group)) continue;
        if (c.awslogs->create_group && valid_log_group_name(c.awslogs->group)) {
            if (services_.logs.create_group(c.awslogs->group, now)) continue;
        }
        request_stop(task, "TaskFailedToStart",
                     "ResourceInitializationError: failed to validate logger args: create stream "
                     "has been retried 1 times: failed to create Cloudwatch log stream: "
                     "ResourceNotFoundException: The specified log group does not exist. : exit "
                     "status 1",
                     clock_());
        return false;
    }
    return true;
}

void TaskRunner::progress(const std::string& task_id) {
    Task* task = services_.ecs.find_task(task_id);
    auto it = runs_.find(task_id);
    if (!task || it == runs_.end()) return;
    TaskRun& run = *it->second;
    if (!task->desired_stopped && run.provisioned && run.pulled) start_ready_containers(*task, run);
    if (!task->desired_stopped) stop_if_essential_stopped(*task);
    if (!task->desired_stopped) {
        bool waiting = std::ranges::any_of(
            task->containers, [](const auto& c) { return c.status == ContainerStatus::pending; });
        if (run.provisioned && !waiting && advance(*task, TaskStatus::running))
            task->started_at = clock_();
        return;
    }
    stop_containers(*task, run);
    bool all_stopped = std::ranges::all_of(
        task->containers, [](const auto& c) { return c.status == ContainerStatus::stopped; });
    if (all_stopped) deprovision(*task, run);
}

void TaskRunner::start_ready_containers(Task& task, TaskRun& run) {
    bool changed = true;
    while (changed && !task.desired_stopped) {
        changed = false;
        for (std::size_t i = 0; i < task.containers.size() && !task.desired_stopped; ++i) {
            TaskContainer& c = task.containers[i];
            if (c.status != ContainerStatus::pending) continue;
            auto decision = start_decision(task, c, clock_());
            if (decision.verdict == StartDecision::Verdict::ready) {
                start_container(task, run, i);
                changed = true;
            } else if (decision.verdict == StartDecision::Verdict::never) {
                // As the ECS agent does: the container is stopped as if by SIGTERM.
                c.status = ContainerStatus::stopped;
                c.exit_code = 143;
                c.reason = decision.reason;
                c.finished_at = clock_();
                ++task.version;
                changed = true;
            }
        }
        stop_if_essential_stopped(task);
    }
}

void TaskRunner::stop_if_essential_stopped(Task& task) {
    for (const auto& c : task.containers) {
        if (c.status != ContainerStatus::stopped || !c.essential) continue;
        // A container that never started has no exit code, unless ECS stopped it for a
        // dependency that could not be met (then it reports 143 as if it had run).
        if (c.exit_code) {
            request_stop(task, "EssentialContainerExited", "Essential container in task exited",
                         clock_());
        } else {
            request_stop(task, "TaskFailedToStart", c.reason, clock_());
        }
        return;
    }
}

void TaskRunner::set_env(Environment& env, const std::string& name, std::string value) {
    auto same = std::ranges::find_if(env, [&](const auto& e) { return e.first == name; });
    if (same != env.end())
        same->second = std::move(value);
    else
        env.emplace_back(name, std::move(value));
}

void TaskRunner::add_task_environment(Environment& env, const Task& task,
                                      const TaskContainer& container) const {
    set_env(env, "AWS_REGION", config_.region);
    set_env(env, "AWS_DEFAULT_REGION", config_.region);
    set_env(env, "HOSTNAME", task.eni.private_dns_name);
    for (const auto& [name, value] : container.environment)
        set_env(env, name, value);
    bool endpoint_given = std::ranges::any_of(
        container.environment, [](const auto& e) { return e.first == "AWS_ENDPOINT_URL"; });
    // Not set on ECS: the simulator is the only AWS these tasks can reach.
    if (!endpoint_given && !config_.endpoint_url.empty())
        set_env(env, "AWS_ENDPOINT_URL", config_.endpoint_url);
    set_env(env, "AWS_EXECUTION_ENV", "AWS_ECS_FARGATE");
    if (config_.endpoint_url.empty()) return;
    set_env(env, "ECS_CONTAINER_METADATA_URI_V4",
            config_.endpoint_url + "/v4/" + container.metadata_id);
    set_env(env, "ECS_CONTAINER_METADATA_URI",
            config_.endpoint_url + "/v3/" + container.metadata_id);
    if (!task.credentials_id.empty()) {
        set_env(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                config_.endpoint_url + "/v2/credentials/" + task.credentials_id);
        set_env(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN", task.credentials_token);
    }
}

std::vector<std::string> TaskRunner::flatten(const Environment& env) {
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [name, value] : env) {
        std::string entry = name;
        entry += '=';
        entry += value;
        out.push_back(std::move(entry));
    }
    return out;
}

ApiResult<ProcessSpec> TaskRunner::host_spec(const Task& task, const TaskRun& run,
                                             const TaskContainer& container) const {
    ProcessSpec spec;
    spec.argv = container.entry_point;
    spec.argv.insert(spec.argv.end(), container.command.begin(), container.command.end());
    // Nothing can be mounted on the host filesystem: arguments under a mount point name the
    // volume's host directory instead (so an agent staged on EFS can be the entry point).
    auto mounts = container_mounts(task.volumes, container.definition, run.scratch.string(),
                                   [this](std::string_view fs_id, std::string_view access_point) {
                                       return services_.efs.host_path(fs_id, access_point);
                                   });
    if (!mounts) return mounts.error();
    for (std::string& arg : spec.argv)
        arg = host_path_of(arg, *mounts);
    Environment env;
    for (const char* name : kInheritedEnvironment) {
        if (const char* value = std::getenv(name)) set_env(env, name, value);
    }
    add_task_environment(env, task, container);
    spec.env = flatten(env);
    spec.cwd =
        container.working_directory.empty() ? run.scratch.string() : container.working_directory;
    return spec;
}

void TaskRunner::start_container(Task& task, TaskRun& run, std::size_t index) {
    TaskContainer& c = task.containers[index];
    ContainerRun& cr = run.containers[index];
    ApiResult<ProcessSpec> made = cr.image ? image_spec(task, run, index) : host_spec(task, run, c);
    if (!made) {
        ++task.version;
        c.status = ContainerStatus::stopped;
        c.reason = "CannotStartContainerError: " + made.error().message;
        c.finished_at = clock_();
        return;
    }
    ProcessSpec spec = std::move(*made);
    std::string task_id = task.id;
    ChildProcess::Handlers handlers;
    std::shared_ptr<AwsLogsWriter> log;
    if (c.awslogs) {
        std::string stream = c.name + "/" + task.id;
        if (!c.awslogs->stream_prefix.empty()) stream = c.awslogs->stream_prefix + "/" + stream;
        log = std::make_shared<AwsLogsWriter>(services_.logs, c.awslogs->group, stream, clock_);
        handlers.on_stdout = [log](std::string_view chunk) { log->write(0, chunk); };
        handlers.on_stderr = [log](std::string_view chunk) { log->write(1, chunk); };
    }
    handlers.on_exit = [this, task_id, index, log](int code) {
        if (log) log->flush();
        on_container_exit(task_id, index, code);
    };
    auto child =
        spec.argv.empty()
            ? Result<std::shared_ptr<ChildProcess>>(make_error(
                  Errc::invalid_argument, "Error response from daemon: No command specified"))
            : ChildProcess::spawn(executor_, spec, std::move(handlers));
    ++task.version;
    if (!child) {
        c.status = ContainerStatus::stopped;
        c.reason = "CannotStartContainerError: " + child.error().message;
        c.finished_at = clock_();
        return;
    }
    if (log) log->open();
    cr.process = std::move(*child);
    cr.spec = std::move(spec);
    c.status = ContainerStatus::running;
    c.started_at = clock_();
    if (c.start_timeout) {
        cr.start_timer = std::make_unique<asio::steady_timer>(executor_, *c.start_timeout);
        cr.start_timer->async_wait([this, task_id](const boost::system::error_code& ec) {
            if (!ec) progress(task_id);
        });
    }
    if (c.health_check) schedule_probe(task, cr, index);
}

void TaskRunner::on_container_exit(const std::string& task_id, std::size_t index, int exit_code) {
    Task* task = services_.ecs.find_task(task_id);
    auto it = runs_.find(task_id);
    if (!task || it == runs_.end() || index >= task->containers.size()) return;
    TaskContainer& c = task->containers[index];
    c.status = ContainerStatus::stopped;
    c.exit_code = exit_code;
    c.finished_at = clock_();
    ++task->version;
    ContainerRun& cr = it->second->containers[index];
    cr.kill_timer.reset();
    cr.process.reset();
    stop_health_checks(cr);
    if (!cr.bundle_dir.empty()) remove_bundle(c, cr);
    progress(task_id);
}

void TaskRunner::stop_containers(Task& task, TaskRun& run) {
    if (!run.provisioned) run.timer.cancel();
    if (task.status < TaskStatus::deactivating && task.status >= TaskStatus::pending)
        advance(task, TaskStatus::deactivating);
    advance(task, TaskStatus::stopping);
    for (std::size_t i = 0; i < task.containers.size(); ++i) {
        TaskContainer& c = task.containers[i];
        ContainerRun& cr = run.containers[i];
        if (c.status == ContainerStatus::pending) {
            c.status = ContainerStatus::stopped;
            ++task.version;
            continue;
        }
        if (c.status != ContainerStatus::running || cr.term_sent || !cr.process) continue;
        stop_health_checks(cr);
        cr.term_sent = true;
        cr.process->signal(SIGTERM);
        cr.kill_timer = std::make_unique<asio::steady_timer>(executor_, c.stop_timeout);
        cr.kill_timer->async_wait(
            [this, task_id = task.id, i](const boost::system::error_code& ec) {
                if (!ec) on_kill_timer(task_id, i);
            });
    }
}

void TaskRunner::on_kill_timer(const std::string& task_id, std::size_t index) {
    auto it = runs_.find(task_id);
    if (it == runs_.end() || index >= it->second->containers.size()) return;
    auto& process = it->second->containers[index].process;
    if (process) process->kill_all();
}

void TaskRunner::deprovision(Task& task, TaskRun& run) {
    if (run.deprovisioning) return;
    run.deprovisioning = true;
    task.execution_stopped_at = clock_();
    advance(task, TaskStatus::deprovisioning);
    if (!task.eni.private_ip.empty()) pool_.release(task.eni.private_ip);
    if (auto it = credentials_.find(task.credentials_id); it != credentials_.end()) {
        for (const auto& key : it->second.access_keys)
            services_.identities.revoke(key);
        credentials_.erase(it);
    }
    if (!run.scratch.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(run.scratch, ignored);
    }
    finish_stop(task, clock_());
    runs_.erase(task.id);
}

void TaskRunner::shutdown() {
    std::vector<std::shared_ptr<ChildProcess>> processes;
    for (auto& [id, run] : runs_) {
        run->timer.cancel();
        for (auto& cr : run->containers) {
            cr.kill_timer.reset();
            stop_health_checks(cr);
            if (cr.process) processes.push_back(std::move(cr.process));
        }
    }
    for (auto& p : processes) {
        p->disown();
        p->signal(SIGTERM);
    }
    auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
    for (auto& p : processes) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (!p->wait_blocking(std::max(left, std::chrono::milliseconds(0)))) {
            p->kill_all();
            p->wait_blocking(std::chrono::milliseconds(5000));
        }
    }
    std::vector<std::string> ids;
    for (const auto& entry : runs_)
        ids.push_back(entry.first);
    for (const auto& id : ids) {
        Task* task = services_.ecs.find_task(id);
        auto it = runs_.find(id);
        if (!task || it == runs_.end()) continue;
        request_stop(*task, "UserInitiated", "The simulator shut down", clock_());
        for (std::size_t i = 0; i < task->containers.size(); ++i) {
            task->containers[i].status = ContainerStatus::stopped;
            auto& cr = it->second->containers[i];
            if (!cr.bundle_dir.empty()) remove_bundle(task->containers[i], cr);
        }
        deprovision(*task, *it->second);
    }
    runs_.clear();
}

}  // namespace sockerless::awssim
