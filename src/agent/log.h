#pragma once
// The agent's own log lines, on stderr with a "sockerless-agent:" prefix so they stand apart from
// the main process's output that the agent tees to the same stream. Hand-written instead of spdlog:
// the agent links statically and Debian ships spdlog and fmt only as shared libraries.

#include <string_view>

namespace sockerless::agent {

enum class LogLevel { debug, info, warn, error };

void set_log_level(LogLevel level) noexcept;
void log(LogLevel level, std::string_view message) noexcept;
inline void log_debug(std::string_view m) noexcept {
    log(LogLevel::debug, m);
}
inline void log_info(std::string_view m) noexcept {
    log(LogLevel::info, m);
}
inline void log_warn(std::string_view m) noexcept {
    log(LogLevel::warn, m);
}
inline void log_error(std::string_view m) noexcept {
    log(LogLevel::error, m);
}

}  // namespace sockerless::agent
