#pragma once
// What the main container runs. The task definition's entryPoint is the agent followed by "--"
// (task_definition.h); RunTask's command override supplies the user's argv after it, so the
// process ECS starts is ["/sockerless/sockerless-agent", "--", <entrypoint>..., <cmd>...]. A
// keep-alive container (CI runners' idle job containers) gets no command: its definition's
// entryPoint is ["/sockerless/sockerless-agent", "--keep-alive", "--"] and the agent idles
// without a child until exec sessions arrive.

#include <string>
#include <vector>

#include "agentproto/launch.h"
#include "base/error.h"

namespace sockerless::ecs {

// Whether entrypoint + cmd is one of the idle commands CI systems start job containers with:
//   tail -f /dev/null, tail -F /dev/null
//   sleep infinity, sleep inf
// where tail and sleep may carry a directory (/usr/bin/tail), and each may also come wrapped as
// `sh -c "<command>"` (sh, bash, ash or dash, with or without a directory, the script optionally
// starting with `exec`, words separated by blanks).
bool is_keep_alive(const std::vector<std::string>& entrypoint, const std::vector<std::string>& cmd);

// The main container's command override: spec.entrypoint followed by spec.cmd; empty when
// spec.keep_alive.
std::vector<std::string> agent_command(const agentproto::LaunchSpec& spec);

// A fresh bearer token for a container's agent: 32 bytes from the kernel's CSPRNG, 64 hex digits.
Result<std::string> new_agent_token();

}  // namespace sockerless::ecs
