#pragma once
// A container's output as CloudWatch Logs events, the way Docker's awslogs driver makes them:
// one event per line (without its newline), stdout and stderr lines into the same stream, lines
// longer than an event may hold split at a UTF-8 boundary. Events are stored at once (no
// batching delay), timestamped when read. If the stream's group has been deleted meanwhile, the
// output is dropped, as the driver's puts would fail.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "logs_state.h"

namespace sockerless::awssim {

class AwsLogsWriter {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    AwsLogsWriter(LogsState& logs, std::string group, std::string stream, Clock clock)
        : logs_(logs),
          group_(std::move(group)),
          stream_(std::move(stream)),
          clock_(std::move(clock)) {}

    // Creates the stream now (ECS does when the container starts), output or not.
    void open();
    // `source` 0 is stdout, 1 stderr: each keeps its own partial line.
    void write(int source, std::string_view chunk);
    // Stores what is left of both partial lines (the process's output ended).
    void flush();

private:
    void emit(std::string_view line);
    void split_long(std::string& pending);

    LogsState& logs_;
    std::string group_;
    std::string stream_;
    Clock clock_;
    std::string pending_[2];
};

// The largest message an event holds.
inline constexpr std::size_t kMaxEventMessageBytes = kMaxEventBytes - kEventOverheadBytes;

}  // namespace sockerless::awssim
