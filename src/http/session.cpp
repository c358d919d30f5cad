#include "http/session.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>

#include "http/target.h"

namespace sockerless::http::detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using boost::system::error_code;
using TlsStream = ssl::stream<Socket>;

namespace {

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
// After refusing a request, what is still arriving is read and dropped for a moment so the
// client sees the answer instead of a reset (closing with unread data sends RST).
constexpr std::size_t kDrainLimit = std::size_t{1} << 20;
constexpr auto kDrainTime = std::chrono::seconds(1);
constexpr std::string_view kJson = "application/json";
constexpr std::size_t kKeptBuffer = std::size_t{64} * 1024;

Socket& lowest(Socket& s) {
    return s;
}
Socket& lowest(TlsStream& s) {
    return s.next_layer();
}

// The peer closed, reset, or the connection was closed here: an ordinary end, not an error.
bool is_end(const error_code& ec) {
    return ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor ||
           ec == asio::error::broken_pipe || ec == asio::error::not_connected ||
           ec == ssl::error::stream_truncated || ec == bhttp::error::end_of_stream ||
           ec == bhttp::error::partial_message;
}

bool is_parse_error(const error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
           !is_end(ec);
}

bool no_body_status(int status) {
    return (status >= 100 && status < 200) || status == 204 || status == 304;
}

// Docker's common response headers (moby's version middleware), in the case Go writes them.
std::vector<std::pair<std::string, std::string>> common_headers(const ServerState& state) {
    return {{"Api-Version", kApiVersion.str()},
            {"Docker-Experimental", "false"},
            {"Ostype", "linux"},
            {"Server", state.options.server_header}};
}

// ---- One connection --------------------------------------------------------------------------

template <class S>
class Conn final : public Closable, public std::enable_shared_from_this<Conn<S>> {
public:
    template <class... Args>
    explicit Conn(const asio::any_io_executor& executor, Args&&... args)
        : stream(std::forward<Args>(args)...), deadline_(executor), closed_signal_(executor) {
        closed_signal_.expires_at(asio::steady_timer::time_point::max());
    }

    S stream;
    // Bytes read past the current request: the next pipelined request, or stdin sent right
    // after a hijacked request's headers.
    beast::flat_buffer buffer;

    void close() override {
        if (!open_) return;
        open_ = false;
        error_code ignored;
        lowest(stream).shutdown(Socket::shutdown_both, ignored);
        lowest(stream).close(ignored);
        deadline_.cancel();
        closed_signal_.cancel();
    }

    [[nodiscard]] bool open() const { return open_; }
    // The peer closed (or sent something) while a response streamed, or the connection ended.
    [[nodiscard]] bool gone() const { return !open_ || peer_gone_; }

    // Closes the connection unless disarm() or another arm() comes first.
    void arm(std::chrono::milliseconds timeout) {
        deadline_.expires_after(timeout);
        deadline_.async_wait([weak = this->weak_from_this()](const error_code& ec) {
            auto self = weak.lock();
            if (ec || !self) return;
            // Re-armed after this expiry was queued: not ours to act on.
            if (self->deadline_.expiry() > asio::steady_timer::clock_type::now()) return;
            self->close();
        });
    }
    void disarm() { deadline_.cancel(); }

    // Watches for the peer while a response streams: the socket turning readable means EOF, a
    // reset, or data a streaming client does not send. Waiting (not reading) leaves whatever
    // arrived in place for the next request.
    void start_monitor() {
        peer_gone_ = false;
        monitoring_ = true;
        lowest(stream).async_wait(
            Socket::wait_read,
            asio::bind_cancellation_slot(
                monitor_cancel_.slot(), [self = this->shared_from_this()](const error_code& ec) {
                    self->monitoring_ = false;
                    self->monitor_cancel_.slot().clear();
                    if (ec == asio::error::operation_aborted && self->open_) return;
                    self->peer_gone_ = true;
                    self->closed_signal_.cancel();
                }));
    }
    // Only while the wait is pending: emitting later could cancel an unrelated read.
    void stop_monitor() {
        if (monitoring_) monitor_cancel_.emit(asio::cancellation_type::all);
    }

