#pragma once
// The daemon's side of the agent protocol (docs/agent-protocol.md): one WebSocket connection to
// an agent carrying any number of exec and attach sessions, with flow control in both directions.
// All members must be used from the connection's executor (one strand of control).

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agentproto/protocol.h"
#include "base/error.h"

namespace sockerless::agentclient {

struct Endpoint {
    std::string host;  // an IP address: agents are reached by their task's ENI address
    std::uint16_t port = 9111;
    std::string token;

    std::string address() const { return host + ":" + std::to_string(port); }
};

// A signal for one waiting coroutine at a time on a single-threaded executor.
class Wakeup {
public:
    explicit Wakeup(const boost::asio::any_io_executor& executor);
    void notify();
    boost::asio::awaitable<void> wait();

private:
    boost::asio::steady_timer timer_;
};

class Connection;

struct Output {
    agentproto::Stream stream = agentproto::Stream::out;
    std::vector<unsigned char> data;
    std::int64_t time = 0;  // logs sessions: when the agent read it, ns since the epoch
};

class Session {
public:
    Session(std::shared_ptr<Connection> connection, std::uint32_t id, std::uint32_t window);

    std::uint32_t id() const noexcept { return id_; }
    int pid() const noexcept { return pid_; }

    // The next piece of output in order; std::nullopt once the session ended (see exit_status()).
    boost::asio::awaitable<Result<std::optional<Output>>> read();
    // Sends stdin, waiting for the agent's window when it is exhausted.
    boost::asio::awaitable<Status> write_stdin(std::span<const unsigned char> data);
    void close_stdin();
    void signal(int signal);
    void resize(std::uint16_t rows, std::uint16_t cols);
    // Reads (and discards) output until the session ends.
    boost::asio::awaitable<Result<agentproto::Exit>> wait();

    // Ends a follow logs session: the agent sends what it has queued, then logs-end.
    void stop_following();

    const std::optional<agentproto::Exit>& exit_status() const noexcept { return exit_; }
    // How a logs session ended (read() gave std::nullopt): set once the agent sent everything.
    const std::optional<agentproto::LogsEnd>& logs_end() const noexcept { return logs_end_; }
    // An error the agent reported for this session, if any (an exec that could not start, ...).
    const std::optional<Error>& error() const noexcept { return error_; }

private:
    friend class Connection;
    void on_started(int pid);
    void on_output(agentproto::Stream stream, std::span<const unsigned char> data,
                   std::int64_t time = 0);
    void on_logs_end(const agentproto::LogsEnd& end);
    void on_exit(const agentproto::Exit& exit);
    void on_error(const Error& error);
    void on_window(std::uint32_t bytes);
    void on_connection_lost(const Error& error);

    std::shared_ptr<Connection> connection_;
    std::uint32_t id_;
    std::uint32_t window_;
    std::uint64_t unacknowledged_ = 0;
    std::int64_t stdin_credit_;
    int pid_ = 0;
    bool started_ = false;
    bool ended_ = false;
    bool logs_ = false;  // data frames carry a time (kLogHeaderSize)
    std::deque<Output> queue_;
    std::optional<agentproto::Exit> exit_;
    std::optional<agentproto::LogsEnd> logs_end_;
    std::optional<Error> error_;
    Wakeup wake_;
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    // Connects, authenticates and checks the protocol version; the error says which step failed.
    static boost::asio::awaitable<Result<std::shared_ptr<Connection>>> connect(
        boost::asio::any_io_executor executor, Endpoint endpoint,
        std::chrono::milliseconds timeout = std::chrono::seconds(10));

    ~Connection();

    // Starts a process; resolves once the agent reports it started, or with the reason it did not.
    boost::asio::awaitable<Result<std::shared_ptr<Session>>> exec(agentproto::ExecRequest request);
    // Attaches to the main process (also before it started); output flows from then on.
    std::shared_ptr<Session> attach(agentproto::AttachRequest request);
    // The main process's output kept by the agent (docs/agent-protocol.md section 17): read()
    // gives each piece with its stream and time, then std::nullopt after logs-end. Fails at once
    // when the agent does not serve logs (an agent older than the request).
    Result<std::shared_ptr<Session>> logs(agentproto::LogsRequest request);
    // Starts (or restarts) the main process; resolves with its pid.
    boost::asio::awaitable<Result<int>> start_main(agentproto::StartRequest request);

    void close();
    bool connected() const noexcept;
    const agentproto::Hello& hello() const noexcept;
    const Endpoint& endpoint() const noexcept;
    boost::asio::any_io_executor executor() const;

    // Internal, used by Session.
    void send_control(const agentproto::ClientMessage& message);
    void send_stdin(std::uint32_t session, std::span<const unsigned char> data);

    struct Impl;
    explicit Connection(std::unique_ptr<Impl> impl);

private:
    static boost::asio::awaitable<void> read_loop(std::shared_ptr<Connection> self);
    static boost::asio::awaitable<void> write_loop(std::shared_ptr<Connection> self);
    void dispatch(const agentproto::AgentMessage& message);
    void dispatch_data(std::span<const unsigned char> frame);
    std::uint32_t next_session_id();
    std::unique_ptr<Impl> impl_;
};

// GET /health once (no keep-alive, no TLS) with a per-request timeout.
boost::asio::awaitable<Result<agentproto::Health>> check_health(
    boost::asio::any_io_executor executor, std::string host, std::uint16_t port,
    std::chrono::milliseconds timeout);

}  // namespace sockerless::agentclient
