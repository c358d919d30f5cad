#include "http/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/session.h"

namespace sockerless::http {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;

namespace {

constexpr std::string_view kUnixScheme = "unix://";
constexpr std::string_view kTcpScheme = "tcp://";
// dockerd's defaults for "tcp://host" without a port.
constexpr std::uint16_t kPlainPort = 2375;
constexpr std::uint16_t kTlsPort = 2376;
// After a failed accept (out of descriptors, typically), before trying again.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

struct Listener {
    explicit Listener(const asio::any_io_executor& executor) : acceptor(executor) {}
    Acceptor acceptor;
    bool tls = false;
    std::string unix_path;  // "" for TCP
    dev_t device = 0;       // identify the socket file we created, so shutdown
    ino_t inode = 0;        // never removes one that replaced it
    std::string bound;
};

// Asio's message for a failed load ("no such file", "PEM lib"), with OpenSSL's reason when
// there is one.
std::string tls_error(const error_code& ec) {
    std::string text = ec.message();
    if (const unsigned long code = ERR_peek_last_error(); code != 0) {
        std::array<char, 256> reason{};
        ERR_error_string_n(code, reason.data(), reason.size());
        text.append(" (").append(reason.data()).append(")");
    }
    ERR_clear_error();
    return text;
}

Status load_tls(ssl::context& ctx, const TlsOptions& tls) {
    error_code ec;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                        ssl::context::single_dh_use,
                    ec);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    if (ctx.use_certificate_chain_file(tls.cert_file, ec); ec) {
        return make_error(Errc::invalid_argument,
                          "TLS certificate " + tls.cert_file + ": " + tls_error(ec));
    }
    if (ctx.use_private_key_file(tls.key_file, ssl::context::pem, ec); ec) {
        return make_error(Errc::invalid_argument, "TLS key " + tls.key_file + ": " + tls_error(ec));
    }
    if (!tls.verify_clients) return {};
    if (tls.ca_file.empty()) {
        return make_error(Errc::invalid_argument,
                          "TLS client verification needs a CA file (tls ca_file)");
    }
    if (ctx.load_verify_file(tls.ca_file, ec); ec) {
        return make_error(Errc::invalid_argument, "TLS CA " + tls.ca_file + ": " + tls_error(ec));
    }
    // Tells clients which issuers are acceptable, as Go's server does with ClientCAs.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.ca_file.c_str())) {
        SSL_CTX_set_client_CA_list(ctx.native_handle(), names);
    }
    ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    return {};
}

struct HostPort {
    std::string host;
    std::optional<std::uint16_t> port;
};

// "host:port", "[v6]:port", "host", ":port".
Result<HostPort> split_host_port(std::string_view text) {
    HostPort out;
    std::string_view port_text;
    if (text.starts_with('[')) {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos) {
            return make_error(Errc::invalid_argument, "unterminated [ in address");
        }
        out.host = std::string(text.substr(1, close - 1));
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (!rest.starts_with(':')) return make_error(Errc::invalid_argument, "bad address");
            port_text = rest.substr(1);
        }
    } else {
        const std::size_t colon = text.rfind(':');
        out.host = std::string(text.substr(0, colon));
        if (colon != std::string_view::npos) port_text = text.substr(colon + 1);
    }
    if (!port_text.empty()) {
        unsigned port = 0;
        auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
            return make_error(Errc::invalid_argument,
                              "bad port \"" + std::string(port_text) + "\"");
        }
        out.port = static_cast<std::uint16_t>(port);
    }
    return out;
}

Result<tcp::endpoint> resolve(const asio::any_io_executor& executor, const HostPort& hp,
                              std::uint16_t port) {
    error_code ec;
    const std::string host = hp.host.empty() ? std::string("0.0.0.0") : hp.host;
    auto address = asio::ip::make_address(host, ec);
    if (!ec) return tcp::endpoint(address, port);
    // A name: resolved once, at startup, as dockerd does.
    tcp::resolver resolver(executor);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) {
        return make_error(Errc::invalid_argument,
                          "cannot resolve \"" + host + "\": " + (ec ? ec.message() : "no address"));
    }
    return results.begin()->endpoint();
}

std::string tcp_url(const tcp::endpoint& endpoint) {
    const std::string address = endpoint.address().to_string();
    return std::string(kTcpScheme) + (endpoint.address().is_v6() ? "[" + address + "]" : address) +
           ":" + std::to_string(endpoint.port());
}

Status listen_unix(Listener& listener, std::string_view host, unsigned mode) {
    const std::string path(host.substr(kUnixScheme.size()));
    if (path.empty()) return make_error(Errc::invalid_argument, "empty unix socket path");
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
        return make_error(Errc::invalid_argument, "unix socket path too long: " + path);
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        // A stale socket from a previous run; anything else there is not ours to delete.
        if (!S_ISSOCK(st.st_mode)) {
            return make_error(Errc::invalid_argument, path + " exists and is not a socket");
        }
        if (::unlink(path.c_str()) != 0) return errno_error("remove stale socket " + path, errno);
    }
    error_code ec;
    const asio::generic::stream_protocol::endpoint endpoint{
        asio::local::stream_protocol::endpoint(path)};
    if (listener.acceptor.open(endpoint.protocol(), ec); ec) {
        return make_error(Errc::internal, "socket for " + path + ": " + ec.message());
    }
    if (listener.acceptor.bind(endpoint, ec); ec) {
        return make_error(Errc::unavailable, "bind " + path + ": " + ec.message());
    }
    listener.unix_path = path;
    if (::lstat(path.c_str(), &st) == 0) {
        listener.device = st.st_dev;
        listener.inode = st.st_ino;
    }
    // Before listen(): no client can connect while the file still has the umask's mode.
    if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
        return errno_error("chmod " + path, errno);
    }
    if (listener.acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
        return make_error(Errc::unavailable, "listen on " + path + ": " + ec.message());
    }
    listener.bound = std::string(kUnixScheme) + path;
    return {};
}

