#pragma once
// Starting a child process the way a container runtime starts the container's process: argv
// resolved against the process's own PATH, environment, working directory, user and groups,
// stdio on pipes or on a new pseudo-terminal that becomes its controlling terminal.

#include <sys/types.h>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/user.h"
#include "base/error.h"
#include "base/fd.h"

namespace sockerless::agent {

struct SpawnSpec {
    std::vector<std::string> argv;
    std::vector<std::string> env;     // complete environment, KEY=VALUE
    std::string workdir;              // empty: inherit
    std::optional<Credentials> user;  // empty: inherit the agent's
    bool tty = false;
    bool stdin_pipe = false;  // false: stdin is /dev/null (tty: the terminal either way)
    unsigned short rows = 0, cols = 0;
};

struct SpawnedProcess {
    pid_t pid = -1;
    UniqueFd stdin_fd;   // write end; invalid when stdin is /dev/null. With a tty: the pty master.
    UniqueFd stdout_fd;  // read end. With a tty: a duplicate of the pty master.
    UniqueFd stderr_fd;  // read end; invalid with a tty (the terminal merges both streams)
};

// Why a spawn failed, with the exit code Docker reports for it: 127 when the executable was not
// found, 126 when it exists but cannot be executed (and for other start failures).
struct SpawnError {
    Error error;
    int exit_code = 126;
};

// Looks up `file` in the PATH of `env` (Docker's default PATH when unset) unless it contains '/'.
Result<std::string> resolve_executable(const std::string& file,
                                       const std::vector<std::string>& env);

// Forks and execs. Returns once the child has exec'd, or with the reason it could not.
// The caller owns the child's pid: it must be reaped (see Reaper).
std::variant<SpawnedProcess, SpawnError> spawn_process(const SpawnSpec& spec);

inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Builds a child's environment: `base` (the agent's own, minus its SOCKERLESS_* settings), then
// `overrides` by key; PATH defaulted, HOME from the user, TERM=xterm for a terminal, as Docker
// does.
std::vector<std::string> build_environment(const std::vector<std::string>& base,
                                           const std::vector<std::string>& overrides,
                                           const std::string& home, bool tty);

// The agent's environment without the variables that configure the agent itself (SOCKERLESS_*).
std::vector<std::string> inherited_environment();

// `base` with each of `overrides` replacing the variable of the same name, or appended.
std::vector<std::string> overlay_environment(std::vector<std::string> base,
                                             const std::vector<std::string>& overrides);

}  // namespace sockerless::agent
