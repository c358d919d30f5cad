#include "engine/container_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

namespace sockerless::engine {

namespace {

constexpr std::size_t kRecordHeader = 13;
// Docker's log copier reads into a 16 KiB buffer: a line that fills it without a newline is
// logged in pieces of that size, the newline going with the last piece (alone, when the line is
// a multiple of 16 KiB).
constexpr std::size_t kMaxLine = std::size_t{16} * 1024;

void put_le(unsigned char* out, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out[i] = static_cast<unsigned char>(value >> (8 * i));
}

std::uint64_t get_le(const unsigned char* in, int bytes) {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | in[i];
    return v;
}

}  // namespace

Result<LogWriter> LogWriter::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return errno_error("open container log " + path, errno);
    return LogWriter(UniqueFd(fd));
}

sockerless::Status LogWriter::append(int stream, std::string_view line, Nanos time) {
    std::string record(kRecordHeader, '\0');
    auto* header = reinterpret_cast<unsigned char*>(record.data());
    put_le(header, static_cast<std::uint64_t>(time), 8);
    header[8] = static_cast<unsigned char>(stream);
    put_le(header + 9, line.size(), 4);
    record.append(line);
    // One write per record: O_APPEND keeps records whole for concurrent readers.
    std::size_t done = 0;
    while (done < record.size()) {
        ssize_t n = ::write(fd_.get(), record.data() + done, record.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error("write container log", errno);
        }
        done += static_cast<std::size_t>(n);
    }
    return ok();
}

sockerless::Status LogWriter::write(int stream, std::string_view data, Nanos time) {
    if (stream < 1 || stream > 2) stream = 1;
    std::string& partial = partial_[stream];
    while (!data.empty()) {
        const std::size_t nl = data.find('\n');
        if (partial.empty() && nl < kMaxLine) {
            if (auto st = append(stream, data.substr(0, nl + 1), time); !st) return st;
            data.remove_prefix(nl + 1);
            continue;
        }
        const std::size_t take = nl == std::string_view::npos ? data.size() : nl;
        partial.append(data.substr(0, take));
        data.remove_prefix(take);
        const std::string_view held = partial;
        std::size_t done = 0;
        for (; held.size() - done >= kMaxLine; done += kMaxLine) {
            if (auto st = append(stream, held.substr(done, kMaxLine), time); !st) return st;
        }
        partial.erase(0, done);
        if (nl == std::string_view::npos) return ok();
        partial.push_back('\n');
        data.remove_prefix(1);
        if (auto st = append(stream, partial, time); !st) return st;
        partial.clear();
    }
    return ok();
}

sockerless::Status LogWriter::flush(Nanos time) {
    for (int stream = 1; stream <= 2; ++stream) {
        if (partial_[stream].empty()) continue;
        if (auto st = append(stream, partial_[stream], time); !st) return st;
        partial_[stream].clear();
    }
    return ok();
}

Result<LogChunk> read_log(const std::string& path, std::uint64_t offset, const LogQuery& query) {
    LogChunk chunk;
    chunk.next_offset = offset;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return chunk;
        return errno_error("open container log " + path, errno);
    }
    UniqueFd owner(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return errno_error("stat container log " + path, errno);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (offset >= size) return chunk;
    std::string data(size - offset, '\0');
    std::size_t got = 0;
    while (got < data.size()) {
        ssize_t n =
            ::pread(fd, data.data() + got, data.size() - got, static_cast<off_t>(offset + got));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error("read container log " + path, errno);
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    data.resize(got);
    std::deque<LogRecord> selected;
    std::size_t pos = 0;
    while (pos + kRecordHeader <= data.size()) {
        const auto* h = reinterpret_cast<const unsigned char*>(data.data() + pos);
        const auto length = static_cast<std::size_t>(get_le(h + 9, 4));
        if (pos + kRecordHeader + length > data.size()) break;  // being written, or cut short
        LogRecord r;
        r.time = static_cast<Nanos>(get_le(h, 8));
        r.stream = h[8];
        const bool wanted = (r.stream == 2 ? query.stderr : query.stdout) &&
                            r.time >= query.since && (query.until == 0 || r.time <= query.until);
        if (wanted) {
            r.line.assign(data, pos + kRecordHeader, length);
            selected.push_back(std::move(r));
            if (query.tail && *query.tail >= 0 &&
                selected.size() > static_cast<std::size_t>(*query.tail))
                selected.pop_front();
        }
        pos += kRecordHeader + length;
    }
    chunk.next_offset = offset + pos;
    chunk.records.assign(std::make_move_iterator(selected.begin()),
                         std::make_move_iterator(selected.end()));
    return chunk;
}

}  // namespace sockerless::engine
