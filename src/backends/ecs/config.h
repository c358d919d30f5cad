#pragma once
// The ECS backend's settings (docs/ecs-backend.md, "Configuration"), from three sources: a YAML
// file, SOCKERLESS_ECS_* environment variables and command-line flags, later ones winning. Loading
// validates everything at once and reports every problem, one line each, so a first deployment
// is fixed in one round rather than one error at a time; unknown keys are errors because a
// misspelt setting that is silently ignored is worse than a refusal.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/ecs/strategy.h"
#include "base/error.h"

namespace sockerless::ecs {

// When the launch spec travels as an S3 payload instead of inline overrides (DESIGN §6).
enum class PayloadMode {
    automatic,  // "auto": inline when the overrides fit the budget, else the payload
    always,     // the payload every time: nothing per-container (token, env) in RunTask
    never,      // never the payload: a container whose overrides do not fit is refused
};

std::string_view format_payload_mode(PayloadMode mode) noexcept;  // "auto", "always", "never"
Result<PayloadMode> parse_payload_mode(std::string_view text);

struct EcsConfig {
    std::string region;
    std::string cluster = "sockerless";
    std::vector<std::string> subnets;
    std::vector<std::string> security_groups;  // empty: the VPC's default group
    bool assign_public_ip = false;
    std::string task_role_arn;       // what the agent's payload fetch and the user's code run as
    std::string execution_role_arn;  // what ECS pulls images and writes logs with
    std::string log_group = "/sockerless/tasks";
    std::string log_stream_prefix = "sockerless";
    std::string cpu_architecture = "X86_64";  // or "ARM64"

    std::string efs_filesystem_id;    // fs-...
    std::string efs_access_point_id;  // fsap-...; read-only, rooted at the agent's directory
    std::optional<InjectionStrategy> injection;  // as configured; unset lets select_strategy choose
    InjectionStrategy strategy = InjectionStrategy::init_container;  // resolved while loading
    std::string agent_image;  // the init container's image (init_container strategy)

    std::uint16_t agent_port = 9111;
    std::chrono::milliseconds health_timeout{60'000};
    std::chrono::milliseconds health_interval{1'000};

    std::string payload_bucket;  // empty: no payloads (auto then refuses oversized overrides)
    std::string payload_prefix = "sockerless-payloads";
    PayloadMode payload_mode = PayloadMode::automatic;
    // An S3 endpoint that is not AWS's (the simulator, a VPC endpoint), passed to the agent for
    // payload fetches. Empty: AWS's own.
    std::string endpoint_url;

    // Task size when the container asks for none (Fargate units: cpu in 1/1024 vCPU, memory MiB).
    std::string cpu = "256";
    std::string memory = "512";
};

struct ConfigSources {
    std::string yaml_path;                     // empty: no file
    std::map<std::string, std::string> env;    // the process environment (or a test's)
    std::map<std::string, std::string> flags;  // key (snake_case or kebab-case) -> value
};

// Reads the file, then the environment, then the flags (later sources override earlier ones key
// by key), validates, and resolves the injection strategy. On failure the error
// (invalid_argument) lists every problem, one per line.
Result<EcsConfig> load_ecs_config(const ConfigSources& sources);

// The problems of an already assembled configuration, one message each (empty: valid). The
// messages say where each missing setting can be given.
std::vector<std::string> validate_ecs_config(const EcsConfig& config);

// Every configuration key, in documentation order.
const std::vector<std::string_view>& ecs_config_keys();

// Where a key is set: "SOCKERLESS_ECS_AGENT_PORT", "--agent-port".
std::string env_name(std::string_view key);
std::string flag_name(std::string_view key);

}  // namespace sockerless::ecs
