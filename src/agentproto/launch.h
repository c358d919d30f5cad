#pragma once
// What the daemon tells an agent about the container it must run, shared by both sides
// (docs/agent-protocol.md, "Launch"). It travels in one of two ways:
//   - inline: as environment variables of the task's main container (RunTask overrides);
//   - pointer: as a JSON payload in S3, the overrides carrying only where it is (URI, SHA-256,
//     length), so the size of the overrides no longer depends on the container.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sockerless::agentproto {

// ---- inline: environment variables --------------------------------------------------------------
inline constexpr std::string_view kEnvPort = "SOCKERLESS_AGENT_PORT";
inline constexpr std::string_view kEnvToken = "SOCKERLESS_AGENT_TOKEN";
// JSON arrays of strings.
inline constexpr std::string_view kEnvOriginalEntrypoint = "SOCKERLESS_ORIGINAL_ENTRYPOINT";
inline constexpr std::string_view kEnvOriginalCmd = "SOCKERLESS_ORIGINAL_CMD";
inline constexpr std::string_view kEnvWorkdir = "SOCKERLESS_AGENT_WORKDIR";
inline constexpr std::string_view kEnvUser = "SOCKERLESS_AGENT_USER";
inline constexpr std::string_view kEnvTty = "SOCKERLESS_AGENT_TTY";               // "1"
inline constexpr std::string_view kEnvOpenStdin = "SOCKERLESS_AGENT_OPEN_STDIN";  // "1"
inline constexpr std::string_view kEnvStdinOnce = "SOCKERLESS_AGENT_STDIN_ONCE";  // "1"
inline constexpr std::string_view kEnvKeepAlive = "SOCKERLESS_AGENT_KEEP_ALIVE";  // "1"
inline constexpr std::string_view kEnvHold = "SOCKERLESS_AGENT_HOLD";             // "1"
inline constexpr std::string_view kEnvLinger = "SOCKERLESS_AGENT_LINGER";         // "1"

// ---- pointer: environment variables -------------------------------------------------------------
inline constexpr std::string_view kEnvPayloadUri = "SOCKERLESS_PAYLOAD_URI";  // s3://bucket/key
inline constexpr std::string_view kEnvPayloadSha256 = "SOCKERLESS_PAYLOAD_SHA256";  // 64 hex
inline constexpr std::string_view kEnvPayloadLength = "SOCKERLESS_PAYLOAD_LENGTH";  // decimal bytes
// The S3 endpoint to fetch from when it is not AWS's own (the simulator, a VPC endpoint); e.g.
// "http://127.0.0.1:4566". Absent: https://<bucket>.s3.<region>.amazonaws.com.
inline constexpr std::string_view kEnvPayloadEndpoint = "SOCKERLESS_PAYLOAD_ENDPOINT";
inline constexpr std::string_view kEnvPayloadRegion = "SOCKERLESS_PAYLOAD_REGION";

inline constexpr int kLaunchPayloadVersion = 1;
// The agent refuses a payload larger than this before reading it.
inline constexpr std::size_t kMaxLaunchPayload = 16u << 20;

// Everything per-container the agent needs to start the main process.
struct LaunchSpec {
    std::vector<std::string> entrypoint;  // the image's or the user's, before rewriting
    std::vector<std::string> cmd;
    std::vector<std::string> env;  // KEY=VALUE for the main process, in order
    std::string workdir;           // empty: the image's
    std::string user;              // empty: the image's; "uid[:gid]" or "name[:group]"
    std::string token;             // the agent's bearer token (64 hex)
    bool tty = false;
    bool open_stdin = false;
    bool stdin_once = false;
    bool keep_alive = false;
    // The agent waits for a start request instead of starting the main process at boot, so the
    // daemon can attach first (docker attach before start, docker run without -d).
    bool hold = false;
    // The agent outlives the main process (the task stays up), so the daemon can start it again
    // in the same task: a restarted container does not pay for a new task.
    bool linger = false;

    bool operator==(const LaunchSpec&) const = default;
};

// The payload document: compact JSON, {"version":1,"entrypoint":[...],"cmd":[...],"env":[...],
// "workdir":"","user":"","token":"","tty":false,"openStdin":false,"stdinOnce":false,
// "keepAlive":false,"hold":false,"linger":false}. "hold" and "linger" may be absent (false) in
// payloads written before them.
std::string serialize_launch_payload(const LaunchSpec& spec);
// Refuses other versions, missing or mistyped fields, with a message naming the field.
Result<LaunchSpec> parse_launch_payload(std::string_view json);

}  // namespace sockerless::agentproto
