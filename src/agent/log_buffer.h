#pragma once
// The main process's output as `docker logs` needs it while the task runs: every read of stdout
// and stderr with the wall-clock time it was read, across runs of the main process (a restarted
// container's logs continue its earlier ones), in a buffer bounded by memory. The oldest entries
// are dropped first. The attach replay is a view of the same entries (the newest of the current
// run), so the output is held once.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "agent/chunk.h"
#include "agentproto/protocol.h"

namespace sockerless::agent {

struct LogEntry {
    Chunk chunk;
    std::size_t length = 0;
    std::int64_t time = 0;  // ns since the epoch; never decreases along the buffer
    int run = 0;            // the run of the main process that wrote it (1, 2, ...)
    agentproto::Stream stream = agentproto::Stream::out;
    bool starts_line = true;  // the stream's previous byte in this run was '\n', or there was none

    std::span<const unsigned char> bytes() const noexcept { return {chunk.data.get(), length}; }
};

// Part of an entry to send: tail may start inside an entry.
struct LogPiece {
    const LogEntry* entry = nullptr;
    std::size_t offset = 0;
};

class LogBuffer {
public:
    // What one entry costs beyond its buffer (the entry, its allocation's bookkeeping), charged
    // against the capacity so that many tiny writes stay bounded too.
    static constexpr std::size_t kEntryOverhead = 64;

    explicit LogBuffer(std::size_t capacity) : capacity_(capacity) {}

    // Keeps `length` bytes of `chunk`, read at `now` by run `run`. A buffer mostly empty is
    // copied to its exact size first, so the capacity bounds memory rather than payload.
    const LogEntry& append(agentproto::Stream stream, int run, Chunk chunk, std::size_t length,
                           std::int64_t now);

    // What a logs request selects of the buffer, oldest first (the follow part is not here).
    std::vector<LogPiece> select(const agentproto::LogsRequest& request) const;
    // The newest entries of `run` with at most `bytes` of output (at least one), oldest first.
    std::vector<const LogEntry*> newest_of_run(int run, std::size_t bytes) const;

    std::uint64_t dropped() const noexcept { return dropped_; }  // output bytes dropped so far
    std::size_t charged() const noexcept { return charged_; }
    std::size_t capacity() const noexcept { return capacity_; }
    const std::deque<LogEntry>& entries() const noexcept { return entries_; }

private:
    std::size_t capacity_;
    std::size_t charged_ = 0;
    std::uint64_t dropped_ = 0;
    std::int64_t last_time_ = 0;
    int last_run_ = 0;
    bool line_open_[3] = {false, false, false};  // per stream: the last byte was not '\n'
    std::deque<LogEntry> entries_;
};

// Whether an entry is in a request's selection by stream and time (tail aside).
bool log_selects(const agentproto::LogsRequest& request, const LogEntry& entry) noexcept;

}  // namespace sockerless::agent
