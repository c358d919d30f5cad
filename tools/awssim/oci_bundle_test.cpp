#include "oci_bundle.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace sockerless::awssim {
namespace {
namespace json = boost::json;

BundleSpec spec() {
    BundleSpec s;
    s.rootfs_dir = "/var/lib/images/abc/rootfs";
    s.args = {"sh", "-c", "id -un"};
    s.env = {"A=b"};
    s.uid = 1000;
    s.gid = 1001;
    s.hostname = "task-1";
    s.mounts = {{"/srv/efs/fs-1/agent", "/mnt/efs", true}, {"/srv/scratch", "/scratch", false}};
    return s;
}

json::object config(const BundleSpec& s) {
    return json::parse(bundle_config(s, {Rlimit{"RLIMIT_NOFILE", 20000, 20000}})).as_object();
}

std::string str(const json::value& v) {
    return std::string(v.as_string());
}

TEST(OciBundleTest, ProcessAndRoot) {
    auto c = config(spec());
    EXPECT_EQ(str(c.at("ociVersion")), "1.0.2");
    const auto& p = c.at("process").as_object();
    EXPECT_FALSE(p.at("terminal").as_bool());
    EXPECT_EQ(p.at("user").at("uid").to_number<int>(), 1000);
    EXPECT_EQ(p.at("user").at("gid").to_number<int>(), 1001);
    EXPECT_EQ(json::serialize(p.at("args")), R"(["sh","-c","id -un"])");
    EXPECT_EQ(json::serialize(p.at("env")),
              R"(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=b"])");
    EXPECT_EQ(str(p.at("cwd")), "/");
    EXPECT_EQ(json::serialize(p.at("rlimits")),
              R"([{"type":"RLIMIT_NOFILE","soft":20000,"hard":20000}])");
    const auto& caps = p.at("capabilities").at("bounding").as_array();
    EXPECT_NE(std::ranges::find(caps, json::value("CAP_NET_BIND_SERVICE")), caps.end());
    EXPECT_EQ(std::ranges::find(caps, json::value("CAP_SYS_ADMIN")), caps.end());
    EXPECT_EQ(str(c.at("root").at("path")), "/var/lib/images/abc/rootfs");
    EXPECT_EQ(str(c.at("hostname")), "task-1");

    BundleSpec with_path = spec();
    with_path.env = {"PATH=/custom"};
    with_path.cwd = "/work";
    with_path.terminal = true;
    auto c2 = config(with_path);
    EXPECT_EQ(json::serialize(c2.at("process").at("env")), R"(["PATH=/custom"])");
    EXPECT_EQ(str(c2.at("process").at("cwd")), "/work");
    EXPECT_TRUE(c2.at("process").at("terminal").as_bool());
}

TEST(OciBundleTest, NamespacesWithoutNetwork) {
    auto c = config(spec());
    std::vector<std::string> types;
    for (const auto& ns : c.at("linux").at("namespaces").as_array())
        types.push_back(str(ns.at("type")));
    EXPECT_EQ(types, (std::vector<std::string>{"pid", "mount", "ipc", "uts"}));
    EXPECT_FALSE(c.at("linux").as_object().contains("resources"));
    EXPECT_FALSE(c.at("linux").at("maskedPaths").as_array().empty());
}

TEST(OciBundleTest, Mounts) {
    auto c = config(spec());
    std::map<std::string, json::object> by_destination;
    for (const auto& m : c.at("mounts").as_array())
        by_destination[str(m.at("destination"))] = m.as_object();
    for (const char* d : {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"})
        EXPECT_TRUE(by_destination.contains(d)) << d;
    EXPECT_EQ(str(by_destination["/proc"].at("type")), "proc");
    EXPECT_EQ(str(by_destination["/dev"].at("type")), "tmpfs");
    EXPECT_EQ(json::serialize(by_destination["/sys"].at("options")),
              R"(["nosuid","noexec","nodev","ro"])");
    const auto& efs = by_destination["/mnt/efs"];
    EXPECT_EQ(str(efs.at("type")), "bind");
    EXPECT_EQ(str(efs.at("source")), "/srv/efs/fs-1/agent");
    EXPECT_EQ(json::serialize(efs.at("options")), R"(["rbind","rprivate","ro"])");
    EXPECT_EQ(json::serialize(by_destination["/scratch"].at("options")), R"(["rbind","rprivate"])");
}

TEST(OciBundleTest, RlimitsStayUnderTheHardLimit) {
    struct rlimit current {};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &current), 0);
    auto limits = container_rlimits();
    ASSERT_EQ(limits.size(), 1u);
    EXPECT_EQ(limits[0].type, "RLIMIT_NOFILE");
    EXPECT_LE(limits[0].hard, current.rlim_max);
    EXPECT_LE(limits[0].hard, 1048576u);
    EXPECT_EQ(limits[0].soft, limits[0].hard);
}

TEST(OciBundleTest, WriteBundle) {
    std::string dir = (std::filesystem::temp_directory_path() / "awssim-bundle-XXXXXX");
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    ASSERT_TRUE(write_bundle(dir + "/b", spec()).has_value());
    std::ifstream in(dir + "/b/config.json");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(str(json::parse(text).at("hostname")), "task-1");

    BundleSpec no_args = spec();
    no_args.args.clear();
    EXPECT_FALSE(write_bundle(dir + "/c", no_args).has_value());
    BundleSpec relative = spec();
    relative.mounts.push_back({"efs", "/x", false});
    EXPECT_EQ(write_bundle(dir + "/c", relative).error().code, "InvalidParameterException");
    BundleSpec bad_cwd = spec();
    bad_cwd.cwd = "work";
    EXPECT_FALSE(write_bundle(dir + "/c", bad_cwd).has_value());
    std::filesystem::remove_all(dir);
}

TEST(OciBundleTest, RuntimeAvailabilityLooksForRuncOnPath) {
    std::string dir = (std::filesystem::temp_directory_path() / "awssim-path-XXXXXX");
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    const char* saved = std::getenv("PATH");
    std::string old_path = saved ? saved : "";
    ::setenv("PATH", dir.c_str(), 1);
    bool without = oci_runtime_available();
    std::ofstream(dir + "/runc") << "#!/bin/sh\n";
    std::filesystem::permissions(dir + "/runc", std::filesystem::perms::owner_all);
    bool with = oci_runtime_available();
    ::setenv("PATH", old_path.c_str(), 1);
    std::filesystem::remove_all(dir);
    EXPECT_FALSE(without);
    EXPECT_EQ(with, ::geteuid() == 0);
}

}  // namespace
}  // namespace sockerless::awssim
