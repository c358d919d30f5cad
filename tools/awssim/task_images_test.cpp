#include "task_images.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

namespace sockerless::awssim {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

TEST(ContainerModeTest, ParsesAndDecides) {
    EXPECT_EQ(parse_container_mode("host"), ContainerMode::host);
    EXPECT_EQ(parse_container_mode("image"), ContainerMode::image);
    EXPECT_EQ(parse_container_mode("auto"), ContainerMode::automatic);
    EXPECT_FALSE(parse_container_mode("docker"));

    EXPECT_TRUE(runs_from_image(ContainerMode::image, "busybox", false));
    EXPECT_FALSE(runs_from_image(ContainerMode::host, "127.0.0.1:5000/busybox", true));
    auto automatic = [](std::string_view image, bool runtime) {
        return runs_from_image(ContainerMode::automatic, image, runtime);
    };
    EXPECT_TRUE(automatic("127.0.0.1:5000/busybox:latest", true));
    EXPECT_TRUE(automatic("localhost/app", true));
    EXPECT_TRUE(automatic("123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:ab", true));
    EXPECT_FALSE(automatic("127.0.0.1:5000/busybox:latest", false));
    EXPECT_FALSE(automatic("busybox", true));
    EXPECT_FALSE(automatic("library/busybox:1.36", true));
}

TEST(ContainerArgsTest, DockerEntrypointAndCommandRules) {
    ImageConfig image;
    image.entrypoint = {"/entry"};
    image.cmd = {"default", "args"};
    TaskContainer c;
    EXPECT_EQ(container_args(c, image), (std::vector<std::string>{"/entry", "default", "args"}));
    c.command = {"mine"};
    EXPECT_EQ(container_args(c, image), (std::vector<std::string>{"/entry", "mine"}));
    c.command.clear();
    c.entry_point = {"/bin/sh", "-c"};
    // A new entrypoint drops the image's Cmd.
    EXPECT_EQ(container_args(c, image), (std::vector<std::string>{"/bin/sh", "-c"}));
    c.command = {"echo hi"};
    EXPECT_EQ(container_args(c, image), (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
}

class ImageFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() /
                ("task-images-test-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(root_ / "etc");
        std::ofstream(root_ / "etc" / "passwd")
            << "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
               "app:x:1000:1001::/home/app:/bin/sh\n";
        std::ofstream(root_ / "etc" / "group") << "root:x:0:\nstaff:x:50:\napp:x:1001:\n";
    }
    void TearDown() override { fs::remove_all(root_); }

    fs::path root_;
};

TEST_F(ImageFilesTest, ResolvesUsersAndGroups) {
    using Ids = std::pair<std::uint32_t, std::uint32_t>;
    std::string rootfs = root_.string();
    EXPECT_EQ(*resolve_user(rootfs, ""), (Ids{0, 0}));
    EXPECT_EQ(*resolve_user(rootfs, "nobody"), (Ids{65534, 65534}));
    EXPECT_EQ(*resolve_user(rootfs, "app"), (Ids{1000, 1001}));
    EXPECT_EQ(*resolve_user(rootfs, "1000"), (Ids{1000, 1001}));
    EXPECT_EQ(*resolve_user(rootfs, "4242"), (Ids{4242, 0}));
    EXPECT_EQ(*resolve_user(rootfs, "app:staff"), (Ids{1000, 50}));
    EXPECT_EQ(*resolve_user(rootfs, "7:8"), (Ids{7, 8}));
    EXPECT_FALSE(resolve_user(rootfs, "ghost"));
    EXPECT_FALSE(resolve_user(rootfs, "app:ghosts"));
}

TEST_F(ImageFilesTest, MountsTaskAndEfsVolumes) {
    json::array volumes = json::parse(R"([{"name":"scratch"},
        {"name":"data","efsVolumeConfiguration":{"fileSystemId":"fs-1",
            "authorizationConfig":{"accessPointId":"fsap-2"}}},
        {"name":"hostvol","host":{"sourcePath":"/etc"}}])")
                              .as_array();
    std::vector<std::pair<std::string, std::string>> asked;
    EfsResolver efs = [&](std::string_view fs_id, std::string_view ap) -> ApiResult<std::string> {
        asked.emplace_back(fs_id, ap);
        return std::string("/efs/") + std::string(fs_id);
    };
    auto def = json::parse(R"({"mountPoints":[
        {"sourceVolume":"scratch","containerPath":"/shared"},
        {"sourceVolume":"data","containerPath":"/mnt","readOnly":true}]})")
                   .as_object();
    auto mounts = container_mounts(volumes, def, root_.string(), efs);
    ASSERT_TRUE(mounts) << mounts.error().message;
    ASSERT_EQ(mounts->size(), 2u);
    EXPECT_EQ((*mounts)[0].source, (root_ / "volumes" / "scratch").string());
    EXPECT_EQ((*mounts)[0].destination, "/shared");
    EXPECT_FALSE((*mounts)[0].read_only);
    EXPECT_TRUE(fs::is_directory((*mounts)[0].source));
    EXPECT_EQ((*mounts)[1].source, "/efs/fs-1");
    EXPECT_TRUE((*mounts)[1].read_only);
    EXPECT_EQ(asked, (std::vector<std::pair<std::string, std::string>>{{"fs-1", "fsap-2"}}));

    auto host = json::parse(R"({"mountPoints":[{"sourceVolume":"hostvol","containerPath":"/h"}]})");
    EXPECT_FALSE(container_mounts(volumes, host.as_object(), root_.string(), efs));
    auto unknown = json::parse(R"({"mountPoints":[{"sourceVolume":"nope","containerPath":"/n"}]})");
    EXPECT_FALSE(container_mounts(volumes, unknown.as_object(), root_.string(), efs));
    EXPECT_TRUE(container_mounts(volumes, json::object{}, root_.string(), efs)->empty());
}

TEST(HostPathTest, MapsPathsUnderTheLongestMountPoint) {
    std::vector<BundleSpec::Mount> mounts = {{"/state/efs/fs-1/agent", "/sockerless", true},
                                             {"/state/tasks/t/vol", "/sockerless/cache", false}};
    EXPECT_EQ(host_path_of("/sockerless/sockerless-agent", mounts),
              "/state/efs/fs-1/agent/sockerless-agent");
    EXPECT_EQ(host_path_of("/sockerless", mounts), "/state/efs/fs-1/agent");
    EXPECT_EQ(host_path_of("/sockerless/cache/x", mounts), "/state/tasks/t/vol/x");
    EXPECT_EQ(host_path_of("/sockerlessx/y", mounts), "/sockerlessx/y");
    EXPECT_EQ(host_path_of("--", mounts), "--");
    EXPECT_EQ(host_path_of("/bin/sh", {}), "/bin/sh");
}

}  // namespace
}  // namespace sockerless::awssim
