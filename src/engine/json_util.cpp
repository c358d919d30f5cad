#include "engine/json_util.h"

namespace sockerless::engine {

namespace json = boost::json;

std::string string_of(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return {};
    return std::string(v->as_string());
}

std::int64_t int_of(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return 0;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
    return 0;
}

bool bool_of(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_bool() && v->as_bool();
}

std::vector<std::string> strings_of(const json::object& o, std::string_view key) {
    std::vector<std::string> out;
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return out;
    if (v->is_array()) {
        for (const json::value& e : v->as_array())
            if (e.is_string()) out.emplace_back(e.as_string());
    } else if (v->is_object()) {
        for (const auto& kv : v->as_object())
            out.emplace_back(kv.key());
    } else if (v->is_string()) {
        out.emplace_back(v->as_string());
    }
    return out;
}

std::optional<std::vector<std::string>> optional_strings_of(const json::object& o,
                                                            std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return strings_of(o, key);
}

std::map<std::string, std::string> map_of(const json::object& o, std::string_view key) {
    std::map<std::string, std::string> out;
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_object()) return out;
    for (const auto& kv : v->as_object())
        if (kv.value().is_string()) out.emplace(kv.key(), kv.value().as_string());
    return out;
}

json::array strings_to_json(const std::vector<std::string>& v) {
    json::array a;
    a.reserve(v.size());
    for (const std::string& s : v)
        a.emplace_back(s);
    return a;
}

json::value strings_to_json(const std::set<std::string>& v) {
    if (v.empty()) return nullptr;
    json::object o;
    for (const std::string& s : v)
        o[s] = json::object();
    return o;
}

json::object map_to_json(const std::map<std::string, std::string>& m) {
    json::object o;
    for (const auto& [k, v] : m)
        o[k] = v;
    return o;
}

}  // namespace sockerless::engine
