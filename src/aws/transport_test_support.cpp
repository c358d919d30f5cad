#include "aws/transport_test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "aws/credentials_test_support.h"

namespace sockerless::aws::test_support {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

// ---- Certificates -------------------------------------------------------------------------------

struct KeyDeleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertDeleter {
    void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("OpenSSL: ") + what);
}

Key make_key() {
    Key key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EVP_EC_gen");
    return key;
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// A CA when `issuer` is null (self-signed); otherwise a server certificate for `san`.
Cert make_cert(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
               const char* san) {
    static long serial = 1;
    Cert cert(X509_new());
    check(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
    add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    if (issuer == nullptr) {
        add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_extension(cert.get(), &ctx, NID_basic_constraints, "CA:FALSE");
        add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
        add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
        add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
        add_extension(cert.get(), &ctx, NID_subject_alt_name, san);
    }
    check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0,
          "X509_sign");
    return cert;
}

void write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
    FILE* f = std::fopen(path.c_str(), "w");
    check(f != nullptr, "fopen");
    bool ok = true;
    if (cert != nullptr) ok = PEM_write_X509(f, cert) == 1;
    if (key != nullptr) {
        ok = ok && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    }
    ok = (std::fclose(f) == 0) && ok;
    check(ok, "PEM_write");
}

// ---- The HTTP server ----------------------------------------------------------------------------

std::string serialize(const Reply& reply) {
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                      std::string(http::obsolete_reason(http::int_to_status(reply.status))) +
                      "\r\n";
    bool has_length = false;
    for (const auto& [name, value] : reply.headers) {
        if (beast::iequals(name, "content-length")) has_length = true;
        out.append(name).append(": ").append(value).append("\r\n");
    }
    if (!has_length) out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    out += "\r\n";
    if (!reply.head) out += reply.body;
    return out;
}

bool asks_to_close(const Reply& reply) {
    for (const auto& [name, value] : reply.headers) {
        if (beast::iequals(name, "connection") && beast::iequals(value, "close")) return true;
    }
    return false;
}

Seen to_seen(const http::request<http::string_body>& req, std::size_t connection,
             std::size_t on_connection) {
    Seen seen;
    seen.connection = connection;
    seen.on_connection = on_connection;
    seen.request_line = std::string(req.method_string()) + " " + std::string(req.target()) +
                        " HTTP/" + std::to_string(req.version() / 10) + "." +
                        std::to_string(req.version() % 10);
    for (const auto& field : req)
        seen.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    seen.body = req.body();
    return seen;
}

}  // namespace

std::optional<std::string> Seen::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (beast::iequals(n, name)) return v;
    }
    return std::nullopt;
}

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                          "/sockerless-transport-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

Pki make_pki(const std::string& dir) {
    Pki pki;
    Key ca_key = make_key();
    Cert ca = make_cert(ca_key.get(), "sockerless test CA", nullptr, nullptr, nullptr);
    Key other_key = make_key();
    Cert other = make_cert(other_key.get(), "unrelated test CA", nullptr, nullptr, nullptr);
    Key server_key = make_key();
    Cert server = make_cert(server_key.get(), "localhost", ca.get(), ca_key.get(),
                            "DNS:localhost,IP:127.0.0.1");
    Key wrong_key = make_key();
    Cert wrong = make_cert(wrong_key.get(), "elsewhere.example", ca.get(), ca_key.get(),
                           "DNS:elsewhere.example");

    pki.ca_file = dir + "/ca.pem";
    pki.other_ca_file = dir + "/other-ca.pem";
    pki.server = {dir + "/server.pem", dir + "/server-key.pem"};
    pki.wrong_name = {dir + "/wrong.pem", dir + "/wrong-key.pem"};
    write_pem(pki.ca_file, ca.get(), nullptr);
    write_pem(pki.other_ca_file, other.get(), nullptr);
    write_pem(pki.server.cert, server.get(), nullptr);
    write_pem(pki.server.key, nullptr, server_key.get());
    write_pem(pki.wrong_name.cert, wrong.get(), nullptr);
    write_pem(pki.wrong_name.key, nullptr, wrong_key.get());
    return pki;
}

// ---- TestServer ---------------------------------------------------------------------------------

struct TestServer::State {
    State(asio::io_context& context, Script s)
        : acceptor(context),
          wake(context, std::chrono::steady_clock::time_point::max()),
          script(std::move(s)) {}

