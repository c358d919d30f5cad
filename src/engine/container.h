#pragma once
// The engine's model of a container (moby's container.Container, reduced to what Sockerless
// serves): the configuration the client created it with, merged with its image's, its state
// machine, and the backend's record of the task that runs it. Plain values, serialized to JSON
// for the store (to_document/from_document) in the daemon's own schema.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "base/error.h"
#include "runtime/runtime.h"

namespace sockerless::engine {

// Nanoseconds since the Unix epoch; 0 is "never" (Docker's 0001-01-01T00:00:00Z).
using Nanos = std::int64_t;
Nanos now_nanos();
// RFC 3339 with nanoseconds in UTC as Go formats time.RFC3339Nano ("2024-05-01T10:00:00.5Z":
// trailing zeros of the fraction dropped); 0 gives "0001-01-01T00:00:00Z".
std::string format_time(Nanos t);
// Docker's "since"/"until" values: RFC 3339 timestamps, Unix seconds with an optional
// fraction ("1700000000.5"), or durations relative to `now` ("10m", "1h30m").
Result<Nanos> parse_time_filter(std::string_view text, Nanos now);

struct HealthConfig {
    std::vector<std::string> test;  // ["NONE"], ["CMD", ...], ["CMD-SHELL", "..."]
    std::int64_t interval = 0;      // ns; 0: inherit
    std::int64_t timeout = 0;
    std::int64_t start_period = 0;
    std::int64_t start_interval = 0;
    int retries = 0;
};

// Docker's container.Config.
struct ContainerConfig {
    std::string hostname;
    std::string domainname;
    std::string user;
    bool attach_stdin = false;
    bool attach_stdout = false;
    bool attach_stderr = false;
    std::set<std::string> exposed_ports;  // "80/tcp"
    bool tty = false;
    bool open_stdin = false;
    bool stdin_once = false;
    std::vector<std::string> env;
    std::optional<std::vector<std::string>> cmd;  // null and [] differ in inspect
    std::optional<HealthConfig> healthcheck;
    bool args_escaped = false;
    std::string image;
    std::set<std::string> volumes;
    std::string working_dir;
    std::optional<std::vector<std::string>> entrypoint;
    bool network_disabled = false;
    std::string mac_address;
    std::vector<std::string> on_build;
    std::map<std::string, std::string> labels;
    std::string stop_signal;
    std::optional<int> stop_timeout;
    std::vector<std::string> shell;
};

struct RestartPolicy {
    std::string name = "no";  // "no", "always", "unless-stopped", "on-failure"
    int maximum_retry_count = 0;
};

// The parts of HostConfig the engine acts on; the whole object as the client sent it is kept in
// Container::host_config_json and echoed by inspect.
struct HostSettings {
    bool auto_remove = false;
    std::string network_mode;  // "" and "default" mean the default network
    RestartPolicy restart_policy;
    std::vector<std::string> binds;
    std::int64_t memory = 0;     // bytes
    std::int64_t nano_cpus = 0;  // 1e9 = one CPU
    std::int64_t cpu_shares = 0;
    bool privileged = false;
    bool init = false;
};

enum class ContainerStatus { created, running, paused, restarting, removing, exited, dead };
std::string_view status_name(ContainerStatus s) noexcept;  // "created", "running", ...
std::optional<ContainerStatus> parse_status(std::string_view text);

struct HealthState {
    std::string status;  // "starting", "healthy", "unhealthy", "none"
    int failing_streak = 0;
};

struct ContainerState {
    ContainerStatus status = ContainerStatus::created;
    int pid = 0;
    int exit_code = 0;
    std::string error;
    Nanos started_at = 0;
    Nanos finished_at = 0;
    bool oom_killed = false;
    std::optional<HealthState> health;
};

struct Container {
    std::string id;    // 64 hex
    std::string name;  // with its leading "/"
    Nanos created = 0;
    ContainerConfig config;  // merged with the image's
    std::string host_config_json = "{}";
    std::string networking_config_json = "{}";
    HostSettings host;
    std::string image_id;  // "sha256:..." of the image it was created from
    ContainerState state;
    int restart_count = 0;
    // Docker reports whether the container was ever started (a created container's StartedAt is
    // zero) and whether stop was asked for (restart policies ignore a stopped container).
    bool has_been_started = false;
    bool stopped_by_user = false;
    runtime::ContainerRecord record;  // the running task; empty before the first start

    // The process Docker reports: Path and Args of inspect.
    [[nodiscard]] std::string path() const;
    [[nodiscard]] std::vector<std::string> args() const;
    [[nodiscard]] bool running() const noexcept {
        return state.status == ContainerStatus::running ||
               state.status == ContainerStatus::paused ||
               state.status == ContainerStatus::restarting;
    }
    // Docker's `ps` Status column: "Up 5 seconds", "Exited (0) 2 minutes ago", "Created".
    [[nodiscard]] std::string status_text(Nanos now) const;
    [[nodiscard]] std::string short_id() const { return id.substr(0, 12); }
};

// Docker's JSON for container.Config (inspect's "Config"; also the store's form).
boost::json::object config_to_json(const ContainerConfig& c);
ContainerConfig config_from_json(const boost::json::object& o);

// The store's document for a container. Includes the agent token: the state directory is the
// daemon's own (0700) and a restarted daemon needs it to reach running containers.
std::string to_document(const Container& c);
Result<Container> container_from_document(std::string_view doc);

// "Up 3 hours", "About a minute", "Less than a second": Docker's units.HumanDuration.
std::string human_duration(std::int64_t nanos);

}  // namespace sockerless::engine
