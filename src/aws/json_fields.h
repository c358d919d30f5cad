#pragma once
// Lenient readers for the members of AWS JSON responses. A member that is absent or of another
// type reads as empty: the clients report what the service sent and leave judging it to callers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "aws/credentials.h"
#include "aws/sigv4.h"

namespace sockerless::aws::json_fields {

// The member as a string; "" when absent or not a string.
std::string string_of(const boost::json::object& obj, std::string_view key);

// The member as an integer; nullopt when absent or not a whole number.
std::optional<std::int64_t> int_of(const boost::json::object& obj, std::string_view key);

// The member as a bool; false when absent or not a bool.
bool bool_of(const boost::json::object& obj, std::string_view key);

// Epoch seconds (a number, as JSON 1.1 services send) or an ISO-8601 string; nullopt otherwise.
std::optional<SystemClock::time_point> time_of(const boost::json::object& obj,
                                               std::string_view key);

// The member's array or object; an empty one when absent or of another type.
const boost::json::array& array_of(const boost::json::object& obj, std::string_view key);
const boost::json::object& object_of(const boost::json::object& obj, std::string_view key);

// Each element of the member's array that is a string.
std::vector<std::string> strings_of(const boost::json::object& obj, std::string_view key);

// [{"<key_name>": k, "<value_name>": v}, ...] as pairs, e.g. ECS tags or attachment details.
std::vector<NameValue> pairs_of(const boost::json::object& obj, std::string_view key,
                                std::string_view key_name, std::string_view value_name);

// The inverse of pairs_of.
boost::json::array to_pairs(const std::vector<NameValue>& pairs, std::string_view key_name,
                            std::string_view value_name);

}  // namespace sockerless::aws::json_fields
