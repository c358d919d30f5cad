#include "http/exchange.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <system_error>

#include <boost/json.hpp>

namespace sockerless::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b, [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) ==
               std::tolower(static_cast<unsigned char>(y));
    });
}

// Digits only, at most 9 of them (no sign, no overflow).
std::optional<int> parse_small_number(std::string_view text) {
    if (text.empty() || text.size() > 9) return std::nullopt;
    if (!std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace

// ---- ApiVersion -------------------------------------------------------------------------------

std::string ApiVersion::str() const {
    return std::to_string(major) + "." + std::to_string(minor);
}

std::optional<ApiVersion> parse_api_version(std::string_view text) {
    const std::size_t dot = text.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    auto major = parse_small_number(text.substr(0, dot));
    auto minor = parse_small_number(text.substr(dot + 1));
    if (!major || !minor) return std::nullopt;
    return ApiVersion{*major, *minor};
}

// ---- Request ----------------------------------------------------------------------------------

std::string_view Request::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (iequals(n, name)) return v;
    }
    return {};
}

std::optional<std::string_view> Request::query_value(std::string_view name) const {
    for (const auto& [n, v] : query) {
        if (n == name) return std::string_view(v);
    }
    return std::nullopt;
}

std::vector<std::string_view> Request::query_values(std::string_view name) const {
    std::vector<std::string_view> values;
    for (const auto& [n, v] : query) {
        if (n == name) values.emplace_back(v);
    }
    return values;
}

std::string_view Request::param(std::string_view name) const {
    for (const auto& [n, v] : params) {
        if (n == name) return v;
    }
    return {};
}

bool Request::query_bool(std::string_view name, bool fallback) const {
    auto value = query_value(name);
    if (!value) return fallback;
    std::string_view text = *value;
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    for (std::string_view no : {"", "0", "false", "no", "none"}) {
        if (iequals(text, no)) return false;
    }
    return true;
}

Result<std::optional<std::int64_t>> Request::query_int(std::string_view name) const {
    auto value = query_value(name);
    if (!value || value->empty()) return std::optional<std::int64_t>{};
    std::string_view digits = *value;
    // strconv.Atoi accepts a leading '+'; from_chars does not.
    if (digits.size() > 1 && digits.front() == '+') digits.remove_prefix(1);
    std::int64_t number = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (ec != std::errc{} || end != digits.data() + digits.size()) {
        return make_error(Errc::invalid_argument, "invalid value for query parameter '" +
                                                      std::string(name) + "': \"" +
                                                      std::string(*value) + "\" is not an integer");
    }
    return std::optional<std::int64_t>{number};
}

// ---- Errors -----------------------------------------------------------------------------------

int http_status(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_argument:
            return 400;
        case Errc::not_found:
            return 404;
        case Errc::conflict:
            return 409;
        case Errc::not_modified:
            return 304;
        case Errc::unauthorized:
            return 401;
        case Errc::forbidden:
            return 403;
        case Errc::unavailable:
            return 503;
        case Errc::timeout:
            return 504;
        case Errc::not_implemented:
            return 501;
        case Errc::internal:
            return 500;
    }
    return 500;
}

std::string error_body(std::string_view message) {
    std::string body = boost::json::serialize(boost::json::object{{"message", message}});
    body.push_back('\n');
    return body;
}

boost::asio::awaitable<Status> Stream::write_parts(std::span<const unsigned char> head,
                                                   std::span<const unsigned char> body) {
    if (Status st = co_await write(head); !st) co_return st;
    co_return co_await write(body);
}

boost::asio::awaitable<void> Exchange::reply_json(int status, const boost::json::value& body) {
    std::string text = boost::json::serialize(body);
    text.push_back('\n');  // Go's json.Encoder ends every value with one
    co_await reply(status, std::move(text), "application/json");
}

boost::asio::awaitable<void> Exchange::reply_error(const Error& error) {
    const int status = http_status(error.code);
    if (status == 304) {
        co_await reply_empty(status);
    } else {
        co_await reply(status, error_body(error.message), "application/json");
    }
}

}  // namespace sockerless::http
