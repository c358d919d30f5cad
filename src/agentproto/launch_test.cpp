#include "agentproto/launch.h"

#include <gtest/gtest.h>

namespace sockerless::agentproto {
namespace {

LaunchSpec sample() {
    LaunchSpec s;
    s.entrypoint = {"/bin/sh", "-c"};
    s.cmd = {"echo \"hé\" && exit 3"};
    s.env = {"A=1", "B=ü€𝄞", "C=line\nbreak"};
    s.workdir = "/work";
    s.user = "1000:1000";
    s.token = std::string(64, 'a');
    s.tty = true;
    s.open_stdin = true;
    s.keep_alive = true;
    s.linger = true;
    return s;
}

TEST(LaunchPayload, RoundTrips) {
    const LaunchSpec s = sample();
    auto parsed = parse_launch_payload(serialize_launch_payload(s));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(*parsed, s);
}

TEST(LaunchPayload, IsCompactAndVersioned) {
    LaunchSpec s;
    s.token = "t";
    EXPECT_EQ(serialize_launch_payload(s),
              R"({"version":1,"entrypoint":[],"cmd":[],"env":[],"workdir":"","user":"",)"
              R"("token":"t","tty":false,"openStdin":false,"stdinOnce":false,"keepAlive":false,)"
              R"("hold":false,"linger":false})");
}

TEST(LaunchPayload, HoldAndLingerAreOptionalWhenRead) {
    auto parsed = parse_launch_payload(
        R"({"version":1,"entrypoint":[],"cmd":["sh"],"env":[],"workdir":"","user":"",)"
        R"("token":"t","tty":false,"openStdin":false,"stdinOnce":false,"keepAlive":false})");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_FALSE(parsed->hold);
    EXPECT_FALSE(parsed->linger);
    LaunchSpec held;
    held.token = "t";
    held.hold = true;
    held.linger = true;
    auto again = parse_launch_payload(serialize_launch_payload(held));
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_TRUE(again->hold);
    EXPECT_TRUE(again->linger);
}

TEST(LaunchPayload, RefusesWhatItCannotRead) {
    for (std::string_view bad :
         {R"(not json)", R"([1])", R"({"token":"t"})", R"({"version":2,"token":"t"})",
          R"({"version":1,"token":"t","env":"A=1"})", R"({"version":1,"token":"t","cmd":[1]})",
          R"({"version":1,"token":"t","tty":"yes"})", R"({"version":1,"token":"t","linger":1})",
          R"({"version":1})"}) {
        auto parsed = parse_launch_payload(bad);
        ASSERT_FALSE(parsed.has_value()) << bad;
        EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
        EXPECT_TRUE(parsed.error().message.starts_with("launch payload: "))
            << parsed.error().message;
    }
}

}  // namespace
}  // namespace sockerless::agentproto
