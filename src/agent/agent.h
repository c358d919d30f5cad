#pragma once
// The agent as a whole: PID-1 duties (reaping, signal forwarding, exit status), the main process,
// and the server through which exec and attach sessions arrive.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/connection.h"
#include "agent/log.h"
#include "agent/main_process.h"
#include "agent/server.h"

namespace sockerless::agent {

struct AgentConfig {
    ServerConfig server;
    MainConfig main;
    std::string port_file;  // when set, the bound port is written here once listening
    // Set when neither a flag nor SOCKERLESS_AGENT_ADDR named the address: the agent then binds
    // the task's address from ECS_CONTAINER_METADATA_URI_V4 when that is set (task_metadata.h).
    bool address_from_metadata = true;
    LogLevel log_level = LogLevel::info;
    // The launch payload's env, set over the container's own for every process (launch.h).
    std::vector<std::string> launch_env;
    // The whole fetch of a launch payload (credentials, GetObject, retries).
    std::chrono::milliseconds payload_timeout{30'000};
};

// Reads the agent's SOCKERLESS_* settings from the environment into `config` (the inline launch
// variables among them); what was already given as a flag is kept.
Status apply_environment(AgentConfig& config);

// Runs until the agent should exit; returns its exit status.
int run_agent(AgentConfig config);

// Copies the running binary to `destination` (mode 0755), for init containers.
Status install_self(const std::string& destination);

}  // namespace sockerless::agent
