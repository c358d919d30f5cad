#pragma once
// How the agent binary gets into a task (docs/ecs-backend.md, "Agent injection"). Fargate cannot
// mount host paths and has no "copy this file in" primitive, so the binary arrives on a volume:
//   - efs: an EFS access point (read-only) onto a directory where the binary was staged once;
//     nothing extra starts per task, so it is the faster and preferred way;
//   - init_container: a non-essential `init` container from the agent image copies the binary
//     into an empty task volume before `main` starts; no EFS to set up, one more container per
//     task.

#include <string>
#include <string_view>

#include "base/error.h"

namespace sockerless::ecs {

struct EcsConfig;

enum class InjectionStrategy { efs, init_container };

// "efs" or "init-container" (the names used in configuration files, variables and flags).
std::string_view format_strategy(InjectionStrategy strategy) noexcept;
Result<InjectionStrategy> parse_strategy(std::string_view text);

// The configured strategy when one is set explicitly; otherwise efs when an EFS file system is
// configured, else init_container. Does not check that the choice is usable (config validation
// does: efs needs the EFS ids, init_container the agent image).
InjectionStrategy select_strategy(const EcsConfig& config) noexcept;

}  // namespace sockerless::ecs
