#include "backends/ecs/entrypoint.h"

#include <gtest/gtest.h>

#include <set>

namespace sockerless::ecs {
namespace {

using Argv = std::vector<std::string>;

TEST(KeepAlive, IdleCommandsOfCiSystems) {
    const std::vector<std::pair<Argv, Argv>> idle = {
        {{"tail", "-f", "/dev/null"}, {}},
        {{"tail"}, {"-f", "/dev/null"}},  // GitHub Actions: entrypoint tail, args -f /dev/null
        {{}, {"tail", "-F", "/dev/null"}},
        {{"/usr/bin/tail", "-f"}, {"/dev/null"}},
        {{}, {"sleep", "infinity"}},
        {{"/bin/sleep"}, {"inf"}},
        {{"sh", "-c"}, {"tail -f /dev/null"}},
        {{"/bin/sh", "-c", "sleep infinity"}, {}},
        {{}, {"/bin/bash", "-c", "  exec tail -F /dev/null\n"}},
        {{"/bin/sh"}, {"-c", "exec\tsleep inf"}},
    };
    for (const auto& [entrypoint, cmd] : idle) {
        EXPECT_TRUE(is_keep_alive(entrypoint, cmd))
            << ::testing::PrintToString(entrypoint) << " " << ::testing::PrintToString(cmd);
    }
}

TEST(KeepAlive, EverythingElseRuns) {
    const std::vector<std::pair<Argv, Argv>> busy = {
        {{}, {}},
        {{"tail", "-f", "/var/log/app.log"}, {}},
        {{"tail", "-f", "/dev/null", "x"}, {}},
        {{"tail", "/dev/null"}, {}},
        {{"tail", "-n", "/dev/null"}, {}},
        {{"sleep", "3600"}, {}},
        {{"sleep", "infinity", "extra"}, {}},
        {{"mytail", "-f", "/dev/null"}, {}},
        {{"sh", "-c", "tail -f /dev/null; echo done"}, {}},
        {{"sh", "-c", "tail -f /dev/null && true"}, {}},
        {{"sh", "-c", "exec exec sleep infinity"}, {}},
        {{"sh", "-c", "tail -f /dev/null", "extra"}, {}},
        {{"python", "-c", "sleep infinity"}, {}},
        {{"sh", "-x", "sleep infinity"}, {}},
        {{"/docker-entrypoint.sh"}, {"nginx", "-g", "daemon off;"}},
    };
    for (const auto& [entrypoint, cmd] : busy) {
        EXPECT_FALSE(is_keep_alive(entrypoint, cmd))
            << ::testing::PrintToString(entrypoint) << " " << ::testing::PrintToString(cmd);
    }
}

TEST(AgentCommand, EntrypointThenCmd) {
    agentproto::LaunchSpec spec;
    spec.entrypoint = {"/docker-entrypoint.sh"};
    spec.cmd = {"nginx", "-g", "daemon off;"};
    EXPECT_EQ(agent_command(spec), (Argv{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"}));
    spec.entrypoint.clear();
    EXPECT_EQ(agent_command(spec), (Argv{"nginx", "-g", "daemon off;"}));
}

TEST(AgentCommand, EmptyForKeepAlive) {
    agentproto::LaunchSpec spec;
    spec.cmd = {"tail", "-f", "/dev/null"};
    spec.keep_alive = true;
    EXPECT_TRUE(agent_command(spec).empty());
}

TEST(AgentToken, SixtyFourLowercaseHexAndUnique) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        auto token = new_agent_token();
        ASSERT_TRUE(token.has_value());
        ASSERT_EQ(token->size(), 64U);
        for (char c : *token)
            ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << *token;
        EXPECT_TRUE(seen.insert(*token).second) << "repeated token " << *token;
    }
}

}  // namespace
}  // namespace sockerless::ecs
