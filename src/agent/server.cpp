#include "agent/server.h"

#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "agent/log.h"
#include "base/hex.h"

namespace sockerless::agent {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kHeaderLimit = std::size_t{16} * 1024;
constexpr std::size_t kBodyLimit = std::size_t{64} * 1024;
constexpr auto kRequestTimeout = std::chrono::seconds(30);

http::response<http::string_body> make_response(const http::request<http::string_body>& req,
                                                http::status status, std::string body) {
    http::response<http::string_body> res{status, req.version()};
    res.set(http::field::server, "sockerless-agent");
    res.set(http::field::content_type, "application/json");
    res.set(agentproto::kVersionHeader, std::to_string(agentproto::kProtocolVersion));
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

std::string json_message(std::string_view text) {
    return boost::json::serialize(boost::json::object{{"message", text}});
}

// True when the Sec-WebSocket-Protocol list offers the protocol this agent speaks.
bool offers_our_protocol(std::string_view offered) {
    while (!offered.empty()) {
        std::size_t comma = offered.find(',');
        std::string_view item = offered.substr(0, comma);
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ')
            item.remove_suffix(1);
        if (item == agentproto::kSubprotocol) return true;
        if (comma == std::string_view::npos) break;
        offered.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

Server::Server(const asio::any_io_executor& executor, ServerConfig config, SessionHost& host,
               std::function<agentproto::Health()> health)
    : executor_(executor),
      config_(std::move(config)),
      host_(host),
      health_(std::move(health)),
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
    if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
        return make_error(Errc::unavailable, "listen on " + where + ": " + ec.message());
    }
    return acceptor_.local_endpoint().port();
}

void Server::start() {
    asio::co_spawn(executor_, accept_loop(this), asio::detached);
}

void Server::shutdown() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& weak : connections_) {
        if (auto c = weak.lock()) c->close();
    }
}

std::size_t Server::open_connections() const {
    std::size_t n = 0;
    for (const auto& weak : connections_) {
        if (auto c = weak.lock(); c && c->open()) ++n;
    }
    return n;
}

asio::awaitable<void> Server::accept_loop(Server* self) {
    while (self->acceptor_.is_open()) {
        auto [ec, socket] =
            co_await self->acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted) co_return;
            log_warn("accept failed: " + ec.message());
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
        parser.body_limit(kBodyLimit);
        stream.expires_after(kRequestTimeout);
        auto [ec, n] =
            co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;  // peer closed, timed out or sent garbage: nothing to answer
        auto req = parser.release();

        if (websocket::is_upgrade(req)) {
            std::optional<http::response<http::string_body>> refusal;
            std::string auth(req[http::field::authorization]);
            constexpr std::string_view kBearer = "Bearer ";
            if (req.target() != "/") {
                refusal = make_response(req, http::status::not_found, json_message("not found"));
            } else if (self->config_.token.empty()) {
                refusal = make_response(
                    req, http::status::service_unavailable,
                    json_message(
                        "this agent has no token configured; exec and attach are disabled"));
            } else if (auth.size() <= kBearer.size() ||
                       auth.compare(0, kBearer.size(), kBearer) != 0 ||
                       !constant_time_equal(std::string_view(auth).substr(kBearer.size()),
                                            self->config_.token)) {
                refusal =
                    make_response(req, http::status::unauthorized, json_message("unauthorized"));
            } else if (!offers_our_protocol(req[http::field::sec_websocket_protocol])) {
                std::string offered(req[http::field::sec_websocket_protocol]);
                refusal =
                    make_response(req, http::status::bad_request,
                                  json_message("agent protocol mismatch: the client offers \"" +
                                               offered + "\" but this agent speaks " +
                                               std::string(agentproto::kSubprotocol) +
                                               "; use a daemon and agent from the same release"));
            }
            if (refusal) {
                refusal->keep_alive(false);
                co_await http::async_write(stream, *refusal, asio::as_tuple(asio::use_awaitable));
                co_return;
            }
            stream.expires_never();
            Connection::WebSocket ws(std::move(stream));
            ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(30),
                                                          std::chrono::seconds(60), true});
            ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
                res.set(http::field::server, "sockerless-agent");
                res.set(http::field::sec_websocket_protocol, agentproto::kSubprotocol);
                res.set(agentproto::kVersionHeader, std::to_string(agentproto::kProtocolVersion));
            }));
            ws.read_message_max(agentproto::kMaxControlMessage + agentproto::kDataHeaderSize);
            ws.auto_fragment(false);
            auto [aec] = co_await ws.async_accept(req, asio::as_tuple(asio::use_awaitable));
            if (aec) co_return;
            auto connection = std::make_shared<Connection>(std::move(ws), self->host_,
                                                           self->config_.stdin_window);
            std::erase_if(self->connections_, [](const auto& w) { return w.expired(); });
            self->connections_.push_back(connection);
            co_await Connection::run(connection);
            co_return;
        }

        http::response<http::string_body> res;
        if (req.target() == "/health") {
            if (req.method() == http::verb::get || req.method() == http::verb::head) {
                res = make_response(req, http::status::ok, agentproto::serialize(self->health_()));
                if (req.method() == http::verb::head) {  // headers of the GET answer, no body
                    auto length = res.body().size();
                    res.body().clear();
                    res.content_length(length);
                }
            } else {
                res = make_response(req, http::status::method_not_allowed,
                                    json_message("use GET /health"));
            }
        } else if (req.target() == "/") {
            res = make_response(req, http::status::bad_request,
                                json_message("expected a WebSocket upgrade carrying " +
                                             std::string(agentproto::kSubprotocol)));
        } else {
            res = make_response(req, http::status::not_found, json_message("not found"));
        }
        bool keep = res.keep_alive();
        auto [wec, wn] =
            co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
        if (wec || !keep) {
            boost::system::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            co_return;
        }
    }
}

}  // namespace sockerless::agent
