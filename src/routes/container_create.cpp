#include "routes/container_create.h"

#include <boost/json.hpp>

#include "engine/names.h"
#include "routes/request_json.h"

namespace sockerless::routes {

namespace json = boost::json;

Result<std::string> normalize_port(std::string_view port) {
    std::string_view number = port;
    std::string_view proto = "tcp";
    if (auto slash = port.find('/'); slash != std::string_view::npos) {
        number = port.substr(0, slash);
        proto = port.substr(slash + 1);
    }
    // A port or a range of ports, each at most 65535 (go-connections' ParsePort). dockerd quotes
    // only the number part when it is bad.
    bool valid = !number.empty() && number.front() != '-' && number.back() != '-';
    long value = 0;
    for (char c : number) {
        if (c == '-') {
            value = 0;
        } else if (c >= '0' && c <= '9') {
            value = value > 65535 ? value : value * 10 + (c - '0');
            valid = valid && value <= 65535;
        } else {
            valid = false;
        }
    }
    if (!valid)
        return make_error(Errc::invalid_argument,
                          "invalid port specification: \"" + std::string(number) + "\"");
    if (proto != "tcp" && proto != "udp" && proto != "sctp")
        return make_error(Errc::invalid_argument,
                          "invalid port specification: \"" + std::string(port) + "\"");
    return std::string(number) + "/" + std::string(proto);
}

namespace {

// JsonReader names the JSON shape it expected; Go names the member's declared type, which for
// these members is a named one ("nat.PortSet", "time.Duration").
template <class T>
Result<T> go_type(Result<T> read, std::string_view type) {
    if (read) return read;
    Error e = read.error();
    constexpr std::string_view kOfType = " of type ";
    if (auto at = e.message.rfind(kOfType); at != std::string::npos)
        e.message = e.message.substr(0, at + kOfType.size()) + std::string(type);
    return e;
}

Status read_health(JsonReader& reader, std::optional<engine::HealthConfig>& out) {
    auto object = go_type(reader.object("Healthcheck"), "container.HealthConfig");
    if (!object) return object.error();
    if (*object == nullptr) return ok();
    JsonReader h(**object, "HealthConfig.Healthcheck");
    engine::HealthConfig health;
    for (const Status& st :
         {h.read("Test", health.test),
          go_type(h.read("Interval", health.interval), "time.Duration"),
          go_type(h.read("Timeout", health.timeout), "time.Duration"),
          go_type(h.read("StartPeriod", health.start_period), "time.Duration"),
          go_type(h.read("StartInterval", health.start_interval), "time.Duration"),
          h.read("Retries", health.retries)}) {
        if (!st) return st;
    }
    out = std::move(health);
    return ok();
}

// dockerd's checks, in its order; durations are 0 ("inherit") or at least a millisecond.
Status validate_health(const engine::HealthConfig& h) {
    constexpr std::int64_t kMinimumDuration = 1'000'000;
    auto too_short = [](std::int64_t d) { return d != 0 && d < kMinimumDuration; };
    auto error = [](std::string_view field) {
        return make_error(Errc::invalid_argument,
                          std::string(field) + " in Healthcheck cannot be less than 1ms");
    };
    if (too_short(h.interval)) return error("Interval");
    if (too_short(h.timeout)) return error("Timeout");
    if (h.retries < 0)
        return make_error(Errc::invalid_argument, "Retries in Healthcheck cannot be negative");
    if (too_short(h.start_period)) return error("StartPeriod");
    if (too_short(h.start_interval)) return error("StartInterval");
    return ok();
}

Status read_config(const json::object& body, engine::ContainerConfig& c) {
    // Config is embedded in the request, so Go names its members after CreateRequest.
    JsonReader r(body, "CreateRequest");
    std::map<std::string, std::string> labels;
    for (const Status& st : {r.read("Hostname", c.hostname),
                             r.read("Domainname", c.domainname),
                             r.read("User", c.user),
                             r.read("AttachStdin", c.attach_stdin),
                             r.read("AttachStdout", c.attach_stdout),
                             r.read("AttachStderr", c.attach_stderr),
                             r.read("Tty", c.tty),
                             r.read("OpenStdin", c.open_stdin),
                             r.read("StdinOnce", c.stdin_once),
                             r.read("Env", c.env),
                             r.read_strslice("Cmd", c.cmd),
                             r.read("ArgsEscaped", c.args_escaped),
                             r.read("Image", c.image),
                             r.read_keys("Volumes", c.volumes),
                             r.read("WorkingDir", c.working_dir),
                             r.read_strslice("Entrypoint", c.entrypoint),
                             r.read("NetworkDisabled", c.network_disabled),
                             r.read("MacAddress", c.mac_address),
                             r.read("OnBuild", c.on_build),
                             r.read("Labels", c.labels),
                             r.read("StopSignal", c.stop_signal),
                             r.read("StopTimeout", c.stop_timeout),
                             r.read("Shell", c.shell)}) {
        if (!st) return st;
    }
    std::set<std::string> ports;
    if (Status st = go_type(r.read_keys("ExposedPorts", ports), "nat.PortSet"); !st) return st;
    for (const std::string& p : ports) {
        auto normalized = normalize_port(p);
        if (!normalized) return normalized.error();
        c.exposed_ports.insert(*normalized);
    }
    if (Status st = read_health(r, c.healthcheck); !st) return st;
    for (const std::string& kv : c.env) {
        if (kv.empty() || kv.front() == '=')
            return make_error(Errc::invalid_argument, "invalid environment variable: " + kv);
    }
    if (c.healthcheck) return validate_health(*c.healthcheck);
    return ok();
}

// Docker's ValidateRestartPolicy, after create has made an empty name "no".
Status validate_restart_policy(const engine::RestartPolicy& policy) {
    const std::string& name = policy.name;
    const int retries = policy.maximum_retry_count;
    if (name == "on-failure") {
        if (retries < 0)
            return make_error(Errc::invalid_argument,
                              "invalid restart policy: maximum retry count cannot be negative");
        return ok();
    }
    if (name != "no" && name != "always" && name != "unless-stopped")
        return make_error(Errc::invalid_argument,
                          "invalid restart policy: unknown policy '" + name +
                              "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
    if (retries != 0)
        return make_error(Errc::invalid_argument,
                          std::string("invalid restart policy: maximum retry count can only be "
                                      "used with 'on-failure'") +
                              (retries < 0 ? " and cannot be negative" : ""));
    return ok();
}

Status read_host(const json::object& host, engine::HostSettings& h) {
    // Go names a nested member after the innermost struct and the whole path to it.
    JsonReader r(host, "HostConfig.HostConfig");
    for (const Status& st :
         {r.read("AutoRemove", h.auto_remove),
          go_type(r.read("NetworkMode", h.network_mode), "container.NetworkMode"),
          r.read("Binds", h.binds), r.read("Memory", h.memory), r.read("NanoCpus", h.nano_cpus),
          r.read("CpuShares", h.cpu_shares), r.read("Privileged", h.privileged),
          r.read("Init", h.init)}) {
        if (!st) return st;
    }
    auto policy = go_type(r.object("RestartPolicy"), "container.RestartPolicy");
    if (!policy) return policy.error();
    if (*policy != nullptr) {
        JsonReader p(**policy, "RestartPolicy.HostConfig.RestartPolicy");
        if (Status st =
                go_type(p.read("Name", h.restart_policy.name), "container.RestartPolicyMode");
            !st)
            return st;
        if (Status st = p.read("MaximumRetryCount", h.restart_policy.maximum_retry_count); !st)
            return st;
        if (h.restart_policy.name.empty()) h.restart_policy.name = "no";
    }
    auto bindings = go_type(r.object("PortBindings"), "nat.PortMap");
    if (!bindings) return bindings.error();
    // dockerd's validateHostConfig order: --rm with a restart policy, port bindings, the policy.
    const std::string& name = h.restart_policy.name;
    if (h.auto_remove && name != "no")
        return make_error(Errc::invalid_argument,
                          "can't create 'AutoRemove' container with restart policy");
    if (*bindings != nullptr) {
        for (const auto& kv : **bindings) {
            auto port = normalize_port(kv.key());
            if (!port) return port.error();
        }
    }
    if (Status st = validate_restart_policy(h.restart_policy); !st) return st;
    if (h.memory < 0 || (h.memory > 0 && h.memory < std::int64_t{6} * 1024 * 1024))
        return make_error(Errc::invalid_argument, "Minimum memory limit allowed is 6MB");
    if (h.nano_cpus < 0)
        return make_error(Errc::invalid_argument,
                          "Range of CPUs is from 0.01 to the number of "
                          "CPUs available");
    return ok();
}

// Whether the body sets any member of Config: when none is present Go leaves the embedded
// *Config nil and dockerd refuses the request before anything else.
bool has_config(const json::object& body) {
    static constexpr std::string_view kMembers[] = {
        "Hostname",     "Domainname",   "User",        "AttachStdin",     "AttachStdout",
        "AttachStderr", "ExposedPorts", "Tty",         "OpenStdin",       "StdinOnce",
        "Env",          "Cmd",          "Healthcheck", "ArgsEscaped",     "Image",
        "Volumes",      "WorkingDir",   "Entrypoint",  "NetworkDisabled", "MacAddress",
        "OnBuild",      "Labels",       "StopSignal",  "StopTimeout",     "Shell"};
    for (std::string_view m : kMembers)
        if (body.contains(m)) return true;
    return false;
}

}  // namespace

Result<engine::CreateRequest> parse_create_request(std::string_view name, std::string_view body) {
    auto parsed = parse_body(body, false);
    if (!parsed) return parsed.error();
    engine::CreateRequest request;
    if (Status st = read_config(*parsed, request.config); !st) return st.error();
    JsonReader top(*parsed, "CreateRequest");
    auto host = go_type(top.object("HostConfig"), "container.HostConfig");
    if (!host) return host.error();
    auto networking = go_type(top.object("NetworkingConfig"), "network.NetworkingConfig");
    if (!networking) return networking.error();
    if (!has_config(*parsed))
        return make_error(Errc::invalid_argument,
                          "config cannot be empty in order to create a container");
    if (*host != nullptr) {
        if (Status st = read_host(**host, request.host); !st) return st.error();
        request.host_config_json = json::serialize(**host);
    }
    if (*networking != nullptr) request.networking_config_json = json::serialize(**networking);
    if (request.config.image.empty())
        return make_error(Errc::invalid_argument, "No image specified: Config.Image is empty");
    // dockerd reserves the name last, after the configuration has been accepted.
    if (!name.empty()) {
        auto valid = engine::validate_name(name);
        if (!valid) return valid.error();
        request.name = *valid;
    }
    return request;
}

}  // namespace sockerless::routes
