#include "routes/container_create.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace sockerless::routes {
namespace {

namespace json = boost::json;

using Strings = std::vector<std::string>;

const std::string go_prefix = "invalid JSON: json: cannot unmarshal ";

engine::CreateRequest parse_ok(std::string_view body, std::string_view name = "") {
    auto parsed = parse_create_request(name, body);
    EXPECT_TRUE(parsed) << body << " -> " << parsed.error().message;
    return parsed ? *parsed : engine::CreateRequest{};
}

// The message of a refused request (asserting it was refused as invalid).
std::string refusal(std::string_view body, std::string_view name = "") {
    auto parsed = parse_create_request(name, body);
    if (parsed) {
        ADD_FAILURE() << "accepted: " << body;
        return "";
    }
    EXPECT_EQ(parsed.error().code, Errc::invalid_argument) << body;
    return parsed.error().message;
}

TEST(ParseCreateRequest, MinimalBody) {
    const engine::CreateRequest r = parse_ok(R"({"Image": "busybox"})");
    EXPECT_EQ(r.name, "");
    EXPECT_EQ(r.config.image, "busybox");
    EXPECT_FALSE(r.config.cmd);
    EXPECT_FALSE(r.config.entrypoint);
    EXPECT_TRUE(r.config.env.empty());
    EXPECT_EQ(r.host_config_json, "{}");
    EXPECT_EQ(r.networking_config_json, "{}");
    EXPECT_EQ(r.host.restart_policy.name, "no");
    EXPECT_FALSE(r.host.auto_remove);
}

TEST(ParseCreateRequest, ConfigMembers) {
    const engine::CreateRequest r = parse_ok(R"({
        "Hostname": "h", "Domainname": "example.com", "User": "1000:1000",
        "AttachStdin": true, "AttachStdout": true, "AttachStderr": true, "Tty": true,
        "OpenStdin": true, "StdinOnce": true, "Env": ["A=1", "B="], "Cmd": ["sh", "-c", "x"],
        "Image": "busybox:1.36", "WorkingDir": "/work", "Entrypoint": ["/init"],
        "Labels": {"com.example": "yes"}, "StopSignal": "SIGINT", "StopTimeout": 30,
        "Volumes": {"/data": {}}, "ExposedPorts": {"80/tcp": {}}, "Shell": ["/bin/sh", "-c"],
        "OnBuild": ["RUN x"], "ArgsEscaped": false, "NetworkDisabled": false})");
    const engine::ContainerConfig& c = r.config;
    EXPECT_EQ(c.hostname, "h");
    EXPECT_EQ(c.domainname, "example.com");
    EXPECT_EQ(c.user, "1000:1000");
    EXPECT_TRUE(c.attach_stdin && c.attach_stdout && c.attach_stderr && c.tty && c.open_stdin &&
                c.stdin_once);
    EXPECT_EQ(c.env, (Strings{"A=1", "B="}));
    EXPECT_EQ(c.cmd, (Strings{"sh", "-c", "x"}));
    EXPECT_EQ(c.image, "busybox:1.36");
    EXPECT_EQ(c.working_dir, "/work");
    EXPECT_EQ(c.entrypoint, Strings{"/init"});
    EXPECT_EQ(c.labels, (std::map<std::string, std::string>{{"com.example", "yes"}}));
    EXPECT_EQ(c.stop_signal, "SIGINT");
    EXPECT_EQ(c.stop_timeout, std::optional<int>(30));
    EXPECT_EQ(c.volumes, std::set<std::string>{"/data"});
    EXPECT_EQ(c.exposed_ports, std::set<std::string>{"80/tcp"});
    EXPECT_EQ(c.shell, (Strings{"/bin/sh", "-c"}));
    EXPECT_EQ(c.on_build, Strings{"RUN x"});
}

