#include "backends/ecs/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "backends/ecs/overrides.h"

namespace sockerless::ecs {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSubnet = "subnet-0abcd1234abcd1234";
constexpr std::string_view kSubnet2 = "subnet-0abcd123";

// A config file in a directory of its own, removed with the test.
class ConfigFile : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "sockerless-ecs-config-XXXXXX").string();
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(std::string_view text) {
        const fs::path path = dir_ / "ecs.yaml";
        std::ofstream(path, std::ios::binary) << text;
        return path.string();
    }

    fs::path dir_;
};

// The least a working configuration needs (init-container strategy).
std::map<std::string, std::string> minimal_env() {
    return {{"AWS_REGION", "us-east-1"},
            {"SOCKERLESS_ECS_SUBNETS", std::string(kSubnet)},
            {"SOCKERLESS_ECS_AGENT_IMAGE", "sockerless/agent:0.1.0"}};
}

std::string problems_of(const ConfigSources& sources) {
    auto r = load_ecs_config(sources);
    EXPECT_FALSE(r.has_value());
    if (r.has_value()) return {};
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    return r.error().message;
}

// Loads minimal_env() plus `flags`, expecting exactly one problem containing `text`.
void expect_one_problem(std::map<std::string, std::string> flags, std::string_view text) {
    const std::string m = problems_of({"", minimal_env(), std::move(flags)});
    EXPECT_NE(m.find("(1 problem):"), std::string::npos) << m;
    EXPECT_NE(m.find(text), std::string::npos) << m;
}

TEST(EcsConfig, Defaults) {
    auto r = load_ecs_config({"", minimal_env(), {}});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    const EcsConfig& c = *r;
    EXPECT_EQ(c.region, "us-east-1");
    EXPECT_EQ(c.cluster, "sockerless");
    EXPECT_EQ(c.subnets, std::vector<std::string>{std::string(kSubnet)});
    EXPECT_TRUE(c.security_groups.empty());
    EXPECT_FALSE(c.assign_public_ip);
    EXPECT_EQ(c.log_group, "/sockerless/tasks");
    EXPECT_EQ(c.log_stream_prefix, "sockerless");
    EXPECT_EQ(c.cpu_architecture, "X86_64");
    EXPECT_FALSE(c.injection.has_value());
    EXPECT_EQ(c.strategy, InjectionStrategy::init_container);
    EXPECT_EQ(c.agent_port, 9111);
    EXPECT_EQ(c.health_timeout, std::chrono::seconds(60));
    EXPECT_EQ(c.health_interval, std::chrono::seconds(1));
    EXPECT_EQ(c.payload_prefix, "sockerless-payloads");
    EXPECT_EQ(c.payload_mode, PayloadMode::automatic);
    EXPECT_TRUE(c.payload_bucket.empty());
    EXPECT_TRUE(c.endpoint_url.empty());
    EXPECT_EQ(c.cpu, "256");
    EXPECT_EQ(c.memory, "512");
}

