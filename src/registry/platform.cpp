#include "registry/platform.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sockerless::registry {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// containerd's specifier component: [A-Za-z0-9_.-]+
bool valid_component(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
    });
}

bool is_known_os(std::string_view os) {
    for (std::string_view known :
         {"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
          "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "windows", "zos"}) {
        if (os == known) return true;
    }
    return false;
}

bool is_known_arch(std::string_view arch) {
    for (std::string_view known :
         {"386",     "amd64",    "amd64p32",  "arm",         "armbe",   "arm64",
          "arm64be", "ppc64",    "ppc64le",   "loong64",     "mips",    "mipsle",
          "mips64",  "mips64le", "mips64p32", "mips64p32le", "ppc",     "riscv",
          "riscv64", "s390",     "s390x",     "sparc",       "sparc64", "wasm"}) {
        if (arch == known) return true;
    }
    return false;
}

std::string normalize_os(std::string_view os) {
    if (os.empty()) return "linux";
    std::string out = lower(os);
    if (out == "macos") out = "darwin";
    return out;
}

void normalize_arch(std::string& arch, std::string& variant) {
    arch = lower(arch);
    variant = lower(variant);
    if (arch == "i386") {
        arch = "386";
        variant.clear();
    } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
        arch = "amd64";
        if (variant == "v1") variant.clear();
    } else if (arch == "aarch64" || arch == "arm64") {
        arch = "arm64";
        if (variant == "8" || variant == "v8") variant.clear();
    } else if (arch == "armhf") {
        arch = "arm";
        variant = "v7";
    } else if (arch == "armel") {
        arch = "arm";
        variant = "v6";
    } else if (arch == "arm") {
        if (variant.empty() || variant == "7") {
            variant = "v7";
        } else if (variant == "5" || variant == "6" || variant == "8") {
            variant = "v" + variant;
        }
    }
}

// "v7" -> 7, "v8.2" -> major 8 (minor read separately); nullopt when not "v<number>...".
std::optional<int> version_number(std::string_view s) {
    if (s.starts_with('v')) s.remove_prefix(1);
    int value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return value;
}

Platform with_variant(const Platform& base, std::string arch, std::string variant) {
    return Platform{base.os, std::move(arch), std::move(variant)};
}

std::string arm64_variant(int major, int minor) {
    return "v" + std::to_string(major) + (minor == 0 ? "" : "." + std::to_string(minor));
}

void arm64_vector(const Platform& p, std::vector<Platform>& out);

// containerd's platformVector on a normalized platform.
std::vector<Platform> platform_vector(const Platform& p) {
    std::vector<Platform> out{p};
    if (p.architecture == "amd64") {
        if (std::optional<int> v = version_number(p.variant); v && *v > 1) {
            for (int n = *v - 1; n >= 1; --n)
                out.push_back(with_variant(p, "amd64", "v" + std::to_string(n)));
        }
        out.push_back(with_variant(p, "386", ""));
    } else if (p.architecture == "arm") {
        if (std::optional<int> v = version_number(p.variant); v && *v > 5) {
            for (int n = *v - 1; n >= 5; --n)
                out.push_back(with_variant(p, "arm", "v" + std::to_string(n)));
        }
    } else if (p.architecture == "arm64") {
        arm64_vector(p, out);
    }
    return out;
}

