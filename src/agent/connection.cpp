#include "agent/connection.h"

#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "agent/log.h"

namespace sockerless::agent {
namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using agentproto::Stream;

namespace {

class SessionAcks final : public StdinAcks {
public:
    SessionAcks(std::weak_ptr<Connection> connection, std::uint32_t session)
        : connection_(std::move(connection)), session_(session) {}
    void stdin_consumed(std::size_t bytes) override {
        if (auto c = connection_.lock()) c->stdin_consumed(session_, bytes);
    }

private:
    std::weak_ptr<Connection> connection_;
    std::uint32_t session_;
};

std::uint32_t session_of(const agentproto::ClientMessage& message) {
    return std::visit([](const auto& m) { return m.session; }, message);
}

std::string hello_message(std::uint32_t stdin_window) {
    agentproto::Hello hello{agentproto::kProtocolVersion, SOCKERLESS_VERSION, stdin_window};
    hello.features.emplace_back(agentproto::kFeatureLogs);
    return agentproto::serialize(agentproto::AgentMessage{std::move(hello)});
}

}  // namespace

Connection::Connection(WebSocket ws, SessionHost& host, std::uint32_t stdin_window)
    : ws_(std::move(ws)),
      host_(host),
      stdin_window_(stdin_window),
      wake_(ws_.get_executor()),
      writer_done_(ws_.get_executor()) {}

Connection::~Connection() = default;

asio::awaitable<void> Connection::run(std::shared_ptr<Connection> self) {
    self->send_text(hello_message(self->stdin_window_));
    asio::co_spawn(self->ws_.get_executor(), write_loop(self), asio::detached);
    co_await self->read_loop();
    self->dead_ = true;
    self->detach_all();
    self->wake_.notify();
    while (!self->writer_finished_)
        co_await self->writer_done_.wait();
    boost::beast::get_lowest_layer(self->ws_).close();
}

void Connection::close() {
    closing_ = true;
    wake_.notify();
}

asio::awaitable<void> Connection::read_loop() {
    boost::beast::flat_buffer buffer;
    while (true) {
        auto [ec, n] = co_await ws_.async_read(buffer, asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec != websocket::error::closed && ec != asio::error::eof &&
                ec != asio::error::operation_aborted) {
                log_debug("connection closed: " + ec.message());
            }
            co_return;
        }
        auto data = buffer.cdata();
        if (ws_.got_text()) {
            handle_text(std::string_view(static_cast<const char*>(data.data()), data.size()));
        } else {
            handle_binary(std::span<const unsigned char>(
                static_cast<const unsigned char*>(data.data()), data.size()));
        }
        buffer.consume(buffer.size());
    }
}

asio::awaitable<void> Connection::write_loop(std::shared_ptr<Connection> self) {
    while (true) {
        while (self->queue_.empty() && !(self->closing_ && self->sessions_.empty()) &&
               !self->dead_) {
            co_await self->wake_.wait();
        }
        if (self->dead_) break;
        if (self->queue_.empty()) {  // closing, every session finished and all of it sent
            co_await self->ws_.async_close(websocket::close_code::normal,
                                           asio::as_tuple(asio::use_awaitable));
            break;
        }
        Frame f = std::move(self->queue_.front());
        self->queue_.pop_front();
        boost::system::error_code ec;
        if (f.text) {
            self->ws_.text(true);
            std::tie(ec, std::ignore) = co_await self->ws_.async_write(
                asio::buffer(f.message), asio::as_tuple(asio::use_awaitable));
        } else {
            self->ws_.binary(true);
            std::array<asio::const_buffer, 2> buffers{
                asio::buffer(f.header, f.header_size),
                asio::buffer(f.chunk.data.get() + f.offset, f.length)};
            std::tie(ec, std::ignore) =
                co_await self->ws_.async_write(buffers, asio::as_tuple(asio::use_awaitable));
        }
        if (ec) {
            log_debug("connection write failed: " + ec.message());
            self->dead_ = true;
            boost::beast::get_lowest_layer(self->ws_).cancel();
            break;
        }
    }
    self->queue_.clear();
    self->writer_finished_ = true;
    self->writer_done_.notify();
}

void Connection::send_text(std::string text) {
    if (dead_) return;
    Frame f{};
    f.text = true;
    f.message = std::move(text);
    queue_.push_back(std::move(f));
    wake_.notify();
}

void Connection::send_data(std::uint32_t session, Stream stream, Chunk chunk, std::size_t offset,
                           std::size_t length, std::optional<std::int64_t> time) {
    if (dead_) return;
    Frame f{};
    f.text = false;
    if (time) {
        agentproto::encode_log_header(session, stream, *time, f.header);
        f.header_size = agentproto::kLogHeaderSize;
    } else {
        unsigned char header[agentproto::kDataHeaderSize];
        agentproto::encode_data_header(session, stream, header);
        std::memcpy(f.header, header, sizeof header);
        f.header_size = sizeof header;
    }
    f.chunk = std::move(chunk);
    f.offset = offset;
    f.length = length;
    queue_.push_back(std::move(f));
    wake_.notify();
}

void Connection::session_finished(std::uint32_t session) {
    auto it = sessions_.find(session);
    if (it != sessions_.end() && it->second.outlet->finished()) sessions_.erase(it);
    if (closing_ && sessions_.empty()) wake_.notify();
}

