#include "registry_client.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include "sigv4_verify.h"

namespace sockerless::awssim {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
namespace {

constexpr int kMaxRedirects = 5;
constexpr std::size_t kMaxErrorBody = std::size_t{64} * 1024;
constexpr std::size_t kMaxTokenBody = std::size_t{1024} * 1024;
constexpr std::size_t kChunkSize = std::size_t{64} * 1024;
constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

ApiError pull_error(std::string message) {
    return ApiError{500, "CannotPullContainerError", std::move(message)};
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string url_text(const Url& url) {
    bool v6 = url.host.find(':') != std::string::npos;
    std::string host = v6 ? "[" + url.host + "]" : url.host;
    return (url.tls ? "https://" : "http://") + host + ":" + url.port + url.target;
}

std::string host_header(const Url& url) {
    bool v6 = url.host.find(':') != std::string::npos;
    std::string host = v6 ? "[" + url.host + "]" : url.host;
    bool default_port = url.port == (url.tls ? "443" : "80");
    return default_port ? host : host + ":" + url.port;
}

// Writes the request and reads the answer; a 2xx body goes to `sink` when there is one.
template <class Stream>
asio::awaitable<ApiResult<HttpReply>> exchange(Stream& stream,
                                               const http::request<http::empty_body>& request,
                                               const RegistryClient::Sink* sink,
                                               std::size_t max_bytes, std::chrono::seconds timeout,
                                               std::string where) {
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(timeout);
    auto [wec, written] =
        co_await http::async_write(stream, request, asio::as_tuple(asio::use_awaitable));
    if (wec) co_return pull_error(where + ": write request: " + wec.message());

    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    lowest.expires_after(timeout);
    auto [hec, header_bytes] = co_await http::async_read_header(
        stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (hec) co_return pull_error(where + ": read response: " + hec.message());

    HttpReply reply;
    reply.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get())
        reply.headers[lower(field.name_string())] = std::string(field.value());
    bool to_sink = sink != nullptr && reply.status / 100 == 2;
    std::size_t limit = to_sink ? 0 : max_bytes;
    std::vector<char> chunk(kChunkSize);
    while (!parser.is_done()) {
        parser.get().body().data = chunk.data();
        parser.get().body().size = chunk.size();
        lowest.expires_after(timeout);
        auto [ec, n] =
            co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (ec == http::error::need_buffer) ec = {};
        if (ec) co_return pull_error(where + ": read body: " + ec.message());
        std::string_view piece(chunk.data(), chunk.size() - parser.get().body().size);
        if (to_sink) {
            if (auto st = (*sink)(piece); !st) co_return st.error();
        } else {
            if (reply.body.size() + piece.size() > limit)
                co_return pull_error(where + ": response larger than " + std::to_string(limit) +
                                     " bytes");
            reply.body.append(piece);
        }
    }
    co_return reply;
}

asio::awaitable<ApiResult<HttpReply>> fetch(Url url, std::map<std::string, std::string> headers,
                                            const RegistryClient::Sink* sink, std::size_t max_bytes,
                                            std::chrono::seconds timeout) {
    auto executor = co_await asio::this_coro::executor;
    std::string where = "GET \"" + url_text(url) + "\"";
    tcp::resolver resolver(executor);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(url.host, url.port, asio::as_tuple(asio::use_awaitable));
    if (rec) co_return pull_error(where + ": resolve " + url.host + ": " + rec.message());
    beast::tcp_stream tcp_stream(executor);
    tcp_stream.expires_after(timeout);
    auto [cec, endpoint] =
        co_await tcp_stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
    if (cec) co_return pull_error(where + ": connect: " + cec.message());

    http::request<http::empty_body> request(http::verb::get, url.target, 11);
    request.set(http::field::host, host_header(url));
    request.set(http::field::user_agent, "sockerless-awssim");
    for (const auto& [name, value] : headers)
        request.set(name, value);
    if (!url.tls) co_return co_await exchange(tcp_stream, request, sink, max_bytes, timeout, where);

    ssl::context context(ssl::context::tls_client);
    context.set_default_verify_paths();
    context.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp_stream), context);
    if (!SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str()))
        co_return pull_error(where + ": cannot set TLS server name");
    tls.set_verify_callback(ssl::host_name_verification(url.host));
    beast::get_lowest_layer(tls).expires_after(timeout);
    auto [tec] =
        co_await tls.async_handshake(ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
    if (tec) co_return pull_error(where + ": TLS handshake: " + tec.message());
    co_return co_await exchange(tls, request, sink, max_bytes, timeout, where);
}

// "%XX" for everything but unreserved characters, for query values.
std::string query_escape(std::string_view s) {
    return uri_encode(s, false);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<Url> parse_url(std::string_view text) {
    Url url;
    if (text.starts_with("https://")) {
        url.tls = true;
        text.remove_prefix(8);
    } else if (text.starts_with("http://")) {
        text.remove_prefix(7);
    } else {
        return std::nullopt;
    }
    std::size_t slash = text.find_first_of("/?");
    std::string_view authority = text.substr(0, slash);
    url.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
    if (url.target.front() == '?') url.target.insert(0, "/");
    if (authority.empty()) return std::nullopt;
    std::string_view port;
    if (authority.front() == '[') {
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view rest = authority.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') return std::nullopt;
        if (!rest.empty()) port = rest.substr(1);
    } else {
        std::size_t colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (url.host.empty()) return std::nullopt;
    if (!std::ranges::all_of(port, [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
    return url;
}

std::optional<BearerChallenge> parse_bearer_challenge(std::string_view value) {
    value = trim(value);
    if (value.size() < 7 || lower(value.substr(0, 7)) != "bearer ") return std::nullopt;
    value.remove_prefix(7);
    BearerChallenge out;
    while (!value.empty()) {
        value = trim(value);
        std::size_t eq = value.find('=');
        if (eq == std::string_view::npos) break;
        std::string key = lower(trim(value.substr(0, eq)));
        value.remove_prefix(eq + 1);
        std::string param;
        if (!value.empty() && value.front() == '"') {
            std::size_t i = 1;
            for (; i < value.size() && value[i] != '"'; ++i) {
                if (value[i] == '\\' && i + 1 < value.size()) ++i;
                param.push_back(value[i]);
            }
            value.remove_prefix(std::min(value.size(), i + 1));
        } else {
            std::size_t comma = value.find(',');
            param = std::string(trim(value.substr(0, comma)));
            value.remove_prefix(comma == std::string_view::npos ? value.size() : comma);
        }
        if (key == "realm") out.realm = param;
        if (key == "service") out.service = param;
        if (key == "scope") out.scope = param;
        value = trim(value);
        if (!value.empty() && value.front() == ',') value.remove_prefix(1);
    }
    if (out.realm.empty()) return std::nullopt;
    return out;
}

ApiResult<HttpReply> http_get(const Url& url, const std::map<std::string, std::string>& headers,
                              const RegistryClient::Sink* sink, std::size_t max_bytes,
                              std::chrono::seconds io_timeout) {
    asio::io_context io(1);
    std::optional<ApiResult<HttpReply>> out;
    asio::co_spawn(io, fetch(url, headers, sink, max_bytes, io_timeout),
                   [&out, &url](const std::exception_ptr& e, ApiResult<HttpReply> result) {
                       if (e)
                           out = pull_error("GET \"" + url_text(url) + "\" failed");
                       else
                           out = std::move(result);
                   });
    io.run();
    if (!out) return pull_error("GET \"" + url_text(url) + "\" did not complete");
    return std::move(*out);
}

RegistryClient::RegistryClient(std::string registry, std::string repository, bool plain_http,
                               std::chrono::seconds io_timeout)
    : registry_(std::move(registry)),
      repository_(std::move(repository)),
      plain_http_(plain_http),
      io_timeout_(io_timeout) {}

std::string RegistryClient::describe(std::string_view what) const {
    return registry_ + "/" + repository_ + std::string(what);
}

ApiResult<HttpReply> RegistryClient::get(const std::string& target,
                                         const std::map<std::string, std::string>& headers,
                                         const Sink* sink, std::size_t max_bytes) {
    auto registry_url = parse_url((plain_http_ ? "http://" : "https://") + registry_ + "/");
    auto url = parse_url((plain_http_ ? "http://" : "https://") + registry_ + target);
    if (!registry_url || !url) return pull_error("invalid registry address \"" + registry_ + "\"");
    bool authenticated = false;
    for (int redirects = 0; redirects <= kMaxRedirects;) {
        bool registry_host = url->host == registry_url->host && url->port == registry_url->port;
        auto request_headers = headers;
        if (token_ && registry_host) request_headers["Authorization"] = "Bearer " + *token_;
        auto reply = http_get(*url, request_headers, sink, max_bytes, io_timeout_);
        if (!reply) return reply;
        if (reply->status == 401 && registry_host && !authenticated) {
            auto challenge = parse_bearer_challenge(reply->headers["www-authenticate"]);
            if (challenge) {
                if (auto st = fetch_token(*challenge); !st) return st.error();
                authenticated = true;
                continue;
            }
        }
        bool redirect = reply->status == 301 || reply->status == 302 || reply->status == 303 ||
                        reply->status == 307 || reply->status == 308;
        if (redirect && reply->headers.contains("location")) {
            const std::string& location = reply->headers["location"];
            if (location.starts_with("/")) {
                url->target = location;
            } else if (auto next = parse_url(location)) {
                url = next;
            } else {
                return pull_error(describe(": redirect to an unsupported location: " + location));
            }
            ++redirects;
            continue;
        }
        return reply;
    }
    return pull_error(describe(": too many redirects"));
}

ApiResult<void> RegistryClient::fetch_token(const BearerChallenge& challenge) {
    std::string target = challenge.realm;
    std::string sep = target.find('?') == std::string::npos ? "?" : "&";
    if (!challenge.service.empty()) {
        target += sep + "service=" + query_escape(challenge.service);
        sep = "&";
    }
    if (!challenge.scope.empty()) target += sep + "scope=" + query_escape(challenge.scope);
    auto url = parse_url(target);
    if (!url) return pull_error("unsupported token realm \"" + challenge.realm + "\"");
    auto reply = http_get(*url, {}, nullptr, kMaxTokenBody, io_timeout_);
    if (!reply) return reply.error();
    if (reply->status != 200) {
        return pull_error(describe(": fetch anonymous token: unexpected status " +
                                   std::to_string(reply->status)));
    }
    boost::system::error_code ec;
    auto body = boost::json::parse(reply->body, ec);
    if (!ec && body.is_object()) {
        for (const char* key : {"token", "access_token"}) {
            const auto* v = body.as_object().if_contains(key);
            if (v && v->is_string() && !v->as_string().empty()) {
                token_ = std::string(v->as_string());
                return {};
            }
        }
    }
    return pull_error(describe(": fetch anonymous token: no token in the answer"));
}

ApiResult<HttpReply> RegistryClient::get_manifest(std::string_view reference,
                                                  std::size_t max_bytes) {
    std::map<std::string, std::string> headers;
    headers["Accept"] = std::string(kManifestAccept);
    auto reply = get("/v2/" + repository_ + "/manifests/" + std::string(reference), headers,
                     nullptr, max_bytes);
    if (!reply) return reply;
    std::string ref = describe(":" + std::string(reference));
    if (reference.starts_with("sha256:")) ref = describe("@" + std::string(reference));
    switch (reply->status) {
        case 200:
            return reply;
        case 404:
            return pull_error("failed to resolve reference \"" + ref + "\": not found");
        case 401:
        case 403:
            return pull_error("pull access denied for " + describe("") +
                              ", repository does not exist or may require authorization");
        default:
            return pull_error("failed to resolve reference \"" + ref + "\": unexpected status " +
                              std::to_string(reply->status) + ": " + reply->body.substr(0, 512));
    }
}

ApiResult<void> RegistryClient::get_blob(std::string_view digest, const Sink& sink) {
    auto reply =
        get("/v2/" + repository_ + "/blobs/" + std::string(digest), {}, &sink, kMaxErrorBody);
    if (!reply) return reply.error();
    if (reply->status != 200) {
        return pull_error("failed to fetch blob " + std::string(digest) + " of " + describe("") +
                          ": unexpected status " + std::to_string(reply->status));
    }
    return {};
}

}  // namespace sockerless::awssim
