#include "backends/ecs/strategy.h"

#include <gtest/gtest.h>

#include "backends/ecs/config.h"

namespace sockerless::ecs {
namespace {

TEST(Strategy, ParseAndFormatRoundTrip) {
    for (InjectionStrategy s : {InjectionStrategy::efs, InjectionStrategy::init_container}) {
        auto parsed = parse_strategy(format_strategy(s));
        ASSERT_TRUE(parsed.has_value());
        EXPECT_EQ(*parsed, s);
    }
    EXPECT_EQ(format_strategy(InjectionStrategy::init_container), "init-container");
}

TEST(Strategy, ParseRefusesOtherNames) {
    for (std::string_view text : {"", "EFS", "init_container", "initcontainer", "volume"}) {
        auto parsed = parse_strategy(text);
        ASSERT_FALSE(parsed.has_value()) << text;
        EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
        EXPECT_NE(parsed.error().message.find("init-container"), std::string::npos);
    }
}

TEST(Strategy, EfsWhenFileSystemConfigured) {
    EcsConfig c;
    c.efs_filesystem_id = "fs-0123456789abcdef0";
    EXPECT_EQ(select_strategy(c), InjectionStrategy::efs);
}

TEST(Strategy, InitContainerFallback) {
    EcsConfig c;
    EXPECT_EQ(select_strategy(c), InjectionStrategy::init_container);
    c.efs_access_point_id = "fsap-0123456789abcdef0";  // an access point alone is not EFS
    EXPECT_EQ(select_strategy(c), InjectionStrategy::init_container);
}

TEST(Strategy, ExplicitSettingWins) {
    EcsConfig c;
    c.efs_filesystem_id = "fs-0123456789abcdef0";
    c.injection = InjectionStrategy::init_container;
    EXPECT_EQ(select_strategy(c), InjectionStrategy::init_container);
    c.efs_filesystem_id.clear();
    c.injection = InjectionStrategy::efs;
    EXPECT_EQ(select_strategy(c), InjectionStrategy::efs);
}

}  // namespace
}  // namespace sockerless::ecs
