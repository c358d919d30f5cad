#include "engine/signals.h"

#include <optional>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>

namespace sockerless::engine {
namespace {

// Linux x86-64 numbers, written out: the daemon sends them to a process on another machine, so
// they must not depend on the daemon's own headers.
TEST(ParseSignal, NamesWithOrWithoutPrefixInAnyCase) {
    const std::pair<std::string_view, int> cases[] = {
        {"SIGTERM", 15}, {"TERM", 15},  {"term", 15}, {"sigterm", 15}, {"SigKill", 9},
        {"KILL", 9},     {"SIGHUP", 1}, {"INT", 2},   {"QUIT", 3},     {"USR1", 10},
        {"USR2", 12},    {"SIGIOT", 6}, {"ABRT", 6},  {"STKFLT", 16},  {"CHLD", 17},
        {"CLD", 17},     {"CONT", 18},  {"STOP", 19}, {"WINCH", 28},   {"IO", 29},
        {"POLL", 29},    {"PWR", 30},   {"SYS", 31},  {"URG", 23},     {"VTALRM", 26},
    };
    for (const auto& [text, number] : cases)
        EXPECT_EQ(parse_signal(text), number) << text;
}

TEST(ParseSignal, Numbers) {
    EXPECT_EQ(parse_signal("15"), 15);
    EXPECT_EQ(parse_signal("9"), 9);
    EXPECT_EQ(parse_signal("1"), 1);
    EXPECT_EQ(parse_signal("015"), 15);  // strconv.Atoi accepts leading zeros
    EXPECT_EQ(parse_signal("31"), 31);
    EXPECT_EQ(parse_signal("34"), 34);
    EXPECT_EQ(parse_signal("64"), 64);
}

TEST(ParseSignal, RealTimeSignalsAsDockerNamesThem) {
    EXPECT_EQ(parse_signal("RTMIN"), 34);
    EXPECT_EQ(parse_signal("SIGRTMIN"), 34);
    EXPECT_EQ(parse_signal("RTMIN+1"), 35);
    EXPECT_EQ(parse_signal("RTMIN+3"), 37);
    EXPECT_EQ(parse_signal("SIGRTMIN+3"), 37);
    EXPECT_EQ(parse_signal("rtmin+3"), 37);
    EXPECT_EQ(parse_signal("RTMIN+15"), 49);
    EXPECT_EQ(parse_signal("RTMAX-14"), 50);
    EXPECT_EQ(parse_signal("RTMAX-1"), 63);
    EXPECT_EQ(parse_signal("RTMAX"), 64);
    EXPECT_EQ(parse_signal("sigrtmax"), 64);
}

TEST(ParseSignal, RefusesWhatDockerRefuses) {
    const std::string_view bad[] = {
        "",         "0",      "00",       "32",       "33",      "65",       "100",
        "1000",     "-1",     "+",        "SIGFOO",   "SIG",     "FOO",      "SIGSIGTERM",
        " TERM",    "TERM ",  "15s",      "SIGTERM2", "RTMIN+0", "RTMIN+16", "RTMAX-0",
        "RTMAX-15", "RTMIN+", "RTMIN+03", "RTMIN-1",  "RTMAX+1", "RTMIN+1a", "RTMIN+100",
    };
    for (std::string_view text : bad)
        EXPECT_EQ(parse_signal(text), std::nullopt) << text;
}

}  // namespace
}  // namespace sockerless::engine