TEST(ParseCreateRequest, CmdAndEntrypointAsStringArrayOrNull) {
    EXPECT_EQ(parse_ok(R"({"Image": "b", "Cmd": "echo hello"})").config.cmd, Strings{"echo hello"});
    EXPECT_EQ(parse_ok(R"({"Image": "b", "Cmd": ["echo", "hello"]})").config.cmd,
              (Strings{"echo", "hello"}));
    EXPECT_FALSE(parse_ok(R"({"Image": "b", "Cmd": null})").config.cmd);
    EXPECT_EQ(parse_ok(R"({"Image": "b", "Cmd": []})").config.cmd, Strings{});

    EXPECT_EQ(parse_ok(R"({"Image": "b", "Entrypoint": "/bin/sh"})").config.entrypoint,
              Strings{"/bin/sh"});
    EXPECT_EQ(parse_ok(R"({"Image": "b", "Entrypoint": ["/bin/sh", "-c"]})").config.entrypoint,
              (Strings{"/bin/sh", "-c"}));
    // `docker run --entrypoint ""` sends [""], which resets the image's entrypoint.
    EXPECT_EQ(parse_ok(R"({"Image": "b", "Entrypoint": [""]})").config.entrypoint, Strings{""});
    EXPECT_EQ(parse_ok(R"({"Image": "b", "Entrypoint": ""})").config.entrypoint, Strings{""});
    EXPECT_FALSE(parse_ok(R"({"Image": "b", "Entrypoint": null})").config.entrypoint);
}

TEST(ParseCreateRequest, CmdOfAnotherTypeIsGosStrSliceError) {
    EXPECT_EQ(refusal(R"({"Image": "b", "Cmd": 1})"),
              go_prefix + "number into Go struct field CreateRequest.Cmd of type string");
    EXPECT_EQ(refusal(R"({"Image": "b", "Cmd": ["echo", 1]})"),
              go_prefix + "array into Go struct field CreateRequest.Cmd of type string");
    EXPECT_EQ(refusal(R"({"Image": "b", "Entrypoint": {"a": "b"}})"),
              go_prefix + "object into Go struct field CreateRequest.Entrypoint of type string");
}

TEST(ParseCreateRequest, WrongTypesNameTheMemberAsGoDoes) {
    EXPECT_EQ(refusal(R"({"Image": "b", "Env": "A=1"})"),
              go_prefix + "string into Go struct field CreateRequest.Env of type []string");
    EXPECT_EQ(refusal(R"({"Image": "b", "Env": ["A=1", 2]})"),
              go_prefix + "number into Go struct field CreateRequest.Env of type string");
    EXPECT_EQ(refusal(R"({"Image": "b", "Labels": ["a=b"]})"),
              go_prefix + "array into Go struct field CreateRequest.Labels of type " +
                  "map[string]string");
    EXPECT_EQ(refusal(R"({"Image": "b", "Labels": {"port": 8080}})"),
              go_prefix + "number into Go struct field CreateRequest.Labels of type string");
    EXPECT_EQ(refusal(R"({"Image": "b", "Volumes": ["/data"]})"),
              go_prefix + "array into Go struct field CreateRequest.Volumes of type " +
                  "map[string]struct {}");
    EXPECT_EQ(refusal(R"({"Image": 5})"),
              go_prefix + "number into Go struct field CreateRequest.Image of type string");
    EXPECT_EQ(refusal(R"({"Image": "b", "Tty": "true"})"),
              go_prefix + "string into Go struct field CreateRequest.Tty of type bool");
    EXPECT_EQ(refusal(R"({"Image": "b", "StopTimeout": "10"})"),
              go_prefix + "string into Go struct field CreateRequest.StopTimeout of type int");
}

