#pragma once
// Hex encoding, cryptographically random tokens and constant-time comparison.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"

namespace sockerless {

std::string hex_encode(std::span<const unsigned char> bytes);

// Lowercase or uppercase hex; odd length or a non-hex digit is invalid_argument.
Result<std::string> hex_decode(std::string_view hex);

// `bytes` random bytes from the kernel's CSPRNG (getrandom), hex encoded.
Result<std::string> random_hex_token(std::size_t bytes = 32);

// Compares in time that depends only on the lengths, never on where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace sockerless
