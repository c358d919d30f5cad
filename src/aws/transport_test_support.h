#pragma once
// Real peers for the transport's tests, each on its own thread and io_context, listening on
// 127.0.0.1 port 0: an HTTP/1.1 server (plain or TLS) that records what it received and answers
// as scripted, a forward proxy (absolute-form and CONNECT) that records what it was asked, a
// listener whose backlog is full, and a throwaway certificate authority made with OpenSSL.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "aws/transport.h"

namespace sockerless::aws::test_support {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
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

struct TlsFiles {
    std::string cert;  // PEM chain
    std::string key;   // PEM private key
};

// PEM files written into `dir`.
struct Pki {
    std::string ca_file;        // signed both server certificates
    std::string other_ca_file;  // an unrelated CA
    TlsFiles server;            // SAN DNS:localhost, IP:127.0.0.1
    TlsFiles wrong_name;        // SAN DNS:elsewhere.example only
};
Pki make_pki(const std::string& dir);

// One request as the server parsed it.
struct Seen {
    std::size_t connection = 0;      // 1-based, in accept order
    std::size_t on_connection = 0;   // 1-based position on its connection
    std::string request_line;        // "GET /x?y=1 HTTP/1.1"
    std::vector<NameValue> headers;  // as received, in order, names as sent
    std::string body;

    // The first value of `name` (case-insensitive); nullopt when absent.
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

struct Reply {
    enum class Mode {
        answer,
        answer_then_close,     // answer (keep-alive), then close the connection
        close_without_answer,  // close as soon as the request has been read
        never_answer,          // keep the connection open and say nothing
    };
    Mode mode = Mode::answer;
    int status = 200;
    std::vector<NameValue> headers;
    std::string body;
    bool interim_continue = false;  // send "100 Continue" first
    bool head = false;              // Content-Length of `body` but no body bytes (HEAD)
};

using Script = std::function<Reply(const Seen&)>;

class TestServer {
public:
    explicit TestServer(Script script, std::optional<TlsFiles> tls = std::nullopt);
    ~TestServer();
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] std::size_t accepted() const;
    [[nodiscard]] std::vector<Seen> seen() const;

    // Waits (bounded) until `n` connections have ended; false on the limit.
    bool wait_closed(std::size_t n, std::chrono::milliseconds limit) const;

    // Withholds every answer until `n` requests in total have arrived.
    void hold_until(std::size_t n);

    // From now on, answers as soon as a request's header is in and closes without reading the
    // body, as a server refusing a body over its limit does (the script sees an empty body).
    void answer_before_body();

    struct State;

private:
    boost::asio::io_context context_;
    std::shared_ptr<State> state_;
    std::thread thread_;
};

// A forward proxy. Plain requests (absolute-form) are answered by the proxy itself with
// "proxied <target>"; CONNECT opens a real tunnel to the named host and port.
class TestProxy {
public:
    // When `required_authorization` is not empty, requests without exactly that
    // Proxy-Authorization get 407.
    explicit TestProxy(std::string required_authorization = {});
    ~TestProxy();
    TestProxy(const TestProxy&) = delete;
    TestProxy& operator=(const TestProxy&) = delete;

    struct Asked {
        std::string request_line;
        std::optional<std::string> proxy_authorization;
    };

    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] std::vector<Asked> asked() const;

    struct State;

private:
    boost::asio::io_context context_;
    std::shared_ptr<State> state_;
    std::thread thread_;
};

// A listening socket on 127.0.0.1 whose accept queue is full: a new connection's SYN is dropped,
// so connecting to it neither succeeds nor is refused until the connector gives up.
class FullBacklogListener {
public:
    FullBacklogListener();
    ~FullBacklogListener();
    FullBacklogListener(const FullBacklogListener&) = delete;
    FullBacklogListener& operator=(const FullBacklogListener&) = delete;
    [[nodiscard]] std::uint16_t port() const { return port_; }

private:
    int listener_ = -1;
    std::vector<int> fillers_;
    std::uint16_t port_ = 0;
};

// A listening socket on 127.0.0.1 that never accepts: connections complete in the kernel, and
// whatever is sent to them is never read or answered.
class SilentListener {
public:
    SilentListener();
    ~SilentListener();
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;
    [[nodiscard]] std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// A port on 127.0.0.1 that is bound but not listening, so connecting to it is refused, held
// for the object's lifetime so no one else can take it meanwhile.
class RefusingPort {
public:
    RefusingPort();
    ~RefusingPort();
    RefusingPort(const RefusingPort&) = delete;
    RefusingPort& operator=(const RefusingPort&) = delete;
    [[nodiscard]] std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// ---- Driving the transport ---------------------------------------------------------------------

// A transport on its own thread, as the daemon's will be.
class TransportHost {
public:
    explicit TransportHost(TransportOptions options = {});
    ~TransportHost();
    TransportHost(const TransportHost&) = delete;
    TransportHost& operator=(const TransportHost&) = delete;

    Transport& transport() { return *transport_; }

private:
    boost::asio::io_context context_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::optional<Transport> transport_;
    std::thread thread_;
};

// One send, awaited on the calling thread's own io_context.
Result<HttpResponse> send(TransportHost& host, const Endpoint& endpoint,
                          const HttpRequest& request);

Endpoint local(std::uint16_t port, std::string scheme = "http", std::string host = "127.0.0.1");
HttpRequest request(std::string method, std::string path);
Reply answer(std::string body, int status = 200);
Script always(const Reply& reply);
// Answers "<connection>/<position on it>", which shows how requests were spread.
Script echo_connection();
// Proxy settings from the given environment variables.
ProxySettings proxies(const std::vector<NameValue>& vars);
bool contains(std::string_view haystack, std::string_view needle);

}  // namespace sockerless::aws::test_support