    asio::awaitable<void> wait_gone() {
        auto cancellation = co_await asio::this_coro::cancellation_state;
        while (!gone()) {
            co_await closed_signal_.async_wait(kUse);
            if (cancellation.cancelled() != asio::cancellation_type::none) co_return;
        }
    }

private:
    asio::steady_timer deadline_;
    asio::steady_timer closed_signal_;  // never expires; cancel() wakes wait_gone()
    asio::cancellation_signal monitor_cancel_;
    bool open_ = true;
    bool peer_gone_ = false;
    bool monitoring_ = false;
};

template <class S>
using ConnPtr = std::shared_ptr<Conn<S>>;

// ---- Streams handed to handlers ---------------------------------------------------------------

template <class S>
class ChunkedStream final : public ResponseStream {
public:
    // `discard`: a HEAD request, whose answer has no body.
    ChunkedStream(ConnPtr<S> conn, bool discard, std::shared_ptr<bool> done)
        : conn_(std::move(conn)), discard_(discard), done_(std::move(done)) {}

    asio::awaitable<Status> write(std::string_view data) override {
        if (*done_) co_return make_error(Errc::internal, "write after the stream finished");
        if (conn_->gone()) co_return make_error(Errc::unavailable, "the client went away");
        if (data.empty() || discard_) co_return ok();
        const auto chunk = bhttp::make_chunk(asio::buffer(data));
        auto [ec, n] = co_await asio::async_write(conn_->stream, chunk, kUse);
        if (ec) {
            conn_->close();
            co_return make_error(Errc::unavailable, "writing to the client: " + ec.message());
        }
        co_return ok();
    }

    asio::awaitable<Status> finish() override {
        if (*done_) co_return ok();
        *done_ = true;
        if (conn_->gone()) co_return make_error(Errc::unavailable, "the client went away");
        if (!discard_) {
            const auto last = bhttp::make_chunk_last();
            auto [ec, n] = co_await asio::async_write(conn_->stream, last, kUse);
            if (ec) {
                conn_->close();
                co_return make_error(Errc::unavailable, "writing to the client: " + ec.message());
            }
        }
        conn_->stop_monitor();
        co_return ok();
    }

    asio::awaitable<void> closed() override { co_await conn_->wait_gone(); }
    [[nodiscard]] bool is_closed() const noexcept override { return conn_->gone(); }

private:
    ConnPtr<S> conn_;
    bool discard_;
    std::shared_ptr<bool> done_;
};

template <class S>
class RawStream final : public Stream {
public:
    explicit RawStream(ConnPtr<S> conn) : conn_(std::move(conn)) {}
    ~RawStream() override { conn_->close(); }
    RawStream(const RawStream&) = delete;
    RawStream& operator=(const RawStream&) = delete;

    asio::awaitable<Result<std::size_t>> read_some(std::span<unsigned char> buffer) override {
        if (buffer.empty()) co_return std::size_t{0};
        if (conn_->buffer.size() > 0) {
            const std::size_t n =
                asio::buffer_copy(asio::buffer(buffer.data(), buffer.size()), conn_->buffer.data());
            conn_->buffer.consume(n);
            co_return n;
        }
        if (!conn_->open()) co_return std::size_t{0};
        auto [ec, n] = co_await conn_->stream.async_read_some(
            asio::buffer(buffer.data(), buffer.size()), kUse);
        if (!ec) co_return n;
        if (is_end(ec)) co_return std::size_t{0};
        co_return make_error(Errc::unavailable, "reading from the client: " + ec.message());
    }

    asio::awaitable<Status> write(std::span<const unsigned char> data) override {
        if (!conn_->open()) co_return make_error(Errc::unavailable, "the connection is closed");
        auto [ec, n] =
            co_await asio::async_write(conn_->stream, asio::buffer(data.data(), data.size()), kUse);
        if (ec) co_return make_error(Errc::unavailable, "writing to the client: " + ec.message());
        co_return ok();
    }

    asio::awaitable<Status> write_parts(std::span<const unsigned char> head,
                                        std::span<const unsigned char> body) override {
        if (!conn_->open()) co_return make_error(Errc::unavailable, "the connection is closed");
        const std::array<asio::const_buffer, 2> parts{asio::buffer(head.data(), head.size()),
                                                      asio::buffer(body.data(), body.size())};
        auto [ec, n] = co_await asio::async_write(conn_->stream, parts, kUse);
        if (ec) co_return make_error(Errc::unavailable, "writing to the client: " + ec.message());
        co_return ok();
    }

