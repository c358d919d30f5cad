#pragma once
// Task sizes: parsing ECS's cpu/memory strings and the Fargate cpu/memory table.

#include <optional>
#include <string_view>

namespace sockerless::awssim {

// "256" or "0.25 vCPU" (any case) -> CPU units (1 vCPU = 1024 units).
std::optional<long> parse_cpu_units(std::string_view s);
// "512" or "2 GB" (any case) -> MiB.
std::optional<long> parse_memory_mib(std::string_view s);

// True when Fargate offers this task size.
bool fargate_size_supported(long cpu_units, long memory_mib);

}  // namespace sockerless::awssim