void arm64_vector(const Platform& p, std::vector<Platform>& out) {
    std::string variant = p.variant.empty() ? "v8" : p.variant;
    const std::size_t dot = variant.find('.');
    const std::optional<int> major = version_number(std::string_view(variant).substr(0, dot));
    if (major && *major >= 8) {
        int arm_major = *major;
        int arm_minor = 0;
        if (variant.size() == 4 && dot != std::string::npos) {
            arm_minor = version_number(std::string_view(variant).substr(dot + 1)).value_or(0);
        }
        if (arm_major == 9) {
            for (int minor = arm_minor - 1; minor >= 0; --minor)
                out.push_back(with_variant(p, "arm64", arm64_variant(9, minor)));
            // v9.0 branched from v8.5: v9.x runs what v8.(x+5) runs.
            arm_minor += 5;
            arm_major = 8;
            out.push_back(with_variant(p, "arm64", arm64_variant(8, arm_minor)));
        }
        for (int minor = arm_minor - 1; minor >= 0; --minor)
            out.push_back(with_variant(p, "arm64", arm64_variant(arm_major, minor)));
    }
    if (variant.starts_with("v8.") || variant.starts_with("v9.")) variant = "v8";
    std::vector<Platform> arm = platform_vector(with_variant(p, "arm", variant));
    out.insert(out.end(), arm.begin(), arm.end());
}

}  // namespace

std::string Platform::str() const {
    if (os.empty()) return "unknown";
    std::string out = os;
    if (!architecture.empty()) out += "/" + architecture;
    if (!variant.empty()) out += "/" + variant;
    return out;
}

Platform normalize(Platform p) {
    p.os = normalize_os(p.os);
    normalize_arch(p.architecture, p.variant);
    return p;
}

Result<Platform> parse_platform(std::string_view text) {
    auto invalid = [&](std::string_view why) {
        return make_error(Errc::invalid_argument,
                          "invalid platform \"" + std::string(text) + "\": " + std::string(why));
    };
    std::vector<std::string_view> parts;
    std::string_view rest = text;
    while (true) {
        const std::size_t slash = rest.find('/');
        parts.push_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    if (parts.size() > 3) return invalid("cannot parse platform specifier");
    for (std::string_view part : parts) {
        if (!valid_component(part))
            return invalid("invalid component \"" + std::string(part) + "\"");
    }
    Platform p;
    p.os = normalize_os(parts[0]);
    if (parts.size() == 1) {
        if (is_known_os(p.os)) {
            Platform host = host_platform();
            p.architecture = host.architecture;
            p.variant = host.variant;
            return p;
        }
        p.architecture = std::string(parts[0]);
        normalize_arch(p.architecture, p.variant);
        if (p.architecture == "arm" && p.variant == "v7") p.variant.clear();
        if (!is_known_arch(p.architecture))
            return invalid("unknown operating system or architecture");
        p.os = "linux";
        return p;
    }
    p.architecture = std::string(parts[1]);
    if (parts.size() == 2) {
        normalize_arch(p.architecture, p.variant);
        if (p.architecture == "arm" && p.variant == "v7") p.variant.clear();
        return p;
    }
    p.variant = std::string(parts[2]);
    normalize_arch(p.architecture, p.variant);
    if (p.architecture == "arm64" && p.variant.empty()) p.variant = "v8";
    return p;
}

Platform host_platform() {
#if defined(__x86_64__)
    return Platform{"linux", "amd64", ""};
#elif defined(__aarch64__)
    return Platform{"linux", "arm64", ""};
#elif defined(__arm__)
    return Platform{"linux", "arm", "v7"};
#elif defined(__i386__)
    return Platform{"linux", "386", ""};
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
    return Platform{"linux", "ppc64le", ""};
#elif defined(__s390x__)
    return Platform{"linux", "s390x", ""};
#elif defined(__riscv) && __riscv_xlen == 64
    return Platform{"linux", "riscv64", ""};
#else
    return Platform{"linux", "unknown", ""};
#endif
}

std::vector<Platform> compatible_platforms(const Platform& wanted) {
    std::vector<Platform> out = platform_vector(normalize(wanted));
    // Matching compares normalized forms: "amd64/v1" is "amd64", "arm64/v8" is "arm64".
    for (Platform& p : out)
        p = normalize(std::move(p));
    return out;
}

std::optional<std::size_t> best_match(const std::vector<Platform>& candidates,
                                      const Platform& wanted) {
    for (const Platform& acceptable : compatible_platforms(wanted)) {
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            if (normalize(candidates[i]) == acceptable) return i;
        }
    }
    return std::nullopt;
}

}  // namespace sockerless::registry
