#include "agent/reaper.h"

#include <sys/wait.h>

#include <cerrno>
#include <csignal>

#include "agent/log.h"

namespace sockerless::agent {

ExitStatus decode_wait_status(int status) noexcept {
    if (WIFSIGNALED(status)) return ExitStatus{128 + WTERMSIG(status), WTERMSIG(status)};
    if (WIFEXITED(status)) return ExitStatus{WEXITSTATUS(status), 0};
    return ExitStatus{};
}

Reaper::Reaper(const boost::asio::any_io_executor& executor) : sigchld_(executor, SIGCHLD) {
    arm();
    // Children that exited before the signal set existed would otherwise wait for the next SIGCHLD.
    reap_all();
}

void Reaper::watch(pid_t pid, Callback on_exit) {
    owners_[pid] = std::move(on_exit);
}

void Reaper::forget(pid_t pid) {
    owners_.erase(pid);
}

void Reaper::arm() {
    sigchld_.async_wait([this](const boost::system::error_code& ec, int) {
        if (ec) return;
        reap_all();
        arm();
    });
}

void Reaper::reap_all() {
    while (true) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid == 0) return;
        if (pid < 0) {
            if (errno == EINTR) continue;
            return;  // ECHILD: nothing left
        }
        auto it = owners_.find(pid);
        if (it == owners_.end()) {
            ++orphans_reaped_;
            log_debug("reaped pid " + std::to_string(pid) +
                      " with no owner (an orphaned descendant)");
            continue;
        }
        Callback cb = std::move(it->second);
        owners_.erase(it);
        cb(decode_wait_status(status));
    }
}

}  // namespace sockerless::agent