TEST(ParseCreateRequest, NestedWrongTypesUseGosFullPath) {
    EXPECT_EQ(refusal(R"({"Image": "b", "HostConfig": {"Memory": "1g"}})"),
              go_prefix + "string into Go struct field HostConfig.HostConfig.Memory of type int64");
    EXPECT_EQ(refusal(R"({"Image": "b", "HostConfig": {"AutoRemove": 1}})"),
              go_prefix + "number into Go struct field HostConfig.HostConfig.AutoRemove of type " +
                  "bool");
    EXPECT_EQ(refusal(R"({"Image": "b", "HostConfig": {"Binds": "/a:/b"}})"),
              go_prefix + "string into Go struct field HostConfig.HostConfig.Binds of type " +
                  "[]string");
    EXPECT_EQ(refusal(R"({"Image": "b",
                          "HostConfig": {"RestartPolicy": {"MaximumRetryCount": "3"}}})"),
              go_prefix + "string into Go struct field " +
                  "RestartPolicy.HostConfig.RestartPolicy.MaximumRetryCount of type int");
    EXPECT_EQ(refusal(R"({"Image": "b", "Healthcheck": {"Retries": "3"}})"),
              go_prefix + "string into Go struct field HealthConfig.Healthcheck.Retries of " +
                  "type int");
    EXPECT_EQ(refusal(R"({"Image": "b", "Healthcheck": {"Test": "CMD true"}})"),
              go_prefix + "string into Go struct field HealthConfig.Healthcheck.Test of type " +
                  "[]string");
}

// Members of named Go types carry the type's name.
TEST(ParseCreateRequest, NamedTypesInWrongTypeErrors) {
    EXPECT_EQ(refusal(R"({"Image": "b", "HostConfig": []})"),
              go_prefix + "array into Go struct field CreateRequest.HostConfig of type " +
                  "container.HostConfig");
    EXPECT_EQ(refusal(R"({"Image": "b", "NetworkingConfig": []})"),
              go_prefix + "array into Go struct field CreateRequest.NetworkingConfig of type " +
                  "network.NetworkingConfig");
    EXPECT_EQ(refusal(R"({"Image": "b", "Healthcheck": "x"})"),
              go_prefix + "string into Go struct field CreateRequest.Healthcheck of type " +
                  "container.HealthConfig");
    EXPECT_EQ(refusal(R"({"Image": "b", "Healthcheck": {"Interval": "1s"}})"),
              go_prefix + "string into Go struct field HealthConfig.Healthcheck.Interval of " +
                  "type time.Duration");
    EXPECT_EQ(refusal(R"({"Image": "b", "ExposedPorts": ["80/tcp"]})"),
              go_prefix + "array into Go struct field CreateRequest.ExposedPorts of type " +
                  "nat.PortSet");
    EXPECT_EQ(refusal(R"({"Image": "b", "HostConfig": {"NetworkMode": 5}})"),
              go_prefix + "number into Go struct field HostConfig.HostConfig.NetworkMode of " +
                  "type container.NetworkMode");
    EXPECT_EQ(refusal(R"({"Image": "b", "HostConfig": {"RestartPolicy": "always"}})"),
              go_prefix + "string into Go struct field HostConfig.HostConfig.RestartPolicy of " +
                  "type container.RestartPolicy");
    EXPECT_EQ(refusal(R"({"Image": "b", "HostConfig": {"RestartPolicy": {"Name": 1}}})"),
              go_prefix + "number into Go struct field " +
                  "RestartPolicy.HostConfig.RestartPolicy.Name of type " +
                  "container.RestartPolicyMode");
    EXPECT_EQ(refusal(R"({"Image": "b", "HostConfig": {"PortBindings": []}})"),
              go_prefix + "array into Go struct field HostConfig.HostConfig.PortBindings of " +
                  "type nat.PortMap");
}

TEST(ParseCreateRequest, EmptyOrMalformedBody) {
    EXPECT_EQ(refusal(""), "invalid JSON: got EOF while reading request body");
    EXPECT_EQ(refusal("\n"), "invalid JSON: got EOF while reading request body");
    EXPECT_TRUE(refusal(R"({"Image": )").starts_with("invalid JSON: "));
    EXPECT_TRUE(refusal(R"({Image: "busybox"})").starts_with("invalid JSON: "));
    EXPECT_EQ(refusal(R"({"Image": "b"} trailing)"), "unexpected content after JSON");
    EXPECT_TRUE(refusal(R"(["busybox"])").starts_with(go_prefix + "array into Go value of type"));
}

// Go leaves the embedded *Config nil when the body names none of its members; dockerd then
// refuses the request (runconfig.ErrEmptyConfig).
TEST(ParseCreateRequest, NoConfigMembersIsAnEmptyConfig) {
    for (std::string_view body : {"{}", "null", R"({"HostConfig": {"Memory": 0}})",
                                  R"({"NetworkingConfig": {}, "Unknown": 1})"})
        EXPECT_EQ(refusal(body), "config cannot be empty in order to create a container") << body;
}

