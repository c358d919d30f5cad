#include "agentclient/client.h"

#include <algorithm>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace sockerless::agentclient {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using agentproto::Stream;

namespace {

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

Error lost_error(const Endpoint& endpoint, std::string_view why) {
    return make_error(Errc::unavailable, "connection to agent at " + endpoint.address() +
                                             " lost: " + std::string(why));
}

Result<tcp::endpoint> parse_endpoint(const std::string& host, std::uint16_t port) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec)
        return make_error(Errc::invalid_argument,
                          "agent host \"" + host + "\" is not an IP address");
    return tcp::endpoint(address, port);
}

}  // namespace

Wakeup::Wakeup(const asio::any_io_executor& executor)
    : timer_(executor, std::chrono::steady_clock::time_point::max()) {}

void Wakeup::notify() {
    timer_.cancel();
}

asio::awaitable<void> Wakeup::wait() {
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

struct Connection::Impl {
    struct Frame {
        bool text;
        std::string message;
        std::vector<unsigned char> data;
    };
    struct PendingStart {
        std::optional<Result<int>> result;
    };

    Impl(websocket::stream<beast::tcp_stream> s, Endpoint e)
        : ws(std::move(s)),
          endpoint(std::move(e)),
          writer_wake(ws.get_executor()),
          starts_wake(ws.get_executor()) {}

    websocket::stream<beast::tcp_stream> ws;
    Endpoint endpoint;
    agentproto::Hello hello;
    std::unordered_map<std::uint32_t, std::weak_ptr<Session>> sessions;
    std::unordered_map<std::uint32_t, PendingStart> starts;
    std::deque<Frame> queue;
    Wakeup writer_wake;
    Wakeup starts_wake;
    bool closing = false;
    bool dead = false;
    std::optional<Error> lost;
    std::uint32_t next_id = 1;

    void enqueue(Frame frame) {
        if (dead) return;
        queue.push_back(std::move(frame));
        writer_wake.notify();
    }
};

// ---- Session ------------------------------------------------------------------------------------

Session::Session(std::shared_ptr<Connection> connection, std::uint32_t id, std::uint32_t window)
    : connection_(std::move(connection)),
      id_(id),
      window_(window),
      stdin_credit_(connection_->hello().window),
      wake_(connection_->executor()) {}

asio::awaitable<Result<std::optional<Output>>> Session::read() {
    while (queue_.empty() && !ended_)
        co_await wake_.wait();
    if (queue_.empty()) {
        // Ended without an exit status (or logs-end): lost or dropped.
        if (!exit_ && !logs_end_ && error_) co_return *error_;
        co_return std::optional<Output>{};
    }
    Output out = std::move(queue_.front());
    queue_.pop_front();
    unacknowledged_ += out.data.size();
    if (!ended_ && unacknowledged_ >= window_ / 2) {
        connection_->send_control(
            agentproto::Window{id_, static_cast<std::uint32_t>(unacknowledged_)});
        unacknowledged_ = 0;
    }
    co_return std::optional<Output>{std::move(out)};
}

asio::awaitable<Status> Session::write_stdin(std::span<const unsigned char> data) {
    while (!data.empty()) {
        while (stdin_credit_ <= 0 && !ended_)
            co_await wake_.wait();
        if (ended_) {
            co_return make_error(Errc::conflict, "session " + std::to_string(id_) +
                                                     " has ended; stdin not delivered");
        }
        std::size_t n = std::min<std::size_t>(
            {data.size(), static_cast<std::size_t>(stdin_credit_), agentproto::kMaxDataPayload});
        connection_->send_stdin(id_, data.first(n));
        stdin_credit_ -= static_cast<std::int64_t>(n);
        data = data.subspan(n);
    }
    co_return ok();
}

void Session::close_stdin() {
    if (!ended_) connection_->send_control(agentproto::CloseStdin{id_});
}

void Session::signal(int signal) {
    if (!ended_) connection_->send_control(agentproto::SignalRequest{id_, signal});
}

void Session::resize(std::uint16_t rows, std::uint16_t cols) {
    if (!ended_) connection_->send_control(agentproto::Resize{id_, rows, cols});
}

asio::awaitable<Result<agentproto::Exit>> Session::wait() {
    while (true) {
        auto out = co_await read();
        if (!out) co_return out.error();
        if (!*out) break;
    }
    if (!exit_)
        co_return error_.value_or(
            make_error(Errc::internal, "session ended without an exit status"));
    co_return *exit_;
}

void Session::on_started(int pid) {
    pid_ = pid;
    started_ = true;
    wake_.notify();
}

void Session::stop_following() {
    if (!ended_ && logs_) connection_->send_control(agentproto::CloseStdin{id_});
}

void Session::on_output(Stream stream, std::span<const unsigned char> data, std::int64_t time) {
    queue_.push_back(Output{stream, std::vector<unsigned char>(data.begin(), data.end()), time});
    wake_.notify();
}

void Session::on_logs_end(const agentproto::LogsEnd& end) {
    logs_end_ = end;
    ended_ = true;
    wake_.notify();
}

void Session::on_exit(const agentproto::Exit& exit) {
    exit_ = exit;
    ended_ = true;
    wake_.notify();
}

void Session::on_error(const Error& error) {
    error_ = error;
    wake_.notify();
}

void Session::on_window(std::uint32_t bytes) {
    stdin_credit_ += bytes;
    wake_.notify();
}

void Session::on_connection_lost(const Error& error) {
    if (ended_) return;
    if (!error_) error_ = error;
    ended_ = true;
    wake_.notify();
}

// ---- Connection ---------------------------------------------------------------------------------

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Connection::~Connection() = default;

bool Connection::connected() const noexcept {
    return !impl_->dead;
}
const agentproto::Hello& Connection::hello() const noexcept {
    return impl_->hello;
}
const Endpoint& Connection::endpoint() const noexcept {
    return impl_->endpoint;
}
asio::any_io_executor Connection::executor() const {
    return impl_->ws.get_executor();
}

std::uint32_t Connection::next_session_id() {
    std::uint32_t id = impl_->next_id++;
    if (impl_->next_id == 0) impl_->next_id = 1;
    return id;
}

void Connection::send_control(const agentproto::ClientMessage& message) {
    impl_->enqueue(Impl::Frame{true, agentproto::serialize(message), {}});
}

void Connection::send_stdin(std::uint32_t session, std::span<const unsigned char> data) {
    Impl::Frame frame{false, {}, {}};
    frame.data.resize(agentproto::kDataHeaderSize + data.size());
    unsigned char header[agentproto::kDataHeaderSize];
    agentproto::encode_data_header(session, Stream::in, header);
    std::memcpy(frame.data.data(), header, sizeof header);
    if (!data.empty()) std::memcpy(frame.data.data() + sizeof header, data.data(), data.size());
    impl_->enqueue(std::move(frame));
}

void Connection::close() {
    impl_->closing = true;
    impl_->writer_wake.notify();
}

asio::awaitable<void> Connection::write_loop(std::shared_ptr<Connection> self) {
    Impl& impl = *self->impl_;
    while (true) {
        while (impl.queue.empty() && !impl.closing && !impl.dead)
            co_await impl.writer_wake.wait();
        if (impl.dead) break;
        if (impl.queue.empty()) {
            co_await impl.ws.async_close(websocket::close_code::normal, kUse);
            break;
        }
        auto frame = std::move(impl.queue.front());
        impl.queue.pop_front();
        impl.ws.text(frame.text);
        auto [ec, n] = frame.text ? co_await impl.ws.async_write(asio::buffer(frame.message), kUse)
                                  : co_await impl.ws.async_write(asio::buffer(frame.data), kUse);
        if (ec) {
            impl.dead = true;
            beast::get_lowest_layer(impl.ws).cancel();
            break;
        }
    }
    impl.queue.clear();
}

asio::awaitable<void> Connection::read_loop(std::shared_ptr<Connection> self) {
    Impl& impl = *self->impl_;
    beast::flat_buffer buffer;
    std::string why = "closed by the agent";
    while (true) {
        auto [ec, n] = co_await impl.ws.async_read(buffer, kUse);
        if (ec) {
            if (ec != websocket::error::closed) why = ec.message();
            break;
        }
        auto bytes = buffer.cdata();
        if (impl.ws.got_text()) {
            auto message = agentproto::parse_agent_message(
                std::string_view(static_cast<const char*>(bytes.data()), bytes.size()));
            if (message) self->dispatch(*message);
        } else {
            self->dispatch_data(std::span<const unsigned char>(
                static_cast<const unsigned char*>(bytes.data()), bytes.size()));
        }
        buffer.consume(buffer.size());
    }
    impl.dead = true;
    impl.writer_wake.notify();
    Error lost = lost_error(impl.endpoint, why);
    impl.lost = lost;
    auto sessions = std::move(impl.sessions);
    impl.sessions.clear();
    for (auto& [id, weak] : sessions) {
        if (auto s = weak.lock()) s->on_connection_lost(lost);
    }
    for (auto& [id, pending] : impl.starts) {
        if (!pending.result) pending.result = Result<int>(lost);
    }
    impl.starts_wake.notify();
    boost::system::error_code ignored;
    beast::get_lowest_layer(impl.ws).socket().close(ignored);
}

void Connection::dispatch(const agentproto::AgentMessage& message) {
    using namespace agentproto;
    Impl& impl = *impl_;
    auto session_for = [&impl](std::uint32_t id) -> std::shared_ptr<Session> {
        auto it = impl.sessions.find(id);
        return it == impl.sessions.end() ? nullptr : it->second.lock();
    };
    if (const auto* started = std::get_if<Started>(&message)) {
        if (auto it = impl.starts.find(started->session); it != impl.starts.end()) {
            it->second.result = started->pid;
            impl.starts_wake.notify();
        } else if (auto s = session_for(started->session)) {
            s->on_started(started->pid);
        }
    } else if (const auto* exit = std::get_if<Exit>(&message)) {
        if (auto s = session_for(exit->session)) s->on_exit(*exit);
        impl.sessions.erase(exit->session);
    } else if (const auto* err = std::get_if<ErrorMessage>(&message)) {
        Error e = make_error(err->code, err->message);
        if (auto it = impl.starts.find(err->session); it != impl.starts.end()) {
            it->second.result = Result<int>(e);
            impl.starts_wake.notify();
        } else if (auto s = session_for(err->session)) {
            s->on_error(e);
            if (err->closed) {
                s->on_connection_lost(e);
                impl.sessions.erase(err->session);
            }
        }
    } else if (const auto* window = std::get_if<Window>(&message)) {
        if (auto s = session_for(window->session)) s->on_window(window->bytes);
    } else if (const auto* end = std::get_if<LogsEnd>(&message)) {
        if (auto s = session_for(end->session)) s->on_logs_end(*end);
        impl.sessions.erase(end->session);
    }
}

void Connection::dispatch_data(std::span<const unsigned char> frame) {
    if (frame.size() < agentproto::kDataHeaderSize) return;
    std::uint32_t id = (std::uint32_t{frame[0]} << 24) | (std::uint32_t{frame[1]} << 16) |
                       (std::uint32_t{frame[2]} << 8) | std::uint32_t{frame[3]};
    auto it = impl_->sessions.find(id);
    if (it == impl_->sessions.end()) return;
    auto s = it->second.lock();
    if (!s) return;
    if (s->logs_) {
        if (auto f = agentproto::decode_log_frame(frame))
            s->on_output(f->stream, f->payload, f->time);
    } else if (auto f = agentproto::decode_data_frame(frame)) {
        s->on_output(f->stream, f->payload);
    }
}

asio::awaitable<Result<std::shared_ptr<Session>>> Connection::exec(
    agentproto::ExecRequest request) {
    if (impl_->dead) co_return impl_->lost.value_or(lost_error(impl_->endpoint, "not connected"));
    request.session = next_session_id();
    auto session = std::make_shared<Session>(shared_from_this(), request.session, request.window);
    impl_->sessions[request.session] = session;
    send_control(request);
    while (!session->started_ && !session->ended_)
        co_await session->wake_.wait();
    if (!session->started_) {
        Error e =
            session->error_.value_or(make_error(Errc::internal, "exec ended before it started"));
        co_return e.wrap("exec " + (request.argv.empty() ? std::string() : request.argv[0]) +
                         " in agent at " + impl_->endpoint.address());
    }
    co_return session;
}

std::shared_ptr<Session> Connection::attach(agentproto::AttachRequest request) {
    request.session = next_session_id();
    auto session = std::make_shared<Session>(shared_from_this(), request.session, request.window);
    if (impl_->dead) {
        session->on_connection_lost(
            impl_->lost.value_or(lost_error(impl_->endpoint, "not connected")));
        return session;
    }
    session->started_ = true;
    impl_->sessions[request.session] = session;
    send_control(request);
    return session;
}

Result<std::shared_ptr<Session>> Connection::logs(agentproto::LogsRequest request) {
    if (impl_->dead) return impl_->lost.value_or(lost_error(impl_->endpoint, "not connected"));
    const auto& features = impl_->hello.features;
    if (std::find(features.begin(), features.end(), agentproto::kFeatureLogs) == features.end()) {
        return make_error(Errc::not_implemented,
                          "agent at " + impl_->endpoint.address() +
                              " does not serve logs (it predates them); read the task's log");
    }
    request.session = next_session_id();
    auto session = std::make_shared<Session>(shared_from_this(), request.session, request.window);
    session->started_ = true;
    session->logs_ = true;
    impl_->sessions[request.session] = session;
    send_control(request);
    return session;
}

asio::awaitable<Result<int>> Connection::start_main(agentproto::StartRequest request) {
    if (impl_->dead) co_return impl_->lost.value_or(lost_error(impl_->endpoint, "not connected"));
    request.session = next_session_id();
    impl_->starts[request.session] = Impl::PendingStart{};
    send_control(request);
    auto self = shared_from_this();
    while (!impl_->starts[request.session].result)
        co_await impl_->starts_wake.wait();
    Result<int> result = *impl_->starts[request.session].result;
    impl_->starts.erase(request.session);
    co_return result;
}

asio::awaitable<Result<std::shared_ptr<Connection>>> Connection::connect(
    asio::any_io_executor executor, Endpoint endpoint, std::chrono::milliseconds timeout) {
    auto target = parse_endpoint(endpoint.host, endpoint.port);
    if (!target) co_return target.error();
    const std::string where = "agent at " + endpoint.address();
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);
    auto [cec] = co_await stream.async_connect(*target, kUse);
    if (cec) {
        co_return make_error(cec == asio::error::timed_out ? Errc::timeout : Errc::unavailable,
                             "connect to " + where + ": " + cec.message());
    }
    stream.socket().set_option(tcp::no_delay(true));
    websocket::stream<beast::tcp_stream> ws(std::move(stream));
    ws.set_option(
        websocket::stream_base::decorator([token = endpoint.token](websocket::request_type& req) {
            req.set(http::field::authorization, "Bearer " + token);
            req.set(http::field::sec_websocket_protocol, agentproto::kSubprotocol);
            req.set(http::field::user_agent, "sockerless-agentclient");
        }));
    ws.read_message_max(agentproto::kMaxControlMessage + agentproto::kDataHeaderSize);
    ws.auto_fragment(false);
    websocket::response_type response;
    auto [hec] = co_await ws.async_handshake(response, endpoint.address(), "/", kUse);
    if (hec) {
        std::string version(response[agentproto::kVersionHeader]);
        switch (response.result()) {
            case http::status::unauthorized:
                co_return make_error(Errc::unauthorized, where + " refused the token (401)");
            case http::status::service_unavailable:
                co_return make_error(
                    Errc::unavailable,
                    where + " has no token configured; exec and attach are disabled");
            case http::status::bad_request:
                if (!version.empty() && version != std::to_string(agentproto::kProtocolVersion)) {
                    co_return make_error(Errc::conflict,
                                         where + " speaks agent protocol v" + version +
                                             " but this daemon speaks v" +
                                             std::to_string(agentproto::kProtocolVersion) +
                                             "; run an agent from the same release as the daemon");
                }
                [[fallthrough]];
            default:
                co_return make_error(Errc::unavailable,
                                     "WebSocket handshake with " + where +
                                         " failed: " + hec.message() + " (HTTP " +
                                         std::to_string(response.result_int()) + ")");
        }
    }
    if (response[http::field::sec_websocket_protocol] != agentproto::kSubprotocol) {
        co_return make_error(Errc::conflict, where +
                                                 " accepted the connection without agreeing on " +
                                                 std::string(agentproto::kSubprotocol));
    }
    beast::flat_buffer buffer;
    auto [rec, rn] = co_await ws.async_read(buffer, kUse);
    if (rec || !ws.got_text())
        co_return make_error(Errc::unavailable, where + " sent no hello: " + rec.message());
    auto bytes = buffer.cdata();
    auto hello = agentproto::parse_agent_message(
        std::string_view(static_cast<const char*>(bytes.data()), bytes.size()));
    if (!hello || !std::holds_alternative<agentproto::Hello>(*hello)) {
        co_return make_error(Errc::unavailable, where + " sent an unexpected first message");
    }
    const auto& h = std::get<agentproto::Hello>(*hello);
    if (h.protocol != agentproto::kProtocolVersion) {
        co_return make_error(Errc::conflict, where + " speaks agent protocol v" +
                                                 std::to_string(h.protocol) +
                                                 " but this daemon speaks v" +
                                                 std::to_string(agentproto::kProtocolVersion));
    }
    beast::get_lowest_layer(ws).expires_never();
    auto impl = std::make_unique<Impl>(std::move(ws), std::move(endpoint));
    impl->hello = h;
    auto connection = std::make_shared<Connection>(std::move(impl));
    asio::co_spawn(executor, read_loop(connection), asio::detached);
    asio::co_spawn(executor, write_loop(connection), asio::detached);
    co_return connection;
}