    tcp::acceptor acceptor;
    asio::steady_timer wake;  // cancelled whenever a request arrives
    Script script;
    std::optional<ssl::context> tls;

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::size_t accepted = 0;
    std::size_t closed = 0;
    std::size_t hold = 0;
    bool before_body = false;
    std::vector<Seen> seen;

    void mark_closed() {
        std::lock_guard lock(mutex);
        ++closed;
        changed.notify_all();
    }

    bool held() const {
        std::lock_guard lock(mutex);
        return seen.size() < hold;
    }
};

namespace {

using ServerState = TestServer::State;

template <class Stream>
asio::awaitable<void> discard_until_closed(Stream& stream) {
    std::array<char, 4096> scratch{};
    for (;;) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kUse);
        if (ec) co_return;
    }
}

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<ServerState> st, Stream& stream, std::size_t id) {
    beast::flat_buffer buffer;
    for (std::size_t n = 1;; ++n) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(std::uint64_t{64} * 1024 * 1024);
        auto [hec, hread] = co_await http::async_read_header(stream, buffer, parser, kUse);
        if (hec) co_return;
        bool before_body = false;
        {
            std::lock_guard lock(st->mutex);
            before_body = st->before_body;
        }
        if (!before_body) {
            auto [ec, read] = co_await http::async_read(stream, buffer, parser, kUse);
            if (ec) co_return;
        }
        Seen seen = to_seen(parser.get(), id, n);
        {
            std::lock_guard lock(st->mutex);
            st->seen.push_back(seen);
            st->changed.notify_all();
        }
        st->wake.cancel();
        const Reply reply = st->script(seen);
        while (st->held())
            co_await st->wake.async_wait(kUse);
        if (reply.mode == Reply::Mode::close_without_answer) co_return;
        if (reply.mode == Reply::Mode::never_answer) {
            co_await discard_until_closed(stream);
            co_return;
        }
        if (reply.interim_continue) {
            const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
            auto [iec, iw] = co_await asio::async_write(stream, asio::buffer(interim), kUse);
            if (iec) co_return;
        }
        const std::string answer = serialize(reply);
        auto [wec, written] = co_await asio::async_write(stream, asio::buffer(answer), kUse);
        if (wec || before_body || reply.mode == Reply::Mode::answer_then_close ||
            asks_to_close(reply))
            co_return;
    }
}

asio::awaitable<void> serve_plain(std::shared_ptr<ServerState> st, tcp::socket socket,
                                  std::size_t id) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(st, stream, id);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
    st->mark_closed();
}

asio::awaitable<void> serve_tls(std::shared_ptr<ServerState> st, tcp::socket socket,
                                std::size_t id) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *st->tls);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kUse);
    if (!ec) co_await serve(st, stream, id);
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream).socket().close(ignored);
    st->mark_closed();
}

asio::awaitable<void> accept_loop(std::shared_ptr<ServerState> st) {
    for (;;) {
        auto [ec, socket] = co_await st->acceptor.async_accept(kUse);
        if (ec) co_return;
        std::size_t id = 0;
        {
            std::lock_guard lock(st->mutex);
            id = ++st->accepted;
        }
        const auto executor = st->acceptor.get_executor();
        if (st->tls) {
            asio::co_spawn(executor, serve_tls(st, std::move(socket), id), asio::detached);
        } else {
            asio::co_spawn(executor, serve_plain(st, std::move(socket), id), asio::detached);
        }
    }
}

void listen_loopback(tcp::acceptor& acceptor) {
    const tcp::endpoint at(asio::ip::make_address_v4("127.0.0.1"), 0);
    acceptor.open(at.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(at);
    acceptor.listen();
}

}  // namespace

TestServer::TestServer(Script script, std::optional<TlsFiles> tls)
    : state_(std::make_shared<State>(context_, std::move(script))) {
    if (tls) {
        state_->tls.emplace(ssl::context::tls_server);
        state_->tls->use_certificate_chain_file(tls->cert);
        state_->tls->use_private_key_file(tls->key, ssl::context::pem);
    }
    listen_loopback(state_->acceptor);
    asio::co_spawn(context_, accept_loop(state_), asio::detached);
    thread_ = std::thread([this] { context_.run(); });
}

TestServer::~TestServer() {
    context_.stop();
    thread_.join();
}

std::uint16_t TestServer::port() const {
    return state_->acceptor.local_endpoint().port();
}

std::size_t TestServer::accepted() const {
    std::lock_guard lock(state_->mutex);
    return state_->accepted;
}

std::vector<Seen> TestServer::seen() const {
    std::lock_guard lock(state_->mutex);
    return state_->seen;
}

