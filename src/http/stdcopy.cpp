#include "http/stdcopy.h"

#include <algorithm>
#include <limits>

namespace sockerless::http {

namespace {

constexpr std::size_t kMaxFramePayload = std::numeric_limits<std::uint32_t>::max();
// The decoder drops consumed bytes once they are this many and at least half its buffer, so
// feeding stays linear without moving memory on every frame.
constexpr std::size_t kCompactThreshold = std::size_t{64} * 1024;

}  // namespace

std::array<unsigned char, kStdcopyHeaderSize> stdcopy_header(StdStream stream, std::uint32_t size) {
    return {static_cast<unsigned char>(stream),
            0,
            0,
            0,
            static_cast<unsigned char>(size >> 24),
            static_cast<unsigned char>(size >> 16),
            static_cast<unsigned char>(size >> 8),
            static_cast<unsigned char>(size)};
}

void append_frame(std::string& out, StdStream stream, std::string_view payload) {
    while (!payload.empty()) {
        const std::size_t n = std::min(payload.size(), kMaxFramePayload);
        const auto header = stdcopy_header(stream, static_cast<std::uint32_t>(n));
        out.append(reinterpret_cast<const char*>(header.data()), header.size());
        out.append(payload.substr(0, n));
        payload.remove_prefix(n);
    }
}

void StdcopyDecoder::feed(std::span<const unsigned char> bytes) {
    feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void StdcopyDecoder::feed(std::string_view bytes) {
    if (offset_ == buffer_.size()) {
        buffer_.clear();
        offset_ = 0;
    } else if (offset_ >= kCompactThreshold && offset_ * 2 >= buffer_.size()) {
        buffer_.erase(0, offset_);
        offset_ = 0;
    }
    buffer_.append(bytes);
}

std::optional<StdcopyDecoder::Frame> StdcopyDecoder::next() {
    if (error_ || buffered() < kStdcopyHeaderSize) return std::nullopt;
    const auto* header = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
    if (header[0] > static_cast<unsigned char>(StdStream::systemerr)) {
        error_ = true;
        return std::nullopt;
    }
    const std::size_t size = (std::size_t{header[4]} << 24) | (std::size_t{header[5]} << 16) |
                             (std::size_t{header[6]} << 8) | std::size_t{header[7]};
    if (buffered() - kStdcopyHeaderSize < size) return std::nullopt;
    Frame frame{static_cast<StdStream>(header[0]),
                buffer_.substr(offset_ + kStdcopyHeaderSize, size)};
    offset_ += kStdcopyHeaderSize + size;
    return frame;
}

}  // namespace sockerless::http
