#include "agent/log.h"

#include <sys/uio.h>
#include <unistd.h>

#include <atomic>

namespace sockerless::agent {
namespace {
std::atomic<LogLevel> g_level{LogLevel::info};

std::string_view level_name(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
    }
    return "info";
}
}  // namespace

void set_log_level(LogLevel level) noexcept {
    g_level = level;
}

void log(LogLevel level, std::string_view message) noexcept {
    if (level < g_level.load()) return;
    std::string_view prefix = "sockerless-agent: level=";
    std::string_view name = level_name(level);
    std::string_view msg_key = " msg=";
    iovec parts[5] = {
        {const_cast<char*>(prefix.data()), prefix.size()},
        {const_cast<char*>(name.data()), name.size()},
        {const_cast<char*>(msg_key.data()), msg_key.size()},
        {const_cast<char*>(message.data()), message.size()},
        {const_cast<char*>("\n"), 1},
    };
    // One writev so concurrent writers of the same stream never interleave inside a line.
    [[maybe_unused]] ssize_t n = ::writev(STDERR_FILENO, parts, 5);
}

}  // namespace sockerless::agent