bool TestServer::wait_closed(std::size_t n, std::chrono::milliseconds limit) const {
    std::unique_lock lock(state_->mutex);
    return state_->changed.wait_for(lock, limit, [&] { return state_->closed >= n; });
}

void TestServer::hold_until(std::size_t n) {
    std::lock_guard lock(state_->mutex);
    state_->hold = n;
}

void TestServer::answer_before_body() {
    std::lock_guard lock(state_->mutex);
    state_->before_body = true;
}

// ---- TestProxy ----------------------------------------------------------------------------------

struct TestProxy::State {
    State(asio::io_context& context, std::string required)
        : acceptor(context), required_authorization(std::move(required)) {}

    tcp::acceptor acceptor;
    std::string required_authorization;
    mutable std::mutex mutex;
    std::vector<Asked> asked;
};

namespace {

using ProxyState = TestProxy::State;

asio::awaitable<void> pump(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
    std::array<char, 16384> chunk{};
    for (;;) {
        auto [ec, n] = co_await from->async_read_some(asio::buffer(chunk), kUse);
        if (ec) break;
        auto [wec, written] = co_await asio::async_write(*to, asio::buffer(chunk.data(), n), kUse);
        if (wec) break;
    }
    boost::system::error_code ignored;
    to->shutdown(tcp::socket::shutdown_send, ignored);
}

// "host:port" or "[v6]:port".
std::pair<std::string, std::string> split_authority(std::string_view authority) {
    const std::size_t colon = authority.rfind(':');
    std::string_view host = authority.substr(0, colon);
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    return {std::string(host), std::string(authority.substr(colon + 1))};
}

asio::awaitable<void> tunnel(tcp::socket client, std::string authority, std::string early) {
    const auto executor = client.get_executor();
    auto [host, port] = split_authority(authority);
    tcp::resolver resolver(executor);
    auto [rec, results] = co_await resolver.async_resolve(host, port, kUse);
    auto upstream = std::make_shared<tcp::socket>(executor);
    boost::system::error_code cec = rec;
    if (!rec) std::tie(cec, std::ignore) = co_await asio::async_connect(*upstream, results, kUse);
    const std::string answer = cec ? "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
                                   : "HTTP/1.1 200 Connection established\r\n\r\n";
    auto [wec, written] = co_await asio::async_write(client, asio::buffer(answer), kUse);
    if (wec || cec) co_return;
    if (!early.empty()) {
        auto [eec, ew] = co_await asio::async_write(*upstream, asio::buffer(early), kUse);
        if (eec) co_return;
    }
    auto downstream = std::make_shared<tcp::socket>(std::move(client));
    asio::co_spawn(executor, pump(downstream, upstream), asio::detached);
    asio::co_spawn(executor, pump(upstream, downstream), asio::detached);
}

asio::awaitable<void> proxy_session(std::shared_ptr<ProxyState> st, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        auto [ec, read] = co_await http::async_read(stream, buffer, parser, kUse);
        if (ec) co_return;
        const auto& req = parser.get();
        TestProxy::Asked asked;
        asked.request_line =
            std::string(req.method_string()) + " " + std::string(req.target()) + " HTTP/1.1";
        if (auto it = req.find(http::field::proxy_authorization); it != req.end()) {
            asked.proxy_authorization = std::string(it->value());
        }
        {
            std::lock_guard lock(st->mutex);
            st->asked.push_back(asked);
        }
        if (!st->required_authorization.empty() &&
            asked.proxy_authorization != st->required_authorization) {
            const std::string refusal =
                "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
                "realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            co_await asio::async_write(stream, asio::buffer(refusal), kUse);
            co_return;
        }
        if (req.method() == http::verb::connect) {
            std::string early(static_cast<const char*>(buffer.data().data()), buffer.size());
            co_await tunnel(stream.release_socket(), std::string(req.target()), std::move(early));
            co_return;
        }
        const std::string body = "proxied " + std::string(req.target());
        const std::string answer =
            "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        auto [wec, written] = co_await asio::async_write(stream, asio::buffer(answer), kUse);
        if (wec) co_return;
    }
}

asio::awaitable<void> proxy_accept_loop(std::shared_ptr<ProxyState> st) {
    for (;;) {
        auto [ec, socket] = co_await st->acceptor.async_accept(kUse);
        if (ec) co_return;
        asio::co_spawn(st->acceptor.get_executor(), proxy_session(st, std::move(socket)),
                       asio::detached);
    }
}

}  // namespace

