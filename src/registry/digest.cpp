#include "registry/digest.h"

#include <openssl/evp.h>

#include <array>
#include <span>

#include "base/hex.h"

namespace sockerless::registry {
namespace {

bool is_lower_hex(std::string_view s) {
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

std::size_t hex_length(std::string_view algorithm) {
    if (algorithm == "sha256") return 64;
    if (algorithm == "sha512") return 128;
    return 0;
}

}  // namespace

Result<Digest> parse_digest(std::string_view text) {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
        return make_error(Errc::invalid_argument,
                          "invalid digest: " + std::string(text) + ": no algorithm");
    }
    const std::string_view algorithm = text.substr(0, colon);
    const std::string_view encoded = text.substr(colon + 1);
    const std::size_t want = hex_length(algorithm);
    if (want == 0) {
        return make_error(Errc::invalid_argument, "invalid digest: unsupported algorithm \"" +
                                                      std::string(algorithm) + "\"");
    }
    if (encoded.size() != want || !is_lower_hex(encoded)) {
        return make_error(Errc::invalid_argument, "invalid digest: " + std::string(text) +
                                                      ": want " + std::to_string(want) +
                                                      " lowercase hex characters");
    }
    return Digest{std::string(algorithm), std::string(encoded)};
}

Digest compute_digest(std::string_view algorithm, std::string_view data) {
    const EVP_MD* md = algorithm == "sha512" ? EVP_sha512() : EVP_sha256();
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &size, md, nullptr);
    return Digest{algorithm == "sha512" ? "sha512" : "sha256",
                  hex_encode(std::span<const unsigned char>(out.data(), size))};
}

Status verify_digest(const Digest& expected, std::string_view data, std::string_view what) {
    const Digest got = compute_digest(expected.algorithm, data);
    if (got.encoded == expected.encoded) return ok();
    return make_error(Errc::invalid_argument, std::string(what) + ": digest mismatch: expected " +
                                                  expected.str() + ", got " + got.str());
}

std::string short_id(std::string_view digest) {
    const std::size_t colon = digest.find(':');
    if (colon != std::string_view::npos) digest.remove_prefix(colon + 1);
    return std::string(digest.substr(0, 12));
}

}  // namespace sockerless::registry