TEST(ParseCreateRequest, ConfigWithoutImageIsRefused) {
    EXPECT_EQ(refusal(R"({"Cmd": ["true"]})"), "No image specified: Config.Image is empty");
    EXPECT_EQ(refusal(R"({"Image": ""})"), "No image specified: Config.Image is empty");
}

TEST(ParseCreateRequest, UnknownMembersAreIgnored) {
    const engine::CreateRequest r = parse_ok(R"({
        "Image": "busybox", "PortSpecs": null, "Memory": 0, "Future": {"Nested": [1, 2]},
        "HostConfig": {"LxcConf": [], "Unknown": "x"},
        "NetworkingConfig": {"EndpointsConfig": {}, "Other": true}})");
    EXPECT_EQ(r.config.image, "busybox");
    EXPECT_EQ(r.host.memory, 0);
}

TEST(ParseCreateRequest, EnvironmentVariablesNeedAName) {
    EXPECT_EQ(refusal(R"({"Image": "b", "Env": ["=foo"]})"), "invalid environment variable: =foo");
    EXPECT_EQ(refusal(R"({"Image": "b", "Env": ["A=1", ""]})"), "invalid environment variable: ");
    EXPECT_EQ(parse_ok(R"({"Image": "b", "Env": ["NAME_ONLY"]})").config.env, Strings{"NAME_ONLY"});
}

TEST(ParseCreateRequest, Names) {
    EXPECT_EQ(parse_ok(R"({"Image": "b"})", "web").name, "/web");
    EXPECT_EQ(parse_ok(R"({"Image": "b"})", "/web_1.a-b").name, "/web_1.a-b");
    for (std::string_view bad : {"a", "/a", "-web", "_web", "web site", "web/1", "wëb"})
        EXPECT_EQ(refusal(R"({"Image": "b"})", bad),
                  "Invalid container name (" + std::string(bad) +
                      "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
}

TEST(ParseCreateRequest, RestartPolicies) {
    auto policy = [](std::string_view name, int retries) {
        return R"({"Image": "b", "HostConfig": {"RestartPolicy": {"Name": ")" + std::string(name) +
               R"(", "MaximumRetryCount": )" + std::to_string(retries) + "}}}";
    };
    for (std::string_view name : {"no", "always", "unless-stopped"}) {
        const engine::CreateRequest r = parse_ok(policy(name, 0));
        EXPECT_EQ(r.host.restart_policy.name, name);
        EXPECT_EQ(r.host.restart_policy.maximum_retry_count, 0);
    }
    const engine::CreateRequest on_failure = parse_ok(policy("on-failure", 5));
    EXPECT_EQ(on_failure.host.restart_policy.name, "on-failure");
    EXPECT_EQ(on_failure.host.restart_policy.maximum_retry_count, 5);

    // An empty name is "no" (what clients before API 1.44 sent), checked as such.
    EXPECT_EQ(parse_ok(policy("", 0)).host.restart_policy.name, "no");
    EXPECT_EQ(refusal(policy("", 3)),
              "invalid restart policy: maximum retry count can only be used with 'on-failure'");
    EXPECT_EQ(parse_ok(R"({"Image": "b", "HostConfig": {"RestartPolicy": null}})")
                  .host.restart_policy.name,
              "no");

    EXPECT_EQ(refusal(policy("sometimes", 0)),
              "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', "
              "'on-failure', or 'unless-stopped'");
    EXPECT_EQ(refusal(policy("always", 2)),
              "invalid restart policy: maximum retry count can only be used with 'on-failure'");
    EXPECT_EQ(refusal(policy("no", -1)),
              "invalid restart policy: maximum retry count can only be used with 'on-failure' "
              "and cannot be negative");
    EXPECT_EQ(refusal(policy("on-failure", -1)),
              "invalid restart policy: maximum retry count cannot be negative");
}

