#include "base/hex.h"

#include <sys/random.h>

#include <cerrno>
#include <vector>

namespace sockerless {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string hex_encode(std::span<const unsigned char> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0x0f]);
    }
    return out;
}

Result<std::string> hex_decode(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        return make_error(Errc::invalid_argument,
                          "hex string has odd length " + std::to_string(hex.size()));
    }
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = hex_value(hex[i]);
        int lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            return make_error(Errc::invalid_argument,
                              "invalid hex digit at offset " + std::to_string(hi < 0 ? i : i + 1));
        }
        out.push_back(static_cast<char>((hi << 4) | lo));
    }
    return out;
}

Result<std::string> random_hex_token(std::size_t bytes) {
    std::vector<unsigned char> buf(bytes);
    std::size_t filled = 0;
    while (filled < bytes) {
        ssize_t n = ::getrandom(buf.data() + filled, bytes - filled, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_error("getrandom", errno);
        }
        filled += static_cast<std::size_t>(n);
    }
    return hex_encode(buf);
}

// Hand-written: the agent does not link OpenSSL (CRYPTO_memcmp) and the comparison is a few lines.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    volatile unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
    }
    return diff == 0;
}

}  // namespace sockerless
