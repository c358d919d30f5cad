#include "agent/user.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sockerless::agent {
namespace {

// Checks that `text` contains `part`, printing both when it does not.
::testing::AssertionResult contains(const std::string& text, std::string_view part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "\"" << text << "\" does not contain \"" << part << "\"";
}

constexpr std::string_view kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
    "bob:x:1001:1001:Bob::/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

constexpr std::string_view kGroup =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "wheel:x:10:root,alice\n"
    "alice:x:1000:\n"
    "bob:x:1001:\n"
    "audio:x:29:bob,alice\n"
    "staff:x:50:carol\n"
    "nogroup:x:65534:\n";

Credentials resolve_ok(std::string_view spec, std::string_view passwd = kPasswd,
                       std::string_view group = kGroup) {
    auto r = resolve_user(spec, passwd, group);
    EXPECT_TRUE(r.has_value()) << "spec \"" << spec << "\": " << r.error().message;
    return r.has_value() ? *r : Credentials{};
}

TEST(ResolveUser, EmptySpecIsRoot) {
    Credentials c = resolve_ok("");
    EXPECT_EQ(c.uid, 0u);
    EXPECT_EQ(c.gid, 0u);
    EXPECT_EQ(c.name, "root");
    EXPECT_EQ(c.home, "/root");
    EXPECT_EQ(c.groups, std::vector<gid_t>{10});
}

TEST(ResolveUser, EmptySpecWithoutPasswdIsUidZero) {
    Credentials c = resolve_ok("", "", "");
    EXPECT_EQ(c.uid, 0u);
    EXPECT_EQ(c.gid, 0u);
    EXPECT_EQ(c.name, "");
    EXPECT_EQ(c.home, "/");
    EXPECT_TRUE(c.groups.empty());
}

TEST(ResolveUser, RootByName) {
    Credentials c = resolve_ok("root");
    EXPECT_EQ(c.uid, 0u);
    EXPECT_EQ(c.gid, 0u);
    EXPECT_EQ(c.name, "root");
    EXPECT_EQ(c.home, "/root");
    EXPECT_EQ(c.groups, std::vector<gid_t>{10});
}

TEST(ResolveUser, NameGivesIdsHomeAndSupplementaryGroups) {
    Credentials c = resolve_ok("alice");
    EXPECT_EQ(c.uid, 1000u);
    EXPECT_EQ(c.gid, 1000u);
    EXPECT_EQ(c.name, "alice");
    EXPECT_EQ(c.home, "/home/alice");
    // In /etc/group order; her primary group (which lists no members) is not repeated.
    EXPECT_EQ(c.groups, (std::vector<gid_t>{10, 29}));
}

TEST(ResolveUser, EmptyHomeFieldBecomesRoot) {
    Credentials c = resolve_ok("bob");
    EXPECT_EQ(c.uid, 1001u);
    EXPECT_EQ(c.home, "/");
    EXPECT_EQ(c.groups, std::vector<gid_t>{29});
}

TEST(ResolveUser, PrimaryGroupListedAsMembershipIsNotSupplementary) {
    std::string group = std::string(kGroup) + "devs:x:1000:alice\n";
    // gid 1000 appears twice (alice and devs); neither is added as supplementary.
    Credentials c = resolve_ok("alice", kPasswd, group);
    EXPECT_EQ(c.gid, 1000u);
    EXPECT_EQ(c.groups, (std::vector<gid_t>{10, 29}));
}

TEST(ResolveUser, NumericUidWithEntryUsesIt) {
    Credentials c = resolve_ok("1000");
    EXPECT_EQ(c.uid, 1000u);
    EXPECT_EQ(c.gid, 1000u);
    EXPECT_EQ(c.name, "alice");
    EXPECT_EQ(c.home, "/home/alice");
    EXPECT_EQ(c.groups, (std::vector<gid_t>{10, 29}));
}

TEST(ResolveUser, NumericUidWithoutEntryNeedsNone) {
    Credentials c = resolve_ok("4242");
    EXPECT_EQ(c.uid, 4242u);
    EXPECT_EQ(c.gid, 0u);
    EXPECT_EQ(c.name, "");
    EXPECT_EQ(c.home, "/");
    EXPECT_TRUE(c.groups.empty());
}

TEST(ResolveUser, NameAndGroupName) {
    Credentials c = resolve_ok("alice:staff");
    EXPECT_EQ(c.uid, 1000u);
    EXPECT_EQ(c.gid, 50u);
    EXPECT_EQ(c.name, "alice");
    EXPECT_EQ(c.home, "/home/alice");
}

TEST(ResolveUser, UidAndGid) {
    Credentials c = resolve_ok("1000:777");
    EXPECT_EQ(c.uid, 1000u);
    EXPECT_EQ(c.gid, 777u);
    EXPECT_EQ(c.name, "alice");

    Credentials unknown = resolve_ok("5000:6000");
    EXPECT_EQ(unknown.uid, 5000u);
    EXPECT_EQ(unknown.gid, 6000u);
    EXPECT_EQ(unknown.home, "/");
    EXPECT_EQ(unknown.name, "");
}

TEST(ResolveUser, NameAndGid) {
    Credentials c = resolve_ok("bob:9999");
    EXPECT_EQ(c.uid, 1001u);
    EXPECT_EQ(c.gid, 9999u);
    EXPECT_EQ(c.name, "bob");
}

TEST(ResolveUser, UidAndGroupName) {
    Credentials c = resolve_ok("4242:audio");
    EXPECT_EQ(c.uid, 4242u);
    EXPECT_EQ(c.gid, 29u);
    EXPECT_EQ(c.home, "/");

    Credentials known = resolve_ok("1001:wheel");
    EXPECT_EQ(known.uid, 1001u);
    EXPECT_EQ(known.gid, 10u);
    EXPECT_EQ(known.name, "bob");
}

TEST(ResolveUser, ExplicitGroupAddsNoSupplementaryGroups) {
    // Current behaviour (as runc): memberships are only added when no group was given.
    EXPECT_TRUE(resolve_ok("alice:staff").groups.empty());
    EXPECT_TRUE(resolve_ok("alice:1000").groups.empty());
    EXPECT_TRUE(resolve_ok("1000:wheel").groups.empty());
}

TEST(ResolveUser, UnknownUserNameIsNotFound) {
    auto r = resolve_user("mallory", kPasswd, kGroup);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_TRUE(contains(r.error().message, "mallory"));
    EXPECT_TRUE(contains(r.error().message, "passwd"));

    auto with_group = resolve_user("mallory:wheel", kPasswd, kGroup);
    ASSERT_FALSE(with_group.has_value());
    EXPECT_EQ(with_group.error().code, Errc::not_found);
    EXPECT_TRUE(contains(with_group.error().message, "mallory"));
}

TEST(ResolveUser, UnknownGroupNameIsNotFound) {
    for (std::string_view spec : {"alice:gophers", "1000:gophers", "4242:gophers", ":gophers"}) {
        auto r = resolve_user(spec, kPasswd, kGroup);
        ASSERT_FALSE(r.has_value()) << spec;
        EXPECT_EQ(r.error().code, Errc::not_found) << spec;
        EXPECT_TRUE(contains(r.error().message, "gophers")) << spec;
        EXPECT_TRUE(contains(r.error().message, "group")) << spec;
    }
}

TEST(ResolveUser, GroupOnlyMeansRootWithThatGroup) {
    Credentials c = resolve_ok(":audio");
    EXPECT_EQ(c.uid, 0u);
    EXPECT_EQ(c.gid, 29u);
    EXPECT_EQ(c.name, "root");
    EXPECT_TRUE(c.groups.empty());
}

TEST(ResolveUser, EmptyGroupIsInvalid) {
    for (std::string_view spec : {"alice:", "1000:", ":"}) {
        auto r = resolve_user(spec, kPasswd, kGroup);
        ASSERT_FALSE(r.has_value()) << spec;
        EXPECT_EQ(r.error().code, Errc::invalid_argument) << spec;
        EXPECT_TRUE(contains(r.error().message, std::string(spec))) << spec;
    }
}

TEST(ResolveUser, MalformedPasswdLinesAreSkipped) {
    constexpr std::string_view kMalformedPasswd =
        "# comment:x:1:1:c:/c:/bin/sh\n"
        "\n"
        "short:x:2:2:/home/short\n"           // six fields
        "baduid:x:abc:3:b:/home/b:/bin/sh\n"  // non-numeric uid
        "badgid:x:4:-4:b:/home/b:/bin/sh\n"   // non-numeric gid
        "emptyuid:x::5:e:/home/e:/bin/sh\n"
        "big:x:99999999999:6:b:/home/b:/bin/sh\n"  // out of range
        "carol:x:1500:1500:Carol:/home/carol:/bin/sh\n"
        "\n";
    for (std::string_view name : {"# comment", "short", "baduid", "badgid", "emptyuid", "big"}) {
        auto r = resolve_user(name, kMalformedPasswd, "");
        ASSERT_FALSE(r.has_value()) << name;
        EXPECT_EQ(r.error().code, Errc::not_found) << name;
    }
    // A skipped line does not attach a name or home to its numeric id either.
    Credentials two = resolve_ok("2", kMalformedPasswd, "");
    EXPECT_EQ(two.name, "");
    EXPECT_EQ(two.home, "/");

    Credentials carol = resolve_ok("carol", kMalformedPasswd, "");
    EXPECT_EQ(carol.uid, 1500u);
    EXPECT_EQ(carol.gid, 1500u);
    EXPECT_EQ(carol.home, "/home/carol");
}

TEST(ResolveUser, MalformedGroupLinesAreSkipped) {
    constexpr std::string_view kMalformedGroup =
        "#wheel:x:10:alice\n"
        "\n"
        "short:x:11\n"         // three fields
        "badgid:x:ab:alice\n"  // non-numeric gid
        "good:x:12:bob,alice\n";
    for (std::string_view spec : {"alice:short", "alice:badgid", "alice:#wheel"}) {
        auto r = resolve_user(spec, kPasswd, kMalformedGroup);
        ASSERT_FALSE(r.has_value()) << spec;
        EXPECT_EQ(r.error().code, Errc::not_found) << spec;
    }
    EXPECT_EQ(resolve_ok("alice:good", kPasswd, kMalformedGroup).gid, 12u);
    EXPECT_EQ(resolve_ok("alice", kPasswd, kMalformedGroup).groups, std::vector<gid_t>{12});
}

class TempRoot : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (std::filesystem::temp_directory_path() / "user_test.XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        root_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        if (!root_.empty()) std::filesystem::remove_all(root_, ec);
    }
    void write(const std::string& rel, std::string_view text) {
        std::filesystem::path p = std::filesystem::path(root_) / rel;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream out(p);
        out << text;
        ASSERT_TRUE(out.good());
    }