TEST_F(ConfigFile, EveryKeyFromYaml) {
    const std::string path = write(R"(# the ECS backend
region: eu-west-1
cluster: ci
subnets:
  - subnet-0abcd1234abcd1234
  - subnet-0abcd123
security_groups: [sg-0123456789abcdef0]
assign_public_ip: true
task_role_arn: arn:aws:iam::012345678910:role/sockerless-task
execution_role_arn: arn:aws-us-gov:iam::012345678910:role/path/sockerless-exec
log_group: /ci/jobs
log_stream_prefix: runner
cpu_architecture: ARM64
cpu: "1024"
memory: 4096
injection: efs
efs_filesystem_id: fs-0123456789abcdef0
efs_access_point_id: fsap-01234567
agent_image: sockerless/agent:0.1.0
agent_port: 7000
health_timeout: 90s
health_interval: 500ms
payload_bucket: sockerless-payloads-012345678910
payload_prefix: launch/v1
payload_mode: always
endpoint_url: http://127.0.0.1:4566
)");
    auto r = load_ecs_config({path, {}, {}});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    const EcsConfig& c = *r;
    EXPECT_EQ(c.region, "eu-west-1");
    EXPECT_EQ(c.cluster, "ci");
    EXPECT_EQ(c.subnets, (std::vector<std::string>{std::string(kSubnet), std::string(kSubnet2)}));
    EXPECT_EQ(c.security_groups, std::vector<std::string>{"sg-0123456789abcdef0"});
    EXPECT_TRUE(c.assign_public_ip);
    EXPECT_EQ(c.task_role_arn, "arn:aws:iam::012345678910:role/sockerless-task");
    EXPECT_EQ(c.execution_role_arn, "arn:aws-us-gov:iam::012345678910:role/path/sockerless-exec");
    EXPECT_EQ(c.log_group, "/ci/jobs");
    EXPECT_EQ(c.log_stream_prefix, "runner");
    EXPECT_EQ(c.cpu_architecture, "ARM64");
    EXPECT_EQ(c.cpu, "1024");
    EXPECT_EQ(c.memory, "4096");
    EXPECT_EQ(c.injection, InjectionStrategy::efs);
    EXPECT_EQ(c.strategy, InjectionStrategy::efs);
    EXPECT_EQ(c.efs_filesystem_id, "fs-0123456789abcdef0");
    EXPECT_EQ(c.efs_access_point_id, "fsap-01234567");
    EXPECT_EQ(c.agent_image, "sockerless/agent:0.1.0");
    EXPECT_EQ(c.agent_port, 7000);
    EXPECT_EQ(c.health_timeout, std::chrono::seconds(90));
    EXPECT_EQ(c.health_interval, std::chrono::milliseconds(500));
    EXPECT_EQ(c.payload_bucket, "sockerless-payloads-012345678910");
    EXPECT_EQ(c.payload_prefix, "launch/v1");
    EXPECT_EQ(c.payload_mode, PayloadMode::always);
    EXPECT_EQ(c.endpoint_url, "http://127.0.0.1:4566");
}

TEST_F(ConfigFile, FlagsWinOverEnvWhichWinsOverTheFile) {
    const std::string path = write(
        "region: us-west-2\ncluster: from-file\nsubnets: [subnet-0abcd1234abcd1234]\n"
        "agent_image: from/file\nagent_port: 9000\nlog_group: /file\n");
    std::map<std::string, std::string> env = {
        {"SOCKERLESS_ECS_CLUSTER", "from-env"},
        {"SOCKERLESS_ECS_AGENT_PORT", "9001"},
        {"SOCKERLESS_ECS_SUBNETS", "subnet-0abcd123, subnet-0abcd1234abcd1234 ,"},
        {"SOCKERLESS_ECS_LOG_GROUP", ""},  // empty reads as unset
        {"AWS_REGION", "eu-central-1"},    // the file's region wins over AWS_REGION
        {"HOME", "/root"},
    };
    std::map<std::string, std::string> flags = {{"agent_port", "9002"},
                                                {"security-groups", "sg-01234567,sg-89abcdef"}};
    auto r = load_ecs_config({path, env, flags});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->region, "us-west-2");
    EXPECT_EQ(r->cluster, "from-env");
    EXPECT_EQ(r->agent_port, 9002);
    EXPECT_EQ(r->subnets, (std::vector<std::string>{std::string(kSubnet2), std::string(kSubnet)}));
    EXPECT_EQ(r->security_groups, (std::vector<std::string>{"sg-01234567", "sg-89abcdef"}));
    EXPECT_EQ(r->log_group, "/file");
    EXPECT_EQ(r->agent_image, "from/file");
}

TEST(EcsConfig, RegionFallsBackToAwsVariables) {
    auto env = minimal_env();
    env.erase("AWS_REGION");
    env["AWS_DEFAULT_REGION"] = "ap-southeast-2";
    EXPECT_EQ(load_ecs_config({"", env, {}})->region, "ap-southeast-2");
    env["AWS_REGION"] = "eu-north-1";
    EXPECT_EQ(load_ecs_config({"", env, {}})->region, "eu-north-1");
    env["SOCKERLESS_ECS_REGION"] = "us-gov-west-1";
    EXPECT_EQ(load_ecs_config({"", env, {}})->region, "us-gov-west-1");
    EXPECT_EQ(load_ecs_config({"", env, {{"region", "cn-north-1"}}})->region, "cn-north-1");
}

