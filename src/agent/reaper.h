#pragma once
// The agent's single SIGCHLD reaper. As PID 1 (or a child subreaper) the agent inherits every
// orphaned descendant; one place calls waitpid(-1) and hands each status to the owner that
// registered its pid, so no other code may call wait*() for its own children.

#include <sys/types.h>
#include <functional>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/signal_set.hpp>

namespace sockerless::agent {

// A child's end: `code` is the exit status, or 128+signal when it was killed by `signal`.
struct ExitStatus {
    int code = 0;
    int signal = 0;
};

ExitStatus decode_wait_status(int status) noexcept;

class Reaper {
public:
    using Callback = std::function<void(ExitStatus)>;

    explicit Reaper(const boost::asio::any_io_executor& executor);

    // Registers the owner of `pid`. Must be called before control returns to the event loop
    // after the fork, which the single-threaded agent guarantees.
    void watch(pid_t pid, Callback on_exit);
    void forget(pid_t pid);

    std::size_t orphans_reaped() const noexcept { return orphans_reaped_; }

private:
    void arm();
    void reap_all();

    boost::asio::signal_set sigchld_;
    std::unordered_map<pid_t, Callback> owners_;
    std::size_t orphans_reaped_ = 0;
};

}  // namespace sockerless::agent
