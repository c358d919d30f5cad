#include "child_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>

#include "base/fd.h"

namespace sockerless::awssim {
namespace asio = boost::asio;
namespace {

// waitid's idtype for a pidfd (P_PIDFD, Linux 5.4); glibc's idtype_t does not name it yet.
constexpr auto kPidfdIdType = static_cast<idtype_t>(3);

// How long output may keep flowing after the process exited before the pipes are closed.
constexpr auto kDrainGrace = std::chrono::seconds(2);

enum class Stage : int { chdir = 1, exec = 2 };

struct ChildFailure {
    Stage stage;
    int err;
};

Result<Pipe> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("pipe2", errno);
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

std::string path_of(const std::vector<std::string>& env) {
    for (const auto& e : env) {
        if (e.starts_with("PATH=")) return e.substr(5);
    }
    return std::string(kDefaultPath);
}

int docker_exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(const char* program, char* const* argv, char* const* envp,
                             const char* cwd, int null_fd, int out_fd, int err_fd, int report_fd,
                             pid_t parent) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig)
        ::signal(sig, SIG_DFL);
    ChildFailure failure{Stage::chdir, 0};
    if (cwd[0] != '\0' && ::chdir(cwd) != 0) {
        failure.err = errno;
        if (::write(report_fd, &failure, sizeof failure) < 0) ::_exit(126);
        ::_exit(127);
    }
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    // Descriptors the simulator opened without close-on-exec (sockets) must not leak in.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execve(program, argv, envp);
    failure = ChildFailure{Stage::exec, errno};
    if (::write(report_fd, &failure, sizeof failure) < 0) ::_exit(126);
    ::_exit(127);
}

Error spawn_error(const ProcessSpec& spec, ChildFailure failure) {
    if (failure.stage == Stage::chdir) {
        return make_error(Errc::not_found,
                          "chdir to cwd (\"" + spec.cwd +
                              "\") set in config.json failed: " + std::strerror(failure.err));
    }
    return make_error(failure.err == ENOENT ? Errc::not_found : Errc::internal,
                      "exec: \"" + spec.argv[0] + "\": " + std::strerror(failure.err));
}

// Every process whose parent chain leads to `root`, from /proc.
std::vector<pid_t> descendants(pid_t root) {
    std::multimap<pid_t, pid_t> children;
    DIR* dir = ::opendir("/proc");
    if (!dir) return {};
    while (dirent* entry = ::readdir(dir)) {
        char* end = nullptr;
        long pid = std::strtol(entry->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') continue;
        std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
        std::string line;
        std::getline(stat, line);
        std::size_t paren = line.rfind(')');
        if (paren == std::string::npos || paren + 4 > line.size()) continue;
        // After "pid (comm) " come the state and the parent pid.
        long ppid = std::strtol(line.c_str() + paren + 4, nullptr, 10);
        children.emplace(static_cast<pid_t>(ppid), static_cast<pid_t>(pid));
    }
    ::closedir(dir);
    std::vector<pid_t> out;
    std::vector<pid_t> frontier{root};
    while (!frontier.empty()) {
        pid_t p = frontier.back();
        frontier.pop_back();
        auto [first, last] = children.equal_range(p);
        for (auto it = first; it != last; ++it) {
            out.push_back(it->second);
            frontier.push_back(it->second);
        }
    }
    return out;
}

}  // namespace

Result<std::string> resolve_program(const std::string& name, std::string_view path) {
    auto executable = [](const std::string& candidate) {
        struct stat st {};
        return ::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
               ::access(candidate.c_str(), X_OK) == 0;
    };
    if (name.empty()) return make_error(Errc::invalid_argument, "no command specified");
    if (name.find('/') != std::string::npos) return name;
    while (true) {
        std::size_t colon = path.find(':');
        std::string dir(path.substr(0, colon));
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        if (executable(candidate)) return candidate;
        if (colon == std::string_view::npos) break;
        path.remove_prefix(colon + 1);
    }
    return make_error(Errc::not_found,
                      "exec: \"" + name + "\": executable file not found in $PATH");
}

