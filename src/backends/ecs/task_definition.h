#pragma once
// Task definitions per shape (DESIGN §5). RegisterTaskDefinition is throttled hard, so the
// backend registers one definition per distinct shape (image, size, keep-alive, injection, logs,
// roles, platform) and reuses it; everything per-container travels in RunTask overrides.
//
// The family names the shape: "sockerless-" and the first 16 hex digits of the SHA-256 of the
// definition itself (compact JSON, without family and tags). Any change to what would be
// registered, including a daemon that builds definitions differently, gives a new family rather
// than reusing a stale one, and a restarted daemon finds an existing definition by computing the
// family and calling DescribeTaskDefinition on it. The definition is also tagged
// sockerless-shape=<family>.
//
// The agent directory is mounted at /sockerless and the binary is /sockerless/sockerless-agent:
// Fargate mounts volumes (directories), not single files, and mounting over / or /bin would hide
// the image's own files.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "backends/ecs/config.h"
#include "backends/ecs/strategy.h"
#include "base/error.h"

namespace sockerless::ecs {

inline constexpr std::string_view kMainContainer = "main";
inline constexpr std::string_view kInitContainer = "init";
inline constexpr std::string_view kAgentVolume = "sockerless-agent";
inline constexpr std::string_view kAgentMountPath = "/sockerless";
inline constexpr std::string_view kAgentPath = "/sockerless/sockerless-agent";
// Where the agent image keeps the binary it installs.
inline constexpr std::string_view kAgentImagePath = "/sockerless-agent";
inline constexpr std::string_view kShapeTag = "sockerless-shape";

// Everything a task definition depends on; two containers with equal shapes share a definition.
struct TaskShape {
    std::string image;
    std::string cpu;     // Fargate CPU units, e.g. "256"
    std::string memory;  // MiB, e.g. "512"
    bool keep_alive = false;

    InjectionStrategy strategy = InjectionStrategy::init_container;
    std::string agent_image;          // init_container only
    std::string efs_filesystem_id;    // efs only
    std::string efs_access_point_id;  // efs only
    std::uint16_t agent_port = 9111;

    std::string log_group;
    std::string log_stream_prefix;
    std::string log_region;

    std::string task_role_arn;       // empty: none
    std::string execution_role_arn;  // empty: none
    std::string cpu_architecture;    // "X86_64" or "ARM64"

    bool operator==(const TaskShape&) const = default;
};

// The shape of a container from `image`, on the configured strategy, logs, roles and platform.
// Empty `cpu`/`memory` take the configured defaults. Settings the strategy does not use are left
// empty so they cannot split otherwise equal shapes.
TaskShape shape_of(const EcsConfig& config, std::string image, bool keep_alive,
                   std::string cpu = "", std::string memory = "");

// RegisterTaskDefinition's whole input for `shape`.
boost::json::object build_task_definition(const TaskShape& shape);

// "sockerless-<16 hex>", as build_task_definition names the family.
std::string shape_family(const TaskShape& shape);

// The main container's entryPoint: the agent, "--keep-alive" for keep-alive shapes, then "--".
std::vector<std::string> agent_entrypoint(bool keep_alive);

// Whether Fargate runs a task of `cpu` units and `memory` MiB (its table of task sizes);
// invalid_argument saying which memory sizes that cpu takes otherwise.
Status check_fargate_size(std::string_view cpu, std::string_view memory);

}  // namespace sockerless::ecs
