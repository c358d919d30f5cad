#pragma once
// Signal names as Docker accepts them (`docker kill -s`, StopSignal): "SIGTERM", "TERM",
// "term" or "15". Pure.

#include <optional>
#include <string_view>

namespace sockerless::engine {

std::optional<int> parse_signal(std::string_view text);

}  // namespace sockerless::engine
