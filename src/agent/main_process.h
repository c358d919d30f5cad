#pragma once
// The container's main process, supervised by the agent as PID 1: started at boot (or on a start
// request when held), its output teed to the agent's own stdout/stderr for the task's log driver,
// kept with timestamps in a bounded log buffer (served to logs sessions, and the attach replay)
// and fanned out to attached and following sessions; its stdin fed by attached sessions.

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "agent/exec_session.h"
#include "agent/log_buffer.h"
#include "agent/reaper.h"
#include "agent/session.h"
#include "agent/stdio.h"

namespace sockerless::agent {

struct MainConfig {
    std::vector<std::string> argv;  // empty: no main process until a start request brings one
    bool keep_alive = false;        // the agent outlives the main process
    bool hold = false;              // wait for a start request instead of starting at boot
    bool tty = false;
    bool open_stdin = false;
    bool stdin_once = false;  // close stdin when the first attached client closes it
    ProcessDefaults defaults;
};

class AttachSession;
class LogsSession;

class MainProcess final : public ChunkConsumer {
public:
    static constexpr std::size_t kReplayBytes = 1u << 20;  // of the current run, for attach
    // The log buffer, across runs. Memory, not payload: entries are charged their buffer and
    // LogBuffer::kEntryOverhead. At least kReplayBytes of payload fit in it.
    static constexpr std::size_t kLogBytes = 2u << 20;

    // `on_final_exit` runs when the agent should end: the main process ended and the agent does not
    // keep the task alive, or a terminating signal was forwarded and the process then ended.
    MainProcess(const boost::asio::any_io_executor& executor, Reaper& reaper, MainConfig config,
                std::function<void(ExitStatus)> on_final_exit);

    void boot();
    Result<int> start(const agentproto::StartRequest& request);
    std::shared_ptr<AttachSession> attach(const agentproto::AttachRequest& request,
                                          const std::shared_ptr<Outlet>& outlet,
                                          const std::shared_ptr<StdinAcks>& acks);
    // The selected part of the log buffer; with follow, then live output until the client stops
    // it or the agent ends.
    std::shared_ptr<LogsSession> logs(const agentproto::LogsRequest& request,
                                      const std::shared_ptr<Outlet>& outlet,
                                      const std::shared_ptr<StdinAcks>& acks);
    // A signal the agent itself received: forwarded to the main process, or ends an idle agent.
    void on_agent_signal(int signal);
    agentproto::Health health() const;

    // Used by attach sessions.
    void detach(AttachSession* session);
    // Used by logs sessions: ends a follow (its logs-end after what is queued) or forgets one.
    void stop_following(LogsSession* session, bool detached);
    void write_stdin(Chunk chunk, std::size_t length, std::weak_ptr<StdinAcks> ack);
    void close_stdin();
    Status signal(int signal);
    Status resize(std::uint16_t rows, std::uint16_t cols);
    bool stdin_once() const noexcept { return config_.stdin_once; }

    boost::asio::awaitable<void> wait_space() override;
    void consume(agentproto::Stream stream, Chunk chunk, std::size_t length) override;

private:
    struct PendingInput {
        Chunk chunk;
        std::size_t length;
        std::weak_ptr<StdinAcks> ack;
    };

    Result<int> launch(std::vector<std::string> argv, const std::vector<std::string>& env);
    static boost::asio::awaitable<void> supervise(MainProcess* self);
    static boost::asio::awaitable<void> run_pump(MainProcess* self,
                                                 boost::asio::posix::stream_descriptor& fd,
                                                 agentproto::Stream stream);
    void end_run(ExitStatus status);
    void final_exit(ExitStatus status);

    boost::asio::any_io_executor executor_;
    Reaper& reaper_;
    MainConfig config_;
    std::function<void(ExitStatus)> on_final_exit_;

    pid_t pid_ = 0;
    bool running_ = false;
    bool ending_ = false;  // the agent is on its way out; no more starts
    bool terminating_ = false;
    int runs_ = 0;
    std::optional<ExitStatus> run_exit_;
    std::optional<int> last_exit_code_;
    std::optional<ExitStatus> last_exit_;
    bool drain_expired_ = false;  // the run's output is no longer waited for
    int pumps_running_ = 0;
    boost::asio::posix::stream_descriptor out_;
    boost::asio::posix::stream_descriptor err_;
    std::shared_ptr<StdinWriter> stdin_;
    std::deque<PendingInput> pending_input_;  // written before the process started
    bool stdin_closed_ = false;
    LogBuffer log_{kLogBytes};
    std::vector<std::shared_ptr<AttachSession>> subscribers_;
    std::vector<std::shared_ptr<LogsSession>> followers_;
    Notify changed_;
};

class AttachSession final : public Session {
public:
    AttachSession(std::shared_ptr<Outlet> outlet, MainProcess& main,
                  const agentproto::AttachRequest& request, const std::shared_ptr<StdinAcks>& acks);

    bool wants(agentproto::Stream stream) const noexcept;

    void on_stdin(Chunk data, std::size_t length) override;
    void on_close_stdin() override;
    Status on_signal(int signal) override;
    Status on_resize(std::uint16_t rows, std::uint16_t cols) override;
    void on_detach() override;

private:
    MainProcess& main_;
    bool stdin_, stdout_, stderr_;
    bool closed_stdin_ = false;
    std::weak_ptr<StdinAcks> acks_;
};

// A logs session: no process of its own, no stdin. Its data frames carry each entry's time.
class LogsSession final : public Session {
public:
    LogsSession(std::shared_ptr<Outlet> outlet, MainProcess& main,
                const agentproto::LogsRequest& request, const std::shared_ptr<StdinAcks>& acks);

    const agentproto::LogsRequest& request() const noexcept { return request_; }
    void send(const LogEntry& entry, std::size_t offset = 0);

    void on_stdin(Chunk data, std::size_t length) override;
    // Stops a follow: what is queued is sent, then logs-end.
    void on_close_stdin() override;
    Status on_signal(int signal) override;
    Status on_resize(std::uint16_t rows, std::uint16_t cols) override;
    void on_detach() override;

private:
    MainProcess& main_;
    agentproto::LogsRequest request_;
    std::weak_ptr<StdinAcks> acks_;
};

}  // namespace sockerless::agent
