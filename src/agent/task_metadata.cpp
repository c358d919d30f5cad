#include "agent/task_metadata.h"

#include <charconv>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace sockerless::agent {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

Result<HttpUrl> parse_http_url(std::string_view url) {
    auto bad = [&] {
        return make_error(Errc::invalid_argument, "metadata URI \"" + std::string(url) +
                                                      "\" is not http://IPV4[:PORT]/PATH");
    };
    constexpr std::string_view kScheme = "http://";
    if (!url.starts_with(kScheme)) return bad();
    std::string_view rest = url.substr(kScheme.size());
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    HttpUrl out;
    out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    std::size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
        std::string_view port = authority.substr(colon + 1);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
            return bad();
        out.port = static_cast<std::uint16_t>(value);
    }
    boost::system::error_code ec;
    asio::ip::make_address_v4(out.host, ec);
    if (ec) return bad();
    return out;
}

Result<std::string> ipv4_from_container_metadata(std::string_view text) {
    boost::system::error_code ec;
    json::value doc = json::parse(text, ec);
    const json::value* address = nullptr;
    if (!ec && doc.is_object()) {
        const auto* networks = doc.as_object().if_contains("Networks");
        if (networks != nullptr && networks->is_array() && !networks->as_array().empty() &&
            networks->as_array()[0].is_object()) {
            const auto* list = networks->as_array()[0].as_object().if_contains("IPv4Addresses");
            if (list != nullptr && list->is_array() && !list->as_array().empty())
                address = &list->as_array()[0];
        }
    }
    if (address == nullptr || !address->is_string())
        return make_error(Errc::invalid_argument,
                          "container metadata has no Networks[0].IPv4Addresses[0]");
    return std::string(address->as_string());
}

Result<std::string> fetch_task_ipv4(std::string_view metadata_uri,
                                    std::chrono::milliseconds timeout) {
    auto url = parse_http_url(metadata_uri);
    if (!url) return url.error();
    asio::io_context io(1);
    beast::tcp_stream stream(io);
    beast::flat_buffer buffer;
    http::request<http::empty_body> req{http::verb::get, url->target, 11};
    req.set(http::field::host, url->host);
    req.set(http::field::connection, "close");
    http::response<http::string_body> res;
    boost::system::error_code failure;
    stream.expires_after(timeout);
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address_v4(url->host), url->port);
    stream.async_connect(endpoint, [&](boost::system::error_code ec) {
        if (ec) {
            failure = ec;
            return;
        }
        http::async_write(stream, req, [&](boost::system::error_code wec, std::size_t) {
            if (wec) {
                failure = wec;
                return;
            }
            http::async_read(stream, buffer, res,
                             [&](boost::system::error_code rec, std::size_t) { failure = rec; });
        });
    });
    io.run();
    if (failure) {
        return make_error(Errc::unavailable,
                          "GET " + std::string(metadata_uri) + ": " + failure.message());
    }
    if (res.result() != http::status::ok) {
        return make_error(Errc::unavailable, "GET " + std::string(metadata_uri) + ": HTTP " +
                                                 std::to_string(res.result_int()));
    }
    return ipv4_from_container_metadata(res.body());
}

}  // namespace sockerless::agent
