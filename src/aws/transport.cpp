// The pooled HTTP/1.1 transport and the blocking metadata fetcher (transport.h), over Boost.Beast
// with TLS from OpenSSL through boost::asio::ssl.
//
// Threading: a Beast stream is not thread-safe, and a tcp_stream's timeout handler runs on the
// stream's own executor. So each connection lives on its own strand of the transport's
// executor, and each request attempt runs as a coroutine spawned onto the strand of the
// connection it uses; callers on any executor await that coroutine. The idle pool is the only
// state shared between requests, and a mutex guards it.

#include "aws/transport.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <variant>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace sockerless::aws {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
// AWS answers carry a few dozen headers at most; this leaves room for long x-amz-* values.
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kFetchBodyLimit = std::size_t{1024} * 1024;
constexpr std::chrono::milliseconds kFetchConnectTimeout{1000};
constexpr std::size_t kHeadReserve = 1024;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection and the read buffer it keeps across the requests it carries.
struct Conn {
    explicit Conn(PlainStream s) : stream(std::in_place_type<PlainStream>, std::move(s)) {}

    beast::tcp_stream& tcp() {
        if (auto* plain = std::get_if<PlainStream>(&stream)) return *plain;
        return std::get<TlsStream>(stream).next_layer();
    }
    [[nodiscard]] bool tls() const { return std::holds_alternative<TlsStream>(stream); }

    std::variant<PlainStream, TlsStream> stream;
    beast::flat_buffer buffer;
    SteadyClock::time_point idle_since;
};

// Where a request goes: the target endpoint, and the proxy that carries it, if any.
struct Route {
    const Endpoint* target = nullptr;
    const Endpoint* proxy = nullptr;  // dial this instead of the target
    std::string_view proxy_authorization;
    bool tunnel = false;  // https through the proxy: CONNECT, then TLS end to end
    std::string key;      // the pool key: scheme, host, port and proxy

    [[nodiscard]] std::string describe() const {
        std::string out = target->scheme + "://" + target->host_header();
        if (proxy != nullptr) out += " via proxy http://" + proxy->host_header();
        return out;
    }
};

Route make_route(const Endpoint& endpoint, const ProxySettings& proxies) {
    Route route;
    route.target = &endpoint;
    const bool https = endpoint.scheme == "https";
    const std::optional<Endpoint>& proxy = https ? proxies.https_proxy : proxies.http_proxy;
    route.key = endpoint.scheme + "://" + endpoint.host_header();
    if (proxy && !bypasses_proxy(proxies, endpoint.host, endpoint.port)) {
        route.proxy = &*proxy;
        route.proxy_authorization =
            https ? proxies.https_proxy_authorization : proxies.http_proxy_authorization;
        route.tunnel = https;
        route.key += " via " + proxy->host_header();
    }
    return route;
}

Error failure(Errc code, const Route& route, std::string_view what) {
    return make_error(code, route.describe() + ": " + std::string(what));
}

// `budget` is the deadline that expired when `ec` is a timeout, named in the message.
Error io_failure(const Route& route, std::string_view stage, const boost::system::error_code& ec,
                 std::chrono::milliseconds budget) {
    if (ec == beast::error::timeout) {
        return failure(
            Errc::timeout, route,
            std::string(stage) + ": timed out after " + std::to_string(budget.count()) + " ms");
    }
    if (ec == http::error::body_limit) {
        return failure(Errc::unavailable, route,
                       std::string(stage) + ": the response exceeds the size limit");
    }
    return failure(Errc::unavailable, route, std::string(stage) + ": " + ec.message());
}

// ---- Request heads ----------------------------------------------------------------------------

bool is_tchar(char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool valid_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (!is_tchar(c)) return false;
    }
    return true;
}

