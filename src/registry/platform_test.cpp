#include "registry/platform.h"

#include <gtest/gtest.h>

namespace sockerless::registry {

void PrintTo(const Platform& platform, std::ostream* os) {
    *os << platform.os << "/" << platform.architecture << "/" << platform.variant;
}

namespace {

Platform p(std::string os, std::string arch, std::string variant = "") {
    return Platform{std::move(os), std::move(arch), std::move(variant)};
}

TEST(Platform, ParsesSpecifiersAsContainerd) {
    EXPECT_EQ(*parse_platform("linux/amd64"), p("linux", "amd64"));
    EXPECT_EQ(*parse_platform("linux/arm64/v8"), p("linux", "arm64", "v8"));
    EXPECT_EQ(*parse_platform("linux/arm64"), p("linux", "arm64"));
    EXPECT_EQ(*parse_platform("linux/aarch64"), p("linux", "arm64"));
    EXPECT_EQ(*parse_platform("linux/x86_64"), p("linux", "amd64"));
    EXPECT_EQ(*parse_platform("linux/arm"), p("linux", "arm"));
    EXPECT_EQ(*parse_platform("linux/arm/v6"), p("linux", "arm", "v6"));
    EXPECT_EQ(*parse_platform("linux/armhf"), p("linux", "arm"));  // v7 is arm's default
    EXPECT_EQ(*parse_platform("Linux/AMD64"), p("linux", "amd64"));
    EXPECT_EQ(*parse_platform("arm64"), p("linux", "arm64"));
    EXPECT_EQ(parse_platform("linux")->os, "linux");
    EXPECT_EQ(parse_platform("linux")->architecture, host_platform().architecture);
}

TEST(Platform, RefusesMalformedSpecifiers) {
    for (const char* bad :
         {"", "linux/", "linux/amd64/v1/x", "linux/am d64", "nosuchthing", "linux//amd64"}) {
        Result<Platform> parsed = parse_platform(bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_EQ(parsed.error().code, Errc::invalid_argument) << bad;
    }
}

TEST(Platform, FormatsAsDockerMessagesDo) {
    EXPECT_EQ(p("linux", "amd64").str(), "linux/amd64");
    EXPECT_EQ(parse_platform("linux/arm64/v8")->str(), "linux/arm64/v8");
    EXPECT_EQ(p("", "amd64").str(), "unknown");
}

TEST(Platform, HostIsLinuxInGoSpelling) {
    const Platform host = host_platform();
    EXPECT_EQ(host.os, "linux");
#if defined(__x86_64__)
    EXPECT_EQ(host, p("linux", "amd64"));
#elif defined(__aarch64__)
    EXPECT_EQ(host, p("linux", "arm64"));
#endif
}

TEST(Platform, NormalizeDropsDefaultVariants) {
    EXPECT_EQ(normalize(p("linux", "arm64", "v8")), p("linux", "arm64"));
    EXPECT_EQ(normalize(p("linux", "amd64", "v1")), p("linux", "amd64"));
    EXPECT_EQ(normalize(p("linux", "arm", "")), p("linux", "arm", "v7"));
    EXPECT_EQ(normalize(p("linux", "arm", "6")), p("linux", "arm", "v6"));
    EXPECT_EQ(normalize(p("", "i386", "")), p("linux", "386"));
    EXPECT_EQ(normalize(p("macos", "arm64", "")), p("darwin", "arm64"));
}

std::vector<std::string> names(const std::vector<Platform>& ps) {
    std::vector<std::string> out;
    for (const Platform& x : ps)
        out.push_back(x.str());
    return out;
}

TEST(Platform, FallbackVectorsMatchContainerd) {
    using V = std::vector<std::string>;
    EXPECT_EQ(names(compatible_platforms(p("linux", "amd64"))), (V{"linux/amd64", "linux/386"}));
    EXPECT_EQ(names(compatible_platforms(p("linux", "amd64", "v3"))),
              (V{"linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386"}));
    EXPECT_EQ(names(compatible_platforms(p("linux", "arm", "v7"))),
              (V{"linux/arm/v7", "linux/arm/v6", "linux/arm/v5"}));
    EXPECT_EQ(names(compatible_platforms(p("linux", "arm64"))),
              (V{"linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"}));
    EXPECT_EQ(names(compatible_platforms(p("linux", "arm64", "v8.2"))),
              (V{"linux/arm64/v8.2", "linux/arm64/v8.1", "linux/arm64", "linux/arm/v8",
                 "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"}));
    EXPECT_EQ(names(compatible_platforms(p("linux", "arm64", "v9.1"))),
              (V{"linux/arm64/v9.1", "linux/arm64/v9", "linux/arm64/v8.6", "linux/arm64/v8.5",
                 "linux/arm64/v8.4", "linux/arm64/v8.3", "linux/arm64/v8.2", "linux/arm64/v8.1",
                 "linux/arm64", "linux/arm/v8", "linux/arm/v7", "linux/arm/v6", "linux/arm/v5"}));
}

TEST(Platform, BestMatchPrefersExactThenFallbacksInOrder) {
    const std::vector<Platform> list = {p("linux", "arm", "v5"), p("linux", "arm", "v6"),
                                        p("linux", "386"), p("linux", "amd64"),
                                        p("linux", "arm64", "v8")};
    EXPECT_EQ(best_match(list, p("linux", "amd64")), 3U);
    EXPECT_EQ(best_match(list, p("linux", "arm64")), 4U);
    EXPECT_EQ(best_match(list, p("linux", "arm64", "v8")), 4U);
    EXPECT_EQ(best_match(list, p("linux", "arm", "v7")), 1U);  // v6 before v5
    EXPECT_EQ(best_match(list, p("linux", "arm", "v5")), 0U);
    EXPECT_EQ(best_match(list, p("windows", "amd64")), std::nullopt);
    EXPECT_EQ(best_match(list, p("linux", "s390x")), std::nullopt);

    const std::vector<Platform> only_386 = {p("linux", "386")};
    EXPECT_EQ(best_match(only_386, p("linux", "amd64")), 0U);
    const std::vector<Platform> arm32 = {p("linux", "arm", "v7")};
    EXPECT_EQ(best_match(arm32, p("linux", "arm64")), 0U);
    // An arm/v7 image in a list that spells it without the variant still matches.
    const std::vector<Platform> plain_arm = {p("linux", "arm")};
    EXPECT_EQ(best_match(plain_arm, p("linux", "arm", "v7")), 0U);
}

TEST(Platform, EqualCandidatesKeepListOrder) {
    const std::vector<Platform> list = {p("linux", "amd64"), p("linux", "x86_64")};
    EXPECT_EQ(best_match(list, p("linux", "amd64")), 0U);
}

}  // namespace
}  // namespace sockerless::registry
