#include "aws/json_fields.h"

#include <cmath>

namespace sockerless::aws::json_fields {

std::string string_of(const boost::json::object& obj, std::string_view key) {
    const boost::json::value* v = obj.if_contains(key);
    if (v == nullptr || !v->is_string()) return {};
    return std::string(v->get_string());
}

std::optional<std::int64_t> int_of(const boost::json::object& obj, std::string_view key) {
    const boost::json::value* v = obj.if_contains(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(v->get_uint64());
    }
    if (v->is_double() && std::trunc(v->get_double()) == v->get_double() &&
        std::abs(v->get_double()) < 9.0e18) {
        return static_cast<std::int64_t>(v->get_double());
    }
    return std::nullopt;
}

bool bool_of(const boost::json::object& obj, std::string_view key) {
    const boost::json::value* v = obj.if_contains(key);
    return v != nullptr && v->is_bool() && v->get_bool();
}

std::optional<SystemClock::time_point> time_of(const boost::json::object& obj,
                                               std::string_view key) {
    const boost::json::value* v = obj.if_contains(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_string()) {
        Result<SystemClock::time_point> t = parse_iso8601(v->get_string());
        if (!t) return std::nullopt;
        return *t;
    }
    if (!v->is_number()) return std::nullopt;
    const double seconds = v->to_number<double>();
    const auto micros = std::chrono::microseconds(std::llround(seconds * 1e6));
    return SystemClock::time_point(std::chrono::duration_cast<SystemClock::duration>(micros));
}

const boost::json::array& array_of(const boost::json::object& obj, std::string_view key) {
    static const boost::json::array empty;
    const boost::json::value* v = obj.if_contains(key);
    return v != nullptr && v->is_array() ? v->get_array() : empty;
}

const boost::json::object& object_of(const boost::json::object& obj, std::string_view key) {
    static const boost::json::object empty;
    const boost::json::value* v = obj.if_contains(key);
    return v != nullptr && v->is_object() ? v->get_object() : empty;
}

std::vector<std::string> strings_of(const boost::json::object& obj, std::string_view key) {
    std::vector<std::string> out;
    for (const boost::json::value& v : array_of(obj, key)) {
        if (v.is_string()) out.emplace_back(v.get_string());
    }
    return out;
}

std::vector<NameValue> pairs_of(const boost::json::object& obj, std::string_view key,
                                std::string_view key_name, std::string_view value_name) {
    std::vector<NameValue> out;
    for (const boost::json::value& v : array_of(obj, key)) {
        if (!v.is_object()) continue;
        out.emplace_back(string_of(v.get_object(), key_name),
                         string_of(v.get_object(), value_name));
    }
    return out;
}

boost::json::array to_pairs(const std::vector<NameValue>& pairs, std::string_view key_name,
                            std::string_view value_name) {
    boost::json::array out;
    out.reserve(pairs.size());
    for (const auto& [k, v] : pairs) {
        boost::json::object o;
        o[key_name] = k;
        o[value_name] = v;
        out.emplace_back(std::move(o));
    }
    return out;
}

}  // namespace sockerless::aws::json_fields
