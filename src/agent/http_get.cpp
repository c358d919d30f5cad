#include "agent/http_get.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <exception>
#include <thread>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "agent/resolver.h"
#include "agent/url.h"

namespace sockerless::agent {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kReadChunk = std::size_t{16} * 1024;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

std::string label(const Url& url) {
    return url.scheme + "://" + url.host_header();
}

Error io_error(const Url& url, std::string_view step, const boost::system::error_code& ec) {
    if (ec == beast::error::timeout)
        return make_error(Errc::timeout, label(url) + ": " + std::string(step) + ": timed out");
    return make_error(Errc::unavailable,
                      label(url) + ": " + std::string(step) + ": " + ec.message());
}

// SNI for names (RFC 6066 has none for addresses), and OpenSSL's host-name or IP check against
// the certificate, without partial wildcards ("w*.example.com").
bool expect_peer(SSL* ssl, const std::string& host) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_ip_literal(host)) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 &&
           X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

using IoResult = std::tuple<boost::system::error_code, std::size_t>;

// The bytes under one request: TCP, or TLS over it. Virtual, so that the HTTP exchange above is
// compiled once rather than once per stream type: the static agent is size-bound.
class Wire {
public:
    Wire() = default;
    Wire(const Wire&) = delete;
    Wire& operator=(const Wire&) = delete;
    virtual ~Wire() = default;
    virtual asio::awaitable<IoResult> write(asio::const_buffer data) = 0;
    virtual asio::awaitable<IoResult> read_some(asio::mutable_buffer data) = 0;
};

template <class Stream>
class StreamWire final : public Wire {
public:
    explicit StreamWire(Stream& stream) : stream_(stream) {}
    asio::awaitable<IoResult> write(asio::const_buffer data) override {
        co_return co_await asio::async_write(stream_, data, kUse);
    }
    asio::awaitable<IoResult> read_some(asio::mutable_buffer data) override {
        co_return co_await stream_.async_read_some(data, kUse);
    }

private:
    Stream& stream_;
};

// The request head; invalid_argument (naming the header, never its value) for anything that
// would let a value end the line.
Result<std::string> request_head(const Url& url, const Headers& headers) {
    if (url.target.find_first_of(" \r\n") != std::string::npos)
        return make_error(Errc::invalid_argument, label(url) + ": the path is not a legal target");
    std::string head = "GET " + url.target + " HTTP/1.1\r\nHost: " + url.host_header() +
                       "\r\nUser-Agent: sockerless-agent/" SOCKERLESS_VERSION
                       "\r\nConnection: close\r\n";
    for (const auto& [name, value] : headers) {
        if (name.empty() || name.find_first_of(" :\r\n") != std::string::npos ||
            value.find_first_of("\r\n") != std::string::npos) {
            return make_error(Errc::invalid_argument,
                              label(url) + ": header \"" + name + "\" is not a legal header");
        }
        head.append(name).append(": ").append(value).append("\r\n");
    }
    head.append("\r\n");
    return head;
}

using Parser = http::response_parser<http::string_body>;

// Feeds `parser` from `wire` until the header (or the whole message) is parsed. EOF completes a
// message without a length and is http::error::partial_message anywhere else.
asio::awaitable<boost::system::error_code> parse(Wire& wire, beast::flat_buffer& buffer,
                                                 Parser& parser, bool header_only) {
    auto done = [&] { return header_only ? parser.is_header_done() : parser.is_done(); };
    while (!done()) {
        boost::system::error_code ec;
        if (buffer.size() > 0) {
            const std::size_t used = parser.put(buffer.data(), ec);
            buffer.consume(used);
            if (!ec && used > 0) continue;
            if (ec && ec != http::error::need_more) co_return ec;
        }
        auto [read_ec, n] = co_await wire.read_some(buffer.prepare(kReadChunk));
        buffer.commit(n);
        if (read_ec == asio::error::eof || read_ec == ssl::error::stream_truncated) {
            parser.put_eof(ec);
            if (!ec && !done()) ec = http::error::partial_message;
            co_return ec;
        }
        if (read_ec) co_return read_ec;
    }
    co_return boost::system::error_code{};
}

asio::awaitable<Result<HttpGetResponse>> exchange(Wire& wire, Url url, Headers headers,
                                                  std::size_t limit) {
    auto head = request_head(url, headers);
    if (!head) co_return head.error();
    auto [write_ec, written] = co_await wire.write(asio::buffer(*head));
    if (write_ec) co_return io_error(url, "send the request", write_ec);

    beast::flat_buffer buffer;
    Parser parser;
    parser.header_limit(kHeaderLimit);
    // Content-Length is checked against the limit here rather than by the parser, so that an
    // oversized answer still yields its status and length.
    parser.body_limit(boost::none);
    if (auto ec = co_await parse(wire, buffer, parser, /*header_only=*/true))
        co_return io_error(url, "read the response", ec);

    HttpGetResponse out;
    out.status = static_cast<int>(parser.get().result_int());
    if (auto length = parser.content_length()) out.content_length = *length;
    if (out.content_length && *out.content_length > limit) {
        out.body_state = HttpGetResponse::Body::over_limit;
        out.body_problem = "Content-Length " + std::to_string(*out.content_length) +
                           " is over the limit of " + std::to_string(limit) + " bytes";
        co_return out;
    }
    parser.body_limit(limit);
    parser.eager(true);
    auto body_ec = co_await parse(wire, buffer, parser, /*header_only=*/false);
    out.body = std::move(parser.get().body());
    if (body_ec == http::error::body_limit) {
        out.body_state = HttpGetResponse::Body::over_limit;
        out.body_problem = "the body is over the limit of " + std::to_string(limit) + " bytes";
    } else if (body_ec) {
        out.body_state = HttpGetResponse::Body::cut_short;
        out.body_problem =
            "the connection ended after " + std::to_string(out.body.size()) +
            (out.content_length ? " of " + std::to_string(*out.content_length) + " bytes"
                                : std::string(" bytes")) +
            ": " + body_ec.message();
    }
    co_return out;
}