    std::string root_;
};

TEST_F(TempRoot, ResolveUserInReadsEtcFiles) {
    write("etc/passwd", kPasswd);
    write("etc/group", kGroup);
    for (const std::string& root : {root_, root_ + "/"}) {
        auto r = resolve_user_in("alice", root);
        ASSERT_TRUE(r.has_value()) << r.error().message;
        EXPECT_EQ(r->uid, 1000u);
        EXPECT_EQ(r->gid, 1000u);
        EXPECT_EQ(r->home, "/home/alice");
        EXPECT_EQ(r->groups, (std::vector<gid_t>{10, 29}));
    }
    auto g = resolve_user_in("nobody:wheel", root_);
    ASSERT_TRUE(g.has_value()) << g.error().message;
    EXPECT_EQ(g->uid, 65534u);
    EXPECT_EQ(g->gid, 10u);
}

TEST_F(TempRoot, ResolveUserInWithoutFiles) {
    auto numeric = resolve_user_in("1000:1000", root_);
    ASSERT_TRUE(numeric.has_value()) << numeric.error().message;
    EXPECT_EQ(numeric->uid, 1000u);
    EXPECT_EQ(numeric->gid, 1000u);
    EXPECT_EQ(numeric->home, "/");
    EXPECT_EQ(numeric->name, "");

    auto root = resolve_user_in("", root_);
    ASSERT_TRUE(root.has_value()) << root.error().message;
    EXPECT_EQ(root->uid, 0u);
    EXPECT_EQ(root->home, "/");

    auto named = resolve_user_in("alice", root_);
    ASSERT_FALSE(named.has_value());
    EXPECT_EQ(named.error().code, Errc::not_found);
    EXPECT_TRUE(contains(named.error().message, "alice"));

    auto group = resolve_user_in("1000:wheel", root_);
    ASSERT_FALSE(group.has_value());
    EXPECT_EQ(group.error().code, Errc::not_found);
    EXPECT_TRUE(contains(group.error().message, "wheel"));
}

TEST_F(TempRoot, ResolveUserInWithPasswdButNoGroup) {
    write("etc/passwd", kPasswd);
    auto r = resolve_user_in("alice", root_);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->uid, 1000u);
    EXPECT_TRUE(r->groups.empty());
}

}  // namespace
}  // namespace sockerless::agent
