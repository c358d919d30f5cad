#include "routes/container_json.h"

#include <boost/json.hpp>

#include "engine/json_util.h"

namespace sockerless::routes {

namespace json = boost::json;
using engine::Container;

std::string container_ip(const Container& c) {
    if (!c.running()) return "";
    const std::string& a = c.record.agent_address;
    const auto colon = a.rfind(':');
    return colon == std::string::npos ? a : a.substr(0, colon);
}

namespace {

json::object default_host_config() {
    // The members dockerd reports for a container created with no HostConfig.
    return json::parse(R"({
        "Binds": null, "ContainerIDFile": "", "LogConfig": {"Type": "json-file", "Config": {}},
        "NetworkMode": "default", "PortBindings": {}, "RestartPolicy": {"Name": "no",
        "MaximumRetryCount": 0}, "AutoRemove": false, "VolumeDriver": "", "VolumesFrom": null,
        "ConsoleSize": [0, 0], "CapAdd": null, "CapDrop": null, "CgroupnsMode": "private",
        "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": null, "GroupAdd": null,
        "IpcMode": "private", "Cgroup": "", "Links": null, "OomScoreAdj": 0, "PidMode": "",
        "Privileged": false, "PublishAllPorts": false, "ReadonlyRootfs": false,
        "SecurityOpt": null, "UTSMode": "", "UsernsMode": "", "ShmSize": 67108864,
        "Runtime": "ecs-fargate", "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0,
        "CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [], "BlkioDeviceReadBps": [],
        "BlkioDeviceWriteBps": [], "BlkioDeviceReadIOps": [], "BlkioDeviceWriteIOps": [],
        "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0,
        "CpusetCpus": "", "CpusetMems": "", "Devices": [], "DeviceCgroupRules": null,
        "DeviceRequests": null, "MemoryReservation": 0, "MemorySwap": 0,
        "MemorySwappiness": null, "OomKillDisable": null, "PidsLimit": null, "Ulimits": null,
        "CpuCount": 0, "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0,
        "MaskedPaths": null, "ReadonlyPaths": null})")
        .as_object();
}

json::object state_json(const Container& c) {
    const engine::ContainerState& s = c.state;
    json::object o;
    o["Status"] = engine::status_name(s.status);
    o["Running"] = c.running();
    o["Paused"] = s.status == engine::ContainerStatus::paused;
    o["Restarting"] = s.status == engine::ContainerStatus::restarting;
    o["OOMKilled"] = s.oom_killed;
    o["Dead"] = s.status == engine::ContainerStatus::dead;
    o["Pid"] = s.pid;
    o["ExitCode"] = s.exit_code;
    o["Error"] = s.error;
    o["StartedAt"] = engine::format_time(s.started_at);
    o["FinishedAt"] = engine::format_time(s.finished_at);
    if (s.health) {
        json::object h;
        h["Status"] = s.health->status;
        h["FailingStreak"] = s.health->failing_streak;
        h["Log"] = json::array();
        o["Health"] = std::move(h);
    }
    return o;
}

json::object endpoint_json(const Container& c) {
    json::object e;
    e["IPAMConfig"] = nullptr;
    e["Links"] = nullptr;
    e["Aliases"] = nullptr;
    e["MacAddress"] = "";
    e["NetworkID"] = c.running() ? "bridge" : "";
    e["EndpointID"] = "";
    e["Gateway"] = "";
    e["IPAddress"] = container_ip(c);
    e["IPPrefixLen"] = 0;
    e["IPv6Gateway"] = "";
    e["GlobalIPv6Address"] = "";
    e["GlobalIPv6PrefixLen"] = 0;
    e["DriverOpts"] = nullptr;
    e["DNSNames"] = nullptr;
    return e;
}

std::string network_name(const Container& c) {
    const std::string& mode = c.host.network_mode;
    if (mode.empty() || mode == "default") return "bridge";
    return mode;
}

json::object ports_json(const Container& c) {
    json::object ports;
    for (const std::string& p : c.config.exposed_ports)
        ports[p] = nullptr;
    return ports;
}

}  // namespace