void Connection::stdin_consumed(std::uint32_t session, std::size_t bytes) {
    Entry* e = find(session);
    if (e == nullptr) return;
    e->stdin_allowance += static_cast<std::int64_t>(bytes);
    send_text(agentproto::serialize(
        agentproto::AgentMessage{agentproto::Window{session, static_cast<std::uint32_t>(bytes)}}));
}

Connection::Entry* Connection::find(std::uint32_t session) {
    auto it = sessions_.find(session);
    return it == sessions_.end() ? nullptr : &it->second;
}

void Connection::send_error(std::uint32_t session, const Error& error) {
    send_text(agentproto::serialize(
        agentproto::AgentMessage{agentproto::ErrorMessage{session, error.code, error.message}}));
}

void Connection::drop_session(std::uint32_t session, const Error& error) {
    send_text(agentproto::serialize(agentproto::AgentMessage{
        agentproto::ErrorMessage{session, error.code, error.message, true}}));
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return;
    auto entry = std::move(it->second);
    sessions_.erase(it);
    entry.session->on_detach();
}

void Connection::detach_all() {
    auto sessions = std::move(sessions_);
    sessions_.clear();
    for (auto& [id, entry] : sessions)
        entry.session->on_detach();
}

void Connection::handle_text(std::string_view text) {
    auto message = agentproto::parse_client_message(text);
    if (!message) {
        send_error(0, message.error());
        return;
    }
    handle(*message);
}

void Connection::handle_binary(std::span<const unsigned char> frame) {
    auto data = agentproto::decode_data_frame(frame);
    if (!data) {
        std::uint32_t session = 0;
        if (frame.size() >= 4) {
            session = (std::uint32_t{frame[0]} << 24) | (std::uint32_t{frame[1]} << 16) |
                      (std::uint32_t{frame[2]} << 8) | std::uint32_t{frame[3]};
        }
        if (session != 0 && find(session) != nullptr) {
            drop_session(session, data.error());
        } else {
            send_error(0, data.error());
        }
        return;
    }
    Entry* e = find(data->session);
    if (e == nullptr) {
        send_error(data->session,
                   make_error(Errc::not_found, "no session " + std::to_string(data->session) +
                                                   " on this connection"));
        return;
    }
    if (data->stream != Stream::in) {
        drop_session(data->session,
                     make_error(Errc::invalid_argument, "clients may only send stdin (stream 0)"));
        return;
    }
    e->stdin_allowance -= static_cast<std::int64_t>(data->payload.size());
    if (e->stdin_allowance < 0) {
        drop_session(data->session, make_error(Errc::invalid_argument,
                                               "stdin sent beyond the window the agent granted"));
        return;
    }
    if (data->payload.empty()) return;
    Chunk chunk = Chunk::allocate(data->payload.size());
    std::memcpy(chunk.data.get(), data->payload.data(), data->payload.size());
    e->session->on_stdin(std::move(chunk), data->payload.size());
}

template <class Request, class Open>
void Connection::open_session(const Request& request, Open open) {
    if (find(request.session) != nullptr) {
        send_error(request.session,
                   make_error(Errc::conflict, "session " + std::to_string(request.session) +
                                                  " is already in use on this connection"));
        return;
    }
    auto outlet = std::make_shared<Outlet>(ws_.get_executor(), weak_from_this(), request.session,
                                           request.window);
    Outlet::start(outlet);
    auto acks = std::make_shared<SessionAcks>(weak_from_this(), request.session);
    // Entered before opening: a session that fails at once finishes through the map like any other.
    auto& entry = sessions_[request.session];
    entry.outlet = outlet;
    entry.acks = acks;
    entry.stdin_allowance = stdin_window_;
    entry.session = open(request, outlet, acks);
}

void Connection::handle(const agentproto::ClientMessage& message) {
    using namespace agentproto;
    std::uint32_t session = session_of(message);
    if (const auto* exec = std::get_if<ExecRequest>(&message)) {
        open_session(*exec,
                     [this](const auto& r, auto o, auto a) { return host_.open_exec(r, o, a); });
        return;
    }
    if (const auto* attach = std::get_if<AttachRequest>(&message)) {
        open_session(*attach,
                     [this](const auto& r, auto o, auto a) { return host_.open_attach(r, o, a); });
        return;
    }
    if (const auto* logs = std::get_if<LogsRequest>(&message)) {
        open_session(*logs,
                     [this](const auto& r, auto o, auto a) { return host_.open_logs(r, o, a); });
        return;
    }
    if (const auto* start = std::get_if<StartRequest>(&message)) {
        auto pid = host_.start_main(*start);
        if (pid) {
            send_text(serialize(AgentMessage{Started{session, *pid}}));
        } else {
            send_error(session, pid.error());
        }
        return;
    }
    Entry* e = find(session);
    if (e == nullptr) {
        send_error(session, make_error(Errc::not_found, "no session " + std::to_string(session) +
                                                            " on this connection"));
        return;
    }
    if (std::holds_alternative<CloseStdin>(message)) {
        e->session->on_close_stdin();
    } else if (const auto* sig = std::get_if<SignalRequest>(&message)) {
        if (auto st = e->session->on_signal(sig->signal); !st) send_error(session, st.error());
    } else if (const auto* resize = std::get_if<Resize>(&message)) {
        if (auto st = e->session->on_resize(resize->rows, resize->cols); !st)
            send_error(session, st.error());
    } else if (const auto* window = std::get_if<Window>(&message)) {
        e->outlet->grant(window->bytes);
    }
}

}  // namespace sockerless::agent