// Header values must not smuggle a line break (request splitting) or a NUL.
bool valid_value(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool needs_length(std::string_view method) {
    return method == "POST" || method == "PUT" || method == "PATCH";
}

struct Head {
    std::string_view method;
    std::string_view target;
    const std::vector<NameValue>* headers = nullptr;
    std::string_view host;  // sent when `headers` has no Host
    std::size_t body_size = 0;
    std::string_view proxy_authorization;  // sent when not empty
    bool close = false;                    // add "Connection: close"
};

// Serializes a request head into `out` (reusing its capacity).
Status serialize_head(const Head& head, std::string& out) {
    if (!valid_token(head.method)) {
        return make_error(Errc::invalid_argument,
                          "bad HTTP method \"" + std::string(head.method) + "\"");
    }
    if (!valid_value(head.target) || head.target.find(' ') != std::string_view::npos) {
        return make_error(Errc::invalid_argument, "bad request target");
    }
    bool has_host = false;
    bool has_length = false;
    for (const auto& [name, value] : *head.headers) {
        if (!valid_token(name) || !valid_value(value)) {
            return make_error(Errc::invalid_argument, "bad header \"" + name + "\"");
        }
        if (beast::iequals(name, "host")) has_host = true;
        if (beast::iequals(name, "transfer-encoding")) {
            return make_error(Errc::invalid_argument,
                              "Transfer-Encoding is not supported: the body is sent whole");
        }
        if (beast::iequals(name, "content-length")) {
            if (value != std::to_string(head.body_size)) {
                return make_error(Errc::invalid_argument,
                                  "Content-Length " + value + " does not match the " +
                                      std::to_string(head.body_size) + "-byte body");
            }
            has_length = true;
        }
    }
    out.clear();
    out.reserve(kHeadReserve);
    out.append(head.method).append(" ").append(head.target).append(" HTTP/1.1\r\n");
    if (!has_host) out.append("Host: ").append(head.host).append("\r\n");
    for (const auto& [name, value] : *head.headers)
        out.append(name).append(": ").append(value).append("\r\n");
    if (!has_length && (head.body_size > 0 || needs_length(head.method))) {
        out.append("Content-Length: ").append(std::to_string(head.body_size)).append("\r\n");
    }
    if (!head.proxy_authorization.empty()) {
        out.append("Proxy-Authorization: ").append(head.proxy_authorization).append("\r\n");
    }
    if (head.close) out.append("Connection: close\r\n");
    out.append("\r\n");
    return ok();
}

// Origin-form, or absolute-form when a proxy forwards plain http.
std::string request_target(const Route& route, const HttpRequest& req) {
    std::string target;
    if (route.proxy != nullptr && !route.tunnel) target = "http://" + route.target->host_header();
    target += encoded_path(req);
    if (!req.query.empty()) {
        target += '?';
        target += canonical_query_string(req.query);
    }
    return target;
}

// ---- Connecting -------------------------------------------------------------------------------

using ResolveChannel = asio::experimental::concurrent_channel<void(boost::system::error_code,
                                                                   tcp::resolver::results_type)>;

// Completes the resolve into the channel. It owns the resolver and the channel, so a resolve
// that outlives its deadline (getaddrinfo cannot be interrupted) finishes harmlessly later.
struct ResolveHandler {
    std::shared_ptr<tcp::resolver> resolver;
    std::shared_ptr<ResolveChannel> channel;

    void operator()(const boost::system::error_code& ec, tcp::resolver::results_type results) {
        channel->try_send(ec, std::move(results));
    }
};

// IP literals skip the resolver. Asio's resolver cannot be cancelled once getaddrinfo runs, so
// the deadline is enforced by racing its result against a timer.
asio::awaitable<Result<std::vector<tcp::endpoint>>> resolve(asio::any_io_executor ex,
                                                            const Endpoint& dial,
                                                            SteadyClock::time_point deadline) {
    boost::system::error_code ec;
    const asio::ip::address address = asio::ip::make_address(dial.host, ec);
    if (!ec) co_return std::vector<tcp::endpoint>(1, tcp::endpoint(address, dial.port));

    auto channel = std::make_shared<ResolveChannel>(ex, 1);
    auto resolver = std::make_shared<tcp::resolver>(ex);
    resolver->async_resolve(dial.host, std::to_string(dial.port),
                            ResolveHandler{resolver, channel});
    asio::steady_timer timer(ex, deadline);
    using asio::experimental::awaitable_operators::operator||;
    auto first = co_await (channel->async_receive(kUse) || timer.async_wait(kUse));
    if (first.index() == 1) {
        co_return make_error(Errc::timeout, "resolving " + dial.host + ": timed out");
    }
    auto [rec, results] = std::get<0>(std::move(first));
    if (rec)
        co_return make_error(Errc::unavailable, "resolving " + dial.host + ": " + rec.message());
    std::vector<tcp::endpoint> endpoints;
    endpoints.reserve(results.size());
    for (const auto& entry : results)
        endpoints.push_back(entry.endpoint());
    co_return std::move(endpoints);
}

std::string connect_request(const Route& route) {
    const Endpoint& target = *route.target;
    std::string authority = target.host.find(':') != std::string::npos
                                ? "[" + target.host + "]:" + std::to_string(target.port)
                                : target.host + ":" + std::to_string(target.port);
    std::string out = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
    if (!route.proxy_authorization.empty()) {
        out.append("Proxy-Authorization: ").append(route.proxy_authorization).append("\r\n");
    }
    out.append("\r\n");
    return out;
}

asio::awaitable<Status> open_tunnel(Conn& conn, const Route& route,
                                    std::chrono::milliseconds budget) {
    PlainStream& stream = std::get<PlainStream>(conn.stream);
    const std::string request = connect_request(route);
    auto [wec, written] = co_await asio::async_write(stream, asio::buffer(request), kUse);
    if (wec) co_return io_failure(route, "proxy CONNECT", wec, budget);
    http::response_parser<http::empty_body> parser;
    parser.skip(true);  // a 2xx answer to CONNECT has no body; anything else ends the connection
    auto [rec, read] = co_await http::async_read(stream, conn.buffer, parser, kUse);
    if (rec) co_return io_failure(route, "proxy CONNECT", rec, budget);
    const auto& answer = parser.get();
    if (answer.result_int() / 100 != 2) {
        co_return failure(Errc::unavailable, route,
                          "proxy refused CONNECT: HTTP " + std::to_string(answer.result_int()) +
                              " " + std::string(answer.reason()));
    }
    if (conn.buffer.size() != 0) {
        co_return failure(Errc::unavailable, route, "proxy sent data before the TLS handshake");
    }
    co_return ok();
}

// SNI for names (RFC 6066 forbids it for addresses) and OpenSSL's own host or IP check.
bool expect_peer(SSL* ssl, const std::string& host) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    if (!ec) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 &&
           X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

asio::awaitable<Status> handshake(Conn& conn, ssl::context& context, const Route& route,
                                  std::chrono::milliseconds budget) {
    PlainStream plain = std::move(std::get<PlainStream>(conn.stream));
    TlsStream& tls = conn.stream.emplace<TlsStream>(std::move(plain), context);
    if (!expect_peer(tls.native_handle(), route.target->host)) {
        co_return failure(Errc::internal, route, "TLS: cannot set the expected peer name");
    }
    auto [ec] = co_await tls.async_handshake(ssl::stream_base::client, kUse);
    if (!ec) co_return ok();
    const long verify = SSL_get_verify_result(tls.native_handle());
    if (ec != beast::error::timeout && verify != X509_V_OK) {
        co_return failure(Errc::unavailable, route,
                          std::string("TLS handshake: certificate verification failed: ") +
                              X509_verify_cert_error_string(verify));
    }
    co_return io_failure(route, "TLS handshake", ec, budget);
}

// A connection ready for requests: resolved, connected (through the proxy's tunnel if any) and,
// for https, TLS-verified; all within `budget` from now.
asio::awaitable<Result<std::unique_ptr<Conn>>> establish(asio::any_io_executor ex,
                                                         const Route& route,
                                                         std::chrono::milliseconds budget,
                                                         ssl::context* tls) {
    const SteadyClock::time_point deadline = SteadyClock::now() + budget;
    const Endpoint& dial = route.proxy != nullptr ? *route.proxy : *route.target;
    Result<std::vector<tcp::endpoint>> addresses = co_await resolve(ex, dial, deadline);
    if (!addresses) co_return failure(addresses.error().code, route, addresses.error().message);

    PlainStream stream(ex);
    stream.expires_at(deadline);
    auto [ec, peer] = co_await stream.async_connect(*addresses, kUse);
    if (ec) co_return io_failure(route, "connect", ec, budget);
    boost::system::error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);

    auto conn = std::make_unique<Conn>(std::move(stream));
    if (route.tunnel) {
        Status tunnel = co_await open_tunnel(*conn, route, budget);
        if (!tunnel) co_return tunnel.error();
    }
    if (tls != nullptr) {
        Status secured = co_await handshake(*conn, *tls, route, budget);
        if (!secured) co_return secured.error();
    }
    conn->tcp().expires_never();
    co_return std::move(conn);
}