asio::awaitable<Result<HttpGetResponse>> attempt(std::vector<tcp::endpoint> endpoints, Url url,
                                                 Headers headers, ssl::context* context,
                                                 SteadyClock::time_point deadline,
                                                 std::chrono::milliseconds connect_timeout,
                                                 std::size_t limit) {
    auto executor = co_await asio::this_coro::executor;
    beast::tcp_stream tcp_stream(executor);
    tcp_stream.expires_at(std::min(deadline, SteadyClock::now() + connect_timeout));
    auto [connect_ec, peer] = co_await tcp_stream.async_connect(endpoints, kUse);
    if (connect_ec) co_return io_error(url, "connect", connect_ec);
    tcp_stream.expires_at(deadline);
    if (context == nullptr) {
        StreamWire<beast::tcp_stream> wire(tcp_stream);
        co_return co_await exchange(wire, url, headers, limit);
    }

    TlsStream tls(std::move(tcp_stream), *context);
    if (!expect_peer(tls.native_handle(), url.host))
        co_return make_error(Errc::internal, label(url) + ": TLS: cannot set the expected peer");
    auto [handshake_ec] = co_await tls.async_handshake(ssl::stream_base::client, kUse);
    if (handshake_ec) {
        const long verify = SSL_get_verify_result(tls.native_handle());
        if (handshake_ec != beast::error::timeout && verify != X509_V_OK) {
            co_return make_error(Errc::forbidden,
                                 label(url) + ": TLS handshake: certificate verification failed: " +
                                     X509_verify_cert_error_string(verify));
        }
        co_return io_error(url, "TLS handshake", handshake_ec);
    }
    StreamWire<TlsStream> wire(tls);
    co_return co_await exchange(wire, url, headers, limit);
}

bool worth_retrying(const Result<HttpGetResponse>& r) {
    if (!r) return r.error().code == Errc::unavailable || r.error().code == Errc::timeout;
    return r->status >= 500 || r->body_state == HttpGetResponse::Body::cut_short;
}

}  // namespace

struct HttpGetClient::Tls {
    ssl::context context{ssl::context::tls_client};
};

HttpGetClient::HttpGetClient(HttpGetOptions options) : options_(std::move(options)) {}
HttpGetClient::~HttpGetClient() = default;

Result<ssl::context*> HttpGetClient::tls_context() {
    if (tls_) return &tls_->context;
    // The agent carries its trust and settings with it: a configuration file in the image (which
    // could load engines or providers through dlopen, impossible in a static binary) is ignored.
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
    auto tls = std::make_unique<Tls>();
    SSL_CTX_set_min_proto_version(tls->context.native_handle(), TLS1_2_VERSION);
    tls->context.set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    tls->context.add_certificate_authority(asio::buffer(options_.ca_pem), ec);
    if (ec || options_.ca_pem.empty()) {
        return make_error(Errc::invalid_argument, "TLS: the CA bundle holds no usable certificate" +
                                                      (ec ? ": " + ec.message() : std::string()));
    }
    tls_ = std::move(tls);
    return &tls_->context;
}

Result<HttpGetResponse> HttpGetClient::get_once(std::string_view url_text, const Headers& headers,
                                                SteadyClock::time_point deadline) {
    auto url = parse_url(url_text);
    if (!url) return url.error();
    ssl::context* context = nullptr;
    if (url->https()) {
        auto made = tls_context();
        if (!made) return made.error();
        context = *made;
    }
    auto addresses = resolve_host(url->host, deadline);
    if (!addresses) return addresses.error();
    std::vector<tcp::endpoint> endpoints;
    endpoints.reserve(addresses->size());
    for (const auto& address : *addresses)
        endpoints.emplace_back(address, url->port);

    asio::io_context io(1);
    Result<HttpGetResponse> result = make_error(Errc::internal, "the request did not run");
    asio::co_spawn(io,
                   attempt(std::move(endpoints), *url, headers, context, deadline,
                           options_.connect_timeout, options_.body_limit),
                   [&result](const std::exception_ptr& e, Result<HttpGetResponse> r) {
                       if (e) {
                           result = make_error(Errc::internal, "HTTP GET failed unexpectedly");
                           return;
                       }
                       result = std::move(r);
                   });
    io.run();
    return result;
}

Result<HttpGetResponse> HttpGetClient::get(std::string_view url, const Headers& headers,
                                           SteadyClock::time_point deadline) {
    std::chrono::milliseconds pause = options_.backoff;
    for (int attempt = 1;; ++attempt) {
        Result<HttpGetResponse> r = get_once(url, headers, deadline);
        if (!worth_retrying(r) || attempt >= options_.attempts ||
            SteadyClock::now() + pause >= deadline) {
            return r;
        }
        std::this_thread::sleep_for(pause);
        pause *= 2;
    }
}

}  // namespace sockerless::agent
