#pragma once
// A process the simulator runs for a task: a container's main process or a health check probe.
//
// It starts in a process group of its own (signals reach its children too), with stdin on
// /dev/null and stdout/stderr on pipes read on the simulator's executor, and dies with the
// simulator (PR_SET_PDEATHSIG). Its exit is watched through a pidfd, so the simulator never reaps
// processes it did not start. When the main process exits, what is left of its process group is
// killed, as a container's init ending takes the container down; the exit is reported once its
// output is drained (or after a short grace, should an escaped process keep the pipes open).
//
// Owned through shared_ptr: pending reads and waits keep the object alive until they complete.

#include <sys/types.h>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/error.h"

namespace sockerless::awssim {

struct ProcessSpec {
    // argv[0] without a '/' is looked up in the PATH of `env` (as a container runtime does).
    std::vector<std::string> argv;
    std::vector<std::string> env;  // "NAME=value"
    std::string cwd;
};

// The PATH a container gets when its environment has none (Docker's default).
inline constexpr std::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The program `name` resolves to under `path` (a PATH value); not_found with Docker's wording.
Result<std::string> resolve_program(const std::string& name, std::string_view path);

class ChildProcess : public std::enable_shared_from_this<ChildProcess> {
public:
    using OutputHandler = std::function<void(std::string_view chunk)>;
    // Docker's exit code: the exit status, or 128 + the signal that killed the process.
    using ExitHandler = std::function<void(int exit_code)>;

    struct Handlers {
        OutputHandler on_stdout;
        OutputHandler on_stderr;
        ExitHandler on_exit;
    };

    // Starts `spec`. An error means nothing runs: the program was not found, was not executable,
    // or the working directory is missing (messages as a container runtime words them).
    static Result<std::shared_ptr<ChildProcess>> spawn(const boost::asio::any_io_executor& executor,
                                                       const ProcessSpec& spec, Handlers handlers);

    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] bool exited() const { return reaped_; }

    // Sends `signal` to the process group; nothing once the process was reaped.
    void signal(int signal);
    // SIGKILL to the process group and to every descendant still traceable through /proc.
    void kill_all();
    // Blocks until the process exits or `timeout` passes, then reaps it; true when it exited.
    // For shutdown only, when the executor no longer runs.
    bool wait_blocking(std::chrono::milliseconds timeout);
    // Forgets the handlers: nothing is reported any more (their owner is going away).
    void disown() { handlers_ = Handlers{}; }

private:
    ChildProcess(const boost::asio::any_io_executor& executor, pid_t pid, int pidfd, int out,
                 int err, Handlers handlers);
    void start();
    void watch_exit();
    void on_exit_ready();
    void read(int stream);
    void finish_if_done();

    pid_t pid_;
    bool reaped_ = false;
    bool reported_ = false;
    int exit_code_ = -1;
    int open_streams_ = 2;
    boost::asio::posix::stream_descriptor pidfd_;
    std::array<boost::asio::posix::stream_descriptor, 2> streams_;
    std::array<std::array<char, 16384>, 2> buffers_{};
    boost::asio::steady_timer drain_timer_;
    Handlers handlers_;
};

}  // namespace sockerless::awssim