Result<ssl::context> make_tls_context(const std::optional<std::string>& ca_file) {
    ssl::context context(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
    context.set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (ca_file) {
        context.load_verify_file(*ca_file, ec);
        if (ec) {
            return make_error(Errc::invalid_argument,
                              "TLS: cannot load CA file " + *ca_file + ": " + ec.message());
        }
    } else {
        context.set_default_verify_paths(ec);
        if (ec) {
            return make_error(Errc::unavailable,
                              "TLS: cannot load the system trust store: " + ec.message());
        }
    }
    return context;
}

// ---- One exchange -----------------------------------------------------------------------------

struct Exchange {
    boost::system::error_code ec;
    bool response_started = false;  // a byte of the response arrived before the failure
    bool reusable = false;          // the connection may carry another request
    HttpResponse response;
};

std::array<asio::const_buffer, 2> request_buffers(const std::string& head, std::string_view body) {
    return {asio::buffer(head), asio::buffer(body.data(), body.size())};
}

void take_response(http::response<http::string_body>&& msg, HttpResponse& out) {
    out.status = static_cast<int>(msg.result_int());
    out.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& field : msg)
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    out.body = std::move(msg.body());
}

// Writes the request and reads its final response, skipping interim 1xx answers (100 Continue).
template <class Stream>
asio::awaitable<Exchange> exchange(Stream& stream, beast::flat_buffer& buffer,
                                   const std::string& head, std::string_view body,
                                   bool head_request, std::size_t body_limit) {
    Exchange out;
    auto [wec, written] = co_await asio::async_write(stream, request_buffers(head, body), kUse);
    // A server may answer before it has read the whole body and close (413 for a body over its
    // limit): the write then fails, but the answer is there to read and says more than EPIPE.
    const bool answered_early =
        wec == asio::error::broken_pipe || wec == asio::error::connection_reset;
    if (wec && !answered_early) {
        out.ec = wec;
        co_return std::move(out);
    }
    for (;;) {
        http::response_parser<http::string_body> parser;
        parser.header_limit(kHeaderLimit);
        parser.body_limit(body_limit);
        if (head_request) parser.skip(true);
        auto [rec, read] = co_await http::async_read(stream, buffer, parser, kUse);
        if (rec && answered_early) {
            out.ec = wec;
            co_return std::move(out);
        }
        if (rec) {
            out.ec = rec;
            out.response_started = out.response_started || parser.got_some() || buffer.size() != 0;
            co_return std::move(out);
        }
        out.response_started = true;
        const auto status = static_cast<int>(parser.get().result_int());
        if (status >= 100 && status < 200 && status != 101) continue;
        out.reusable = !answered_early && parser.get().keep_alive() && !parser.need_eof() &&
                       buffer.size() == 0 && status != 101;
        take_response(parser.release(), out.response);
        co_return std::move(out);
    }
}

