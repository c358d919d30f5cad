#include "engine/container.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace sockerless::engine {
namespace {

namespace json = boost::json;
using Strings = std::vector<std::string>;

constexpr Nanos kSecond = 1'000'000'000;
constexpr Nanos kMinute = 60 * kSecond;
constexpr Nanos kHour = 60 * kMinute;
constexpr Nanos kDay = 24 * kHour;
constexpr Nanos kYear = 365 * kDay;
// 2024-05-01T10:00:00Z
constexpr Nanos kMay1 = 1'714'557'600 * kSecond;

// ---- format_time --------------------------------------------------------------------------------

TEST(FormatTime, ZeroIsGosZeroTime) {
    EXPECT_EQ(format_time(0), "0001-01-01T00:00:00Z");
}

TEST(FormatTime, DropsTrailingZerosOfTheFractionAsRFC3339Nano) {
    EXPECT_EQ(format_time(kMay1), "2024-05-01T10:00:00Z");
    EXPECT_EQ(format_time(kMay1 + 500'000'000), "2024-05-01T10:00:00.5Z");
    EXPECT_EQ(format_time(kMay1 + 120'000'000), "2024-05-01T10:00:00.12Z");
    EXPECT_EQ(format_time(kMay1 + 123'456'789), "2024-05-01T10:00:00.123456789Z");
    EXPECT_EQ(format_time(kMay1 + 1'000), "2024-05-01T10:00:00.000001Z");
    EXPECT_EQ(format_time(kMay1 + 1), "2024-05-01T10:00:00.000000001Z");
    EXPECT_EQ(format_time(1), "1970-01-01T00:00:00.000000001Z");
}

TEST(FormatTime, BeforeTheEpoch) {
    EXPECT_EQ(format_time(-1), "1969-12-31T23:59:59.999999999Z");
    EXPECT_EQ(format_time(-kDay), "1969-12-31T00:00:00Z");
}

TEST(FormatTime, LeapDay) {
    // 2024-02-29T23:59:59.25Z
    EXPECT_EQ(format_time(kMay1 - 61 * kDay - 10 * kHour - kSecond + 250'000'000),
              "2024-02-29T23:59:59.25Z");
}

// ---- parse_time_filter --------------------------------------------------------------------------

Nanos parsed(std::string_view text, Nanos now = kMay1) {
    auto r = parse_time_filter(text, now);
    EXPECT_TRUE(r.has_value()) << text << ": " << r.error().message;
    return r.has_value() ? *r : -1;
}

TEST(ParseTimeFilter, EmptyIsNoBound) {
    EXPECT_EQ(parsed(""), 0);
}

TEST(ParseTimeFilter, DurationsAreRelativeToNow) {
    EXPECT_EQ(parsed("10m"), kMay1 - 10 * kMinute);
    EXPECT_EQ(parsed("1h30m"), kMay1 - 90 * kMinute);
    EXPECT_EQ(parsed("1.5h"), kMay1 - 90 * kMinute);
    EXPECT_EQ(parsed("42s"), kMay1 - 42 * kSecond);
    EXPECT_EQ(parsed("250ms"), kMay1 - 250'000'000);
    EXPECT_EQ(parsed("3us"), kMay1 - 3'000);
    EXPECT_EQ(parsed("7ns"), kMay1 - 7);
    EXPECT_EQ(parsed("2h45m30s"), kMay1 - (2 * kHour + 45 * kMinute + 30 * kSecond));
    EXPECT_EQ(parsed("-10m"), kMay1 + 10 * kMinute);  // in the future
}

TEST(ParseTimeFilter, UnixSecondsWithOptionalFraction) {
    EXPECT_EQ(parsed("1700000000"), 1'700'000'000 * kSecond);
    EXPECT_EQ(parsed("1700000000.5"), 1'700'000'000 * kSecond + 500'000'000);
    EXPECT_EQ(parsed("1700000000.000000001"), 1'700'000'000 * kSecond + 1);
    EXPECT_EQ(parsed("1700000000.123456789"), 1'700'000'000 * kSecond + 123'456'789);
    // "0" is a timestamp for Docker, not a duration.
    EXPECT_EQ(parsed("0"), 0);
}

TEST(ParseTimeFilter, RFC3339) {
    EXPECT_EQ(parsed("2024-05-01T10:00:00Z"), kMay1);
    EXPECT_EQ(parsed("2024-05-01T10:00:00.25Z"), kMay1 + 250'000'000);
    EXPECT_EQ(parsed("2024-05-01T10:00:00.123456789Z"), kMay1 + 123'456'789);
    EXPECT_EQ(parsed("2024-05-01T12:00:00+02:00"), kMay1);
    EXPECT_EQ(parsed("2024-05-01T05:30:00-04:30"), kMay1);
    EXPECT_EQ(parsed("1970-01-01T00:00:01Z"), kSecond);
}

TEST(ParseTimeFilter, FormatTimeRoundTrips) {
    for (Nanos t : {kMay1, kMay1 + 1, kMay1 + 500'000'000, Nanos{86'400} * kSecond + 7}) {
        EXPECT_EQ(parsed(format_time(t)), t) << format_time(t);
    }
}

TEST(ParseTimeFilter, RefusesWhatIsNeitherTimeNorDuration) {
    const std::string_view bad[] = {
        "yesterday",
        ".",
        "..",
        "1.2.3s",
        "10x",
        "h",
        "10m5",
        "1700000000.",
        "99999999999999999999",   // seconds past int64 nanoseconds
        "99999999999999999999h",  // a duration past int64
        "2024-13-01T00:00:00Z",
        "2024-05-00T00:00:00Z",
        "2024-05-01T24:00:00Z",
        "2024-05-01T10:60:00Z",
        "2024-05-01T10:00:60Z",
        "2024-05-01T10:00:00Q",
    };
    for (std::string_view text : bad) {
        auto r = parse_time_filter(text, kMay1);
        ASSERT_FALSE(r.has_value()) << text << " gave " << *r;
        EXPECT_EQ(r.error().code, Errc::invalid_argument) << text;
    }
    auto r = parse_time_filter("yesterday", kMay1);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message, "failed to parse value as time or duration: \"yesterday\"");
}

// ---- Status
// ---------------------------------------------------------------------------------------

TEST(Status, NamesRoundTrip) {
    const std::pair<ContainerStatus, std::string_view> all[] = {
        {ContainerStatus::created, "created"},   {ContainerStatus::running, "running"},
        {ContainerStatus::paused, "paused"},     {ContainerStatus::restarting, "restarting"},
        {ContainerStatus::removing, "removing"}, {ContainerStatus::exited, "exited"},
        {ContainerStatus::dead, "dead"},
    };
    for (const auto& [status, name] : all) {
        EXPECT_EQ(status_name(status), name);
        EXPECT_EQ(parse_status(name), status);
    }
}

TEST(Status, UnknownNamesAreRefused) {
    EXPECT_EQ(parse_status(""), std::nullopt);
    EXPECT_EQ(parse_status("Running"), std::nullopt);
    EXPECT_EQ(parse_status("up"), std::nullopt);
    EXPECT_EQ(parse_status("running "), std::nullopt);
}

// ---- human_duration
// ------------------------------------------------------------------------------

TEST(HumanDuration, MatchesGoUnits) {
    const std::pair<Nanos, std::string_view> cases[] = {
        {-5 * kSecond, "Less than a second"},
        {0, "Less than a second"},
        {999'999'999, "Less than a second"},
        {kSecond, "1 second"},
        {2 * kSecond, "2 seconds"},
        {59 * kSecond + 999'999'999, "59 seconds"},
        {kMinute, "About a minute"},
        {2 * kMinute - 1, "About a minute"},
        {2 * kMinute, "2 minutes"},
        {59 * kMinute + 59 * kSecond, "59 minutes"},
        {kHour, "About an hour"},
        {90 * kMinute - 1, "About an hour"},  // hours are rounded
        {90 * kMinute, "2 hours"},
        {47 * kHour + 29 * kMinute, "47 hours"},
        {47 * kHour + 30 * kMinute, "2 days"},
        {13 * kDay, "13 days"},
        {14 * kDay, "2 weeks"},
        {59 * kDay, "8 weeks"},
        {60 * kDay, "2 months"},
        {729 * kDay, "24 months"},
        {730 * kDay, "2 years"},
        {3 * kYear, "3 years"},
        // Rounded, these are 3*365 days of hours; go-units counts years from the truncated hours.
        {3 * kYear - 20 * kMinute, "2 years"},
    };
    for (const auto& [d, text] : cases)
        EXPECT_EQ(human_duration(d), text) << d;
}

// ---- Container
// -------------------------------------------------------------------------------------

Container with_state(ContainerStatus status) {
    Container c;
    c.state.status = status;
    return c;
}

TEST(ContainerStatusText, AsDockerPsShowsIt) {
    const Nanos now = kMay1;
    EXPECT_EQ(with_state(ContainerStatus::created).status_text(now), "Created");
    EXPECT_EQ(with_state(ContainerStatus::removing).status_text(now), "Removal In Progress");
    EXPECT_EQ(with_state(ContainerStatus::dead).status_text(now), "Dead");

    Container running = with_state(ContainerStatus::running);
    running.state.started_at = now - 5 * kSecond;
    EXPECT_EQ(running.status_text(now), "Up 5 seconds");

    Container paused = with_state(ContainerStatus::paused);
    paused.state.started_at = now - 3 * kMinute;
    EXPECT_EQ(paused.status_text(now), "Up 3 minutes (Paused)");

    Container restarting = with_state(ContainerStatus::restarting);
    restarting.state.exit_code = 1;
    restarting.state.started_at = now - kHour;
    restarting.state.finished_at = now - 10 * kSecond;
    EXPECT_EQ(restarting.status_text(now), "Restarting (1) 10 seconds ago");

    Container exited = with_state(ContainerStatus::exited);
    exited.state.exit_code = 137;
    exited.state.started_at = now - kDay;
    exited.state.finished_at = now - 2 * kMinute;
    EXPECT_EQ(exited.status_text(now), "Exited (137) 2 minutes ago");
}

TEST(ContainerStatusText, HealthOfARunningContainer) {
    Container c = with_state(ContainerStatus::running);
    c.state.started_at = kMay1 - 2 * kHour;
    c.state.health = HealthState{"starting", 0};
    EXPECT_EQ(c.status_text(kMay1), "Up 2 hours (health: starting)");
    c.state.health = HealthState{"healthy", 0};
    EXPECT_EQ(c.status_text(kMay1), "Up 2 hours (healthy)");
    c.state.health = HealthState{"unhealthy", 3};
    EXPECT_EQ(c.status_text(kMay1), "Up 2 hours (unhealthy)");
    c.state.health = HealthState{"none", 0};
    EXPECT_EQ(c.status_text(kMay1), "Up 2 hours");
}

TEST(Container, PathAndArgsJoinEntrypointAndCmd) {
    Container c;
    c.config.entrypoint = Strings{"/entry.sh", "--flag"};
    c.config.cmd = Strings{"serve", "--port", "80"};
    EXPECT_EQ(c.path(), "/entry.sh");
    EXPECT_EQ(c.args(), (Strings{"--flag", "serve", "--port", "80"}));

    c.config.entrypoint.reset();
    EXPECT_EQ(c.path(), "serve");
    EXPECT_EQ(c.args(), (Strings{"--port", "80"}));

    c.config.entrypoint = Strings{};
    EXPECT_EQ(c.path(), "serve");
    EXPECT_EQ(c.args(), (Strings{"--port", "80"}));

    c.config.entrypoint = Strings{"/bin/true"};
    c.config.cmd.reset();
    EXPECT_EQ(c.path(), "/bin/true");
    EXPECT_EQ(c.args(), Strings{});

    c.config.entrypoint.reset();
    EXPECT_EQ(c.path(), "");
    EXPECT_EQ(c.args(), Strings{});
}

TEST(Container, RunningAndShortId) {
    EXPECT_TRUE(with_state(ContainerStatus::running).running());
    EXPECT_TRUE(with_state(ContainerStatus::paused).running());
    EXPECT_TRUE(with_state(ContainerStatus::restarting).running());
    EXPECT_FALSE(with_state(ContainerStatus::created).running());
    EXPECT_FALSE(with_state(ContainerStatus::exited).running());
    EXPECT_FALSE(with_state(ContainerStatus::dead).running());
    EXPECT_FALSE(with_state(ContainerStatus::removing).running());
    Container c;
    c.id = "0123456789ab" + std::string(52, 'c');
    EXPECT_EQ(c.short_id(), "0123456789ab");
}

// ---- config JSON
// ------------------------------------------------------------------------------------

TEST(ConfigJson, AnEmptyConfigAsDockerInspectShowsIt) {
    EXPECT_EQ(json::serialize(config_to_json(ContainerConfig{})),
              R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,)"
              R"("AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,)"
              R"("StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,)"
              R"("WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{}})");
}

ContainerConfig full_config() {
    ContainerConfig c;
    c.hostname = "web";
    c.domainname = "example.com";
    c.user = "1000:1000";
    c.attach_stdin = true;
    c.attach_stdout = true;
    c.attach_stderr = true;
    c.exposed_ports = {"80/tcp", "53/udp"};
    c.tty = true;
    c.open_stdin = true;
    c.stdin_once = true;
    c.env = {"A=1", "B=two words"};
    c.cmd = Strings{"sh", "-c", "echo hi"};
    c.healthcheck = HealthConfig{{"CMD", "true"}, 30 * kSecond, 5 * kSecond, 0, 0, 3};
    c.args_escaped = true;
    c.image = "busybox:latest";
    c.volumes = {"/data", "/cache"};
    c.working_dir = "/srv";
    c.entrypoint = Strings{"/entry"};
    c.network_disabled = true;
    c.mac_address = "02:42:ac:11:00:02";
    c.on_build = {"RUN true"};
    c.labels = {{"a", "1"}, {"b", ""}};
    c.stop_signal = "SIGINT";
    c.stop_timeout = 20;
    c.shell = {"/bin/bash", "-c"};
    return c;
}

TEST(ConfigJson, EveryMemberInDockersForm) {
    const json::object o = config_to_json(full_config());
    EXPECT_EQ(json::serialize(o),
              R"({"Hostname":"web","Domainname":"example.com","User":"1000:1000",)"
              R"("AttachStdin":true,"AttachStdout":true,"AttachStderr":true,)"
              R"("ExposedPorts":{"53/udp":{},"80/tcp":{}},"Tty":true,"OpenStdin":true,)"
              R"("StdinOnce":true,"Env":["A=1","B=two words"],"Cmd":["sh","-c","echo hi"],)"
              R"("Healthcheck":{"Test":["CMD","true"],"Interval":30000000000,)"
              R"("Timeout":5000000000,"Retries":3},"ArgsEscaped":true,)"
              R"("Image":"busybox:latest","Volumes":{"/cache":{},"/data":{}},)"
              R"("WorkingDir":"/srv","Entrypoint":["/entry"],"NetworkDisabled":true,)"
              R"("MacAddress":"02:42:ac:11:00:02","OnBuild":["RUN true"],)"
              R"("Labels":{"a":"1","b":""},"StopSignal":"SIGINT","StopTimeout":20,)"
              R"("Shell":["/bin/bash","-c"]})");
}

TEST(ConfigJson, RoundTrips) {
    const ContainerConfig original = full_config();
    const ContainerConfig back = config_from_json(config_to_json(original));
    EXPECT_EQ(json::serialize(config_to_json(back)), json::serialize(config_to_json(original)));
    EXPECT_EQ(back.exposed_ports, original.exposed_ports);
    EXPECT_EQ(back.cmd, original.cmd);
    EXPECT_EQ(back.entrypoint, original.entrypoint);
    ASSERT_TRUE(back.healthcheck.has_value());
    EXPECT_EQ(back.healthcheck->timeout, 5 * kSecond);
    EXPECT_EQ(back.healthcheck->start_period, 0);
    EXPECT_EQ(back.stop_timeout, 20);
    EXPECT_EQ(back.labels, original.labels);
}

TEST(ConfigJson, NullAndEmptyCommandsStayDistinct) {
    ContainerConfig c;
    c.cmd = Strings{};
    c.entrypoint.reset();
    const json::object o = config_to_json(c);
    EXPECT_EQ(json::serialize(o.at("Cmd")), "[]");
    EXPECT_EQ(json::serialize(o.at("Entrypoint")), "null");
    const ContainerConfig back = config_from_json(o);
    EXPECT_EQ(back.cmd, Strings{});
    EXPECT_EQ(back.entrypoint, std::nullopt);
}

TEST(ConfigJson, ReadsDockersOtherForms) {
    const json::object o = json::parse(R"({
        "Cmd": "echo hi",
        "Entrypoint": null,
        "ExposedPorts": {"8080/tcp": {}},
        "Volumes": {"/v": {}},
        "Labels": {"k": "v", "n": 1},
        "Healthcheck": {"Test": ["NONE"]},
        "StopTimeout": 7,
        "Tty": "yes"
    })")
                               .as_object();
    const ContainerConfig c = config_from_json(o);
    EXPECT_EQ(c.cmd, Strings{"echo hi"});  // strslice: a lone string
    EXPECT_EQ(c.entrypoint, std::nullopt);
    EXPECT_EQ(c.exposed_ports, std::set<std::string>{"8080/tcp"});
    EXPECT_EQ(c.volumes, std::set<std::string>{"/v"});
    EXPECT_EQ(c.labels, (std::map<std::string, std::string>{{"k", "v"}}));
    ASSERT_TRUE(c.healthcheck.has_value());
    EXPECT_EQ(c.healthcheck->test, Strings{"NONE"});
    EXPECT_EQ(c.healthcheck->interval, 0);
    EXPECT_EQ(c.stop_timeout, 7);
    EXPECT_FALSE(c.tty);  // lenient: a member of another type reads as empty
    EXPECT_TRUE(c.env.empty());
}

// ---- store documents
// --------------------------------------------------------------------------------

Container full_container() {
    Container c;
    c.id = std::string(32, 'a') + std::string(32, '0');
    c.name = "/web";
    c.created = kMay1;
    c.config = full_config();
    c.host_config_json = R"({"AutoRemove":true,"NetworkMode":"bridge"})";
    c.networking_config_json = R"({"EndpointsConfig":{}})";
    c.host.auto_remove = true;
    c.host.network_mode = "bridge";
    c.host.restart_policy = RestartPolicy{"on-failure", 5};
    c.host.binds = {"/host:/ctr:ro"};
    c.host.memory = std::int64_t{512} * 1024 * 1024;
    c.host.nano_cpus = 1'500'000'000;
    c.host.cpu_shares = 512;
    c.host.privileged = true;
    c.host.init = true;
    c.image_id = "sha256:" + std::string(64, 'f');
    c.state.status = ContainerStatus::running;
    c.state.pid = 4321;
    c.state.exit_code = 0;
    c.state.error = "";
    c.state.started_at = kMay1 + kSecond;
    c.state.finished_at = 0;
    c.state.oom_killed = false;
    c.state.health = HealthState{"unhealthy", 2};
    c.restart_count = 3;
    c.has_been_started = true;
    c.stopped_by_user = true;
    c.record.task_arn = "arn:aws:ecs:us-east-1:123456789012:task/cluster/abc";
    c.record.task_definition_arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/x:1";
    c.record.agent_address = "10.0.0.5:9111";
    c.record.agent_token = "secret-token";
    c.record.injection = "efs";
    c.record.payload_uri = "s3://bucket/key";
    c.record.keep_alive = true;
    c.record.exited_with = 0;
    return c;
}

TEST(ContainerDocument, RoundTripsEveryField) {
    const Container original = full_container();
    auto back = container_from_document(to_document(original));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    const Container& c = *back;
    EXPECT_EQ(c.id, original.id);
    EXPECT_EQ(c.name, "/web");
    EXPECT_EQ(c.created, kMay1);
    EXPECT_EQ(json::serialize(config_to_json(c.config)),
              json::serialize(config_to_json(original.config)));
    EXPECT_EQ(c.host_config_json, original.host_config_json);
    EXPECT_EQ(c.networking_config_json, original.networking_config_json);
    EXPECT_TRUE(c.host.auto_remove);
    EXPECT_EQ(c.host.network_mode, "bridge");
    EXPECT_EQ(c.host.restart_policy.name, "on-failure");
    EXPECT_EQ(c.host.restart_policy.maximum_retry_count, 5);
    EXPECT_EQ(c.host.binds, Strings{"/host:/ctr:ro"});
    EXPECT_EQ(c.host.memory, std::int64_t{512} * 1024 * 1024);
    EXPECT_EQ(c.host.nano_cpus, 1'500'000'000);
    EXPECT_EQ(c.host.cpu_shares, 512);
    EXPECT_TRUE(c.host.privileged);
    EXPECT_TRUE(c.host.init);
    EXPECT_EQ(c.image_id, original.image_id);
    EXPECT_EQ(c.state.status, ContainerStatus::running);
    EXPECT_EQ(c.state.pid, 4321);
    EXPECT_EQ(c.state.started_at, kMay1 + kSecond);
    EXPECT_EQ(c.state.finished_at, 0);
    ASSERT_TRUE(c.state.health.has_value());
    EXPECT_EQ(c.state.health->status, "unhealthy");
    EXPECT_EQ(c.state.health->failing_streak, 2);
    EXPECT_EQ(c.restart_count, 3);
    EXPECT_TRUE(c.has_been_started);
    EXPECT_TRUE(c.stopped_by_user);
    EXPECT_EQ(c.record.id, original.id);  // not stored twice: taken from the container
    EXPECT_EQ(c.record.task_arn, original.record.task_arn);
    EXPECT_EQ(c.record.task_definition_arn, original.record.task_definition_arn);
    EXPECT_EQ(c.record.agent_address, "10.0.0.5:9111");
    EXPECT_EQ(c.record.agent_token, "secret-token");
    EXPECT_EQ(c.record.injection, "efs");
    EXPECT_EQ(c.record.payload_uri, "s3://bucket/key");
    EXPECT_TRUE(c.record.keep_alive);
    EXPECT_EQ(c.record.exited_with, 0);
}

TEST(ContainerDocument, ExitedStateAndAbsentOptionals) {
    Container original = full_container();
    original.state = ContainerState{};
    original.state.status = ContainerStatus::exited;
    original.state.exit_code = 137;
    original.state.error = "OOM";
    original.state.oom_killed = true;
    original.state.finished_at = kMay1 + kHour;
    original.record = runtime::ContainerRecord{};
    auto back = container_from_document(to_document(original));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(back->state.status, ContainerStatus::exited);
    EXPECT_EQ(back->state.exit_code, 137);
    EXPECT_EQ(back->state.error, "OOM");
    EXPECT_TRUE(back->state.oom_killed);
    EXPECT_EQ(back->state.finished_at, kMay1 + kHour);
    EXPECT_EQ(back->state.health, std::nullopt);
    EXPECT_EQ(back->record.exited_with, std::nullopt);
    EXPECT_EQ(back->record.task_arn, "");
}

TEST(ContainerDocument, UnknownStatusReadsAsDead) {
    json::object doc = json::parse(to_document(full_container())).as_object();
    doc["state"].as_object()["status"] = "levitating";
    auto back = container_from_document(json::serialize(doc));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->state.status, ContainerStatus::dead);
}

TEST(ContainerDocument, RefusesWhatIsNotAContainer) {
    for (std::string_view doc :
         {std::string_view("not json"), std::string_view("[]"), std::string_view("{}"),
          std::string_view(R"({"id":"abc"})"), std::string_view("")}) {
        auto r = container_from_document(doc);
        ASSERT_FALSE(r.has_value()) << doc;
        EXPECT_EQ(r.error().code, Errc::internal) << doc;
    }
}

}  // namespace
}  // namespace sockerless::engine
