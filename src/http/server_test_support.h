#pragma once
// Peers and fixtures for the server's tests: a temp dir, a throwaway PKI made with OpenSSL's C
// API, a Server running on its own thread, and blocking clients (raw sockets, and TLS through
// Asio) that fail with an exception instead of hanging when the server does not answer.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http/server.h"

namespace sockerless::http::test {

constexpr auto kWait = std::chrono::seconds(10);

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

struct KeyPair {
    std::string cert;
    std::string key;
};

// PEM files in a directory: a CA, a server certificate for 127.0.0.1 and a client certificate
// it signed, and a client certificate from an unrelated CA.
struct Pki {
    std::string ca_file;
    KeyPair server;
    KeyPair client;
    KeyPair stranger;
};
Pki make_pki(const std::string& dir);

// A Server on its own io_context and thread, as the daemon runs it.
class ServerHost {
public:
    ServerHost() = default;
    ~ServerHost();
    ServerHost(const ServerHost&) = delete;
    ServerHost& operator=(const ServerHost&) = delete;

    boost::asio::io_context& context() { return context_; }
    Router& router() { return router_; }

    // listen() and start(), then runs the context on a thread; the bound addresses.
    std::vector<std::string> start(ServerOptions options);
    // shutdown() on the server's thread, then waits (bounded) for every connection to end.
    void shutdown();

private:
    boost::asio::io_context context_;
    Router router_;
    std::unique_ptr<Server> server_;
    std::thread thread_;
};

// A coroutine waits until the test thread opens it.
class Gate {
public:
    explicit Gate(boost::asio::io_context& context);
    boost::asio::awaitable<void> wait();
    void open();  // from any thread

private:
    boost::asio::steady_timer timer_;
    bool open_ = false;
};

struct Response {
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

// A blocking client over a raw socket. Every read gives up with an exception after kWait.
class RawClient {
public:
    static RawClient unix_socket(const std::string& path);
    static RawClient tcp(std::uint16_t port);
    RawClient(RawClient&& other) noexcept;
    RawClient& operator=(RawClient&&) = delete;
    RawClient(const RawClient&) = delete;
    ~RawClient();

    void send(std::string_view bytes);
    void shutdown_write();
    void close();

    // The status line and headers.
    Response read_head();
    // A whole response: the head, then a body by Content-Length or chunked encoding.
    Response read_response(bool head_request = false);
    // One chunk of a chunked body ("" for the last one).
    std::string read_chunk();
    std::string read_exact(std::size_t n);
    std::string read_line();  // without CRLF
    std::string read_to_eof();
    // True when the server closed the connection (EOF or reset) with nothing more to read.
    bool at_eof();

private:
    explicit RawClient(int fd) : fd_(fd) {}
    bool fill();  // false on EOF
    int fd_ = -1;
    std::string buffer_;
};

// "GET /path HTTP/1.1" with Host and the given extra header lines, no body.
std::string get(std::string_view target, std::string_view extra = {});

// One request over TLS to 127.0.0.1:port, checking the server against `ca_file`; nullopt when
// the server refused the session (no answer came).
std::optional<Response> tls_request(std::uint16_t port, const std::string& ca_file,
                                    const std::optional<KeyPair>& client, std::string_view target);

// Sends `bytes` over TLS (with a client certificate) and returns everything read until the
// server ends the connection; nullopt when the session failed before any byte came back.
std::optional<std::string> tls_exchange(std::uint16_t port, const std::string& ca_file,
                                        const KeyPair& client, std::string_view bytes);

std::uint16_t port_of(const std::string& url);  // "tcp://127.0.0.1:1234" -> 1234

}  // namespace sockerless::http::test