asio::awaitable<Exchange> exchange_on(Conn& conn, const std::string& head, std::string_view body,
                                      bool head_request, std::size_t body_limit) {
    if (auto* plain = std::get_if<PlainStream>(&conn.stream)) {
        co_return co_await exchange(*plain, conn.buffer, head, body, head_request, body_limit);
    }
    co_return co_await exchange(std::get<TlsStream>(conn.stream), conn.buffer, head, body,
                                head_request, body_limit);
}

// A pooled connection the peer has closed or reset shows EOF or an error without blocking.
// Plain HTTP has nothing to say between responses, so unread bytes mean the connection is out
// of step; a TLS peer may send post-handshake messages (session tickets) at any time.
bool looks_alive(Conn& conn) {
    char byte = 0;
    const ssize_t n =
        ::recv(conn.tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    return conn.tls();
}

// ---- The idle pool ----------------------------------------------------------------------------

// Destroys a connection on its own strand, where its stream's timer handlers run.
struct Retire {
    std::unique_ptr<Conn> conn;
    void operator()() { conn.reset(); }
};

void retire(std::unique_ptr<Conn> conn) {
    if (!conn) return;
    const asio::any_io_executor strand = conn->tcp().get_executor();
    asio::post(strand, Retire{std::move(conn)});
}

// Idle connections per route, most recently used last. A timer on the transport's executor
// closes connections that outlive the idle timeout even when no request comes to find them.
class Pool : public std::enable_shared_from_this<Pool> {
public:
    Pool(const asio::any_io_executor& executor, std::chrono::seconds idle_timeout,
         std::size_t max_idle)
        : idle_timeout_(idle_timeout), max_idle_(max_idle), timer_(executor) {}

    std::unique_ptr<Conn> take(const std::string& key) {
        std::lock_guard lock(mutex_);
        auto it = idle_.find(key);
        if (it == idle_.end()) return nullptr;
        std::vector<std::unique_ptr<Conn>>& conns = it->second;
        const SteadyClock::time_point now = SteadyClock::now();
        while (!conns.empty()) {
            std::unique_ptr<Conn> conn = std::move(conns.back());
            conns.pop_back();
            if (now - conn->idle_since < idle_timeout_ && looks_alive(*conn)) return conn;
            retire(std::move(conn));
        }
        return nullptr;
    }

    void put(const std::string& key, std::unique_ptr<Conn> conn) {
        if (max_idle_ == 0) {
            retire(std::move(conn));
            return;
        }
        conn->idle_since = SteadyClock::now();
        std::lock_guard lock(mutex_);
        std::vector<std::unique_ptr<Conn>>& conns = idle_[key];
        if (conns.size() >= max_idle_) {
            retire(std::move(conns.front()));
            conns.erase(conns.begin());
        }
        conns.push_back(std::move(conn));
        arm();
    }

    void clear() {
        std::lock_guard lock(mutex_);
        for (auto& [key, conns] : idle_) {
            for (std::unique_ptr<Conn>& conn : conns)
                retire(std::move(conn));
        }
        idle_.clear();
        timer_.cancel();
        armed_ = false;
    }

private:
    // Called with the mutex held.
    void arm() {
        if (armed_) return;
        std::optional<SteadyClock::time_point> oldest;
        for (const auto& [key, conns] : idle_) {
            if (!conns.empty() && (!oldest || conns.front()->idle_since < *oldest)) {
                oldest = conns.front()->idle_since;
            }
        }
        if (!oldest) return;
        armed_ = true;
        timer_.expires_at(*oldest + idle_timeout_);
        timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
            if (ec == asio::error::operation_aborted) return;
            if (auto self = weak.lock()) self->sweep();
        });
    }

    void sweep() {
        std::lock_guard lock(mutex_);
        armed_ = false;
        const SteadyClock::time_point now = SteadyClock::now();
        for (auto& [key, conns] : idle_) {
            auto fresh = conns.begin();
            for (; fresh != conns.end() && now - (*fresh)->idle_since >= idle_timeout_; ++fresh)
                retire(std::move(*fresh));
            conns.erase(conns.begin(), fresh);
        }
        arm();
    }

    const std::chrono::seconds idle_timeout_;
    const std::size_t max_idle_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::vector<std::unique_ptr<Conn>>> idle_;
    asio::steady_timer timer_;
    bool armed_ = false;
};

