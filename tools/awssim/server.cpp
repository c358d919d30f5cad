#include "server.h"

#include <iostream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "json_protocol.h"

namespace sockerless::awssim {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kHeaderLimit = std::size_t{64} * 1024;
constexpr std::size_t kBodyLimit = std::size_t{16} * 1024 * 1024;
constexpr std::size_t kStagingBodyLimit = std::size_t{512} * 1024 * 1024;
constexpr auto kRequestTimeout = std::chrono::seconds(60);

// The staging routes (/_awssim/...) take binaries as large as a sanitizer build's agent; the AWS
// APIs keep 16 MiB.
std::size_t body_limit_for(std::string_view target) {
    return target.starts_with("/_awssim/") ? kStagingBodyLimit : kBodyLimit;
}

}  // namespace

Server::Server(const asio::any_io_executor& executor, ServerConfig config, Handler handler)
    : executor_(executor),
      config_(std::move(config)),
      handler_(std::move(handler)),
      acceptor_(executor) {}

Result<std::uint16_t> Server::listen() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(config_.address, ec);
    if (ec)
        return make_error(Errc::invalid_argument,
                          "invalid listen address \"" + config_.address + "\"");
    tcp::endpoint endpoint(address, config_.port);
    std::string where = config_.address + ":" + std::to_string(config_.port);
    if (acceptor_.open(endpoint.protocol(), ec); ec)
        return make_error(Errc::internal, "open socket for " + where + ": " + ec.message());
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (acceptor_.bind(endpoint, ec); ec)
        return make_error(Errc::unavailable, "bind " + where + ": " + ec.message());
    if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec)
        return make_error(Errc::unavailable, "listen on " + where + ": " + ec.message());
    return acceptor_.local_endpoint().port();
}

void Server::start() {
    asio::co_spawn(executor_, accept_loop(this), asio::detached);
}

void Server::shutdown() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

asio::awaitable<void> Server::accept_loop(Server* self) {
    while (self->acceptor_.is_open()) {
        auto [ec, socket] =
            co_await self->acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted) co_return;
            std::cerr << "sockerless-awssim: accept failed: " << ec.message() << "\n";
            continue;
        }
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        asio::co_spawn(self->executor_, serve(self, std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> Server::serve(Server* self, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    while (true) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(kHeaderLimit);
        // The largest limit while the header is read; the route's own once the target is known.
        parser.body_limit(kStagingBodyLimit);
        stream.expires_after(kRequestTimeout);
        auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser,
                                                          asio::as_tuple(asio::use_awaitable));
        const std::size_t limit = body_limit_for(parser.get().target());
        if (!hec) {
            const auto length = parser.content_length();
            if (length && *length > limit) hec = http::error::body_limit;
            parser.body_limit(limit);
        }
        // A Content-Length over the limit is refused while the header is read.
        if (hec && hec != http::error::body_limit) break;  // peer closed, timed out or garbage
        // boto3 sends PutObject with "Expect: 100-continue" and waits a second for the interim
        // response before sending the body anyway; answering at once saves that second.
        if (!hec && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
            http::response<http::empty_body> cont{http::status::continue_, 11};
            auto [cec, cn] =
                co_await http::async_write(stream, cont, asio::as_tuple(asio::use_awaitable));
            if (cec) break;
        }
        // No co_await inside ?: here: GCC 12 miscompiles it.
        boost::system::error_code ec = hec;
        if (!ec) {
            auto [bec, bn] = co_await http::async_read(stream, buffer, parser,
                                                       asio::as_tuple(asio::use_awaitable));
            ec = bec;
        }
        if (ec && ec != http::error::body_limit && ec != beast::error::timeout &&
            ec != asio::error::eof && ec != http::error::end_of_stream) {
            // A body that stops half-way is worth a line: the client only sees its connection go.
            std::cerr << "sockerless-awssim: reading the body of " << parser.get().method_string()
                      << " " << parser.get().target() << ": " << ec.message() << "\n";
        }
        if (ec == http::error::body_limit) {
            const std::string what = "The body of " + std::string(parser.get().method_string()) +
                                     " " + std::string(parser.get().target()) + " exceeds the " +
                                     std::to_string(limit >> 20) + " MiB limit of this route.";
            std::cerr << "sockerless-awssim: " << what << " (413)\n";
            http::response<http::string_body> res{http::status::payload_too_large, 11};
            res.set(http::field::content_type, kJson11ContentType);
            res.body() = error_body(ApiError{413, "RequestEntityTooLargeException", what});
            res.keep_alive(false);
            res.prepare_payload();
            co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        }
        if (ec) break;
        auto reply = self->handler_(parser.get());
        if (reply.delay.count() > 0) {
            asio::steady_timer timer(self->executor_, reply.delay);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        bool keep = reply.response.keep_alive();
        auto [wec, wn] =
            co_await http::async_write(stream, reply.response, asio::as_tuple(asio::use_awaitable));
        if (wec || !keep) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace sockerless::awssim
