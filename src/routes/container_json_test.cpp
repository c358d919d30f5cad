#include "routes/container_json.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "routes/container_create.h"

namespace sockerless::routes {
namespace {

namespace json = boost::json;

using Strings = std::vector<std::string>;

// 2023-11-14T22:13:20Z
constexpr engine::Nanos kEpoch = 1'700'000'000'000'000'000;
constexpr engine::Nanos kSecond = 1'000'000'000;

engine::Container sample() {
    engine::Container c;
    c.id = "4c1f09b1e6a7d2f0c3b8e5a9d6c2f1e0b7a4c9d8e3f2a1b0c5d4e7f6a9b8c7d6";
    c.name = "/web";
    c.created = kEpoch + 123'456'789;
    c.image_id = "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741";
    c.config.image = "nginx:1.25";
    c.config.cmd = Strings{"nginx", "-g", "daemon off;"};
    c.config.entrypoint = Strings{"/docker-entrypoint.sh"};
    c.config.env = {"PATH=/usr/bin", "NGINX_VERSION=1.25.3"};
    c.config.labels = {{"maintainer", "NGINX"}};
    c.config.exposed_ports = {"80/tcp"};
    c.config.stop_signal = "SIGQUIT";
    return c;
}

engine::Container running(engine::Container c) {
    c.state.status = engine::ContainerStatus::running;
    c.state.pid = 1;
    c.state.started_at = kEpoch + 2 * kSecond;
    c.has_been_started = true;
    c.record.agent_address = "10.0.1.23:7077";
    return c;
}

const json::object& object_at(const json::object& o, std::string_view key) {
    return o.at(key).as_object();
}

TEST(ContainerIp, IsTheAgentHostOnlyWhileRunning) {
    engine::Container c = running(sample());
    EXPECT_EQ(container_ip(c), "10.0.1.23");
    c.state.status = engine::ContainerStatus::paused;
    EXPECT_EQ(container_ip(c), "10.0.1.23");
    c.state.status = engine::ContainerStatus::exited;
    EXPECT_EQ(container_ip(c), "");
    c.state.status = engine::ContainerStatus::created;
    EXPECT_EQ(container_ip(c), "");
}

TEST(InspectJson, CreatedContainer) {
    const json::object o = inspect_json(sample(), RenderContext{});
    EXPECT_EQ(o.at("Id"), json::value(sample().id));
    EXPECT_EQ(o.at("Created"), "2023-11-14T22:13:20.123456789Z");
    EXPECT_EQ(o.at("Name"), "/web");
    EXPECT_EQ(o.at("Image"), json::value(sample().image_id));
    EXPECT_EQ(o.at("RestartCount"), 0);
    EXPECT_EQ(o.at("Platform"), "linux");
    EXPECT_TRUE(o.at("ExecIDs").is_null());
    EXPECT_EQ(o.at("Mounts"), json::array());
    // Docker's State, in its field order, for a container never started.
    EXPECT_EQ(json::serialize(o.at("State")),
              R"({"Status":"created","Running":false,"Paused":false,"Restarting":false,)"
              R"("OOMKilled":false,"Dead":false,"Pid":0,"ExitCode":0,"Error":"",)"
              R"("StartedAt":"0001-01-01T00:00:00Z","FinishedAt":"0001-01-01T00:00:00Z"})");
}

TEST(InspectJson, CreatedTimeDropsTrailingZeros) {
    engine::Container c = sample();
    c.created = kEpoch + 500'000'000;
    EXPECT_EQ(inspect_json(c, {}).at("Created"), "2023-11-14T22:13:20.5Z");
    c.created = kEpoch;
    EXPECT_EQ(inspect_json(c, {}).at("Created"), "2023-11-14T22:13:20Z");
}

TEST(InspectJson, PathAndArgsComeFromEntrypointThenCmd) {
    engine::Container c = sample();
    json::object o = inspect_json(c, {});
    EXPECT_EQ(o.at("Path"), "/docker-entrypoint.sh");
    EXPECT_EQ(o.at("Args"), json::parse(R"(["nginx","-g","daemon off;"])"));

    c.config.entrypoint.reset();
    c.config.cmd = Strings{"sh", "-c", "echo hi"};
    o = inspect_json(c, {});
    EXPECT_EQ(o.at("Path"), "sh");
    EXPECT_EQ(o.at("Args"), json::parse(R"(["-c","echo hi"])"));

    c.config.entrypoint = Strings{"/bin/tini", "--"};
    c.config.cmd.reset();
    o = inspect_json(c, {});
    EXPECT_EQ(o.at("Path"), "/bin/tini");
    EXPECT_EQ(o.at("Args"), json::parse(R"(["--"])"));

    c.config.entrypoint.reset();
    o = inspect_json(c, {});
    EXPECT_EQ(o.at("Path"), "");
    EXPECT_EQ(o.at("Args"), json::array());
}

TEST(InspectJson, RunningState) {
    const json::object o = inspect_json(running(sample()), {});
    const json::object& state = object_at(o, "State");
    EXPECT_EQ(state.at("Status"), "running");
    EXPECT_EQ(state.at("Running"), true);
    EXPECT_EQ(state.at("Paused"), false);
    EXPECT_EQ(state.at("Pid"), 1);
    EXPECT_EQ(state.at("StartedAt"), "2023-11-14T22:13:22Z");
    EXPECT_EQ(state.at("FinishedAt"), "0001-01-01T00:00:00Z");
    EXPECT_FALSE(state.contains("Health"));
}

TEST(InspectJson, PausedIsStillRunning) {
    engine::Container c = running(sample());
    c.state.status = engine::ContainerStatus::paused;
    const json::object state = object_at(inspect_json(c, {}), "State");
    EXPECT_EQ(state.at("Status"), "paused");
    EXPECT_EQ(state.at("Running"), true);
    EXPECT_EQ(state.at("Paused"), true);
}

TEST(InspectJson, ExitedAndDeadStates) {
    engine::Container c = running(sample());
    c.state.status = engine::ContainerStatus::exited;
    c.state.pid = 0;
    c.state.exit_code = 137;
    c.state.oom_killed = true;
    c.state.finished_at = kEpoch + 62 * kSecond + 250'000'000;
    json::object state = object_at(inspect_json(c, {}), "State");
    EXPECT_EQ(state.at("Status"), "exited");
    EXPECT_EQ(state.at("Running"), false);
    EXPECT_EQ(state.at("ExitCode"), 137);
    EXPECT_EQ(state.at("OOMKilled"), true);
    EXPECT_EQ(state.at("StartedAt"), "2023-11-14T22:13:22Z");
    EXPECT_EQ(state.at("FinishedAt"), "2023-11-14T22:14:22.25Z");

    c.state.status = engine::ContainerStatus::dead;
    c.state.error = "task failed to start";
    state = object_at(inspect_json(c, {}), "State");
    EXPECT_EQ(state.at("Dead"), true);
    EXPECT_EQ(state.at("Error"), "task failed to start");
}

TEST(InspectJson, HealthIsShownWhenConfigured) {
    engine::Container c = running(sample());
    c.state.health = engine::HealthState{"unhealthy", 3};
    const json::object state = object_at(inspect_json(c, {}), "State");
    EXPECT_EQ(json::serialize(state.at("Health")),
              R"({"Status":"unhealthy","FailingStreak":3,"Log":[]})");
}

TEST(InspectJson, NetworkAddressOnlyWhileRunning) {
    json::object o = inspect_json(running(sample()), {});
    const json::object& net = object_at(o, "NetworkSettings");
    EXPECT_EQ(net.at("IPAddress"), "10.0.1.23");
    const json::object& networks = object_at(net, "Networks");
    ASSERT_EQ(networks.size(), 1U);
    EXPECT_EQ(object_at(networks, "bridge").at("IPAddress"), "10.0.1.23");
    EXPECT_EQ(net.at("Ports"), json::parse(R"({"80/tcp": null})"));

    engine::Container stopped = running(sample());
    stopped.state.status = engine::ContainerStatus::exited;
    o = inspect_json(stopped, {});
    EXPECT_EQ(object_at(o, "NetworkSettings").at("IPAddress"), "");
    EXPECT_EQ(
        object_at(object_at(object_at(o, "NetworkSettings"), "Networks"), "bridge").at("IPAddress"),
        "");
}

TEST(InspectJson, NetworksAreKeyedByNetworkMode) {
    engine::Container c = running(sample());
    c.host.network_mode = "default";
    EXPECT_TRUE(object_at(object_at(inspect_json(c, {}), "NetworkSettings"), "Networks")
                    .contains("bridge"));
    c.host.network_mode = "host";
    EXPECT_TRUE(
        object_at(object_at(inspect_json(c, {}), "NetworkSettings"), "Networks").contains("host"));
}

// Config is Docker's container.Config in its field order, omitempty members left out.
TEST(InspectJson, ConfigIsDockersShape) {
    engine::Container c = sample();
    c.config.entrypoint.reset();
    c.config.cmd = Strings{"sh"};
    c.config.env = {"A=1"};
    c.config.stop_signal.clear();
    c.config.attach_stdout = true;
    EXPECT_EQ(json::serialize(inspect_json(c, {}).at("Config")),
              R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,)"
              R"("AttachStdout":true,"AttachStderr":false,"ExposedPorts":{"80/tcp":{}},)"
              R"("Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["A=1"],"Cmd":["sh"],)"
              R"("Image":"nginx:1.25","Volumes":null,"WorkingDir":"","Entrypoint":null,)"
              R"("OnBuild":null,"Labels":{"maintainer":"NGINX"}})");
}