json::object host_config_json(const Container& c) {
    json::object out = default_host_config();
    boost::system::error_code ec;
    json::value given = json::parse(c.host_config_json, ec);
    if (!ec && given.is_object())
        for (const auto& kv : given.as_object())
            if (!kv.value().is_null() || !out.contains(kv.key())) out[kv.key()] = kv.value();
    if (out["NetworkMode"].is_string() && out["NetworkMode"].as_string().empty())
        out["NetworkMode"] = "default";
    return out;
}

json::object inspect_json(const Container& c, const RenderContext& ctx) {
    json::object o;
    o["Id"] = c.id;
    o["Created"] = engine::format_time(c.created);
    o["Path"] = c.path();
    o["Args"] = engine::strings_to_json(c.args());
    o["State"] = state_json(c);
    o["Image"] = c.image_id;
    o["ResolvConfPath"] = "";
    o["HostnamePath"] = "";
    o["HostsPath"] = "";
    o["LogPath"] = ctx.log_path;
    o["Name"] = c.name;
    o["RestartCount"] = c.restart_count;
    o["Driver"] = "ecs-fargate";
    o["Platform"] = "linux";
    o["MountLabel"] = "";
    o["ProcessLabel"] = "";
    o["AppArmorProfile"] = "";
    if (ctx.exec_ids.empty())
        o["ExecIDs"] = nullptr;
    else
        o["ExecIDs"] = engine::strings_to_json(ctx.exec_ids);
    o["HostConfig"] = host_config_json(c);
    json::object graph;
    graph["Data"] = nullptr;
    graph["Name"] = "ecs-fargate";
    o["GraphDriver"] = std::move(graph);
    o["Mounts"] = json::array();
    o["Config"] = engine::config_to_json(c.config);
    json::object net;
    net["Bridge"] = "";
    net["SandboxID"] = "";
    net["SandboxKey"] = "";
    net["HairpinMode"] = false;
    net["LinkLocalIPv6Address"] = "";
    net["LinkLocalIPv6PrefixLen"] = 0;
    net["Ports"] = ports_json(c);
    net["SecondaryIPAddresses"] = nullptr;
    net["SecondaryIPv6Addresses"] = nullptr;
    net["EndpointID"] = "";
    net["Gateway"] = "";
    net["GlobalIPv6Address"] = "";
    net["GlobalIPv6PrefixLen"] = 0;
    net["IPAddress"] = container_ip(c);
    net["IPPrefixLen"] = 0;
    net["IPv6Gateway"] = "";
    net["MacAddress"] = "";
    json::object networks;
    networks[network_name(c)] = endpoint_json(c);
    net["Networks"] = std::move(networks);
    o["NetworkSettings"] = std::move(net);
    return o;
}

json::object list_json(const Container& c, const RenderContext& ctx, bool size) {
    json::object o;
    o["Id"] = c.id;
    json::array names;
    names.emplace_back(c.name);
    o["Names"] = std::move(names);
    o["Image"] = c.config.image;
    o["ImageID"] = c.image_id;
    // As dockerd's container view joins them: an argument containing a space is single-quoted.
    std::string command = c.path();
    for (const std::string& a : c.args())
        command += a.find(' ') == std::string::npos ? " " + a : " '" + a + "'";
    o["Command"] = command;
    o["Created"] = c.created / 1'000'000'000;
    o["Ports"] = json::array();
    o["Labels"] = engine::map_to_json(c.config.labels);
    o["State"] = engine::status_name(c.state.status);
    o["Status"] = c.status_text(ctx.now);
    json::object host;
    host["NetworkMode"] = c.host.network_mode.empty() ? "default" : c.host.network_mode;
    o["HostConfig"] = std::move(host);
    json::object networks;
    networks[network_name(c)] = endpoint_json(c);
    json::object settings;
    settings["Networks"] = std::move(networks);
    o["NetworkSettings"] = std::move(settings);
    o["Mounts"] = json::array();
    if (size) {
        o["SizeRw"] = 0;
        o["SizeRootFs"] = 0;
    }
    return o;
}

}  // namespace sockerless::routes
