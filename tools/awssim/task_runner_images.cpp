// Image mode of the task runner: containers run from their real image under runc. Images are
// pulled on worker threads (ImageStore::pull blocks) and the results posted back to the strand;
// each container gets an OCI bundle with a private overlay over the shared image.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <thread>

#include <boost/asio/post.hpp>

#include "task_runner.h"

extern char** environ;

namespace sockerless::awssim {
namespace asio = boost::asio;
namespace {

std::string pull_reason(const ApiError& error) {
    constexpr std::string_view kPrefix = "CannotPullContainerError";
    if (error.message.starts_with(kPrefix)) return error.message;
    return std::string(kPrefix) + ": " + error.message;
}

// Runs a short command to completion with its output discarded; its exit status, or -1.
int run_quietly(const std::vector<std::string>& argv) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return -1;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::vector<std::string> TaskRunner::runc_command(std::string_view verb) const {
    return {"runc", "--root", runc_root_, std::string(verb)};
}

void TaskRunner::start_pulls(Task& task, TaskRun& run) {
    task.pull_started_at = clock_();
    for (std::size_t i = 0; i < task.containers.size(); ++i) {
        const TaskContainer& c = task.containers[i];
        if (!runs_from_image(config_.container_mode, c.image, runtime_available_)) continue;
        ++run.pulls_pending;
        // The worker owns copies of everything it touches: it may outlive this runner.
        std::thread([channel = pull_channel_, store = images_, executor = executor_,
                     reference = c.image, task_id = task.id, i, this]() mutable {
            auto image = store.pull(reference);
            std::lock_guard lock(channel->mutex);
            if (!channel->open) return;
            asio::post(executor, [channel, image = std::move(image), task_id, i, this]() mutable {
                {
                    std::lock_guard still(channel->mutex);
                    if (!channel->open) return;
                }
                on_pulled(task_id, i, std::move(image));
            });
        }).detach();
    }
    if (run.pulls_pending == 0) {
        run.pulled = true;
        task.pull_stopped_at = clock_();
    }
}

void TaskRunner::on_pulled(const std::string& task_id, std::size_t index,
                           ApiResult<PulledImage> image) {
    Task* task = services_.ecs.find_task(task_id);
    auto it = runs_.find(task_id);
    if (!task || it == runs_.end()) return;
    TaskRun& run = *it->second;
    if (image) {
        task->containers[index].image_digest = image->digest;
        run.containers[index].image = std::move(*image);
    } else {
        request_stop(*task, "TaskFailedToStart", pull_reason(image.error()), clock_());
    }
    if (--run.pulls_pending == 0) {
        run.pulled = true;
        task->pull_stopped_at = clock_();
    }
    ++task->version;
    progress(task_id);
}

ApiResult<ProcessSpec> TaskRunner::image_spec(const Task& task, TaskRun& run, std::size_t index) {
    const TaskContainer& c = task.containers[index];
    ContainerRun& cr = run.containers[index];
    const PulledImage& image = *cr.image;
    BundleSpec bundle;
    bundle.args = container_args(c, image.config);
    if (bundle.args.empty())
        return ApiError{400, "CannotStartContainerError",
                        "Error response from daemon: No command specified"};
    auto mounts = container_mounts(task.volumes, c.definition, run.scratch.string(),
                                   [this](std::string_view fs_id, std::string_view access_point) {
                                       return services_.efs.host_path(fs_id, access_point);
                                   });
    if (!mounts) return mounts.error();
    auto user = resolve_user(image.rootfs_dir, c.user.empty() ? image.config.user : c.user);
    if (!user) return user.error();
    std::string dir = (run.scratch / "bundles" / c.name).string();
    auto rootfs = mount_rootfs_overlay(dir, image.rootfs_dir);
    if (!rootfs) return rootfs.error();
    cr.bundle_dir = dir;

    Environment env;
    for (const auto& entry : image.config.env) {
        std::size_t eq = entry.find('=');
        if (eq != std::string::npos) set_env(env, entry.substr(0, eq), entry.substr(eq + 1));
    }
    add_task_environment(env, task, c);
    bundle.rootfs_dir = *rootfs;
    bundle.env = flatten(env);
    bundle.cwd = c.working_directory.empty() ? image.config.working_dir : c.working_directory;
    bundle.uid = user->first;
    bundle.gid = user->second;
    bundle.hostname = task.eni.private_dns_name;
    bundle.mounts = std::move(*mounts);
    if (auto st = write_bundle(dir, bundle); !st) return st.error();

    ProcessSpec spec;
    spec.argv = runc_command("run");
    spec.argv.insert(spec.argv.end(), {"--bundle", dir, c.runtime_id});
    const char* path = std::getenv("PATH");
    spec.env.push_back("PATH=" + std::string(path ? path : kDefaultPath));
    spec.cwd = dir;
    return spec;
}

void TaskRunner::remove_bundle(const TaskContainer& container, ContainerRun& run) {
    // runc run removes its container when the process exits; after a SIGKILL it cannot.
    std::vector<std::string> argv = runc_command("delete");
    argv.insert(argv.end(), {"--force", container.runtime_id});
    run_quietly(argv);
    (void)unmount_rootfs_overlay(run.bundle_dir);
    run.bundle_dir.clear();
}

}  // namespace sockerless::awssim
