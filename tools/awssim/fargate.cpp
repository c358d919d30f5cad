#include "fargate.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace sockerless::awssim {
namespace {

struct MemoryRange {
    long cpu, min, max, step;
};

// AWS's Fargate table (Linux): memory choices per cpu size.
constexpr std::array<MemoryRange, 8> kFargateSizes{{
    {256, 512, 512, 1},
    {256, 1024, 2048, 1024},
    {512, 1024, 4096, 1024},
    {1024, 2048, 8192, 1024},
    {2048, 4096, 16384, 1024},
    {4096, 8192, 30720, 1024},
    {8192, 16384, 61440, 4096},
    {16384, 32768, 122880, 8192},
}};

// A number followed by an optional unit word; the scale applies only when the unit is present.
std::optional<long> parse_scaled(std::string_view s, std::string_view unit, long scale) {
    while (!s.empty() && s.front() == ' ')
        s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ')
        s.remove_suffix(1);
    std::string lowered;
    for (char c : s)
        lowered.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    std::string_view v = lowered;
    bool scaled = false;
    if (v.ends_with(unit)) {
        v.remove_suffix(unit.size());
        while (!v.empty() && v.back() == ' ')
            v.remove_suffix(1);
        scaled = true;
    }
    if (v.empty()) return std::nullopt;
    double number = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), number);
    if (ec != std::errc() || end != v.data() + v.size() || number <= 0) return std::nullopt;
    double result = scaled ? number * static_cast<double>(scale) : number;
    if (result != std::floor(result) || result > 1e12) return std::nullopt;
    return static_cast<long>(result);
}

}  // namespace

std::optional<long> parse_cpu_units(std::string_view s) {
    return parse_scaled(s, "vcpu", 1024);
}

std::optional<long> parse_memory_mib(std::string_view s) {
    return parse_scaled(s, "gb", 1024);
}

bool fargate_size_supported(long cpu_units, long memory_mib) {
    for (const auto& r : kFargateSizes) {
        if (r.cpu == cpu_units && memory_mib >= r.min && memory_mib <= r.max &&
            (memory_mib - r.min) % r.step == 0)
            return true;
    }
    return false;
}

}  // namespace sockerless::awssim