TEST(InspectJson, ConfigRoundTripsACreateRequest) {
    auto request = parse_create_request("", R"({
        "Image": "busybox", "Cmd": "echo hello", "Entrypoint": ["/bin/sh", "-c"],
        "Env": ["A=1"], "Labels": {"a": "b"}, "ExposedPorts": {"8080": {}},
        "Volumes": {"/data": {}}, "WorkingDir": "/w", "User": "nobody", "Tty": true,
        "StopSignal": "SIGTERM", "StopTimeout": 5,
        "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000}})");
    ASSERT_TRUE(request);
    engine::Container c;
    c.config = request->config;
    const json::object config = inspect_json(c, {}).at("Config").as_object();
    EXPECT_EQ(config.at("Cmd"), json::parse(R"(["echo hello"])"));
    EXPECT_EQ(config.at("Entrypoint"), json::parse(R"(["/bin/sh", "-c"])"));
    EXPECT_EQ(config.at("ExposedPorts"), json::parse(R"({"8080/tcp": {}})"));
    EXPECT_EQ(config.at("Volumes"), json::parse(R"({"/data": {}})"));
    EXPECT_EQ(config.at("Healthcheck"),
              json::parse(R"({"Test": ["CMD", "true"], "Interval": 1000000000})"));
    EXPECT_EQ(config.at("StopTimeout"), 5);

    const engine::ContainerConfig back = engine::config_from_json(config);
    EXPECT_EQ(back.cmd, request->config.cmd);
    EXPECT_EQ(back.entrypoint, request->config.entrypoint);
    EXPECT_EQ(back.env, request->config.env);
    EXPECT_EQ(back.labels, request->config.labels);
    EXPECT_EQ(back.exposed_ports, request->config.exposed_ports);
    EXPECT_EQ(back.volumes, request->config.volumes);
    EXPECT_EQ(back.working_dir, "/w");
    EXPECT_EQ(back.user, "nobody");
    EXPECT_TRUE(back.tty);
    EXPECT_EQ(back.stop_signal, "SIGTERM");
    EXPECT_EQ(back.stop_timeout, std::optional<int>(5));
    ASSERT_TRUE(back.healthcheck);
    EXPECT_EQ(back.healthcheck->test, (Strings{"CMD", "true"}));
    EXPECT_EQ(back.healthcheck->interval, 1'000'000'000);
}

TEST(InspectJson, ContextFields) {
    RenderContext ctx;
    ctx.log_path = "/var/lib/sockerless/logs/web.log";
    ctx.exec_ids = {"e1", "e2"};
    const json::object o = inspect_json(sample(), ctx);
    EXPECT_EQ(o.at("LogPath"), "/var/lib/sockerless/logs/web.log");
    EXPECT_EQ(o.at("ExecIDs"), json::parse(R"(["e1","e2"])"));
}

TEST(HostConfigJson, DefaultsWhenNoneWasSent) {
    const json::object h = host_config_json(sample());
    EXPECT_EQ(h.at("NetworkMode"), "default");
    EXPECT_EQ(h.at("RestartPolicy"), json::parse(R"({"Name":"no","MaximumRetryCount":0})"));
    EXPECT_EQ(h.at("LogConfig"), json::parse(R"({"Type":"json-file","Config":{}})"));
    EXPECT_EQ(h.at("PortBindings"), json::object());
    EXPECT_EQ(h.at("ShmSize"), 67108864);
    EXPECT_EQ(h.at("ConsoleSize"), json::parse("[0,0]"));
    EXPECT_EQ(h.at("AutoRemove"), false);
    EXPECT_EQ(h.at("Memory"), 0);
    EXPECT_TRUE(h.at("Binds").is_null());
    EXPECT_EQ(h.at("IpcMode"), "private");
    EXPECT_EQ(h.at("CgroupnsMode"), "private");
}

TEST(HostConfigJson, SentFieldsOverrideTheDefaults) {
    engine::Container c = sample();
    c.host_config_json = R"({"Binds":["/a:/b"],"Memory":1073741824,"NetworkMode":"",
        "RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3},"AutoRemove":true,
        "PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},"Annotations":{"k":"v"}})";
    const json::object h = host_config_json(c);
    EXPECT_EQ(h.at("Binds"), json::parse(R"(["/a:/b"])"));
    EXPECT_EQ(h.at("Memory"), 1073741824);
    EXPECT_EQ(h.at("NetworkMode"), "default");  // "" means the default network
    EXPECT_EQ(h.at("RestartPolicy"), json::parse(R"({"Name":"on-failure","MaximumRetryCount":3})"));
    EXPECT_EQ(h.at("AutoRemove"), true);
    EXPECT_EQ(h.at("PortBindings"), json::parse(R"({"80/tcp":[{"HostIp":"","HostPort":"8080"}]})"));
    EXPECT_EQ(h.at("Annotations"), json::parse(R"({"k":"v"})"));
    // Untouched defaults are still there.
    EXPECT_EQ(h.at("ShmSize"), 67108864);
    EXPECT_EQ(h.at("LogConfig"), json::parse(R"({"Type":"json-file","Config":{}})"));
    EXPECT_EQ(inspect_json(c, {}).at("HostConfig"), h);
}

TEST(ListJson, Summary) {
    const engine::Container c = running(sample());
    RenderContext ctx;
    ctx.now = kEpoch + 7 * kSecond;
    const json::object o = list_json(c, ctx, false);
    EXPECT_EQ(o.at("Id"), json::value(c.id));
    EXPECT_EQ(o.at("Names"), json::parse(R"(["/web"])"));
    EXPECT_EQ(o.at("Image"), "nginx:1.25");
    EXPECT_EQ(o.at("ImageID"), json::value(c.image_id));
    EXPECT_EQ(o.at("Created"), 1700000000);
    EXPECT_EQ(o.at("State"), "running");
    EXPECT_EQ(o.at("Status"), "Up 5 seconds");
    EXPECT_EQ(o.at("Labels"), json::parse(R"({"maintainer":"NGINX"})"));
    EXPECT_EQ(o.at("HostConfig"), json::parse(R"({"NetworkMode":"default"})"));
    EXPECT_EQ(
        object_at(object_at(object_at(o, "NetworkSettings"), "Networks"), "bridge").at("IPAddress"),
        "10.0.1.23");
    EXPECT_FALSE(o.contains("SizeRw"));
    EXPECT_FALSE(o.contains("SizeRootFs"));
    EXPECT_TRUE(list_json(c, ctx, true).contains("SizeRw"));
}

// dockerd joins Path and Args with spaces, single-quoting an argument that contains one.
TEST(ListJson, CommandJoinsPathAndArgs) {
    engine::Container c = sample();
    EXPECT_EQ(list_json(c, {}, false).at("Command"),
              "/docker-entrypoint.sh nginx -g 'daemon off;'");
    c.config.entrypoint.reset();
    c.config.cmd = Strings{"sh", "-c", "echo hello world"};
    EXPECT_EQ(list_json(c, {}, false).at("Command"), "sh -c 'echo hello world'");
    c.config.cmd = Strings{"top"};
    EXPECT_EQ(list_json(c, {}, false).at("Command"), "top");
    c.config.cmd.reset();
    EXPECT_EQ(list_json(c, {}, false).at("Command"), "");
}

TEST(ListJson, StatusFollowsTheState) {
    engine::Container c = sample();
    RenderContext ctx;
    ctx.now = kEpoch + 600 * kSecond;
    json::object o = list_json(c, ctx, false);
    EXPECT_EQ(o.at("State"), "created");
    EXPECT_EQ(o.at("Status"), "Created");

    c = running(c);
    c.state.status = engine::ContainerStatus::exited;
    c.state.exit_code = 2;
    c.state.finished_at = ctx.now - 120 * kSecond;
    o = list_json(c, ctx, false);
    EXPECT_EQ(o.at("State"), "exited");
    EXPECT_EQ(o.at("Status"), "Exited (2) 2 minutes ago");
    EXPECT_EQ(
        object_at(object_at(object_at(o, "NetworkSettings"), "Networks"), "bridge").at("IPAddress"),
        "");
}

}  // namespace
}  // namespace sockerless::routes