Result<std::shared_ptr<ChildProcess>> ChildProcess::spawn(const asio::any_io_executor& executor,
                                                          const ProcessSpec& spec,
                                                          Handlers handlers) {
    if (spec.argv.empty()) return make_error(Errc::invalid_argument, "no command specified");
    auto program = resolve_program(spec.argv[0], path_of(spec.env));
    if (!program) return program.error();
    auto out = make_pipe();
    if (!out) return out.error();
    auto err = make_pipe();
    if (!err) return err.error();
    auto report = make_pipe();
    if (!report) return report.error();
    UniqueFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null_fd) return errno_error("open /dev/null", errno);

    std::vector<std::string> argv = spec.argv;
    std::vector<std::string> env = spec.env;
    auto argv_c = c_strings(argv);
    auto env_c = c_strings(env);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return errno_error("fork", errno);
    if (pid == 0) {
        exec_child(program->c_str(), argv_c.data(), env_c.data(), spec.cwd.c_str(), null_fd.get(),
                   out->write.get(), err->write.get(), report->write.get(), parent);
    }
    out->write.reset();
    err->write.reset();
    report->write.reset();
    ChildFailure failure{};
    ssize_t n = 0;
    do {
        n = ::read(report->read.get(), &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof failure)) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        return spawn_error(spec, failure);
    }
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        int e = errno;
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return errno_error("pidfd_open", e);
    }
    ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
    std::shared_ptr<ChildProcess> child(new ChildProcess(executor, pid, pidfd, out->read.release(),
                                                         err->read.release(), std::move(handlers)));
    child->start();
    return child;
}

ChildProcess::ChildProcess(const asio::any_io_executor& executor, pid_t pid, int pidfd, int out,
                           int err, Handlers handlers)
    : pid_(pid),
      pidfd_(executor, pidfd),
      streams_{asio::posix::stream_descriptor(executor, out),
               asio::posix::stream_descriptor(executor, err)},
      drain_timer_(executor),
      handlers_(std::move(handlers)) {}

ChildProcess::~ChildProcess() {
    if (!reaped_) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

void ChildProcess::start() {
    watch_exit();
    read(0);
    read(1);
}

void ChildProcess::watch_exit() {
    pidfd_.async_wait(asio::posix::stream_descriptor::wait_read,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                          if (ec == asio::error::operation_aborted) return;
                          self->on_exit_ready();
                      });
}

void ChildProcess::on_exit_ready() {
    // A pidfd may wake its waiter while the process still runs: look without reaping first.
    siginfo_t info{};
    int r = 0;
    do {
        r = ::waitid(kPidfdIdType, static_cast<id_t>(pidfd_.native_handle()), &info,
                     WEXITED | WNOHANG | WNOWAIT);
    } while (r < 0 && errno == EINTR);
    if (r == 0 && info.si_pid == 0) {
        watch_exit();
        return;
    }
    // Exited but not reaped: a zombie keeps its process group id from being reused, so what is
    // left of the group can be killed safely.
    ::kill(-pid_, SIGKILL);
    int status = 0;
    pid_t got = 0;
    do {
        got = ::waitpid(pid_, &status, WNOHANG);
    } while (got < 0 && errno == EINTR);
    if (got == 0) {
        watch_exit();
        return;
    }
    reaped_ = true;
    exit_code_ = got == pid_ ? docker_exit_code(status) : 255;
    boost::system::error_code ignored;
    pidfd_.close(ignored);
    drain_timer_.expires_after(kDrainGrace);
    drain_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec) return;
        boost::system::error_code ignore;
        for (auto& s : self->streams_)
            s.close(ignore);
    });
    finish_if_done();
}

void ChildProcess::read(int stream) {
    auto& s = streams_[static_cast<std::size_t>(stream)];
    auto& buffer = buffers_[static_cast<std::size_t>(stream)];
    s.async_read_some(
        asio::buffer(buffer),
        [self = shared_from_this(), stream](const boost::system::error_code& ec, std::size_t n) {
            if (n > 0) {
                std::string_view chunk(self->buffers_[static_cast<std::size_t>(stream)].data(), n);
                const auto& handler =
                    stream == 0 ? self->handlers_.on_stdout : self->handlers_.on_stderr;
                if (handler) handler(chunk);
            }
            if (!ec) {
                self->read(stream);
                return;
            }
            --self->open_streams_;
            self->finish_if_done();
        });
}

void ChildProcess::finish_if_done() {
    if (!reaped_ || open_streams_ > 0 || reported_) return;
    reported_ = true;
    drain_timer_.cancel();
    boost::system::error_code ignored;
    for (auto& s : streams_)
        s.close(ignored);
    if (handlers_.on_exit) {
        // Moved out first: the handler may drop the last owner of this object.
        auto on_exit = std::move(handlers_.on_exit);
        on_exit(exit_code_);
    }
}

void ChildProcess::signal(int signal) {
    if (!reaped_) ::kill(-pid_, signal);
}

void ChildProcess::kill_all() {
    if (reaped_) return;
    for (pid_t p : descendants(pid_))
        ::kill(p, SIGKILL);
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
}

bool ChildProcess::wait_blocking(std::chrono::milliseconds timeout) {
    if (reaped_) return true;
    pollfd p{pidfd_.native_handle(), POLLIN, 0};
    int ready = 0;
    do {
        ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (ready < 0 && errno == EINTR);
    if (ready <= 0) return false;
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    reaped_ = true;
    return true;
}

}  // namespace sockerless::awssim
