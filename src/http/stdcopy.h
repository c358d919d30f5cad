#pragma once
// Docker's stream multiplexing for non-TTY attach, exec and logs (moby's stdcopy): each frame is
// an 8-byte header {stream, 0, 0, 0, big-endian uint32 length} followed by the payload. stream is
// 0 stdin, 1 stdout, 2 stderr, 3 systemerr. Pure functions; no I/O.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sockerless::http {

inline constexpr std::size_t kStdcopyHeaderSize = 8;

enum class StdStream : std::uint8_t { stdin_ = 0, stdout_ = 1, stderr_ = 2, systemerr = 3 };

// The header for a frame of `size` bytes on `stream`.
std::array<unsigned char, kStdcopyHeaderSize> stdcopy_header(StdStream stream, std::uint32_t size);
// Header and payload appended to `out`. Payloads over 4 GiB - 1 are split into several frames;
// an empty payload appends nothing (a zero-length frame carries nothing).
void append_frame(std::string& out, StdStream stream, std::string_view payload);

// Incremental decoder (for tests and for clients of the daemon's own tools): feed bytes, take
// whole frames. A header with an unknown stream byte is an error (std::nullopt from next()).
class StdcopyDecoder {
public:
    struct Frame {
        StdStream stream;
        std::string payload;
    };
    void feed(std::span<const unsigned char> bytes);
    void feed(std::string_view bytes);
    // The next whole frame; std::nullopt when more bytes are needed. error() tells a bad header.
    std::optional<Frame> next();
    [[nodiscard]] bool error() const noexcept { return error_; }
    [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size() - offset_; }

private:
    std::string buffer_;
    std::size_t offset_ = 0;
    bool error_ = false;
};

}  // namespace sockerless::http
