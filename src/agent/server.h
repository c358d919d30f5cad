#pragma once
// The agent's HTTP listener: GET /health without authentication, and the authenticated WebSocket
// upgrade at "/" that carries the session protocol.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "agent/connection.h"
#include "agentproto/protocol.h"
#include "base/error.h"

namespace sockerless::agent {

struct ServerConfig {
    std::string address = "0.0.0.0";
    std::uint16_t port = 9111;
    std::string token;  // empty: exec and attach are refused
    std::uint32_t stdin_window = agentproto::kDefaultWindow;
};

class Server {
public:
    Server(const boost::asio::any_io_executor& executor, ServerConfig config, SessionHost& host,
           std::function<agentproto::Health()> health);

    // Binds and listens; returns the bound port (useful with port 0).
    Result<std::uint16_t> listen();
    void start();
    // Stops accepting and closes every connection gracefully.
    void shutdown();
    std::size_t open_connections() const;

private:
    static boost::asio::awaitable<void> accept_loop(Server* self);
    static boost::asio::awaitable<void> serve(Server* self, boost::asio::ip::tcp::socket socket);

    boost::asio::any_io_executor executor_;
    ServerConfig config_;
    SessionHost& host_;
    std::function<agentproto::Health()> health_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::vector<std::weak_ptr<Connection>> connections_;
};

}  // namespace sockerless::agent