struct Attempt {
    Result<HttpResponse> result;
    std::unique_ptr<Conn> keep;  // the connection, healthy, to pool again
    bool stale = false;          // a pooled connection turned out closed: try a fresh one
};

// ---- The blocking fetcher's one request -------------------------------------------------------

struct FetchTarget {
    Endpoint endpoint;
    std::string target;  // path and query, exactly as in the URL
};

Result<FetchTarget> split_fetch_url(std::string_view url) {
    const std::size_t sep = url.find("://");
    if (sep == std::string_view::npos) {
        return make_error(Errc::invalid_argument,
                          "fetch: not an absolute URL: " + std::string(url));
    }
    const std::size_t path_start = url.find_first_of("/?#", sep + 3);
    Result<Endpoint> endpoint = parse_endpoint_url(url.substr(0, path_start));
    if (!endpoint) return endpoint.error().wrap("fetch");
    std::string_view rest = path_start == std::string_view::npos ? "" : url.substr(path_start);
    rest = rest.substr(0, rest.find('#'));
    std::string target = rest.starts_with('/') ? std::string(rest) : "/" + std::string(rest);
    return FetchTarget{std::move(*endpoint), std::move(target)};
}

asio::awaitable<Result<FetchResponse>> fetch_once(asio::any_io_executor ex, FetchTarget where,
                                                  FetchRequest request,
                                                  std::chrono::milliseconds timeout) {
    const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
    Route route;
    route.target = &where.endpoint;
    std::optional<ssl::context> tls;
    if (where.endpoint.scheme == "https") {
        Result<ssl::context> made = make_tls_context(std::nullopt);
        if (!made) co_return failure(made.error().code, route, made.error().message);
        tls.emplace(std::move(*made));
    }
    const std::string host = where.endpoint.host_header();
    Head head;
    head.method = request.method;
    head.target = where.target;
    head.headers = &request.headers;
    head.host = host;
    head.close = true;
    std::string head_text;
    Status built = serialize_head(head, head_text);
    if (!built) co_return built.error().wrap(route.describe());

    Result<std::unique_ptr<Conn>> conn = co_await establish(
        ex, route, std::min(kFetchConnectTimeout, timeout), tls ? &*tls : nullptr);
    if (!conn) co_return conn.error();
    (*conn)->tcp().expires_at(deadline);
    Exchange ex_result =
        co_await exchange_on(**conn, head_text, {}, request.method == "HEAD", kFetchBodyLimit);
    if (ex_result.ec) co_return io_failure(route, "request", ex_result.ec, timeout);
    co_return FetchResponse{ex_result.response.status, std::move(ex_result.response.body)};
}

}  // namespace

