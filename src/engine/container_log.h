#pragma once
// A container's output as the daemon recorded it (Docker's json-file driver, in a compact binary
// form): one record per line, with the time the daemon read it and its stream, appended to
// <state dir>/containers/<id>/container.log. `docker logs` reads it whatever the container's
// state; followers are woken by the writer.
//
// Record: 8-byte little-endian time (ns since the epoch), 1 byte stream (1 stdout, 2 stderr),
// 4-byte little-endian length, then the line with its '\n' (the last line of a run may have
// none). A record cut short by a crash is ignored by readers.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "engine/container.h"

namespace sockerless::engine {

struct LogRecord {
    Nanos time = 0;
    int stream = 1;
    std::string line;
};

// Splits output into lines per stream and appends them. Partial lines wait for their newline
// (or flush()).
class LogWriter {
public:
    static Result<LogWriter> open(const std::string& path);
    Status write(int stream, std::string_view data, Nanos time);
    // Writes the partial lines still held (the end of a run).
    Status flush(Nanos time);

private:
    explicit LogWriter(UniqueFd fd) : fd_(std::move(fd)) {}
    Status append(int stream, std::string_view line, Nanos time);
    UniqueFd fd_;
    std::array<std::string, 3> partial_;  // by stream (1, 2)
};

struct LogQuery {
    bool stdout = true;
    bool stderr = true;
    Nanos since = 0;                   // records at or after
    Nanos until = 0;                   // records before; 0: no bound
    std::optional<std::int64_t> tail;  // the last N selected records
};

// Reads records from byte `offset` on; `next_offset` is where a follower reads next.
struct LogChunk {
    std::vector<LogRecord> records;
    std::uint64_t next_offset = 0;
};
Result<LogChunk> read_log(const std::string& path, std::uint64_t offset, const LogQuery& query);

}  // namespace sockerless::engine