TestProxy::TestProxy(std::string required_authorization)
    : state_(std::make_shared<State>(context_, std::move(required_authorization))) {
    listen_loopback(state_->acceptor);
    asio::co_spawn(context_, proxy_accept_loop(state_), asio::detached);
    thread_ = std::thread([this] { context_.run(); });
}

TestProxy::~TestProxy() {
    context_.stop();
    thread_.join();
}

std::uint16_t TestProxy::port() const {
    return state_->acceptor.local_endpoint().port();
}

std::vector<TestProxy::Asked> TestProxy::asked() const {
    std::lock_guard lock(state_->mutex);
    return state_->asked;
}

// ---- Sockets that never answer or refuse --------------------------------------------------------

namespace {

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

std::uint16_t bound_port(int fd) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw std::runtime_error("getsockname failed");
    }
    return ntohs(addr.sin_port);
}

int bound_socket() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = loopback(0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw std::runtime_error("socket/bind failed");
    }
    return fd;
}

}  // namespace

FullBacklogListener::FullBacklogListener() : listener_(bound_socket()) {
    // Linux queues backlog+1 connections, then drops SYNs. Connect until one hangs.
    if (::listen(listener_, 0) != 0) throw std::runtime_error("listen failed");
    port_ = bound_port(listener_);
    const sockaddr_in addr = loopback(port_);
    for (int i = 0; i < 16; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) throw std::runtime_error("socket failed");
        fillers_.push_back(fd);
        const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
        if (rc != 0 && errno != EINPROGRESS) throw std::runtime_error("connect failed");
        pollfd p{fd, POLLOUT, 0};
        if (rc != 0 && ::poll(&p, 1, 200) == 0) return;  // this one hangs: the queue is full
    }
    throw std::runtime_error("could not fill the accept queue");
}

FullBacklogListener::~FullBacklogListener() {
    for (int fd : fillers_)
        ::close(fd);
    ::close(listener_);
}

SilentListener::SilentListener() : fd_(bound_socket()) {
    if (::listen(fd_, 16) != 0) throw std::runtime_error("listen failed");
    port_ = bound_port(fd_);
}

SilentListener::~SilentListener() {
    ::close(fd_);
}

RefusingPort::RefusingPort() : fd_(bound_socket()), port_(bound_port(fd_)) {}

RefusingPort::~RefusingPort() {
    ::close(fd_);
}

// ---- Driving the transport ---------------------------------------------------------------------

TransportHost::TransportHost(TransportOptions options) : work_(asio::make_work_guard(context_)) {
    transport_.emplace(context_.get_executor(), std::move(options));
    thread_ = std::thread([this] { context_.run(); });
}

TransportHost::~TransportHost() {
    work_.reset();
    context_.stop();
    thread_.join();
    transport_.reset();
}

namespace {

asio::awaitable<Result<HttpResponse>> call(Transport* transport, Endpoint endpoint,
                                           HttpRequest request) {
    co_return co_await transport->send(endpoint, request);
}

}  // namespace

Result<HttpResponse> send(TransportHost& host, const Endpoint& endpoint,
                          const HttpRequest& request) {
    asio::io_context caller;
    std::optional<Result<HttpResponse>> out;
    asio::co_spawn(caller, call(&host.transport(), endpoint, request),
                   [&out](const std::exception_ptr& e, Result<HttpResponse> r) {
                       if (e) {
                           out = make_error(Errc::internal, "send threw");
                       } else {
                           out = std::move(r);
                       }
                   });
    caller.run();
    if (!out) return make_error(Errc::internal, "send did not complete");
    return std::move(*out);
}

Endpoint local(std::uint16_t port, std::string scheme, std::string host) {
    return Endpoint{std::move(scheme), std::move(host), port, ""};
}

HttpRequest request(std::string method, std::string path) {
    HttpRequest req;
    req.method = std::move(method);
    req.path = std::move(path);
    return req;
}

Reply answer(std::string body, int status) {
    Reply reply;
    reply.status = status;
    reply.body = std::move(body);
    return reply;
}

Script always(const Reply& reply) {
    return [reply](const Seen&) { return reply; };
}

Script echo_connection() {
    return [](const Seen& seen) {
        return answer(std::to_string(seen.connection) + "/" + std::to_string(seen.on_connection));
    };
}

ProxySettings proxies(const std::vector<NameValue>& vars) {
    FakeWorld world;
    for (const auto& [name, value] : vars)
        world.vars[name] = value;
    Result<ProxySettings> settings = proxy_settings(world.env());
    EXPECT_TRUE(settings) << settings.error().message;
    return settings ? *settings : ProxySettings{};
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

}  // namespace sockerless::aws::test_support
