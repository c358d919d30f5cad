#pragma once
// The request-target as the Docker API reads it: an optional "/vX.Y" prefix, a percent-decoded
// path and an application/x-www-form-urlencoded query. Pure; the server and its tests share it.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/exchange.h"

namespace sockerless::http {

struct Target {
    std::string path;  // percent-decoded, prefix removed; "/" when nothing follows the prefix
    std::optional<ApiVersion> version;
    std::string version_text;  // the prefix's version as sent ("1.23"), for messages
    std::vector<std::pair<std::string, std::string>> query;
};

// "/v1.44/containers/json?all=1" -> {"/containers/json", 1.44, "1.44", {{"all", "1"}}}. A
// prefix that is not "v<digits>.<digits>" is an ordinary path segment ("/vfoo/x" stays as is).
Target parse_target(std::string_view target);

// %XX escapes decoded (malformed ones kept literally); '+' becomes ' ' when `plus_is_space`.
std::string percent_decode(std::string_view text, bool plus_is_space);

// "a=1&b=x+y&a=2&flag" -> {{"a","1"},{"b","x y"},{"a","2"},{"flag",""}}; empty pieces skipped.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

// dockerd's answer to a version it does not serve: the error message, or nullopt when served.
// Versions below kMinApiVersion are refused; above kApiVersion only when `strict`.
std::optional<std::string> version_refusal(const Target& target, bool strict);

}  // namespace sockerless::http
