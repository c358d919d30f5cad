#pragma once
// Runs ECS tasks for real, on the simulator's executor.
//
// A launched task waits out its provisioning delay (PROVISIONING), gets its ENI address from the
// task subnet (PENDING), starts its containers in dependsOn order as processes on the host, and
// is RUNNING once none is left waiting. It stops when an essential container exits, a container
// cannot start, a dependency can never be met, or StopTask asks: running containers get SIGTERM,
// then SIGKILL after their stopTimeout; once every process is gone the task is STOPPED, its
// address released and its scratch directory removed.
//
// Everything runs on one strand; handlers find their task again by id, so a task that was
// stopped and forgotten meanwhile is simply not found.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "address_pool.h"
#include "base/error.h"
#include "child_process.h"
#include "ecs_service.h"
#include "ecs_state.h"
#include "efs_state.h"
#include "faults.h"
#include "identity.h"
#include "image_store.h"
#include "logs_state.h"
#include "task_images.h"

namespace sockerless::awssim {

struct TaskRunnerConfig {
    // Where containers run: on the host filesystem, from their image under runc, or (auto) from
    // their image when runc is usable and the image names a registry host.
    ContainerMode container_mode = ContainerMode::automatic;
    // Where the tasks reach the simulator ("http://127.0.0.1:PORT").
    std::string endpoint_url;
    std::string task_subnet = "127.77.0.0/16";
    std::chrono::milliseconds provisioning_delay{50};
    // Per-task scratch directories live under <state_dir>/tasks.
    std::string state_dir;
    std::string region = "us-east-1";
};

class TaskRunner final : public TaskLauncher {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    struct Services {
        EcsState& ecs;
        LogsState& logs;
        IdentityStore& identities;
        FaultInjector& faults;
        const EfsState& efs;
    };

    static Result<std::unique_ptr<TaskRunner>> create(const boost::asio::any_io_executor& executor,
                                                      TaskRunnerConfig config, Services services,
                                                      Clock clock);
    TaskRunner(const TaskRunner&) = delete;
    TaskRunner& operator=(const TaskRunner&) = delete;
    ~TaskRunner() override;

    void launch(const std::string& task_id) override;
    void stop(const std::string& task_id) override;

    // Stops every task and reaps every process, blocking for at most a short grace before
    // killing what is left. For simulator shutdown.
    void shutdown();

    [[nodiscard]] const TaskRunnerConfig& config() const { return config_; }
    [[nodiscard]] const std::string& task_subnet() const { return pool_.cidr(); }

    // The task role credentials a task's container-credentials endpoint id stands for.
    struct IssuedCredentials {
        std::string task_id;
        std::string token;  // the bearer token the task must present
        SessionCredentials session;
        std::vector<std::string> access_keys;  // every session issued, to revoke at the end
    };
    // The credentials behind `id`, renewed when they are about to expire; null when unknown
    // (never issued, or the task stopped).
    const IssuedCredentials* credentials(std::string_view id);
    // The pid of a running container's main process.
    [[nodiscard]] std::optional<pid_t> container_pid(std::string_view task_id,
                                                     std::size_t index) const;

private:
    struct ContainerRun {
        std::shared_ptr<ChildProcess> process;
        std::unique_ptr<boost::asio::steady_timer> kill_timer;
        bool term_sent = false;
        // A dependency's startTimeout running out: the dependents are looked at again then.
        std::unique_ptr<boost::asio::steady_timer> start_timer;
        // Health checks: the next probe, the one running and its deadline.
        std::unique_ptr<boost::asio::steady_timer> health_timer;
        std::shared_ptr<ChildProcess> probe;
        std::unique_ptr<boost::asio::steady_timer> probe_deadline;
        int failures = 0;
        ProcessSpec spec;  // what the container runs with; probes share its environment
        // Image mode: the pulled image, and the bundle once written (its overlay is mounted).
        std::optional<PulledImage> image;
        std::string bundle_dir;
    };
    struct TaskRun {
        explicit TaskRun(const boost::asio::any_io_executor& executor) : timer(executor) {}
        boost::asio::steady_timer timer;  // provisioning, then deprovisioning
        std::vector<ContainerRun> containers;
        std::filesystem::path scratch;
        bool provisioned = false;
        bool pulled = false;  // every image-mode container has its image
        int pulls_pending = 0;
        bool deprovisioning = false;
        std::optional<TaskFault> fail_before_running;
    };

    TaskRunner(const boost::asio::any_io_executor& executor, TaskRunnerConfig config,
               Services services, Clock clock, AddressPool pool);

    void on_provisioned(const std::string& task_id);
    // Looks at the task and moves it on: starts what may start, stops what must stop.
    void progress(const std::string& task_id);
    void start_ready_containers(Task& task, TaskRun& run);
    void stop_if_essential_stopped(Task& task);
    void start_container(Task& task, TaskRun& run, std::size_t index);
    void on_container_exit(const std::string& task_id, std::size_t index, int exit_code);
    void stop_containers(Task& task, TaskRun& run);
    void on_kill_timer(const std::string& task_id, std::size_t index);
    void schedule_probe(const Task& task, ContainerRun& run, std::size_t index);
    void run_probe(const std::string& task_id, std::size_t index);
    void on_probe_exit(const std::string& task_id, std::size_t index, int exit_code);
    static void stop_health_checks(ContainerRun& run);
    // Releases what the task held and marks it STOPPED; forgets its run.
    void deprovision(Task& task, TaskRun& run);
    bool attach_eni(Task& task);
    void issue_credentials(Task& task);
    // Creates missing awslogs groups where allowed; false (the task is stopping) when a group
    // is missing and may not be created, as the awslogs driver fails on ECS.
    bool prepare_logs(Task& task);
    using Environment = std::vector<std::pair<std::string, std::string>>;
    static void set_env(Environment& env, const std::string& name, std::string value);
    static std::vector<std::string> flatten(const Environment& env);
    // The container's environment and what ECS injects (region, endpoints, credentials).
    void add_task_environment(Environment& env, const Task& task,
                              const TaskContainer& container) const;
    ApiResult<ProcessSpec> host_spec(const Task& task, const TaskRun& run,
                                     const TaskContainer& container) const;

    // Image mode (task_runner_images.cpp).
    void start_pulls(Task& task, TaskRun& run);
    void on_pulled(const std::string& task_id, std::size_t index, ApiResult<PulledImage> image);
    ApiResult<ProcessSpec> image_spec(const Task& task, TaskRun& run, std::size_t index);
    // `runc --root <ours> <verb>`.
    [[nodiscard]] std::vector<std::string> runc_command(std::string_view verb) const;
    // Removes runc's state of the container and unmounts its overlay; blocks for runc delete.
    void remove_bundle(const TaskContainer& container, ContainerRun& run);

    boost::asio::any_io_executor executor_;
    TaskRunnerConfig config_;
    Services services_;
    Clock clock_;
    AddressPool pool_;
    std::map<std::string, std::unique_ptr<TaskRun>, std::less<>> runs_;
    std::map<std::string, IssuedCredentials, std::less<>> credentials_;
    ImageStore images_;
    bool runtime_available_ = false;
    std::string runc_root_;
    // Pulls run on detached threads and post their result back; the runner closes this when it
    // goes away, so no result is posted to (or handled by) a runner that is gone.
    struct PullChannel {
        std::mutex mutex;
        bool open = true;
    };
    std::shared_ptr<PullChannel> pull_channel_ = std::make_shared<PullChannel>();
};

}  // namespace sockerless::awssim