TEST(EcsConfig, MissingSettingsSayWhereToSetThem) {
    const std::string m = problems_of({"", {}, {}});
    EXPECT_NE(m.find("(3 problems):"), std::string::npos) << m;
    EXPECT_NE(m.find("\n  subnets: at least one subnet is required (set subnets in the config "
                     "file, SOCKERLESS_ECS_SUBNETS or --subnets)"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("\n  region: a region is required (set region in the config file, "
                     "SOCKERLESS_ECS_REGION or --region, or AWS_REGION)"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("\n  agent_image: the init-container injection strategy needs the agent "
                     "image (set agent_image in the config file, SOCKERLESS_ECS_AGENT_IMAGE or "
                     "--agent-image)"),
              std::string::npos)
        << m;
}

TEST_F(ConfigFile, UnknownKeysAreErrors) {
    const std::string path = write("region: us-east-1\nsubnet: [subnet-0abcd123]\n");
    auto env = minimal_env();
    env["SOCKERLESS_ECS_AGENT_PROT"] = "9111";
    const std::string m = problems_of({path, env, {{"clustr", "x"}}});
    EXPECT_NE(m.find("(3 problems):"), std::string::npos) << m;
    EXPECT_NE(m.find("config file: unknown key \"subnet\" (known keys: region, cluster, subnets"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("SOCKERLESS_ECS_AGENT_PROT: not a setting of the ECS backend"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("--clustr: not a setting of the ECS backend"), std::string::npos) << m;
}

TEST_F(ConfigFile, MalformedOrMissingFiles) {
    std::string m = problems_of({write("region: [unclosed\n"), minimal_env(), {}});
    EXPECT_NE(m.find("config file " + (dir_ / "ecs.yaml").string() + ": "), std::string::npos) << m;
    m = problems_of({write("- a\n- b\n"), minimal_env(), {}});
    EXPECT_NE(m.find("the top level must be a mapping"), std::string::npos) << m;
    m = problems_of({write("subnets: {a: b}\nregion: [us-east-1]\n"), minimal_env(), {}});
    EXPECT_NE(m.find("subnets: must be a list of values"), std::string::npos) << m;
    EXPECT_NE(m.find("region: must be a single value"), std::string::npos) << m;
    m = problems_of({(dir_ / "absent.yaml").string(), minimal_env(), {}});
    EXPECT_NE(m.find("absent.yaml: cannot be read"), std::string::npos) << m;
    // An empty file sets nothing.
    EXPECT_TRUE(load_ecs_config({write(""), minimal_env(), {}}).has_value());
}

TEST(EcsConfig, EveryProblemIsListed) {
    const std::string m = problems_of({"",
                                       {{"SOCKERLESS_ECS_SUBNETS", "subnet-x,subnet-0abcd123"}},
                                       {{"agent_port", "0"},
                                        {"health_timeout", "0"},
                                        {"payload_mode", "always"},
                                        {"security_groups", "default"},
                                        {"task_role_arn", "sockerless-task"}}});
    for (std::string_view p : {
             "region: a region is required",
             "subnets: \"subnet-x\" is not a subnet id",
             "agent_port: \"0\" is not a port number (1-65535) (from --agent-port)",
             "health_timeout: must be greater than 0",
             "payload_bucket: payload_mode always needs a payload bucket",
             "security_groups: \"default\" is not a security group id",
             "task_role_arn: \"sockerless-task\" is not an IAM role ARN",
             "agent_image: the init-container injection strategy needs the agent image",
         }) {
        EXPECT_NE(m.find(p), std::string::npos) << p << "\n" << m;
    }
    EXPECT_NE(m.find("(8 problems):"), std::string::npos) << m;
}

TEST(EcsConfig, ValueChecks) {
    const std::vector<std::pair<std::map<std::string, std::string>, std::string_view>> cases = {
        {{{"agent_port", "65536"}}, "agent_port: \"65536\" is not a port number"},
        {{{"agent_port", "http"}}, "agent_port: \"http\" is not a port number"},
        {{{"health_interval", "1.5s"}}, "health_interval: \"1.5s\" is not a duration"},
        {{{"health_interval", "-1"}}, "health_interval: \"-1\" is not a duration"},
        {{{"health_interval", "0ms"}}, "health_interval: must be greater than 0"},
        {{{"health_interval", "2m"}}, "health_interval: must not be longer than health_timeout"},
        {{{"assign_public_ip", "maybe"}}, "assign_public_ip: \"maybe\" is not true or false"},
        {{{"injection", "sidecar"}}, "injection: \"sidecar\" is not \"efs\" or \"init-container\""},
        {{{"payload_mode", "sometimes"}}, "payload_mode: \"sometimes\" is not \"auto\""},
        {{{"region", "US-EAST-1"}}, "region: \"US-EAST-1\" is not an AWS region name"},
        {{{"cluster", "my cluster"}}, "cluster: \"my cluster\" is not a cluster name"},
        {{{"subnets", "subnet-0ABCD123"}}, "is not a subnet id"},
        {{{"execution_role_arn", "arn:aws:iam::0123:role/x"}}, "is not an IAM role ARN"},
        {{{"execution_role_arn", "arn:aws:iam::012345678910:user/x"}}, "is not an IAM role ARN"},
        {{{"log_group", ""}}, "log_group: \"\" is not a log group name"},
        {{{"log_stream_prefix", "a:b"}}, "log_stream_prefix: \"a:b\" is not a log stream prefix"},
        {{{"cpu_architecture", "arm64"}}, "cpu_architecture: \"arm64\" is not X86_64 or ARM64"},
        {{{"memory", "4096"}}, "cpu, memory: Fargate runs 256 CPU units with 512, 1024 or 2048"},
        {{{"cpu", "300"}}, "cpu, memory: \"300\" is not a Fargate CPU size"},
        {{{"efs_access_point_id", "fsap-01234567"}},
         "efs_filesystem_id: efs_access_point_id is set but efs_filesystem_id is not"},
        {{{"agent_image", "a b"}}, "agent_image: \"a b\" is not an image reference"},
        {{{"payload_prefix", "/x"}}, "must not begin or end with '/'"},
        {{{"payload_prefix", "x/"}}, "must not begin or end with '/'"},
        {{{"payload_prefix", "a//b"}}, "must not hold an empty segment"},
        {{{"payload_prefix", "a b"}}, "may hold only letters, digits"},
        {{{"payload_prefix", std::string(129, 'p')}}, "must be at most 128 characters"},
        {{{"endpoint_url", "127.0.0.1:4566"}}, "must begin with http:// or https://"},
        {{{"endpoint_url", "http://a\"b"}}, "may hold only printable ASCII"},
        {{{"endpoint_url", "https://" + std::string(249, 'e')}}, "must be at most 256 characters"},
    };
    for (const auto& [flags, text] : cases)
        expect_one_problem(flags, text);
    // At the limits, accepted.
    EXPECT_TRUE(load_ecs_config({"",
                                 minimal_env(),
                                 {{"payload_prefix", std::string(128, 'p')},
                                  {"endpoint_url", "https://" + std::string(248, 'e')},
                                  {"payload_bucket", std::string(63, 'b')}}})
                    .has_value());
}

TEST(EcsConfig, BucketNames) {
    for (std::string_view good : {"abc", "sockerless-payloads", "a.b-c.d", "0bucket9"}) {
        auto r = load_ecs_config({"", minimal_env(), {{"payload_bucket", std::string(good)}}});
        EXPECT_TRUE(r.has_value()) << good << ": " << r.error().message;
    }
    const std::vector<std::pair<std::string, std::string_view>> bad = {
        {"ab", "must be 3 to 63 characters"},
        {std::string(64, 'b'), "must be 3 to 63 characters"},
        {"Payloads", "may hold only lowercase letters"},
        {"under_score", "may hold only lowercase letters"},
        {"-abc", "must begin and end with a letter or digit"},
        {"abc.", "must begin and end with a letter or digit"},
        {"a..b", "must not hold two adjacent periods"},
        {"192.168.5.4", "must not be formatted as an IP address"},
        {"xn--abc", "must not begin with \"xn--\""},
        {"sthree-abc", "must not begin with \"sthree-\""},
        {"abc-s3alias", "must not end with \"-s3alias\""},
        {"abc--ol-s3", "must not end with \"--ol-s3\""},
    };
    for (const auto& [name, text] : bad)
        expect_one_problem({{"payload_bucket", name}}, text);
}

TEST(EcsConfig, EfsStrategyNeedsBothIds) {
    const std::string m = problems_of({"", minimal_env(), {{"injection", "efs"}}});
    EXPECT_NE(m.find("(2 problems):"), std::string::npos) << m;
    EXPECT_NE(m.find("efs_filesystem_id: the efs injection strategy needs the EFS file system "
                     "holding the agent (set efs_filesystem_id in the config file, "
                     "SOCKERLESS_ECS_EFS_FILESYSTEM_ID or --efs-filesystem-id)"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("efs_access_point_id: the efs injection strategy needs a read-only access "
                     "point"),
              std::string::npos)
        << m;
    expect_one_problem({{"efs_filesystem_id", "fs-0123456789abcdef0"}},
                       "efs_access_point_id: the efs injection strategy needs");
    expect_one_problem(
        {{"efs_filesystem_id", "fs-012"}, {"efs_access_point_id", "fsap-0123456789abcdef0"}},
        "efs_filesystem_id: \"fs-012\" is not an EFS file system id");
    expect_one_problem(
        {{"efs_filesystem_id", "fs-0123456789abcdef0"}, {"efs_access_point_id", "ap-1"}},
        "efs_access_point_id: \"ap-1\" is not an EFS access point id");
}

TEST(EcsConfig, StrategyResolvedWhileLoading) {
    auto env = minimal_env();
    env.erase("SOCKERLESS_ECS_AGENT_IMAGE");
    auto efs = load_ecs_config({"",
                                env,
                                {{"efs_filesystem_id", "fs-0123456789abcdef0"},
                                 {"efs_access_point_id", "fsap-0123456789abcdef0"}}});
    ASSERT_TRUE(efs.has_value()) << efs.error().message;
    EXPECT_FALSE(efs->injection.has_value());
    EXPECT_EQ(efs->strategy, InjectionStrategy::efs);

    auto init = load_ecs_config(
        {"",
         minimal_env(),
         {{"efs_filesystem_id", "fs-0123456789abcdef0"}, {"injection", "init-container"}}});
    ASSERT_TRUE(init.has_value()) << init.error().message;
    EXPECT_EQ(init->strategy, InjectionStrategy::init_container);
}

TEST(EcsConfig, DurationsAndBooleans) {
    for (auto [text, ms] : std::vector<std::pair<std::string, long>>{
             {"60", 60000}, {"60s", 60000}, {"1500ms", 1500}, {"2m", 120000}, {"1h", 3600000}}) {
        auto r = load_ecs_config({"", minimal_env(), {{"health_timeout", text}}});
        ASSERT_TRUE(r.has_value()) << text << ": " << r.error().message;
        EXPECT_EQ(r->health_timeout.count(), ms) << text;
    }
    for (auto [text, value] : std::vector<std::pair<std::string, bool>>{{"true", true},
                                                                        {"Yes", true},
                                                                        {"1", true},
                                                                        {"on", true},
                                                                        {"false", false},
                                                                        {"NO", false},
                                                                        {"0", false},
                                                                        {"off", false}}) {
        auto r = load_ecs_config({"", minimal_env(), {{"assign_public_ip", text}}});
        ASSERT_TRUE(r.has_value()) << text;
        EXPECT_EQ(r->assign_public_ip, value) << text;
    }
}

TEST(EcsConfig, Names) {
    EXPECT_EQ(env_name("security_groups"), "SOCKERLESS_ECS_SECURITY_GROUPS");
    EXPECT_EQ(flag_name("security_groups"), "--security-groups");
    EXPECT_EQ(ecs_config_keys().size(), 23U);
    for (std::string_view key : ecs_config_keys()) {
        std::map<std::string, std::string> env = minimal_env();
        env.emplace(env_name(key), "");  // every key has a variable (empty: unset)
        EXPECT_TRUE(load_ecs_config({"", env, {}}).has_value()) << key;
    }
}

TEST(EcsConfig, ValidationBoundMatchesThePointerBound) {
    EXPECT_LT(max_pointer_overrides_size(), kOverridesBudget);
    EcsConfig c;
    c.region = "us-east-1";
    c.subnets = {std::string(kSubnet)};
    c.agent_image = "sockerless/agent";
    c.payload_bucket = std::string(kMaxBucketLength, 'b');
    c.payload_prefix = std::string(kMaxPayloadPrefixLength, 'p');
    c.endpoint_url = "https://" + std::string(kMaxEndpointUrlLength - 8, 'e');
    EXPECT_TRUE(validate_ecs_config(c).empty());
    EXPECT_LE(max_pointer_overrides_size(payload_target(c)), max_pointer_overrides_size());
}

TEST(PayloadModeNames, RoundTrip) {
    for (PayloadMode m : {PayloadMode::automatic, PayloadMode::always, PayloadMode::never})
        EXPECT_EQ(*parse_payload_mode(format_payload_mode(m)), m);
    EXPECT_EQ(format_payload_mode(PayloadMode::automatic), "auto");
    EXPECT_FALSE(parse_payload_mode("Auto").has_value());
}

}  // namespace
}  // namespace sockerless::ecs
