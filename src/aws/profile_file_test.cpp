#include "aws/profile_file.h"

#include <gtest/gtest.h>

// Cases follow botocore's configloader (RawConfigParser underneath, then build_profile_map) and
// the SDKs' shared file-format reference; where they differ the difference is named.

namespace sockerless::aws {
namespace {

std::string get(const Profiles& p, const std::string& profile, const std::string& key) {
    auto it = p.find(profile);
    if (it == p.end()) return "<no profile>";
    auto kv = it->second.find(key);
    return kv == it->second.end() ? "<no key>" : kv->second;
}

TEST(ProfileFile, CredentialsFileSectionsAreBareNames) {
    const Profiles p = parse_profile_file(
        "[default]\naws_access_key_id = AKIA1\n[profile dev]\naws_access_key_id = AKIA2\n",
        ProfileFileKind::credentials);
    EXPECT_EQ(get(p, "default", "aws_access_key_id"), "AKIA1");
    // The credentials file takes names literally; "profile dev" is not "dev".
    EXPECT_EQ(get(p, "profile dev", "aws_access_key_id"), "AKIA2");
    EXPECT_EQ(get(p, "dev", "aws_access_key_id"), "<no profile>");
}

TEST(ProfileFile, ConfigFileNeedsProfilePrefixExceptDefault) {
    const Profiles p = parse_profile_file(
        "[default]\nregion=us-east-1\n"
        "[profile dev]\nregion=eu-west-1\n"
        "[profile\tci]\nregion=us-east-2\n"
        "[ staging ]\nregion=ignored\n"
        "[profiledev]\nregion=ignored\n"
        "[sso-session corp]\nsso_region=us-east-1\n"
        "[services my-services]\nregion=ignored\n",
        ProfileFileKind::config);
    EXPECT_EQ(get(p, "default", "region"), "us-east-1");
    EXPECT_EQ(get(p, "dev", "region"), "eu-west-1");
    EXPECT_EQ(get(p, "ci", "region"), "us-east-2");
    EXPECT_EQ(p.size(), 3U);
}

TEST(ProfileFile, WhitespaceAndCase) {
    const Profiles p = parse_profile_file(
        "  [  profile   dev  ]  \r\n"
        "\tAWS_Access_Key_ID\t=\tAKIAWS  \r\n"
        "aws_secret_access_key=abc/def+ghi=\r\n"
        "empty =\r\n",
        ProfileFileKind::config);
    EXPECT_EQ(get(p, "dev", "aws_access_key_id"), "AKIAWS");
    EXPECT_EQ(get(p, "dev", "aws_secret_access_key"), "abc/def+ghi=");  // '=' inside the value
    EXPECT_EQ(get(p, "dev", "empty"), "");
}

TEST(ProfileFile, Comments) {
    const Profiles p = parse_profile_file(
        "# full-line comment\n"
        "; another\n"
        "[default] # after a header\n"
        "region = us-west-2 # trailing\n"
        "output = json;not-a-comment\n"
        "  # indented comment\n"
        "aws_secret_access_key = a#b;c ; trailing\n",
        ProfileFileKind::config);
    EXPECT_EQ(get(p, "default", "region"), "us-west-2");
    EXPECT_EQ(get(p, "default", "output"), "json;not-a-comment");
    EXPECT_EQ(get(p, "default", "aws_secret_access_key"), "a#b;c");
}

TEST(ProfileFile, NestedSettingsAreSkipped) {
    const Profiles p = parse_profile_file(
        "[default]\n"
        "s3 =\n"
        "    max_concurrent_requests = 20\n"
        "    region = nested-not-top-level\n"
        "region = us-west-2\n",
        ProfileFileKind::config);
    EXPECT_EQ(get(p, "default", "s3"), "");
    EXPECT_EQ(get(p, "default", "max_concurrent_requests"), "<no key>");
    EXPECT_EQ(get(p, "default", "region"), "us-west-2");
}

TEST(ProfileFile, RepeatedProfilesMergeLaterWins) {
    const Profiles p =
        parse_profile_file("[default]\nregion = a\noutput = json\n[default]\nregion = b\n",
                           ProfileFileKind::credentials);
    EXPECT_EQ(get(p, "default", "region"), "b");
    EXPECT_EQ(get(p, "default", "output"), "json");
}

TEST(ProfileFile, JunkIsIgnored) {
    const Profiles p = parse_profile_file(
        "orphan = before any section\n"
        "[default\n"
        "[]\n"
        "[default] junk after\n"
        "region = not-in-any-profile\n"
        "[default]\n"
        "no equals sign\n"
        "= no key\n"
        "region = kept\n",
        ProfileFileKind::credentials);
    ASSERT_EQ(p.size(), 1U);
    EXPECT_EQ(p.at("default").size(), 1U);
    EXPECT_EQ(get(p, "default", "region"), "kept");
}

TEST(ProfileFile, ByteOrderMarkAndNoTrailingNewline) {
    const Profiles p =
        parse_profile_file("\xEF\xBB\xBF[default]\nregion = eu-north-1", ProfileFileKind::config);
    EXPECT_EQ(get(p, "default", "region"), "eu-north-1");
}

TEST(ProfileFile, EmptyInput) {
    EXPECT_TRUE(parse_profile_file("", ProfileFileKind::config).empty());
    EXPECT_TRUE(parse_profile_file("\n\n# nothing\n", ProfileFileKind::credentials).empty());
}

}  // namespace
}  // namespace sockerless::aws
