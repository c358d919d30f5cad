#pragma once
// The embedded default (DESIGN §2): with no AWS configured, sockerlessd runs its AWS on this
// machine with sockerless-awssim. The simulator runs as its own process (it never shares code
// with the daemon's AWS client) in its own session, so a daemon killed with -9 leaves it and its
// tasks running; the restarted daemon finds it through <state dir>/awssim/endpoint and attaches
// to it again. A daemon that stops cleanly stops the simulator, and with it the tasks, as a
// Docker daemon without live-restore stops its containers.
//
// Setup on a fresh simulator: the cluster, the log group, an EFS file system with a read-only
// access point holding the agent binary (the efs injection strategy), and the payload bucket.

#include <string>

#include <boost/asio/awaitable.hpp>

#include "aws/transport.h"
#include "backends/ecs/config.h"
#include "base/error.h"

namespace sockerless::app {

struct EmbeddedOptions {
    std::string state_dir;      // the daemon's; the simulator's state goes under <dir>/awssim
    std::string awssim_binary;  // sockerless-awssim
    std::string agent_binary;   // the static sockerless-agent staged on the simulator's EFS
    std::string container_mode = "auto";  // the simulator's --container-mode
};

struct EmbeddedSim {
    aws::Endpoint endpoint;
    int pid = 0;
    bool attached = false;  // an earlier daemon's simulator was still running
};

// Starts the simulator, or attaches to the one an earlier daemon left running.
Result<EmbeddedSim> start_or_attach(const EmbeddedOptions& options);

// Creates (idempotently) what the backend needs on the simulator and returns the backend's
// configuration for it.
boost::asio::awaitable<Result<ecs::EcsConfig>> prepare_simulator(aws::Transport& transport,
                                                                 const EmbeddedSim& sim,
                                                                 const EmbeddedOptions& options);

// The simulator's root user (its default access key).
aws::Credentials simulator_credentials();

// SIGTERM, then waits up to a few seconds for it to go.
void stop_simulator(const EmbeddedSim& sim);

// Where a binary shipped with the daemon is: next to the daemon's own executable, in the build
// tree's layout, or on PATH. "" when not found.
std::string find_companion(const std::string& name, const std::string& build_subdir);

}  // namespace sockerless::app
