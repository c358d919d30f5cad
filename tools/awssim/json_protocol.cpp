#include "json_protocol.h"

#include <boost/json.hpp>

namespace sockerless::awssim {
namespace json = boost::json;
namespace {

ApiError serialization(std::string_view key, std::string_view expected) {
    return ApiError{
        400, "SerializationException",
        "Unexpected value for field '" + std::string(key) + "': expected " + std::string(expected)};
}

const json::value* member(const json::object& o, std::string_view k) {
    auto it = o.find(k);
    if (it == o.end() || it->value().is_null()) return nullptr;
    return &it->value();
}

}  // namespace

void throw_exception_from_error(const ApiError& e, const boost::source_location&) {
    throw std::runtime_error(e.code + ": " + e.message);
}

std::optional<JsonTarget> parse_target(std::string_view header) {
    std::size_t dot = header.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == header.size()) return std::nullopt;
    return JsonTarget{std::string(header.substr(0, dot)), std::string(header.substr(dot + 1))};
}

ApiResult<json::object> parse_request_body(std::string_view body) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object{};
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object())
        return ApiError{400, "SerializationException",
                        "Start of structure or map found where not expected."};
    return std::move(v.as_object());
}

std::string error_body(const ApiError& error) {
    return json::serialize(json::object{{"__type", error.code}, {"message", error.message}});
}

ApiResult<std::optional<std::string>> opt_string(const json::object& o, std::string_view k) {
    const json::value* v = member(o, k);
    if (!v) return std::optional<std::string>{};
    if (!v->is_string()) return serialization(k, "a string");
    return std::optional<std::string>(std::string(v->as_string()));
}

ApiResult<std::optional<long>> opt_int(const json::object& o, std::string_view k) {
    const json::value* v = member(o, k);
    if (!v) return std::optional<long>{};
    if (v->is_int64()) return std::optional<long>(v->as_int64());
    if (v->is_uint64()) return std::optional<long>(static_cast<long>(v->as_uint64()));
    return serialization(k, "an integer");
}

ApiResult<std::optional<std::vector<std::string>>> opt_strings(const json::object& o,
                                                               std::string_view k) {
    const json::value* v = member(o, k);
    if (!v) return std::optional<std::vector<std::string>>{};
    if (!v->is_array()) return serialization(k, "a list of strings");
    std::vector<std::string> out;
    for (const auto& item : v->as_array()) {
        if (!item.is_string()) return serialization(k, "a list of strings");
        out.emplace_back(item.as_string());
    }
    return std::optional(std::move(out));
}

ApiResult<const json::array*> opt_objects(const json::object& o, std::string_view k) {
    const json::value* v = member(o, k);
    if (!v) return static_cast<const json::array*>(nullptr);
    if (!v->is_array()) return serialization(k, "a list of structures");
    for (const auto& item : v->as_array()) {
        if (!item.is_object()) return serialization(k, "a list of structures");
    }
    return &v->as_array();
}

}  // namespace sockerless::awssim