    // For TLS this ends the TCP send side without a close_notify: the client reads a clean EOF
    // at a record boundary, and the TLS session stays readable.
    void shutdown_send() override {
        error_code ignored;
        lowest(conn_->stream).shutdown(Socket::shutdown_send, ignored);
    }

    void close() override { conn_->close(); }

private:
    ConnPtr<S> conn_;
};

// ---- The exchange ------------------------------------------------------------------------------

// What the session does with the connection after a request.
enum class Next { reuse, close, handed_over };

template <class S>
class ExchangeImpl final : public Exchange {
public:
    ExchangeImpl(const ServerState& state, ConnPtr<S> conn, const Request& request, bool keep_alive)
        : state_(state),
          conn_(std::move(conn)),
          request_(request),
          head_(request.method == "HEAD"),
          keep_alive_(keep_alive) {}

    asio::awaitable<void> reply(int status, std::string body,
                                std::string_view content_type) override {
        // NOLINTNEXTLINE(bugprone-use-after-move): the coroutine's parameter copy, not `body`
        if (!claim("reply")) co_return;
        const std::size_t size = body.size();
        if (head_ || no_body_status(status)) {
            std::optional<std::size_t> length;
            if (!no_body_status(status)) length = size;
            co_await write_header_only(status, length, content_type);
            co_return;
        }
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
        decorate(res, content_type);
        res.body() = std::move(body);
        res.content_length(res.body().size());
        auto [ec, n] = co_await bhttp::async_write(conn_->stream, res, kUse);
        if (ec) failed_ = true;
    }

    asio::awaitable<void> reply_empty(int status) override {
        if (!claim("reply_empty")) co_return;
        std::optional<std::size_t> length;
        if (!no_body_status(status)) length = 0;
        co_await write_header_only(status, length, {});
    }

    asio::awaitable<Result<std::unique_ptr<ResponseStream>>> begin_stream(
        int status, std::string_view content_type) override {
        if (!claim("begin_stream")) {
            co_return make_error(Errc::internal, "the request was already answered");
        }
        streaming_ = true;
        bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(status), 11};
        decorate(res, content_type);
        res.chunked(true);
        bhttp::response_serializer<bhttp::empty_body> serializer{res};
        auto [ec, n] = co_await bhttp::async_write_header(conn_->stream, serializer, kUse);
        if (ec) {
            failed_ = true;
            co_return make_error(Errc::unavailable, "writing to the client: " + ec.message());
        }
        conn_->start_monitor();
        co_return std::make_unique<ChunkedStream<S>>(conn_, head_, stream_done_);
    }

    asio::awaitable<Result<std::unique_ptr<Stream>>> hijack(
        std::string_view content_type) override {
        if (!claim("hijack"))
            co_return make_error(Errc::internal, "the request was already answered");
        hijacked_ = true;
        // moby answers 101 to any request carrying an Upgrade header, else a bare 200 whose
        // body is the raw stream until close (no length, no chunking).
        std::string head = request_.header("Upgrade").empty()
                               ? std::string("HTTP/1.1 200 OK\r\n")
                               : std::string("HTTP/1.1 101 UPGRADED\r\n");
        head.append("Content-Type: ").append(content_type).append("\r\n");
        if (!request_.header("Upgrade").empty()) {
            head.append("Connection: Upgrade\r\nUpgrade: tcp\r\n");
        }
        for (const auto& [name, value] : common_headers(state_))
            head.append(name).append(": ").append(value).append("\r\n");
        for (const auto& [name, value] : extra_headers_)
            head.append(name).append(": ").append(value).append("\r\n");
        head.append("\r\n");
        auto [ec, n] = co_await asio::async_write(conn_->stream, asio::buffer(head), kUse);
        if (ec) {
            conn_->close();
            co_return make_error(Errc::unavailable, "writing to the client: " + ec.message());
        }
        co_return std::make_unique<RawStream<S>>(conn_);
    }

    void add_header(std::string name, std::string value) override {
        extra_headers_.emplace_back(std::move(name), std::move(value));
    }

