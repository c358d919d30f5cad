#include "registry/json_read.h"

#include <boost/json/parse.hpp>

#include <strings.h>
#include <cmath>

namespace sockerless::registry::json_read {
namespace {

Error wrong_type(std::string_view what, std::string_view key, std::string_view want) {
    return make_error(Errc::invalid_argument,
                      std::string(what) + ": " + std::string(key) + ": want " + std::string(want));
}

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Result<boost::json::object> parse_object(std::string_view text, std::string_view what) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(text, ec);
    if (ec) {
        return make_error(Errc::invalid_argument,
                          std::string(what) + ": not valid JSON: " + ec.message());
    }
    if (!value.is_object()) {
        return make_error(Errc::invalid_argument, std::string(what) + ": not a JSON object");
    }
    return std::move(value.as_object());
}

const boost::json::value* field(const boost::json::object& obj, std::string_view key) {
    const boost::json::value* found = obj.if_contains(key);
    if (found == nullptr) {
        for (const auto& member : obj) {
            if (iequal(member.key(), key)) {
                found = &member.value();
                break;
            }
        }
    }
    if (found == nullptr || found->is_null()) return nullptr;
    return found;
}

Result<std::string> string_field(const boost::json::object& obj, std::string_view key,
                                 std::string_view what) {
    const boost::json::value* v = field(obj, key);
    if (v == nullptr) return std::string();
    if (!v->is_string()) return wrong_type(what, key, "a string");
    return std::string(v->as_string());
}

Result<std::vector<std::string>> strings_field(const boost::json::object& obj, std::string_view key,
                                               std::string_view what) {
    const boost::json::value* v = field(obj, key);
    std::vector<std::string> out;
    if (v == nullptr) return out;
    if (!v->is_array()) return wrong_type(what, key, "an array of strings");
    for (const boost::json::value& item : v->as_array()) {
        if (!item.is_string()) return wrong_type(what, key, "an array of strings");
        out.emplace_back(item.as_string());
    }
    return out;
}

Result<std::optional<std::int64_t>> int_field(const boost::json::object& obj, std::string_view key,
                                              std::string_view what) {
    const boost::json::value* v = field(obj, key);
    if (v == nullptr) return std::optional<std::int64_t>();
    if (v->is_int64()) return std::optional<std::int64_t>(v->as_int64());
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return std::optional<std::int64_t>(static_cast<std::int64_t>(v->as_uint64()));
    if (v->is_double()) {
        const double d = v->as_double();
        if (std::trunc(d) == d && std::fabs(d) < 9.2e18)
            return std::optional<std::int64_t>(static_cast<std::int64_t>(d));
    }
    return wrong_type(what, key, "a whole number");
}

Result<const boost::json::object*> object_field(const boost::json::object& obj,
                                                std::string_view key, std::string_view what) {
    const boost::json::value* v = field(obj, key);
    if (v == nullptr) return static_cast<const boost::json::object*>(nullptr);
    if (!v->is_object()) return wrong_type(what, key, "an object");
    return &v->as_object();
}

Result<const boost::json::array*> array_field(const boost::json::object& obj, std::string_view key,
                                              std::string_view what) {
    const boost::json::value* v = field(obj, key);
    if (v == nullptr) return static_cast<const boost::json::array*>(nullptr);
    if (!v->is_array()) return wrong_type(what, key, "an array");
    return &v->as_array();
}

}  // namespace sockerless::registry::json_read
