#include "agent/launch.h"

#include <gtest/gtest.h>

#include <map>

#include "agent/ca_bundle.h"
#include "agent/spawn.h"

namespace sockerless::agent {
namespace {

using Strings = std::vector<std::string>;

agentproto::LaunchSpec spec_with_command() {
    agentproto::LaunchSpec spec;
    spec.entrypoint = {"/docker-entrypoint.sh"};
    spec.cmd = {"nginx", "-g", "daemon off;"};
    spec.env = {"A=from-payload", "SOCKERLESS_AGENT_TOKEN=leak", "B=2"};
    spec.workdir = "/srv";
    spec.user = "www-data:www-data";
    spec.token = std::string(64, 'f');
    return spec;
}

TEST(WithoutAgentSettings, DropsEverySockerlessVariable) {
    EXPECT_EQ(without_agent_settings({"PATH=/bin", "SOCKERLESS_AGENT_TOKEN=x",
                                      "SOCKERLESS_PAYLOAD_URI=s3://b/k", "MY_SOCKERLESS_X=1",
                                      "SOCKERLESS_PAYLOAD_SHA256=ab", "HOME=/root"}),
              (Strings{"PATH=/bin", "MY_SOCKERLESS_X=1", "HOME=/root"}));
}

TEST(OverlayEnvironment, ReplacesByNameAndAppendsTheRest) {
    EXPECT_EQ(overlay_environment({"A=1", "PATH=/bin", "B=2"}, {"B=3", "C=", "A=x=y"}),
              (Strings{"A=x=y", "PATH=/bin", "B=3", "C="}));
    EXPECT_EQ(overlay_environment({"A=1"}, {}), (Strings{"A=1"}));
}

TEST(ApplyLaunchSpec, ThePayloadIsTheContainer) {
    AgentConfig config;
    config.main.argv = {"/from/the/task/definition"};
    config.server.token = "inline-token";
    apply_launch_spec(spec_with_command(), config);
    EXPECT_EQ(config.main.argv, (Strings{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"}));
    EXPECT_EQ(config.launch_env, (Strings{"A=from-payload", "B=2"}));
    EXPECT_EQ(config.main.defaults.workdir, "/srv");
    EXPECT_EQ(config.main.defaults.user, "www-data:www-data");
    EXPECT_EQ(config.server.token, std::string(64, 'f'));
    EXPECT_FALSE(config.main.keep_alive);
    EXPECT_FALSE(config.main.tty);
}

TEST(ApplyLaunchSpec, AnEmptyCommandKeepsTheCommandLine) {
    AgentConfig config;
    config.main.argv = {"sleep", "1"};
    config.main.defaults.workdir = "/inline";
    auto spec = spec_with_command();
    spec.entrypoint.clear();
    spec.cmd.clear();
    spec.workdir.clear();
    spec.user.clear();
    apply_launch_spec(spec, config);
    EXPECT_EQ(config.main.argv, (Strings{"sleep", "1"}));
    EXPECT_EQ(config.main.defaults.workdir, "/inline");
    EXPECT_EQ(config.main.defaults.user, "");
}

TEST(ApplyLaunchSpec, KeepAliveLeavesNoCommandAndFlagsAdd) {
    AgentConfig config;
    config.main.argv = {"tail", "-f", "/dev/null"};
    config.main.open_stdin = true;  // from a flag
    auto spec = spec_with_command();
    spec.keep_alive = true;
    spec.tty = true;
    spec.stdin_once = true;
    apply_launch_spec(spec, config);
    EXPECT_TRUE(config.main.argv.empty());
    EXPECT_TRUE(config.main.keep_alive);
    EXPECT_TRUE(config.main.tty);
    EXPECT_TRUE(config.main.open_stdin);
    EXPECT_TRUE(config.main.stdin_once);
}

TEST(ApplyLaunchSpec, LingerKeepsTheCommandAndOutlivesIt) {
    AgentConfig config;
    auto spec = spec_with_command();
    spec.linger = true;
    apply_launch_spec(spec, config);
    EXPECT_EQ(config.main.argv, (Strings{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"}));
    EXPECT_TRUE(config.main.keep_alive);
}

GetEnv env_of(std::map<std::string, std::string, std::less<>> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

TEST(LoadLaunchPayload, AnInlineLaunchChangesNothing) {
    AgentConfig config;
    config.main.argv = {"true"};
    auto loaded = load_launch_payload(config, env_of({{"AWS_REGION", "us-east-1"}}));
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(config.main.argv, (Strings{"true"}));
    EXPECT_TRUE(config.launch_env.empty());
}

TEST(LoadLaunchPayload, BadPointerVariablesExit96) {
    AgentConfig config;
    auto loaded = load_launch_payload(config, env_of({{"SOCKERLESS_PAYLOAD_URI", "s3://b/k"},
                                                      {"SOCKERLESS_PAYLOAD_SHA256", "not-a-digest"},
                                                      {"SOCKERLESS_PAYLOAD_LENGTH", "10"}}));
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().exit_code(), 96);
    EXPECT_NE(loaded.error().message.find("SOCKERLESS_PAYLOAD_SHA256"), std::string::npos);
    EXPECT_EQ(loaded.error().message.find("not-a-digest"), std::string::npos);
}

TEST(LoadLaunchPayload, AnUnreadableCaBundleExit96) {
    AgentConfig config;
    auto loaded = load_launch_payload(
        config, env_of({{"SOCKERLESS_PAYLOAD_URI", "s3://b/k"},
                        {"SOCKERLESS_PAYLOAD_SHA256", std::string(64, '0')},
                        {"SOCKERLESS_PAYLOAD_LENGTH", "10"},
                        {"SOCKERLESS_AGENT_CA_BUNDLE", "/nonexistent/ca.pem"}}));
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().exit_code(), 96);
    EXPECT_NE(loaded.error().message.find("s3://b/k: SOCKERLESS_AGENT_CA_BUNDLE"),
              std::string::npos);
}

TEST(BuiltinCaBundle, HoldsTheSystemCertificates) {
    std::string_view pem = builtin_ca_bundle();
    EXPECT_GT(pem.size(), 10'000u);
    EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
    EXPECT_TRUE(trusted_ca_pem(env_of({})).has_value());
}

}  // namespace
}  // namespace sockerless::agent
