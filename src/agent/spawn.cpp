#include "agent/spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <pty.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>

extern char** environ;

namespace sockerless::agent {
namespace {

constexpr int kOutputPipeSize = 1 << 20;

enum class Stage : int { dup = 1, tty, groups, gid, uid, chdir, exec };

struct ChildFailure {
    Stage stage;
    int err;
};

Result<Pipe> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("pipe2", errno);
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string_view env_key(std::string_view kv) {
    return kv.substr(0, kv.find('='));
}

const std::string* find_env(const std::vector<std::string>& env, std::string_view key) {
    for (const auto& kv : env) {
        if (env_key(kv) == key && kv.size() > key.size()) return &kv;
    }
    return nullptr;
}

bool is_executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

[[noreturn]] void report_and_exit(int report_fd, Stage stage) {
    ChildFailure f{stage, errno};
    [[maybe_unused]] ssize_t n = ::write(report_fd, &f, sizeof f);
    ::_exit(127);
}

// Runs in the child: only async-signal-safe calls until execve.
[[noreturn]] void child_exec(const SpawnSpec& spec, const char* path, char* const* argv,
                             char* const* envp, int in_fd, int out_fd, int err_fd, int tty_slave,
                             int report_fd) {
    auto fail = [report_fd](Stage stage) { report_and_exit(report_fd, stage); };
    // The parent blocked every signal before cloning: restore default dispositions first, so no
    // handler of the agent's can run in this child (it shares the agent's memory), then unblock.
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (spec.tty) {
        if (::setsid() < 0 || ::ioctl(tty_slave, TIOCSCTTY, 0) < 0) fail(Stage::tty);
        in_fd = out_fd = err_fd = tty_slave;
    }
    if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) fail(Stage::dup);
    ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    if (spec.user) {
        const auto& u = *spec.user;
        if (::setgroups(u.groups.size(), u.groups.data()) != 0 && errno != EPERM)
            fail(Stage::groups);
        if (::setgid(u.gid) != 0 && ::getegid() != u.gid) fail(Stage::gid);
        if (::setuid(u.uid) != 0 && ::geteuid() != u.uid) fail(Stage::uid);
    }
    if (!spec.workdir.empty() && ::chdir(spec.workdir.c_str()) != 0) fail(Stage::chdir);
    ::execve(path, argv, envp);
    fail(Stage::exec);
    ::_exit(127);
}

struct ChildArgs {
    const SpawnSpec* spec;
    const char* path;
    char* const* argv;
    char* const* envp;
    int in_fd, out_fd, err_fd, tty_slave, report_fd;
};

constexpr std::size_t kChildStackSize = std::size_t{128} * 1024;

int child_entry(void* raw) {
    const auto* a = static_cast<const ChildArgs*>(raw);
    child_exec(*a->spec, a->path, a->argv, a->envp, a->in_fd, a->out_fd, a->err_fd, a->tty_slave,
               a->report_fd);
}

SpawnError failure_to_error(const ChildFailure& f, const SpawnSpec& spec, const std::string& path) {
    std::string what;
    int code = 126;
    switch (f.stage) {
        case Stage::dup:
            what = "set up stdio";
            break;
        case Stage::tty:
            what = "make the terminal controlling";
            break;
        case Stage::groups:
            what = "set supplementary groups";
            break;
        case Stage::gid:
            what = "set group id " + std::to_string(spec.user ? spec.user->gid : 0);
            break;
        case Stage::uid:
            what = "set user id " + std::to_string(spec.user ? spec.user->uid : 0);
            break;
        case Stage::chdir:
            what = "chdir to " + spec.workdir;
            break;
        case Stage::exec:
            what = "exec \"" + path + "\"";
            if (f.err == ENOENT) code = 127;
            break;
    }
    Error e = errno_error(what, f.err);
    return SpawnError{std::move(e), code};
}

}  // namespace

Result<std::string> resolve_executable(const std::string& file,
                                       const std::vector<std::string>& env) {
    if (file.empty()) return make_error(Errc::invalid_argument, "exec: empty command");
    if (file.find('/') != std::string::npos) return file;
    const std::string* path_kv = find_env(env, "PATH");
    std::string_view path =
        path_kv != nullptr ? std::string_view(*path_kv).substr(5) : kDefaultPath;
    while (true) {
        std::size_t colon = path.find(':');
        std::string_view dir = path.substr(0, colon);
        std::string candidate = dir.empty() ? "./" + file : std::string(dir) + "/" + file;
        if (is_executable_file(candidate)) return candidate;
        if (colon == std::string_view::npos) break;
        path.remove_prefix(colon + 1);
    }
    return make_error(Errc::not_found,
                      "exec: \"" + file + "\": executable file not found in $PATH");
}

std::vector<std::string> inherited_environment() {
    std::vector<std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view kv(*e);
        if (kv.rfind("SOCKERLESS_", 0) == 0) continue;
        out.emplace_back(kv);
    }
    return out;
}

