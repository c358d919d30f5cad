#pragma once
// One authenticated WebSocket connection from a client (normally the daemon). It multiplexes any
// number of sessions: routes the client's control messages and stdin frames to them and
// serialises their output frames onto the socket.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "agent/notify.h"
#include "agent/outlet.h"
#include "agent/session.h"
#include "agent/stdio.h"

namespace sockerless::agent {

// What a connection needs of the agent.
class SessionHost {
public:
    virtual ~SessionHost() = default;
    virtual std::shared_ptr<Session> open_exec(const agentproto::ExecRequest& request,
                                               std::shared_ptr<Outlet> outlet,
                                               std::shared_ptr<StdinAcks> acks) = 0;
    virtual std::shared_ptr<Session> open_attach(const agentproto::AttachRequest& request,
                                                 std::shared_ptr<Outlet> outlet,
                                                 std::shared_ptr<StdinAcks> acks) = 0;
    virtual std::shared_ptr<Session> open_logs(const agentproto::LogsRequest& request,
                                               std::shared_ptr<Outlet> outlet,
                                               std::shared_ptr<StdinAcks> acks) = 0;
    virtual Result<int> start_main(const agentproto::StartRequest& request) = 0;
};

class Connection final : public FrameSink, public std::enable_shared_from_this<Connection> {
public:
    using WebSocket = boost::beast::websocket::stream<boost::beast::tcp_stream>;

    Connection(WebSocket ws, SessionHost& host, std::uint32_t stdin_window);
    ~Connection() override;

    // Sends the hello, then serves until the client closes, the socket fails or close() finishes.
    static boost::asio::awaitable<void> run(std::shared_ptr<Connection> self);
    // Graceful end: sessions run to their last message, everything queued is sent, then a close
    // frame. The agent bounds how long it waits for this.
    void close();
    bool open() const noexcept { return !dead_; }

    void send_text(std::string text) override;
    void send_data(std::uint32_t session, agentproto::Stream stream, Chunk chunk,
                   std::size_t offset, std::size_t length,
                   std::optional<std::int64_t> time) override;
    void session_finished(std::uint32_t session) override;

    // Called by a session's stdin acknowledgements.
    void stdin_consumed(std::uint32_t session, std::size_t bytes);

private:
    struct Frame {
        bool text;
        std::string message;
        unsigned char header[agentproto::kLogHeaderSize];
        std::size_t header_size;
        Chunk chunk;
        std::size_t offset;
        std::size_t length;
    };
    struct Entry {
        std::shared_ptr<Session> session;
        std::shared_ptr<Outlet> outlet;
        // Sessions hold only weak references: acknowledgements stop with the entry.
        std::shared_ptr<StdinAcks> acks;
        std::int64_t stdin_allowance;
    };

    boost::asio::awaitable<void> read_loop();
    static boost::asio::awaitable<void> write_loop(std::shared_ptr<Connection> self);
    void handle_text(std::string_view text);
    void handle_binary(std::span<const unsigned char> frame);
    void handle(const agentproto::ClientMessage& message);
    template <class Request, class Open>
    void open_session(const Request& request, Open open);
    Entry* find(std::uint32_t session);
    void send_error(std::uint32_t session, const Error& error);
    void drop_session(std::uint32_t session, const Error& error);
    void detach_all();

    WebSocket ws_;
    SessionHost& host_;
    std::uint32_t stdin_window_;
    std::unordered_map<std::uint32_t, Entry> sessions_;
    std::deque<Frame> queue_;
    bool closing_ = false;
    bool dead_ = false;
    Notify wake_;
    Notify writer_done_;
    bool writer_finished_ = false;
};

}  // namespace sockerless::agent
