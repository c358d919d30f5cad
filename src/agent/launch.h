#pragma once
// What the agent is told to run arrives inline (SOCKERLESS_* variables, read by
// apply_environment in agent.h) or, when it did not fit in the task's overrides, as a launch
// payload in S3 behind a pointer (docs/agent-protocol.md, "Launch"). This applies the payload:
// fetched and verified first, applied to the configuration before the server or the main process
// starts, so nothing runs on a payload that failed a check.

#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/payload_fetch.h"
#include "agentproto/launch.h"

namespace sockerless::agent {

// `env` without the variables that configure the agent (SOCKERLESS_*): the token and the payload
// pointer must not reach the container's processes.
std::vector<std::string> without_agent_settings(std::vector<std::string> env);

// The payload over `config`: its entrypoint and cmd replace the command given after "--" (when
// they are not both empty; a keep-alive payload leaves no command), its env goes over the
// container's, its workdir, user and token replace the inline ones, and its flags add to those
// already set.
void apply_launch_spec(agentproto::LaunchSpec spec, AgentConfig& config);

// For a pointer launch (see read_payload_pointer), fetches, verifies and applies the payload;
// for an inline launch does nothing. `ca_pem` and the timeouts come from `config` and `getenv`.
// The error's message is one line.
PayloadResult<void> load_launch_payload(AgentConfig& config, const GetEnv& getenv);

// The process's own environment variables, empty values counting as unset.
GetEnv process_getenv();

}  // namespace sockerless::agent