std::vector<std::string> overlay_environment(std::vector<std::string> base,
                                             const std::vector<std::string>& overrides) {
    for (const auto& kv : overrides) {
        std::string_view key = env_key(kv);
        auto same = std::find_if(base.begin(), base.end(), [key](const std::string& existing) {
            return env_key(existing) == key;
        });
        if (same != base.end()) {
            *same = kv;
        } else {
            base.push_back(kv);
        }
    }
    return base;
}

std::vector<std::string> build_environment(const std::vector<std::string>& base,
                                           const std::vector<std::string>& overrides,
                                           const std::string& home, bool tty) {
    std::vector<std::string> env = overlay_environment(base, overrides);
    auto has = [&env](std::string_view key) {
        for (const auto& kv : env) {
            if (env_key(kv) == key) return true;
        }
        return false;
    };
    if (!has("PATH")) env.push_back(std::string("PATH=") + kDefaultPath);
    if (!has("HOME")) env.push_back("HOME=" + (home.empty() ? std::string("/") : home));
    if (tty && !has("TERM")) env.push_back("TERM=xterm");
    return env;
}

std::variant<SpawnedProcess, SpawnError> spawn_process(const SpawnSpec& spec) {
    if (spec.argv.empty())
        return SpawnError{make_error(Errc::invalid_argument, "exec: no command given"), 126};
    auto path = resolve_executable(spec.argv[0], spec.env);
    if (!path) return SpawnError{path.error(), path.error().code == Errc::not_found ? 127 : 126};

    std::vector<char*> argv;
    for (const auto& a : spec.argv)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : spec.env)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    auto report = make_pipe();
    if (!report) return SpawnError{report.error(), 126};
    SpawnedProcess out;
    UniqueFd child_in, child_out, child_err, slave;
    if (spec.tty) {
        int master_fd = -1, slave_fd = -1;
        struct winsize ws {};
        ws.ws_row = spec.rows != 0 ? spec.rows : 24;
        ws.ws_col = spec.cols != 0 ? spec.cols : 80;
        if (::openpty(&master_fd, &slave_fd, nullptr, nullptr, &ws) != 0) {
            return SpawnError{errno_error("openpty", errno), 126};
        }
        ::fcntl(master_fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(slave_fd, F_SETFD, FD_CLOEXEC);
        out.stdin_fd.reset(master_fd);
        out.stdout_fd.reset(::fcntl(master_fd, F_DUPFD_CLOEXEC, 0));
        slave.reset(slave_fd);
    } else {
        auto o = make_pipe();
        auto e = make_pipe();
        if (!o || !e) return SpawnError{(!o ? o.error() : e.error()), 126};
        // Larger pipes mean fewer, fuller reads and wake-ups on bulk output; a refusal (the
        // system's pipe-max-size) just leaves the default.
        ::fcntl(o->read.get(), F_SETPIPE_SZ, kOutputPipeSize);
        ::fcntl(e->read.get(), F_SETPIPE_SZ, kOutputPipeSize);
        out.stdout_fd = std::move(o->read);
        child_out = std::move(o->write);
        out.stderr_fd = std::move(e->read);
        child_err = std::move(e->write);
        if (spec.stdin_pipe) {
            auto i = make_pipe();
            if (!i) return SpawnError{i.error(), 126};
            child_in = std::move(i->read);
            out.stdin_fd = std::move(i->write);
        } else {
            child_in.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
            if (!child_in) return SpawnError{errno_error("open /dev/null", errno), 126};
        }
    }

    ChildArgs args{&spec,           path->c_str(),  argv.data(),
                   envp.data(),     child_in.get(), child_out.get(),
                   child_err.get(), slave.get(),    report->write.get()};
    // vfork semantics (shared memory, parent suspended until the child execs or exits), as
    // posix_spawn does: no page tables to copy and no copy-on-write faults in the agent afterwards.
    // posix_spawn itself cannot set a controlling terminal or switch users.
    auto stack = std::make_unique<char[]>(kChildStackSize);
    sigset_t all, previous;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer would poison shadow memory for the child's frames on a stack that lives in
    // the agent's memory and leave it poisoned for the parent: sanitizer builds fork instead.
    pid_t pid = ::fork();
    if (pid == 0) child_entry(&args);
#else
    pid_t pid = ::clone(child_entry, stack.get() + kChildStackSize,
                        CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
#endif
    int clone_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (pid < 0) return SpawnError{errno_error("clone", clone_errno), 126};
    report->write.reset();
    ChildFailure failure{};
    ssize_t n;
    do {
        n = ::read(report->read.get(), &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    out.pid = pid;
    if (n == static_cast<ssize_t>(sizeof failure)) {
        // The child exits with 127 right after reporting; the caller's reaper collects it.
        return failure_to_error(failure, spec, *path);
    }
    return out;
}

}  // namespace sockerless::agent