    [[nodiscard]] bool answered() const { return answered_; }

    [[nodiscard]] Next next() const {
        if (hijacked_) return failed_ ? Next::close : Next::handed_over;
        if (failed_ || !keep_alive_ || !conn_->open()) return Next::close;
        if (streaming_ && (!*stream_done_ || conn_->gone())) return Next::close;
        return Next::reuse;
    }

private:
    bool claim(std::string_view what) {
        if (!answered_) {
            answered_ = true;
            return true;
        }
        spdlog::error("http: {} {}: {} after the request was answered", request_.method,
                      request_.path, what);
        return false;
    }

    template <class Body>
    void decorate(bhttp::response<Body>& res, std::string_view content_type) const {
        for (const auto& [name, value] : common_headers(state_))
            res.set(name, value);
        if (!content_type.empty()) res.set(bhttp::field::content_type, content_type);
        for (const auto& [name, value] : extra_headers_)
            res.insert(name, value);
        res.keep_alive(keep_alive_);
    }

    asio::awaitable<void> write_header_only(int status, std::optional<std::size_t> length,
                                            std::string_view content_type) {
        bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(status), 11};
        decorate(res, content_type);
        if (length) res.content_length(*length);
        bhttp::response_serializer<bhttp::empty_body> serializer{res};
        auto [ec, n] = co_await bhttp::async_write_header(conn_->stream, serializer, kUse);
        if (ec) failed_ = true;
    }

    const ServerState& state_;
    ConnPtr<S> conn_;
    const Request& request_;
    bool head_;
    bool keep_alive_;
    bool answered_ = false;
    bool streaming_ = false;
    bool hijacked_ = false;
    bool failed_ = false;
    std::shared_ptr<bool> stream_done_ = std::make_shared<bool>(false);
    std::vector<std::pair<std::string, std::string>> extra_headers_;
};

// ---- The session -------------------------------------------------------------------------------

Request to_request(bhttp::request<bhttp::string_body>&& message, const Target& target) {
    Request req;
    req.method = std::string(message.method_string());
    req.target = std::string(message.target());
    req.path = target.path;
    req.version = target.version;
    req.query = target.query;
    for (const auto& field : message)
        req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    req.body = std::move(message.body());
    return req;
}

// Answers a request the parser refused, then lets the connection go.
template <class S>
asio::awaitable<void> refuse(const ServerState& state, ConnPtr<S> conn, int status,
                             std::string message) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    for (const auto& [name, value] : common_headers(state))
        res.set(name, value);
    res.set(bhttp::field::content_type, kJson);
    res.body() = error_body(message);
    res.content_length(res.body().size());
    res.keep_alive(false);
    conn->arm(kDrainTime);
    auto [ec, n] = co_await bhttp::async_write(conn->stream, res, kUse);
    if (ec) co_return;
    error_code ignored;
    lowest(conn->stream).shutdown(Socket::shutdown_send, ignored);
    conn->buffer.clear();
    std::size_t drained = 0;
    std::array<char, 16 * 1024> scratch{};
    while (drained < kDrainLimit && conn->open()) {
        auto [rec, got] = co_await conn->stream.async_read_some(asio::buffer(scratch), kUse);
        if (rec) break;
        drained += got;
    }
}

// Routes one request and runs its handler; what the connection does next.
template <class S>
asio::awaitable<Next> dispatch(const ServerState& state, const ConnPtr<S>& conn, Request& req,
                               const Target& target, bool keep_alive) {
    ExchangeImpl<S> exchange(state, conn, req, keep_alive);
    bool method_mismatch = false;
    const Handler* handler = state.router->match(req, method_mismatch);
    // gorilla/mux in dockerd answers a known path with another method the same way.
    if (handler == nullptr) {
        std::string body = error_body("page not found");
        co_await exchange.reply(404, std::move(body), kJson);
        co_return exchange.next();
    }
    if (auto refusal = version_refusal(target, state.options.strict_versions)) {
        std::string body = error_body(*refusal);
        co_await exchange.reply(400, std::move(body), kJson);
        co_return exchange.next();
    }

    std::string failure;
    try {
        co_await (*handler)(req, exchange);
    } catch (const std::exception& e) {
        failure = e.what();
        if (failure.empty()) failure = "exception";
    } catch (...) {
        failure = "unknown exception";
    }
    if (!failure.empty()) {
        spdlog::error("http: {} {}: handler threw: {}", req.method, req.path, failure);
        if (exchange.answered()) co_return Next::close;
        std::string body = error_body("internal error: " + failure);
        co_await exchange.reply(500, std::move(body), kJson);
    } else if (!exchange.answered()) {
        spdlog::error("http: {} {}: handler sent no response", req.method, req.path);
        std::string body = error_body("internal error: handler sent no response");
        co_await exchange.reply(500, std::move(body), kJson);
    }
    co_return exchange.next();
}