Status listen_tcp(Listener& listener, std::string_view host, bool have_tls) {
    auto hp = split_host_port(host.substr(kTcpScheme.size()));
    if (!hp) return hp.error().wrap(std::string(host));
    const std::uint16_t port = hp->port.value_or(have_tls ? kTlsPort : kPlainPort);
    auto endpoint = resolve(listener.acceptor.get_executor(), *hp, port);
    if (!endpoint) return endpoint.error().wrap(std::string(host));
    if (!have_tls && !endpoint->address().is_loopback()) {
        return make_error(Errc::invalid_argument,
                          "refusing to listen on " + std::string(host) +
                              " without TLS: a TCP listener outside loopback gives anyone who "
                              "reaches it root on the daemon's behalf; configure TLS with client "
                              "certificate verification (like dockerd --tlsverify) or listen on "
                              "127.0.0.1 or a unix socket");
    }
    error_code ec;
    const asio::generic::stream_protocol::endpoint generic{*endpoint};
    if (listener.acceptor.open(generic.protocol(), ec); ec) {
        return make_error(Errc::internal, "socket for " + std::string(host) + ": " + ec.message());
    }
    listener.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (listener.acceptor.bind(generic, ec); ec) {
        return make_error(Errc::unavailable, "bind " + std::string(host) + ": " + ec.message());
    }
    if (listener.acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
        return make_error(Errc::unavailable,
                          "listen on " + std::string(host) + ": " + ec.message());
    }
    const auto local = listener.acceptor.local_endpoint(ec);
    tcp::endpoint bound;
    if (!ec && local.size() <= bound.capacity()) {
        std::memcpy(bound.data(), local.data(), local.size());
        bound.resize(local.size());
    }
    listener.tls = have_tls;
    listener.bound = tcp_url(bound);
    return {};
}

void close_listener(Listener& listener) {
    error_code ignored;
    listener.acceptor.close(ignored);
    if (listener.unix_path.empty()) return;
    struct stat st {};
    if (::lstat(listener.unix_path.c_str(), &st) == 0 && st.st_dev == listener.device &&
        st.st_ino == listener.inode) {
        ::unlink(listener.unix_path.c_str());
    }
    listener.unix_path.clear();
}

asio::awaitable<void> accept_loop(std::shared_ptr<detail::ServerState> state,
                                  std::shared_ptr<Listener> listener) {
    const bool is_tcp = listener->unix_path.empty();
    while (listener->acceptor.is_open() && !state->stopping) {
        auto [ec, socket] =
            co_await listener->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (state->stopping || ec == asio::error::operation_aborted) co_return;
        if (ec) {
            spdlog::warn("http: accept on {}: {}", listener->bound, ec.message());
            asio::steady_timer backoff(listener->acceptor.get_executor(), kAcceptBackoff);
            co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        if (is_tcp) {
            error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
        }
        detail::spawn_session(state, std::move(socket), listener->tls);
    }
}

}  // namespace

struct Server::Impl {
    asio::any_io_executor executor;
    std::shared_ptr<detail::ServerState> state = std::make_shared<detail::ServerState>();
    std::vector<std::shared_ptr<Listener>> listeners;

    void close_listeners() {
        for (auto& listener : listeners)
            close_listener(*listener);
        listeners.clear();
    }
};

Server::Server(asio::any_io_executor executor, const Router& router, ServerOptions options)
    : impl_(std::make_unique<Impl>()) {
    impl_->executor = std::move(executor);
    impl_->state->router = &router;
    impl_->state->options = std::move(options);
}

Server::~Server() {
    shutdown();
}

Result<std::vector<std::string>> Server::listen() {
    detail::ServerState& state = *impl_->state;
    if (state.options.tls && !state.tls) {
        ssl::context ctx(ssl::context::tls_server);
        if (auto loaded = load_tls(ctx, *state.options.tls); !loaded) return loaded.error();
        state.tls.emplace(std::move(ctx));
    }
    std::vector<std::string> bound;
    for (const std::string& host : state.options.hosts) {
        auto listener = std::make_shared<Listener>(impl_->executor);
        Status done =
            make_error(Errc::invalid_argument,
                       "unsupported host \"" + host + "\": use unix:///path or tcp://host:port");
        if (host.starts_with(kUnixScheme)) {
            done = listen_unix(*listener, host, state.options.socket_mode);
        } else if (host.starts_with(kTcpScheme)) {
            done = listen_tcp(*listener, host, state.tls.has_value());
        }
        if (!done) {
            close_listener(*listener);
            impl_->close_listeners();
            return done.error();
        }
        spdlog::debug("http: listening on {}", listener->bound);
        bound.push_back(listener->bound);
        impl_->listeners.push_back(std::move(listener));
    }
    return bound;
}

void Server::start() {
    for (const auto& listener : impl_->listeners) {
        asio::co_spawn(impl_->executor, accept_loop(impl_->state, listener), asio::detached);
    }
}

void Server::shutdown() {
    detail::ServerState& state = *impl_->state;
    state.stopping = true;
    impl_->close_listeners();
    auto connections = std::move(state.connections);
    state.connections.clear();
    for (auto& weak : connections) {
        if (auto connection = weak.lock()) connection->close();
    }
}

}  // namespace sockerless::http
