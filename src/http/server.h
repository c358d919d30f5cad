#pragma once
// The Docker API listener (DESIGN §3, http/): unix sockets and TCP (TLS with client-certificate
// verification unless bound to loopback), HTTP/1.1 keep-alive, the /vX.Y prefix, Docker's common
// response headers, and dispatch through a Router to handlers written against exchange.h.
// One coroutine per connection on the server's executor (the daemon runs one thread).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "base/error.h"
#include "http/exchange.h"

namespace sockerless::http {

using Handler = std::function<boost::asio::awaitable<void>(Request&, Exchange&)>;

// Routes by method and path pattern. Patterns are literal segments and parameters: "{id}"
// matches one non-empty segment; "{name*}" (last only) matches the rest of the path, slashes
// included ("/images/{name*}/json" does not work: use "/images/{name*}" and split the suffix in
// the handler, or register the suffix routes first, which are tried in registration order).
class Router {
public:
    void add(std::string method, const std::string& pattern, Handler handler);
    // The handler for the request, with request.params filled; nullptr when no route matches.
    // `method_mismatch` is set when the path matched a route of another method.
    const Handler* match(Request& request, bool& method_mismatch) const;

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;
        Handler handler;
    };
    std::vector<Route> routes_;
};

struct TlsOptions {
    std::string cert_file;  // PEM server certificate chain
    std::string key_file;   // PEM private key
    std::string ca_file;    // PEM CA that client certificates must chain to (verify)
    bool verify_clients = true;
};

struct ServerOptions {
    // "unix:///path/to/sock" or "tcp://host:port" (port 0 picks one). A tcp listener on an
    // address outside 127.0.0.0/8 and ::1 refuses to start without TLS.
    std::vector<std::string> hosts;
    std::optional<TlsOptions> tls;
    // Unix socket mode (the socket file is created, then chmod'ed; its directory must exist).
    unsigned socket_mode = 0660;
    std::size_t max_body_bytes = std::size_t{16} * 1024 * 1024;
    std::size_t max_header_bytes = std::size_t{1} * 1024 * 1024;
    // Docker's answer to clients pinned to versions above kApiVersion: false serves them with
    // kApiVersion semantics; true answers 400 as dockerd does.
    bool strict_versions = false;
    // The Server header: "Docker/<version> (linux)".
    std::string server_header = "Docker/24.0.0-sockerless (linux)";
    // How long a connection may wait for (or take to send) its next request, TLS handshake
    // included. Nothing limits a handler's run: logs -f and events stream for hours.
    std::chrono::milliseconds idle_timeout = std::chrono::minutes(5);
};

// Not thread-safe: construct, listen(), start() and shutdown() on the executor's thread (or
// before it runs). `router` must outlive every connection, i.e. until the executor has finished
// the work shutdown() leaves behind.
class Server {
public:
    Server(boost::asio::any_io_executor executor, const Router& router, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds every host; returns what each is bound to ("unix:///...", "tcp://127.0.0.1:41234").
    Result<std::vector<std::string>> listen();
    void start();
    // Stops accepting, closes idle connections and cancels the others; removes unix sockets.
    void shutdown();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sockerless::http