template <class S>
asio::awaitable<void> serve(std::shared_ptr<ServerState> state, ConnPtr<S> conn) {
    const ServerOptions& options = state->options;
    if constexpr (std::is_same_v<S, TlsStream>) {
        conn->arm(options.idle_timeout);
        auto [ec] = co_await conn->stream.async_handshake(ssl::stream_base::server, kUse);
        conn->disarm();
        if (ec) {
            spdlog::debug("http: TLS handshake failed: {}", ec.message());
            conn->close();
            co_return;
        }
    }
    while (conn->open()) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(
            std::min<std::size_t>(options.max_header_bytes, UINT32_MAX)));
        parser.body_limit(options.max_body_bytes);
        conn->arm(options.idle_timeout);
        auto [hec, hn] =
            co_await bhttp::async_read_header(conn->stream, conn->buffer, parser, kUse);
        error_code ec = hec;
        if (!ec && beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            auto [cec, cn] =
                co_await asio::async_write(conn->stream, asio::buffer(kContinue), kUse);
            ec = cec;
        }
        if (!ec && !parser.is_done()) {
            auto [bec, bn] = co_await bhttp::async_read(conn->stream, conn->buffer, parser, kUse);
            ec = bec;
        }
        conn->disarm();
        if (ec == bhttp::error::body_limit) {
            std::string message = "request body too large: the limit is " +
                                  std::to_string(options.max_body_bytes) + " bytes";
            co_await refuse(*state, conn, 413, std::move(message));
            break;
        }
        if (ec == bhttp::error::header_limit) {
            std::string message = "request header too large: the limit is " +
                                  std::to_string(options.max_header_bytes) + " bytes";
            co_await refuse(*state, conn, 431, std::move(message));
            break;
        }
        if (is_parse_error(ec)) {
            std::string message = "malformed HTTP request: " + ec.message();
            co_await refuse(*state, conn, 400, std::move(message));
            break;
        }
        if (ec) {
            if (!is_end(ec)) spdlog::debug("http: reading a request: {}", ec.message());
            break;
        }

        const bool keep_alive = parser.get().keep_alive();
        const Target target = parse_target(parser.get().target());
        Request req = to_request(parser.release(), target);
        const Next next = co_await dispatch(*state, conn, req, target, keep_alive);
        if (next == Next::handed_over) co_return;
        if (next == Next::close) break;
        // A large upload must not pin its buffer for the rest of a keep-alive connection.
        if (conn->buffer.capacity() > kKeptBuffer) conn->buffer.shrink_to_fit();
    }
    conn->close();
}

template <class S>
void spawn(const std::shared_ptr<ServerState>& state, ConnPtr<S> conn) {
    std::erase_if(state->connections, [](const auto& weak) { return weak.expired(); });
    state->connections.push_back(conn);
    const auto executor = lowest(conn->stream).get_executor();
    asio::co_spawn(executor, serve<S>(state, std::move(conn)), [](const std::exception_ptr& e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            spdlog::error("http: connection ended by an exception: {}", x.what());
        } catch (...) {
            spdlog::error("http: connection ended by an unknown exception");
        }
    });
}

}  // namespace

void spawn_session(const std::shared_ptr<ServerState>& state, Socket socket, bool tls) {
    const auto executor = socket.get_executor();
    if (tls && state->tls) {
        spawn<TlsStream>(
            state, std::make_shared<Conn<TlsStream>>(executor, std::move(socket), *state->tls));
    } else {
        spawn<Socket>(state, std::make_shared<Conn<Socket>>(executor, std::move(socket)));
    }
}

}  // namespace sockerless::http::detail
