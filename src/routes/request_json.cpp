#include "routes/request_json.h"

#include <boost/json.hpp>

namespace sockerless::routes {

namespace json = boost::json;

namespace {

std::string_view go_kind(const json::value& v) {
    switch (v.kind()) {
        case json::kind::bool_:
            return "bool";
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_:
            return "number";
        case json::kind::string:
            return "string";
        case json::kind::array:
            return "array";
        case json::kind::object:
            return "object";
        case json::kind::null:
            return "null";
    }
    return "value";
}

}  // namespace

Result<json::object> parse_body(std::string_view body, bool empty_ok) {
    std::size_t start = body.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) {
        if (empty_ok) return json::object();
        return make_error(Errc::invalid_argument,
                          "invalid JSON: got EOF while reading request body");
    }
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    // dockerd decodes one value and then refuses anything but whitespace after it. Other syntax
    // errors carry the parser's own wording behind dockerd's "invalid JSON: ".
    if (ec == json::error::extra_data)
        return make_error(Errc::invalid_argument, "unexpected content after JSON");
    if (ec == json::error::incomplete)
        return make_error(Errc::invalid_argument, "invalid JSON: unexpected EOF");
    if (ec) return make_error(Errc::invalid_argument, "invalid JSON: " + ec.message());
    if (v.is_null()) return json::object();
    if (!v.is_object())
        return make_error(Errc::invalid_argument, "invalid JSON: json: cannot unmarshal " +
                                                      std::string(go_kind(v)) +
                                                      " into Go value of type a JSON object");
    return std::move(v.as_object());
}

Error JsonReader::type_error(std::string_view key, const json::value& v, std::string_view type) {
    Error e = make_error(Errc::invalid_argument,
                         "invalid JSON: json: cannot unmarshal " + std::string(go_kind(v)) +
                             " into Go struct field " + where_ + "." + std::string(key) +
                             " of type " + std::string(type));
    if (error_) error_ = e;
    return e;
}

Status JsonReader::read(std::string_view key, std::string& out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return ok();
    if (!v->is_string()) return type_error(key, *v, "string");
    out = std::string(v->as_string());
    return ok();
}

Status JsonReader::read(std::string_view key, bool& out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return ok();
    if (!v->is_bool()) return type_error(key, *v, "bool");
    out = v->as_bool();
    return ok();
}

Status JsonReader::read(std::string_view key, std::int64_t& out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return ok();
    if (v->is_int64())
        out = v->as_int64();
    else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        out = static_cast<std::int64_t>(v->as_uint64());
    else
        return type_error(key, *v, "int64");
    return ok();
}

Status JsonReader::read(std::string_view key, int& out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return ok();
    if (v->is_int64() && v->as_int64() >= INT32_MIN && v->as_int64() <= INT32_MAX)
        out = static_cast<int>(v->as_int64());
    else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT32_MAX))
        out = static_cast<int>(v->as_uint64());
    else
        return type_error(key, *v, "int");
    return ok();
}

Status JsonReader::read(std::string_view key, std::optional<int>& out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return ok();
    int value = 0;
    if (Status st = read(key, value); !st) return st;
    out = value;
    return ok();
}

Status JsonReader::read(std::string_view key, std::vector<std::string>& out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return ok();
    if (!v->is_array()) return type_error(key, *v, "[]string");
    std::vector<std::string> values;
    for (const json::value& e : v->as_array()) {
        if (!e.is_string()) return type_error(key, e, "string");
        values.emplace_back(e.as_string());
    }
    out = std::move(values);
    return ok();
}

Status JsonReader::read_strslice(std::string_view key,
                                 std::optional<std::vector<std::string>>& out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return ok();
    if (v->is_string()) {
        out = std::vector<std::string>{std::string(v->as_string())};
        return ok();
    }
    // strslice tries []string and then string, so Go reports the second attempt: an array with
    // a non-string element is an "array" that is not a string.
    if (!v->is_array()) return type_error(key, *v, "string");
    std::vector<std::string> values;
    for (const json::value& e : v->as_array()) {
        if (!e.is_string()) return type_error(key, *v, "string");
        values.emplace_back(e.as_string());
    }
    out = std::move(values);
    return ok();
}

Status JsonReader::read(std::string_view key, std::map<std::string, std::string>& out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return ok();
    if (!v->is_object()) return type_error(key, *v, "map[string]string");
    std::map<std::string, std::string> values;
    for (const auto& kv : v->as_object()) {
        if (!kv.value().is_string()) return type_error(key, kv.value(), "string");
        values.emplace(kv.key(), kv.value().as_string());
    }
    out = std::move(values);
    return ok();
}

Status JsonReader::read_keys(std::string_view key, std::set<std::string>& out) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return ok();
    if (!v->is_object()) return type_error(key, *v, "map[string]struct {}");
    for (const auto& kv : v->as_object())
        out.emplace(kv.key());
    return ok();
}

Result<const json::object*> JsonReader::object(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return static_cast<const json::object*>(nullptr);
    if (!v->is_object()) return type_error(key, *v, "struct");
    return &v->as_object();
}

}  // namespace sockerless::routes
