#include "agent/log_buffer.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace sockerless::agent {
using agentproto::Stream;

namespace {

std::size_t cost(const LogEntry& e) {
    return e.chunk.size + LogBuffer::kEntryOverhead;
}

// Counts line starts in `e` backwards from its end until `wanted` are found. Returns the offset
// of the `wanted`-th (counting from the end), or nothing with `wanted` reduced by those seen.
std::optional<std::size_t> find_line_start(const LogEntry& e, std::uint64_t& wanted) {
    auto bytes = e.bytes();
    for (std::size_t i = bytes.size(); i-- > 1;) {
        if (bytes[i - 1] == '\n' && --wanted == 0) return i;
    }
    if (e.starts_line && --wanted == 0) return 0;
    return std::nullopt;
}

}  // namespace

bool log_selects(const agentproto::LogsRequest& request, const LogEntry& entry) noexcept {
    if (entry.stream == Stream::err ? !request.stderr : !request.stdout) return false;
    if (request.since != 0 && entry.time < request.since) return false;
    return request.until == 0 || entry.time <= request.until;
}

const LogEntry& LogBuffer::append(Stream stream, int run, Chunk chunk, std::size_t length,
                                  std::int64_t now) {
    if (chunk.size > length + length / 4) {
        Chunk exact = Chunk::allocate(length);
        std::memcpy(exact.data.get(), chunk.data.get(), length);
        chunk = std::move(exact);
    }
    if (run != last_run_) {
        last_run_ = run;
        std::fill(std::begin(line_open_), std::end(line_open_), false);
    }
    auto index = static_cast<std::size_t>(stream);
    last_time_ = std::max(last_time_, now);
    LogEntry entry{std::move(chunk), length, last_time_, run, stream, !line_open_[index]};
    line_open_[index] = length > 0 && entry.bytes().back() != '\n';
    charged_ += cost(entry);
    entries_.push_back(std::move(entry));
    while (charged_ > capacity_ && entries_.size() > 1) {
        charged_ -= cost(entries_.front());
        dropped_ += entries_.front().length;
        entries_.pop_front();
    }
    return entries_.back();
}

std::vector<LogPiece> LogBuffer::select(const agentproto::LogsRequest& request) const {
    std::vector<LogPiece> pieces;
    if (request.tail && *request.tail == 0) return pieces;
    auto first = entries_.begin();
    std::size_t offset = 0;
    if (request.tail) {
        std::uint64_t wanted = *request.tail;
        for (auto it = entries_.end(); it != entries_.begin();) {
            --it;
            if (!log_selects(request, *it)) continue;
            if (auto at = find_line_start(*it, wanted)) {
                first = it;
                offset = *at;
                break;
            }
        }
    }
    for (auto it = first; it != entries_.end(); ++it) {
        if (!log_selects(request, *it)) continue;
        pieces.push_back(LogPiece{&*it, it == first ? offset : 0});
    }
    return pieces;
}

std::vector<const LogEntry*> LogBuffer::newest_of_run(int run, std::size_t bytes) const {
    std::vector<const LogEntry*> out;
    std::size_t total = 0;
    for (auto it = entries_.rbegin(); it != entries_.rend() && it->run == run; ++it) {
        if (!out.empty() && total + it->length > bytes) break;
        total += it->length;
        out.push_back(&*it);
    }
    std::reverse(out.begin(), out.end());
    return out;
}

}  // namespace sockerless::agent