// ---- HttpResponse -------------------------------------------------------------------------------

std::string_view HttpResponse::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (beast::iequals(n, name)) return v;
    }
    return {};
}

// ---- Transport ----------------------------------------------------------------------------------

struct Transport::Impl {
    Impl(asio::any_io_executor ex, TransportOptions opts)
        : executor(std::move(ex)),
          options(std::move(opts)),
          pool(std::make_shared<Pool>(executor, options.idle_timeout, options.max_idle_per_host)) {}

    ~Impl() { pool->clear(); }

    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // Built on first use: loading a trust store costs, and plain-http users never need one.
    Result<ssl::context*> tls_context() {
        std::call_once(tls_once, [this] {
            Result<ssl::context> made = make_tls_context(options.ca_file);
            if (made) {
                tls.emplace(std::move(*made));
            } else {
                tls_error = made.error();
            }
        });
        if (tls_error) return *tls_error;
        return &*tls;
    }

    // One attempt on `conn` (a pooled connection) or on a fresh one when it is null. Runs on
    // the connection's strand.
    asio::awaitable<Attempt> attempt(const Route& route, std::unique_ptr<Conn> conn,
                                     const std::string& head, const HttpRequest& req) {
        Attempt out;
        const bool reused = conn != nullptr;
        if (!conn) {
            ssl::context* context = nullptr;
            if (route.target->scheme == "https") {
                Result<ssl::context*> made = tls_context();
                if (!made) {
                    out.result = failure(made.error().code, route, made.error().message);
                    co_return std::move(out);
                }
                context = *made;
            }
            const asio::any_io_executor strand = co_await asio::this_coro::executor;
            Result<std::unique_ptr<Conn>> fresh =
                co_await establish(strand, route, options.connect_timeout, context);
            if (!fresh) {
                out.result = fresh.error();
                co_return std::move(out);
            }
            conn = std::move(*fresh);
        }
        conn->tcp().expires_after(options.request_timeout);
        Exchange ex = co_await exchange_on(*conn, head, req.body, req.method == "HEAD",
                                           options.max_response_bytes);
        conn->tcp().expires_never();
        if (!ex.ec) {
            out.result = std::move(ex.response);
            if (ex.reusable) out.keep = std::move(conn);
            co_return std::move(out);
        }
        if (reused && !ex.response_started && ex.ec != beast::error::timeout) {
            out.stale = true;
            co_return std::move(out);
        }
        out.result = io_failure(route, "request", ex.ec, options.request_timeout);
        co_return std::move(out);
    }

