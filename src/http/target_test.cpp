#include "http/target.h"

#include <gtest/gtest.h>

namespace sockerless::http {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

TEST(ParseTarget, NoPrefix) {
    Target t = parse_target("/containers/json");
    EXPECT_EQ(t.path, "/containers/json");
    EXPECT_FALSE(t.version);
    EXPECT_TRUE(t.query.empty());
}

TEST(ParseTarget, VersionPrefixStripped) {
    Target t = parse_target("/v1.44/containers/json?all=1");
    EXPECT_EQ(t.path, "/containers/json");
    ASSERT_TRUE(t.version);
    EXPECT_EQ(*t.version, (ApiVersion{1, 44}));
    EXPECT_EQ(t.version_text, "1.44");
    EXPECT_EQ(t.query, (Query{{"all", "1"}}));
}

TEST(ParseTarget, PrefixAlone) {
    Target t = parse_target("/v1.41");
    EXPECT_EQ(t.path, "/");
    EXPECT_EQ(*t.version, (ApiVersion{1, 41}));
    EXPECT_EQ(parse_target("/v1.41?x=1").path, "/");
}

TEST(ParseTarget, MalformedPrefixIsAPathSegment) {
    for (const char* target :
         {"/vfoo/_ping", "/v1/_ping", "/v1.x/_ping", "/v/_ping", "/v1.2.3/a"}) {
        Target t = parse_target(target);
        EXPECT_FALSE(t.version) << target;
        EXPECT_EQ(t.path, std::string(target)) << target;
    }
    EXPECT_EQ(parse_target("/version").path, "/version");
}

TEST(ParseTarget, PathIsPercentDecodedAfterThePrefix) {
    Target t = parse_target("/v1.44/images/docker.io%2Flibrary%2Fbusybox:latest/json");
    EXPECT_EQ(t.path, "/images/docker.io/library/busybox:latest/json");
    EXPECT_EQ(parse_target("/a+b/%41%zz%4").path, "/a+b/A%zz%4");
}

TEST(ParseQuery, FormRules) {
    EXPECT_EQ(parse_query("a=1&b=x+y&a=2&flag"),
              (Query{{"a", "1"}, {"b", "x y"}, {"a", "2"}, {"flag", ""}}));
    EXPECT_EQ(parse_query("filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D"),
              (Query{{"filters", "{\"label\":[\"a=b\"]}"}}));
    EXPECT_EQ(parse_query("&&a=&=v&"), (Query{{"a", ""}, {"", "v"}}));
    EXPECT_EQ(parse_query("k%2Bx=1%2B1"), (Query{{"k+x", "1+1"}}));
    EXPECT_EQ(parse_query("a=b=c"), (Query{{"a", "b=c"}}));
    EXPECT_TRUE(parse_query("").empty());
}

TEST(PercentDecode, PlusOnlyInForms) {
    EXPECT_EQ(percent_decode("a+b%20c", true), "a b c");
    EXPECT_EQ(percent_decode("a+b%20c", false), "a+b c");
    EXPECT_EQ(percent_decode("%", false), "%");
    EXPECT_EQ(percent_decode("%4", false), "%4");
    EXPECT_EQ(percent_decode("%00", false), std::string(1, '\0'));
    EXPECT_EQ(percent_decode("%e2%82%AC", false), "\xe2\x82\xac");
}

TEST(VersionRefusal, DockerMessages) {
    EXPECT_FALSE(version_refusal(parse_target("/_ping"), true));
    EXPECT_FALSE(version_refusal(parse_target("/v1.24/_ping"), true));
    EXPECT_FALSE(version_refusal(parse_target("/v1.44/_ping"), true));
    EXPECT_FALSE(version_refusal(parse_target("/v1.45/_ping"), false));
    EXPECT_EQ(version_refusal(parse_target("/v1.45/_ping"), true),
              "client version 1.45 is too new. Maximum supported API version is 1.44");
    EXPECT_EQ(version_refusal(parse_target("/v1.23/_ping"), false),
              "client version 1.23 is too old. Minimum supported API version is 1.24, please "
              "upgrade your client to a newer version");
    EXPECT_EQ(*version_refusal(parse_target("/v1.9/_ping"), false),
              "client version 1.9 is too old. Minimum supported API version is 1.24, please "
              "upgrade your client to a newer version");
}

}  // namespace
}  // namespace sockerless::http
