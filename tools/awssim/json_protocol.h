#pragma once
// The AWS JSON 1.1 protocol (ECS, CloudWatch Logs): X-Amz-Target routing, request bodies and the
// error shape. Typed accessors turn a request object into checked values so that operations
// never handle raw JSON of the wrong type.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "api_error.h"

namespace sockerless::awssim {

inline constexpr std::string_view kJson11ContentType = "application/x-amz-json-1.1";

struct JsonTarget {
    std::string prefix;     // "AmazonEC2ContainerServiceV20141113"
    std::string operation;  // "CreateCluster"
};

// "Prefix.Operation" -> parts; nullopt when there is no '.'.
std::optional<JsonTarget> parse_target(std::string_view header);

// An empty body is {}; anything but a JSON object is a SerializationException.
ApiResult<boost::json::object> parse_request_body(std::string_view body);

// {"__type": code, "message": message}
std::string error_body(const ApiError& error);

// Typed members of a request object. Absent (or null) is nullopt; a value of the wrong type is a
// SerializationException, as AWS answers.
ApiResult<std::optional<std::string>> opt_string(const boost::json::object& o, std::string_view k);
ApiResult<std::optional<long>> opt_int(const boost::json::object& o, std::string_view k);
ApiResult<std::optional<std::vector<std::string>>> opt_strings(const boost::json::object& o,
                                                               std::string_view k);
// A member that must be an array of objects when present.
ApiResult<const boost::json::array*> opt_objects(const boost::json::object& o, std::string_view k);

}  // namespace sockerless::awssim