    asio::any_io_executor executor;
    TransportOptions options;
    std::shared_ptr<Pool> pool;
    std::once_flag tls_once;
    std::optional<ssl::context> tls;
    std::optional<Error> tls_error;
};

Transport::Transport(asio::any_io_executor executor, TransportOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

Transport::~Transport() = default;

asio::awaitable<Result<HttpResponse>> Transport::send(const Endpoint& endpoint,
                                                      const HttpRequest& request) {
    Impl& impl = *impl_;
    if (endpoint.scheme != "http" && endpoint.scheme != "https") {
        co_return make_error(Errc::invalid_argument,
                             "endpoint scheme \"" + endpoint.scheme + "\" is not http or https");
    }
    const Route route = make_route(endpoint, impl.options.proxies);
    const std::string target = request_target(route, request);
    const std::string host = request.host.empty() ? endpoint.host_header() : request.host;
    Head head;
    head.method = request.method;
    head.target = target;
    head.headers = &request.headers;
    head.host = host;
    head.body_size = request.body.size();
    if (!route.tunnel) head.proxy_authorization = route.proxy_authorization;
    std::string head_text;
    Status built = serialize_head(head, head_text);
    if (!built) co_return built.error().wrap(route.describe());

    for (int attempt = 0;; ++attempt) {
        std::unique_ptr<Conn> conn = attempt == 0 ? impl.pool->take(route.key) : nullptr;
        asio::any_io_executor strand;
        if (conn) {
            strand = conn->tcp().get_executor();
        } else {
            strand = asio::make_strand(impl.executor);
        }
        Attempt done = co_await asio::co_spawn(
            strand, impl.attempt(route, std::move(conn), head_text, request), asio::use_awaitable);
        if (done.stale && attempt == 0) continue;
        if (done.keep) impl.pool->put(route.key, std::move(done.keep));
        co_return std::move(done.result);
    }
}

void Transport::close_idle() {
    impl_->pool->clear();
}

// ---- BlockingFetcher ----------------------------------------------------------------------------

BlockingFetcher::BlockingFetcher(std::chrono::milliseconds timeout) : timeout_(timeout) {}

Result<FetchResponse> BlockingFetcher::fetch(const FetchRequest& request) {
    Result<FetchTarget> where = split_fetch_url(request.url);
    if (!where) return where.error();
    asio::io_context context(1);
    std::optional<Result<FetchResponse>> result;
    asio::co_spawn(
        context, fetch_once(context.get_executor(), std::move(*where), request, timeout_),
        [&result, &request](const std::exception_ptr& e, Result<FetchResponse> r) {
            if (e) {
                result =
                    make_error(Errc::internal, "fetch " + request.url + ": unexpected exception");
            } else {
                result = std::move(r);
            }
        });
    context.run();
    if (!result) return make_error(Errc::internal, "fetch " + request.url + ": did not complete");
    return std::move(*result);
}

}  // namespace sockerless::aws
