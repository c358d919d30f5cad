#pragma once
// Image platforms (OS, architecture, variant) with containerd's normalization and matching, which
// dockerd uses to pick an image out of a manifest list or OCI index:
//
//   - normalization: x86_64 -> amd64, aarch64 -> arm64 (variant v8 dropped), armhf -> arm/v7,
//     armel -> arm/v6, i386 -> 386, plain arm -> arm/v7, macos -> darwin;
//   - fallbacks, best first: amd64/vN also runs amd64/v(N-1)..v1 and 386; arm/vN also runs
//     arm/v(N-1)..v5; arm64/v8.x also runs arm64/v8.(x-1)..v8 and then the arm/v8..v5 chain;
//     arm64/v9.x also runs v9.(x-1)..v9 and v8.(x+5)..v8.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sockerless::registry {

struct Platform {
    std::string os;            // "linux"
    std::string architecture;  // Go's GOARCH spelling: "amd64", "arm64", "arm", "386", ...
    std::string variant;       // "" or "v7", "v8", ...

    // "linux/amd64", "linux/arm64/v8": containerd's Format, as Docker's messages print it.
    [[nodiscard]] std::string str() const;

    friend bool operator==(const Platform&, const Platform&) = default;
};

// "linux/amd64", "linux/arm64/v8", "linux/arm/v7", "linux" (the host's architecture), "arm64"
// (linux); normalized. invalid_argument for anything else.
Result<Platform> parse_platform(std::string_view text);

// The platform with names normalized (see above); comparisons use this form.
Platform normalize(Platform p);

// Where this daemon runs: linux/amd64 on x86_64, linux/arm64 on aarch64, and so on.
Platform host_platform();

// The platforms an image may have to run on `wanted`, in order of preference (the first is
// `wanted` itself, normalized).
std::vector<Platform> compatible_platforms(const Platform& wanted);

// The index into `candidates` of the best match for `wanted`, or nullopt when none runs there.
// Among equally good candidates the first wins, as in the manifest list order.
std::optional<std::size_t> best_match(const std::vector<Platform>& candidates,
                                      const Platform& wanted);

}  // namespace sockerless::registry
