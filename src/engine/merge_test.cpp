#include "engine/merge.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sockerless::engine {
namespace {

using Strings = std::vector<std::string>;
constexpr std::int64_t kSecond = 1'000'000'000;

// An image with every mergeable field set, as a Dockerfile would leave it.
Image sample_image() {
    Image image;
    image.id = "sha256:" + std::string(64, 'a');
    ContainerConfig& c = image.config;
    c.user = "app";
    c.env = {"PATH=/usr/local/bin:/usr/bin", "LANG=C.UTF-8", "HOME=/home/app"};
    c.labels = {{"maintainer", "image"}, {"version", "1.0"}};
    c.entrypoint = Strings{"/docker-entrypoint.sh"};
    c.cmd = Strings{"nginx", "-g", "daemon off;"};
    c.args_escaped = true;
    c.working_dir = "/srv";
    c.exposed_ports = {"80/tcp", "443/tcp"};
    c.volumes = {"/data"};
    c.stop_signal = "SIGQUIT";
    c.healthcheck = HealthConfig{{"CMD-SHELL", "curl -f http://localhost/"},
                                 30 * kSecond,
                                 3 * kSecond,
                                 10 * kSecond,
                                 2 * kSecond,
                                 3};
    c.on_build = {"RUN make"};
    c.shell = {"/bin/bash", "-c"};
    c.image = "sha256:base";
    return image;
}

TEST(MergeImageConfig, AnEmptyRequestTakesTheImagesDefaults) {
    ContainerConfig user;
    user.image = "nginx";
    const ContainerConfig merged = merge_image_config(user, sample_image());
    EXPECT_EQ(merged.user, "app");
    EXPECT_EQ(merged.env,
              (Strings{"PATH=/usr/local/bin:/usr/bin", "LANG=C.UTF-8", "HOME=/home/app"}));
    EXPECT_EQ(merged.labels,
              (std::map<std::string, std::string>{{"maintainer", "image"}, {"version", "1.0"}}));
    EXPECT_EQ(merged.entrypoint, Strings{"/docker-entrypoint.sh"});
    EXPECT_EQ(merged.cmd, (Strings{"nginx", "-g", "daemon off;"}));
    EXPECT_TRUE(merged.args_escaped);
    EXPECT_EQ(merged.working_dir, "/srv");
    EXPECT_EQ(merged.exposed_ports, (std::set<std::string>{"443/tcp", "80/tcp"}));
    EXPECT_EQ(merged.volumes, std::set<std::string>{"/data"});
    EXPECT_EQ(merged.stop_signal, "SIGQUIT");
    ASSERT_TRUE(merged.healthcheck.has_value());
    EXPECT_EQ(merged.healthcheck->test, (Strings{"CMD-SHELL", "curl -f http://localhost/"}));
    EXPECT_EQ(merged.healthcheck->interval, 30 * kSecond);
    // The name the client asked for stays; it is not the image's own config "Image".
    EXPECT_EQ(merged.image, "nginx");
}

TEST(MergeImageConfig, OnBuildAndShellStayTheImages) {
    const ContainerConfig merged = merge_image_config(ContainerConfig{}, sample_image());
    EXPECT_TRUE(merged.on_build.empty());
    EXPECT_TRUE(merged.shell.empty());
}

TEST(MergeImageConfig, UserEnvComesFirstThenImageVariablesNotOverridden) {
    ContainerConfig user;
    user.env = {"LANG=de_DE.UTF-8", "EXTRA=1", "HOME"};
    const ContainerConfig merged = merge_image_config(user, sample_image());
    // "HOME" without '=' still names HOME: the image's HOME is not added.
    EXPECT_EQ(merged.env,
              (Strings{"LANG=de_DE.UTF-8", "EXTRA=1", "HOME", "PATH=/usr/local/bin:/usr/bin"}));
}

TEST(MergeImageConfig, ImageVariablesAreComparedWithTheUsersOnly) {
    Image image;
    image.config.env = {"A=1", "A=2", "B=3"};
    ContainerConfig user;
    user.env = {"B=user"};
    EXPECT_EQ(merge_image_config(user, image).env, (Strings{"B=user", "A=1", "A=2"}));
}

TEST(MergeImageConfig, UserLabelsWinImageLabelsAreAdded) {
    ContainerConfig user;
    user.labels = {{"version", "2.0"}, {"team", "web"}};
    EXPECT_EQ(merge_image_config(user, sample_image()).labels,
              (std::map<std::string, std::string>{
                  {"maintainer", "image"}, {"team", "web"}, {"version", "2.0"}}));
}

TEST(MergeImageConfig, UserCmdKeepsTheImagesEntrypoint) {
    ContainerConfig user;
    user.cmd = Strings{"nginx", "-T"};
    const ContainerConfig merged = merge_image_config(user, sample_image());
    EXPECT_EQ(merged.entrypoint, Strings{"/docker-entrypoint.sh"});
    EXPECT_EQ(merged.cmd, (Strings{"nginx", "-T"}));
    EXPECT_FALSE(merged.args_escaped);  // ArgsEscaped travels with the image's Cmd only
}

TEST(MergeImageConfig, AnEmptyCmdIsTakenAsAbsent) {
    ContainerConfig user;
    user.cmd.emplace();
    EXPECT_EQ(merge_image_config(user, sample_image()).cmd,
              (Strings{"nginx", "-g", "daemon off;"}));
}

TEST(MergeImageConfig, UserEntrypointDropsTheImagesCmd) {
    ContainerConfig user;
    user.entrypoint = Strings{"/bin/sh"};
    const ContainerConfig merged = merge_image_config(user, sample_image());
    EXPECT_EQ(merged.entrypoint, Strings{"/bin/sh"});
    EXPECT_EQ(merged.cmd, std::nullopt);
    EXPECT_FALSE(merged.args_escaped);
}

TEST(MergeImageConfig, UserEntrypointAndCmdAreBothKept) {
    ContainerConfig user;
    user.entrypoint = Strings{"/bin/sh", "-c"};
    user.cmd = Strings{"echo hi"};
    const ContainerConfig merged = merge_image_config(user, sample_image());
    EXPECT_EQ(merged.entrypoint, (Strings{"/bin/sh", "-c"}));
    EXPECT_EQ(merged.cmd, Strings{"echo hi"});
}

// `docker run --entrypoint "" image` sends [""]: the image's entrypoint and Cmd are both
// dropped and the entrypoint ends up null (then create refuses: no command).
TEST(MergeImageConfig, EntrypointOfOneEmptyStringClearsBoth) {
    ContainerConfig user;
    user.entrypoint = Strings{""};
    const ContainerConfig merged = merge_image_config(user, sample_image());
    EXPECT_EQ(merged.entrypoint, std::nullopt);
    EXPECT_EQ(merged.cmd, std::nullopt);
}

// `docker run --entrypoint "" image echo hi` runs `echo hi`.
TEST(MergeImageConfig, EntrypointOfOneEmptyStringRunsTheUsersCmd) {
    ContainerConfig user;
    user.entrypoint = Strings{""};
    user.cmd = Strings{"echo", "hi"};
    Container c;
    c.config = merge_image_config(user, sample_image());
    EXPECT_EQ(c.config.entrypoint, std::nullopt);
    EXPECT_EQ(c.path(), "echo");
    EXPECT_EQ(c.args(), Strings{"hi"});
}

// An explicit JSON [] is "no entrypoint given" for Cmd (the image's is taken) but, not being
// null, is not replaced by the image's entrypoint.
TEST(MergeImageConfig, ExplicitEmptyEntrypointStaysEmptyAndTakesTheImagesCmd) {
    ContainerConfig user;
    user.entrypoint.emplace();
    const ContainerConfig merged = merge_image_config(user, sample_image());
    EXPECT_EQ(merged.entrypoint, Strings{});
    EXPECT_EQ(merged.cmd, (Strings{"nginx", "-g", "daemon off;"}));
    EXPECT_TRUE(merged.args_escaped);
}

TEST(MergeImageConfig, HealthcheckFieldsLeftZeroAreInherited) {
    ContainerConfig user;
    user.healthcheck.emplace();
    user.healthcheck->interval = 5 * kSecond;
    user.healthcheck->retries = 7;
    const ContainerConfig merged = merge_image_config(user, sample_image());
    ASSERT_TRUE(merged.healthcheck.has_value());
    const HealthConfig& h = *merged.healthcheck;
    EXPECT_EQ(h.test, (Strings{"CMD-SHELL", "curl -f http://localhost/"}));
    EXPECT_EQ(h.interval, 5 * kSecond);
    EXPECT_EQ(h.timeout, 3 * kSecond);
    EXPECT_EQ(h.start_period, 10 * kSecond);
    EXPECT_EQ(h.start_interval, 2 * kSecond);
    EXPECT_EQ(h.retries, 7);
}

TEST(MergeImageConfig, UserHealthcheckTestReplacesTheImages) {
    ContainerConfig user;
    user.healthcheck.emplace();
    user.healthcheck->test = {"NONE"};
    const ContainerConfig merged = merge_image_config(user, sample_image());
    ASSERT_TRUE(merged.healthcheck.has_value());
    EXPECT_EQ(merged.healthcheck->test, Strings{"NONE"});
    EXPECT_EQ(merged.healthcheck->interval, 30 * kSecond);
}

TEST(MergeImageConfig, UserHealthcheckWithoutImageHealthcheckIsUnchanged) {
    ContainerConfig user;
    user.healthcheck.emplace();
    user.healthcheck->test = {"CMD", "true"};
    const ContainerConfig merged = merge_image_config(user, Image{});
    ASSERT_TRUE(merged.healthcheck.has_value());
    EXPECT_EQ(merged.healthcheck->test, (Strings{"CMD", "true"}));
    EXPECT_EQ(merged.healthcheck->interval, 0);
    EXPECT_EQ(merged.healthcheck->retries, 0);
}

TEST(MergeImageConfig, NoHealthcheckAnywhereStaysNone) {
    EXPECT_EQ(merge_image_config(ContainerConfig{}, Image{}).healthcheck, std::nullopt);
}

TEST(MergeImageConfig, UserScalarsWin) {
    ContainerConfig user;
    user.user = "root";
    user.working_dir = "/tmp";
    user.stop_signal = "SIGTERM";
    const ContainerConfig merged = merge_image_config(user, sample_image());
    EXPECT_EQ(merged.user, "root");
    EXPECT_EQ(merged.working_dir, "/tmp");
    EXPECT_EQ(merged.stop_signal, "SIGTERM");
}

TEST(MergeImageConfig, PortsAndVolumesAreUnions) {
    ContainerConfig user;
    user.exposed_ports = {"8080/tcp", "80/tcp"};
    user.volumes = {"/cache"};
    const ContainerConfig merged = merge_image_config(user, sample_image());
    EXPECT_EQ(merged.exposed_ports, (std::set<std::string>{"443/tcp", "80/tcp", "8080/tcp"}));
    EXPECT_EQ(merged.volumes, (std::set<std::string>{"/cache", "/data"}));
}

TEST(MergeImageConfig, AnEmptyImageChangesNothing) {
    ContainerConfig user;
    user.env = {"A=1"};
    user.cmd = Strings{"true"};
    user.labels = {{"k", "v"}};
    const ContainerConfig merged = merge_image_config(user, Image{});
    EXPECT_EQ(merged.env, Strings{"A=1"});
    EXPECT_EQ(merged.cmd, Strings{"true"});
    EXPECT_EQ(merged.entrypoint, std::nullopt);
    EXPECT_EQ(merged.labels, (std::map<std::string, std::string>{{"k", "v"}}));
    EXPECT_EQ(merged.working_dir, "");
}

}  // namespace
}  // namespace sockerless::engine