asio::awaitable<Result<agentproto::Health>> check_health(asio::any_io_executor executor,
                                                         std::string host, std::uint16_t port,
                                                         std::chrono::milliseconds timeout) {
    auto target = parse_endpoint(host, port);
    if (!target) co_return target.error();
    std::string where = host + ":" + std::to_string(port);
    beast::tcp_stream stream(executor);
    stream.expires_after(timeout);
    auto [cec] = co_await stream.async_connect(*target, kUse);
    if (cec)
        co_return make_error(Errc::unavailable,
                             "GET http://" + where + "/health: " + cec.message());
    http::request<http::empty_body> req{http::verb::get, "/health", 11};
    req.set(http::field::host, where);
    req.set(http::field::connection, "close");
    auto [wec, wn] = co_await http::async_write(stream, req, kUse);
    if (wec)
        co_return make_error(Errc::unavailable,
                             "GET http://" + where + "/health: " + wec.message());
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    auto [rec, rn] = co_await http::async_read(stream, buffer, res, kUse);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (rec)
        co_return make_error(Errc::unavailable,
                             "GET http://" + where + "/health: " + rec.message());
    if (res.result() != http::status::ok) {
        co_return make_error(Errc::unavailable, "GET http://" + where + "/health answered HTTP " +
                                                    std::to_string(res.result_int()));
    }
    auto health = agentproto::parse_health(res.body());
    if (!health) co_return health.error().wrap("GET http://" + where + "/health");
    co_return *health;
}

}  // namespace sockerless::agentclient
