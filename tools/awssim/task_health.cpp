// Container health checks: probes run as the container's process does (on the host, or inside the
// container through runc exec), per the definition's interval, timeout, retries and startPeriod.

#include <algorithm>

#include "task_runner.h"

namespace sockerless::awssim {
namespace asio = boost::asio;
namespace {

// How often a container is probed during its health check's start period.
constexpr auto kStartPeriodProbe = std::chrono::milliseconds(250);

// CMD-SHELL runs its script with /bin/sh -c; CMD (or a bare list) runs its arguments.
std::vector<std::string> probe_argv(const HealthCheckSpec& check) {
    const auto& command = check.command;
    if (command.empty()) return {};
    if (command.front() == "CMD-SHELL") {
        std::string script = command.size() > 1 ? command[1] : "";
        return {"/bin/sh", "-c", script};
    }
    return {command.begin() + (command.front() == "CMD" ? 1 : 0), command.end()};
}

}  // namespace

void TaskRunner::schedule_probe(const Task& task, ContainerRun& run, std::size_t index) {
    const TaskContainer& c = task.containers[index];
    const HealthCheckSpec& hc = *c.health_check;
    // Until the first success and within the start period, probe quickly (Docker's
    // start-interval idea), so dependents need not wait a whole interval; then every interval.
    bool starting =
        c.health != Health::healthy && c.started_at && clock_() < *c.started_at + hc.start_period;
    auto delay = starting ? std::min<std::chrono::milliseconds>(hc.interval, kStartPeriodProbe)
                          : std::chrono::milliseconds(hc.interval);
    if (!run.health_timer) run.health_timer = std::make_unique<asio::steady_timer>(executor_);
    run.health_timer->expires_after(delay);
    run.health_timer->async_wait(
        [this, task_id = task.id, index](const boost::system::error_code& ec) {
            if (!ec) run_probe(task_id, index);
        });
}

void TaskRunner::run_probe(const std::string& task_id, std::size_t index) {
    Task* task = services_.ecs.find_task(task_id);
    auto it = runs_.find(task_id);
    if (!task || it == runs_.end()) return;
    const TaskContainer& c = task->containers[index];
    ContainerRun& cr = it->second->containers[index];
    if (c.status != ContainerStatus::running || task->desired_stopped) return;
    ProcessSpec spec = cr.spec;
    spec.argv = probe_argv(*c.health_check);
    // From its image, a container is probed inside it, as Docker does.
    if (!cr.bundle_dir.empty() && !spec.argv.empty()) {
        std::vector<std::string> inside = runc_command("exec");
        inside.push_back(c.runtime_id);
        inside.insert(inside.end(), spec.argv.begin(), spec.argv.end());
        spec.argv = std::move(inside);
    }
    ChildProcess::Handlers handlers;
    handlers.on_exit = [this, task_id, index](int code) { on_probe_exit(task_id, index, code); };
    auto probe = spec.argv.empty() ? Result<std::shared_ptr<ChildProcess>>(
                                         make_error(Errc::invalid_argument, "empty health check"))
                                   : ChildProcess::spawn(executor_, spec, std::move(handlers));
    if (!probe) {
        on_probe_exit(task_id, index, 127);
        return;
    }
    cr.probe = std::move(*probe);
    cr.probe_deadline = std::make_unique<asio::steady_timer>(executor_, c.health_check->timeout);
    cr.probe_deadline->async_wait([this, task_id, index](const boost::system::error_code& ec) {
        if (ec) return;
        auto run = runs_.find(task_id);
        if (run == runs_.end()) return;
        // Its exit (by SIGKILL) is reported as a failure like any other.
        if (auto& p = run->second->containers[index].probe) p->kill_all();
    });
}

void TaskRunner::on_probe_exit(const std::string& task_id, std::size_t index, int exit_code) {
    Task* task = services_.ecs.find_task(task_id);
    auto it = runs_.find(task_id);
    if (!task || it == runs_.end()) return;
    TaskContainer& c = task->containers[index];
    ContainerRun& cr = it->second->containers[index];
    cr.probe.reset();
    cr.probe_deadline.reset();
    if (c.status != ContainerStatus::running) return;
    const HealthCheckSpec& hc = *c.health_check;
    Health before = c.health;
    if (exit_code == 0) {
        c.health = Health::healthy;
        cr.failures = 0;
    } else {
        bool starting = c.health != Health::healthy && c.started_at &&
                        clock_() < *c.started_at + hc.start_period;
        if (!starting && ++cr.failures >= hc.retries) c.health = Health::unhealthy;
    }
    if (c.health != before) {
        ++task->version;
        progress(task_id);
        it = runs_.find(task_id);
        if (it == runs_.end()) return;
    }
    if (task->containers[index].status == ContainerStatus::running && !task->desired_stopped)
        schedule_probe(*task, it->second->containers[index], index);
}

void TaskRunner::stop_health_checks(ContainerRun& run) {
    run.health_timer.reset();
    run.probe_deadline.reset();
    run.start_timer.reset();
    if (run.probe) {
        run.probe->disown();
        run.probe->kill_all();
        run.probe.reset();
    }
}

}  // namespace sockerless::awssim
