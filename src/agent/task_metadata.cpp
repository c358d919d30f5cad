#include "agent/task_metadata.h"

#include <charconv>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/json.hpp>

#include "agent/http_get.h"

namespace sockerless::agent {
namespace asio = boost::asio;
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
    // The agent's one HTTP client (http_get.h); one attempt: the caller falls back on failure.
    HttpGetClient client(HttpGetOptions{.connect_timeout = timeout, .attempts = 1});
    auto res = client.get_once(metadata_uri, {}, std::chrono::steady_clock::now() + timeout);
    const std::string what = "GET " + std::string(metadata_uri) + ": ";
    if (!res) return make_error(Errc::unavailable, what + res.error().message);
    if (res->status != 200)
        return make_error(Errc::unavailable, what + "HTTP " + std::to_string(res->status));
    if (res->body_state != HttpGetResponse::Body::whole)
        return make_error(Errc::unavailable, what + res->body_problem);
    return ipv4_from_container_metadata(res->body);
}

}  // namespace sockerless::agent