TEST(ParseCreateRequest, AutoRemoveWithARestartPolicy) {
    const std::string refused = "can't create 'AutoRemove' container with restart policy";
    EXPECT_EQ(refusal(R"({"Image": "b",
        "HostConfig": {"AutoRemove": true, "RestartPolicy": {"Name": "always"}}})"),
              refused);
    EXPECT_EQ(refusal(R"({"Image": "b",
        "HostConfig": {"AutoRemove": true, "RestartPolicy": {"Name": "on-failure",
                                                             "MaximumRetryCount": 1}}})"),
              refused);
    for (std::string_view name : {"no", ""}) {
        const engine::CreateRequest r =
            parse_ok(R"({"Image": "b", "HostConfig": {"AutoRemove": true,
                         "RestartPolicy": {"Name": ")" +
                     std::string(name) + R"("}}})");
        EXPECT_TRUE(r.host.auto_remove);
        EXPECT_EQ(r.host.restart_policy.name, "no");
    }
}

TEST(ParseCreateRequest, MemoryMinimumIsSixMegabytes) {
    auto memory = [](std::int64_t bytes) {
        return R"({"Image": "b", "HostConfig": {"Memory": )" + std::to_string(bytes) + "}}";
    };
    EXPECT_EQ(parse_ok(memory(0)).host.memory, 0);
    EXPECT_EQ(parse_ok(memory(6LL * 1024 * 1024)).host.memory, 6LL * 1024 * 1024);
    EXPECT_EQ(parse_ok(memory(512LL * 1024 * 1024)).host.memory, 512LL * 1024 * 1024);
    for (std::int64_t bytes : {1LL, 4LL * 1024 * 1024, 6LL * 1024 * 1024 - 1, -1LL})
        EXPECT_EQ(refusal(memory(bytes)), "Minimum memory limit allowed is 6MB") << bytes;
}

TEST(ParseCreateRequest, HostSettings) {
    const engine::CreateRequest r = parse_ok(R"({"Image": "b", "HostConfig": {
        "NetworkMode": "host", "Binds": ["/a:/b:ro"], "NanoCpus": 1500000000,
        "CpuShares": 512, "Privileged": true, "Init": true}})");
    EXPECT_EQ(r.host.network_mode, "host");
    EXPECT_EQ(r.host.binds, Strings{"/a:/b:ro"});
    EXPECT_EQ(r.host.nano_cpus, 1'500'000'000);
    EXPECT_EQ(r.host.cpu_shares, 512);
    EXPECT_TRUE(r.host.privileged);
    EXPECT_TRUE(r.host.init);
}

TEST(ParseCreateRequest, ExposedPortsAreNormalized) {
    const engine::CreateRequest r =
        parse_ok(R"({"Image": "b", "ExposedPorts": {"80": {}, "53/udp": {}, "443/tcp": {}}})");
    EXPECT_EQ(r.config.exposed_ports, (std::set<std::string>{"443/tcp", "53/udp", "80/tcp"}));
    EXPECT_EQ(refusal(R"({"Image": "b", "ExposedPorts": {"80x/tcp": {}}})"),
              "invalid port specification: \"80x\"");
}

TEST(ParseCreateRequest, PortBindingKeysAreChecked) {
    EXPECT_TRUE(parse_create_request("", R"({"Image": "b", "HostConfig": {
        "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}], "53": []}}})"));
    EXPECT_EQ(refusal(R"({"Image": "b", "HostConfig": {"PortBindings": {"http/tcp": []}}})"),
              "invalid port specification: \"http\"");
}

