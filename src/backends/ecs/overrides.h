#pragma once
// The per-container half of a launch: RunTask's `overrides` for the `main` container, and, when
// those would be too large or must not carry secrets, the launch payload that replaces them
// (DESIGN §6, docs/ecs-backend.md "Launch overrides and payloads").
//
// ECS refuses overrides longer than 8192 characters. The size that counts here is the UTF-8 byte
// length of boost::json::serialize(overrides), which is exactly the text the ECS client sends
// (run_task_input embeds the object unchanged and the client serializes the request the same
// way). ECS itself counts UTF-16 code units of containerOverrides only, never more than this, so
// whatever fits here fits there.
//
// Pure apart from the nonce, which is random by default and injectable.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "agentproto/launch.h"
#include "backends/ecs/config.h"
#include "base/error.h"

namespace sockerless::ecs {

inline constexpr std::size_t kOverridesBudget = 8192;

// Upper bounds of everything a pointer override carries; configuration validation enforces the
// configurable ones, so max_pointer_overrides_size() bounds every pointer launch.
inline constexpr std::size_t kMaxBucketLength = 63;
inline constexpr std::size_t kMaxPayloadPrefixLength = 128;
inline constexpr std::size_t kMaxContainerIdLength = 64;
inline constexpr std::size_t kPayloadNonceBytes = 16;  // 32 hex digits
inline constexpr std::size_t kMaxEndpointUrlLength = 256;
inline constexpr std::size_t kMaxRegionLength = 32;

// Where payloads go. `endpoint_url` and `region` are passed to the agent when not empty.
struct PayloadTarget {
    std::string bucket;
    std::string prefix;
    std::string endpoint_url;
    std::string region;
};

PayloadTarget payload_target(const EcsConfig& config);

// 16 random bytes from the kernel's CSPRNG, hex: one S3 key per launch, so a retried or repeated
// launch never reads another launch's payload.
Result<std::string> new_payload_nonce();
using NonceSource = std::function<Result<std::string>()>;

enum class LaunchDelivery { inline_env, payload };

// The S3 object a pointer launch needs written before RunTask.
struct PayloadObject {
    std::string bucket;
    std::string key;     // <prefix>/<container id>/<nonce>/payload.json
    std::string uri;     // s3://<bucket>/<key>
    std::string body;    // agentproto::serialize_launch_payload
    std::string sha256;  // lowercase hex of body
};

struct OverridesPlan {
    LaunchDelivery delivery = LaunchDelivery::inline_env;
    boost::json::object overrides;  // RunTaskRequest::overrides
    std::size_t size = 0;           // overrides_size(overrides)
    std::size_t inline_size = 0;    // what the inline overrides measured, whichever was chosen
    std::optional<PayloadObject> payload;  // set for LaunchDelivery::payload
};

// {"containerOverrides":[{"name":"main","command":[...],"environment":[...]}]}: the user's
// environment (KEY=VALUE split at the first '='; a bare KEY gets an empty value), then the agent's
// token, original entrypoint and cmd (JSON arrays), workdir and user when set, and the
// tty/open-stdin/stdin-once/keep-alive flags as "1" when true. "command" (agent_command) is left
// out when empty.
boost::json::object inline_overrides(const agentproto::LaunchSpec& spec);

// Only the pointer: SOCKERLESS_PAYLOAD_URI, _SHA256, _LENGTH, then _ENDPOINT and _REGION when the
// target has them. No command, no user environment, no token.
boost::json::object pointer_overrides(const PayloadTarget& target, const PayloadObject& payload);

// UTF-8 bytes of the compact JSON, escapes included.
std::size_t overrides_size(const boost::json::object& overrides);

// Chooses how `spec` travels for container `container_id` (1 to 64 of [A-Za-z0-9_.-]):
//   automatic: inline when inline_size <= budget, else the payload;
//   always:    the payload;
//   never:     inline when it fits, else invalid_argument naming the container, the measured
//              size, the limit, the largest fields and what to change.
// automatic without a bucket behaves like never, and its error says no payload_bucket is set.
Result<OverridesPlan> plan_overrides(std::string_view container_id,
                                     const agentproto::LaunchSpec& spec, PayloadMode mode,
                                     const PayloadTarget& target,
                                     std::size_t budget = kOverridesBudget,
                                     const NonceSource& nonce = new_payload_nonce);

// The largest pointer overrides `target` can produce, over every container id, nonce, digest and
// payload length (20 decimal digits).
std::size_t max_pointer_overrides_size(const PayloadTarget& target);
// The same over every target the configuration accepts (bucket 63, prefix 128, endpoint 256 and
// region 32 characters of the kinds validation allows, none of which JSON escapes).
std::size_t max_pointer_overrides_size();

}  // namespace sockerless::ecs
