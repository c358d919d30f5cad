#pragma once
// `docker exec`: one process started by the agent on a client's request, its stdio bound to the
// session, its exit status reported as the session's last message.

#include <chrono>
#include <memory>
#include <optional>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "agent/notify.h"
#include "agent/reaper.h"
#include "agent/session.h"
#include "agent/spawn.h"
#include "agent/stdio.h"

namespace sockerless::agent {

// How long output may still arrive after the process exited before the session ends anyway; a
// background descendant holding the pipe open must not keep the session (or the agent) alive.
inline constexpr std::chrono::milliseconds kDrainAfterExit{2000};

// What the container's processes get unless a request says otherwise, as Docker applies the
// container's Config to `docker exec`.
struct ProcessDefaults {
    std::vector<std::string> env;  // the container's environment
    std::string root = "/";        // where /etc/passwd and /etc/group are read
    std::string workdir;           // empty: the agent's own
    std::string user;              // empty: the agent's own; Docker's --user forms
};

class ExecSession final : public Session,
                          public ChunkConsumer,
                          public std::enable_shared_from_this<ExecSession> {
public:
    // Starts the process; failures are reported to the client through the outlet.
    static std::shared_ptr<ExecSession> launch(const boost::asio::any_io_executor& executor,
                                               Reaper& reaper,
                                               const agentproto::ExecRequest& request,
                                               std::shared_ptr<Outlet> outlet,
                                               const ProcessDefaults& defaults,
                                               const std::shared_ptr<StdinAcks>& acks);

    ExecSession(const boost::asio::any_io_executor& executor, std::shared_ptr<Outlet> outlet);

    void on_stdin(Chunk data, std::size_t length) override;
    void on_close_stdin() override;
    Status on_signal(int signal) override;
    Status on_resize(std::uint16_t rows, std::uint16_t cols) override;
    void on_detach() override;

    boost::asio::awaitable<void> wait_space() override { return outlet_->wait_space(); }
    void consume(agentproto::Stream stream, Chunk chunk, std::size_t length) override;

private:
    static boost::asio::awaitable<void> run(std::shared_ptr<ExecSession> self);
    static boost::asio::awaitable<void> run_pump(std::shared_ptr<ExecSession> self,
                                                 boost::asio::posix::stream_descriptor& fd,
                                                 agentproto::Stream stream);

    boost::asio::any_io_executor executor_;
    pid_t pid_ = -1;
    bool tty_ = false;
    std::shared_ptr<StdinWriter> stdin_;
    std::weak_ptr<StdinAcks> acks_;
    boost::asio::posix::stream_descriptor out_;
    boost::asio::posix::stream_descriptor err_;
    int pumps_running_ = 0;
    std::optional<ExitStatus> exit_;
    Notify changed_;
};

}  // namespace sockerless::agent
