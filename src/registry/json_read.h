#pragma once
// Strict readers for registry JSON (manifests, configs, token and error bodies), internal to the
// registry layer. A member is found as Go's encoding/json finds it, exactly first and then
// case-insensitively, because Docker reads these documents with it. Absent or null members read
// as empty; a member of the wrong type is Errc::invalid_argument "<what>: <key>: want <type>".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "base/error.h"

namespace sockerless::registry::json_read {

// The whole text as one JSON object; invalid_argument "<what>: ..." otherwise.
Result<boost::json::object> parse_object(std::string_view text, std::string_view what);

// nullptr when absent or null.
const boost::json::value* field(const boost::json::object& obj, std::string_view key);

Result<std::string> string_field(const boost::json::object& obj, std::string_view key,
                                 std::string_view what);
Result<std::vector<std::string>> strings_field(const boost::json::object& obj, std::string_view key,
                                               std::string_view what);
// A whole number; nullopt when absent or null.
Result<std::optional<std::int64_t>> int_field(const boost::json::object& obj, std::string_view key,
                                              std::string_view what);
// nullptr when absent or null.
Result<const boost::json::object*> object_field(const boost::json::object& obj,
                                                std::string_view key, std::string_view what);
// nullptr when absent or null.
Result<const boost::json::array*> array_field(const boost::json::object& obj, std::string_view key,
                                              std::string_view what);

}  // namespace sockerless::registry::json_read
