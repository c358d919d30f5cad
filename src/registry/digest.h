#pragma once
// Content digests as the OCI image spec defines them ("algorithm:encoded"), and the checks a
// client makes on bytes it fetched by digest. Only the registered algorithms whose bytes a
// registry can serve are computable: sha256 and sha512.

#include <string>
#include <string_view>

#include "base/error.h"

namespace sockerless::registry {

struct Digest {
    std::string algorithm;  // "sha256"
    std::string encoded;    // lowercase hex

    [[nodiscard]] std::string str() const { return algorithm + ":" + encoded; }
};

// "sha256:<64 hex>" or "sha512:<128 hex>"; invalid_argument otherwise (wrong length, uppercase
// hex, unknown algorithm), with the message "invalid digest: <why>".
Result<Digest> parse_digest(std::string_view text);

// The digest of `data` under `algorithm` ("sha256" or "sha512").
Digest compute_digest(std::string_view algorithm, std::string_view data);

// Ok when `data` hashes to `expected` under its algorithm; Errc::invalid_argument naming `what`
// and both digests when not.
Status verify_digest(const Digest& expected, std::string_view data, std::string_view what);

// The 12-character short form Docker prints for ids and layers: the first 12 hex characters of
// the encoded part ("sha256:abc..." and "abc..." both work).
std::string short_id(std::string_view digest);

}  // namespace sockerless::registry