TEST(ParseCreateRequest, Healthcheck) {
    const engine::CreateRequest r = parse_ok(R"({"Image": "b", "Healthcheck": {
        "Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 30000000000,
        "Timeout": 5000000000, "StartPeriod": 1000000, "StartInterval": 0, "Retries": 3}})");
    ASSERT_TRUE(r.config.healthcheck);
    EXPECT_EQ(r.config.healthcheck->test, (Strings{"CMD-SHELL", "curl -f localhost"}));
    EXPECT_EQ(r.config.healthcheck->interval, 30'000'000'000);
    EXPECT_EQ(r.config.healthcheck->timeout, 5'000'000'000);
    EXPECT_EQ(r.config.healthcheck->start_period, 1'000'000);
    EXPECT_EQ(r.config.healthcheck->start_interval, 0);
    EXPECT_EQ(r.config.healthcheck->retries, 3);
    EXPECT_FALSE(parse_ok(R"({"Image": "b", "Healthcheck": null})").config.healthcheck);

    // dockerd's validateHealthCheck: durations are 0 or at least 1ms.
    EXPECT_EQ(refusal(R"({"Image": "b", "Healthcheck": {"Interval": 999999}})"),
              "Interval in Healthcheck cannot be less than 1ms");
    EXPECT_EQ(refusal(R"({"Image": "b", "Healthcheck": {"Timeout": -1}})"),
              "Timeout in Healthcheck cannot be less than 1ms");
    EXPECT_EQ(refusal(R"({"Image": "b", "Healthcheck": {"Retries": -1}})"),
              "Retries in Healthcheck cannot be negative");
    EXPECT_EQ(refusal(R"({"Image": "b", "Healthcheck": {"StartPeriod": 10}})"),
              "StartPeriod in Healthcheck cannot be less than 1ms");
    EXPECT_EQ(refusal(R"({"Image": "b", "Healthcheck": {"StartInterval": -5}})"),
              "StartInterval in Healthcheck cannot be less than 1ms");
}

// GitLab Runner's docker executor sends an endpoint for the "default" network with an empty MAC
// and leaves NetworkMode empty.
TEST(ParseCreateRequest, GitLabNetworkingConfigIsAccepted) {
    const std::string networking = R"({"EndpointsConfig":{"default":{"MacAddress":""}}})";
    const engine::CreateRequest r =
        parse_ok(R"({"Image": "alpine", "Cmd": ["sh"], "HostConfig": {"NetworkMode": ""},
                     "NetworkingConfig": )" +
                 networking + "}");
    EXPECT_EQ(r.host.network_mode, "");
    EXPECT_EQ(json::parse(r.networking_config_json), json::parse(networking));
}

TEST(ParseCreateRequest, HostConfigIsKeptAsSent) {
    const std::string host = R"({"Binds":["/var/run/docker.sock:/var/run/docker.sock"],
        "NetworkMode":"bridge","PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},
        "RestartPolicy":{"Name":"on-failure","MaximumRetryCount":2},"LogConfig":{"Type":"none"},
        "ShmSize":1048576,"Dns":["10.0.0.2"],"Unknown":{"x":1}})";
    const engine::CreateRequest r = parse_ok(R"({"Image": "b", "HostConfig": )" + host + "}");
    EXPECT_EQ(json::parse(r.host_config_json), json::parse(host));
}

TEST(NormalizePort, AddsTcpAndKeepsProtocols) {
    EXPECT_EQ(normalize_port("80").value(), "80/tcp");
    EXPECT_EQ(normalize_port("80/tcp").value(), "80/tcp");
    EXPECT_EQ(normalize_port("53/udp").value(), "53/udp");
    EXPECT_EQ(normalize_port("9/sctp").value(), "9/sctp");
    EXPECT_EQ(normalize_port("8000-8010/tcp").value(), "8000-8010/tcp");
    EXPECT_EQ(normalize_port("65535").value(), "65535/tcp");
}

TEST(NormalizePort, BadPortsAreInvalid) {
    for (auto [spec, quoted] :
         {std::pair{"80x", "\"80x\""}, std::pair{"http/tcp", "\"http\""},
          std::pair{"65536/udp", "\"65536\""}, std::pair{"", "\"\""}, std::pair{"-80", "\"-80\""},
          std::pair{"99999999999999999999", "\"99999999999999999999\""},
          std::pair{"80/foo", "\"80/foo\""}}) {
        auto port = normalize_port(spec);
        ASSERT_FALSE(port) << spec;
        EXPECT_EQ(port.error().code, Errc::invalid_argument);
        EXPECT_EQ(port.error().message, std::string("invalid port specification: ") + quoted);
    }
}

}  // namespace
}  // namespace sockerless::routes
