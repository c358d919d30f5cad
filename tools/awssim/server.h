#pragma once
// The simulator's HTTP/1.1 front end: one coroutine per connection, keep-alive, a per-request
// timeout and body limit. Requests are answered by a synchronous handler on the same executor.

#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "base/error.h"
#include "simulator.h"

namespace sockerless::awssim {

struct ServerConfig {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;
};

class Server {
public:
    using Handler = std::function<Reply(const Request&)>;

    Server(const boost::asio::any_io_executor& executor, ServerConfig config, Handler handler);

    // Binds and listens; returns the bound port (useful with port 0).
    Result<std::uint16_t> listen();
    void start();
    // Stops accepting. Sessions end at their next read.
    void shutdown();

private:
    static boost::asio::awaitable<void> accept_loop(Server* self);
    static boost::asio::awaitable<void> serve(Server* self, boost::asio::ip::tcp::socket socket);

    boost::asio::any_io_executor executor_;
    ServerConfig config_;
    Handler handler_;
    boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace sockerless::awssim
