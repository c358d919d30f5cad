#include "image_store.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "image_layers.h"
#include "registry_client.h"

namespace sockerless::awssim {
namespace {
namespace fs = std::filesystem;

const std::string digest_a = "sha256:" + std::string(64, 'a');
const std::string digest_b = "sha256:" + std::string(64, 'b');
const std::string digest_c = "sha256:" + std::string(64, 'c');

TEST(ImageReferenceTest, Parses) {
    auto local = parse_image_reference("127.0.0.1:5000/busybox:latest");
    ASSERT_TRUE(local.has_value());
    EXPECT_EQ(local->registry, "127.0.0.1:5000");
    EXPECT_EQ(local->repository, "busybox");
    EXPECT_EQ(local->tag, "latest");
    EXPECT_TRUE(local->plain_http());
    EXPECT_EQ(local->reference(), "latest");

    auto hub = parse_image_reference("busybox");
    EXPECT_EQ(hub->registry, "registry-1.docker.io");
    EXPECT_EQ(hub->repository, "library/busybox");
    EXPECT_EQ(hub->tag, "latest");
    EXPECT_FALSE(hub->plain_http());
    EXPECT_EQ(parse_image_reference("docker.io/org/app:1.2")->repository, "org/app");

    auto pinned = parse_image_reference("localhost:5000/a/b@" + digest_a);
    EXPECT_EQ(pinned->registry, "localhost:5000");
    EXPECT_EQ(pinned->repository, "a/b");
    EXPECT_EQ(pinned->tag, "");
    EXPECT_EQ(pinned->reference(), digest_a);
    EXPECT_TRUE(pinned->plain_http());
    EXPECT_EQ(parse_image_reference("reg.example.com/x:t@" + digest_a)->tag, "t");
    EXPECT_FALSE(parse_image_reference("reg.example.com/x")->plain_http());

    EXPECT_FALSE(parse_image_reference("").has_value());
    EXPECT_FALSE(parse_image_reference("Busybox").has_value());
    EXPECT_FALSE(parse_image_reference("busybox@sha256:1234").has_value());
    EXPECT_FALSE(parse_image_reference("busybox:").has_value());
}

std::vector<Descriptor> index_entries() {
    return {
        Descriptor{"m", digest_a, 1, Platform{"linux", "arm", "v7"}},
        Descriptor{"m", digest_b, 1, Platform{"linux", "arm64", "v8"}},
        Descriptor{"m", digest_c, 1, Platform{"linux", "amd64", ""}},
        Descriptor{"m", digest_a, 1, std::nullopt},
    };
}

TEST(PlatformTest, Selection) {
    auto entries = index_entries();
    EXPECT_EQ(select_platform(entries, Platform{"linux", "amd64", ""})->digest, digest_c);
    EXPECT_EQ(select_platform(entries, Platform{"linux", "arm64", ""})->digest, digest_b);
    EXPECT_EQ(select_platform(entries, Platform{"linux", "arm", "v7"})->digest, digest_a);
    EXPECT_FALSE(select_platform(entries, Platform{"linux", "arm", "v6"}).has_value());
    EXPECT_FALSE(select_platform(entries, Platform{"windows", "amd64", ""}).has_value());
    EXPECT_FALSE(host_platform().architecture.empty());
    EXPECT_EQ(host_platform().os, "linux");
}

TEST(ManifestTest, Index) {
    std::string body =
        R"({"schemaVersion":2,"manifests":[
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
        digest_a +
        R"(","size":10,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
        digest_b + R"(","size":11,"platform":{"os":"linux","architecture":"amd64"}}]})";
    auto oci = parse_manifest("application/vnd.oci.image.index.v1+json", body);
    ASSERT_TRUE(oci.has_value()) << oci.error().message;
    EXPECT_TRUE(oci->is_index);
    ASSERT_EQ(oci->manifests.size(), 2u);
    EXPECT_EQ(oci->manifests[1].digest, digest_b);
    EXPECT_EQ(oci->manifests[1].size, 11);
    EXPECT_EQ(oci->manifests[0].platform->variant, "v8");
    // A generic content type falls back to the body's shape.
    EXPECT_TRUE(parse_manifest("application/json", body)->is_index);
    EXPECT_TRUE(parse_manifest("application/vnd.docker.distribution.manifest.list.v2+json", body)
                    ->is_index);
}

TEST(ManifestTest, ImageManifest) {
    std::string body = R"({"schemaVersion":2,
        "mediaType":"application/vnd.docker.distribution.manifest.v2+json",
        "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" +
                       digest_a + R"(","size":5},
        "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" +
                       digest_b + R"(","size":7},
                  {"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" +
                       digest_c + R"(","size":8}]})";
    auto m =
        parse_manifest("application/vnd.docker.distribution.manifest.v2+json; charset=utf-8", body);
    ASSERT_TRUE(m.has_value()) << m.error().message;
    EXPECT_FALSE(m->is_index);
    EXPECT_EQ(m->config.digest, digest_a);
    ASSERT_EQ(m->layers.size(), 2u);
    EXPECT_EQ(m->layers[0].digest, digest_b);
    EXPECT_EQ(m->layers[1].digest, digest_c);
    EXPECT_FALSE(parse_manifest("", body)->is_index);
}

TEST(ManifestTest, Refusals) {
    auto schema1 = parse_manifest("application/vnd.docker.distribution.manifest.v1+prettyjws",
                                  R"({"schemaVersion":1,"fsLayers":[]})");
    ASSERT_FALSE(schema1.has_value());
    EXPECT_EQ(schema1.error().code, "CannotPullContainerError");
    EXPECT_FALSE(parse_manifest("application/vnd.oci.image.manifest.v1+json",
                                R"({"config":{"digest":"md5:00"},"layers":[]})")
                     .has_value());
    EXPECT_FALSE(parse_manifest("", "[]").has_value());
}

TEST(ImageConfigTest, Parses) {
    auto c = parse_image_config(R"({"architecture":"amd64","config":{
        "Env":["PATH=/bin","A=b"],"Entrypoint":["/init"],"Cmd":null,"WorkingDir":"/srv",
        "User":"1000:1000"}})");
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->env, (std::vector<std::string>{"PATH=/bin", "A=b"}));
    EXPECT_EQ(c->entrypoint, (std::vector<std::string>{"/init"}));
    EXPECT_TRUE(c->cmd.empty());
    EXPECT_EQ(c->working_dir, "/srv");
    EXPECT_EQ(c->user, "1000:1000");
    EXPECT_TRUE(parse_image_config(R"({"rootfs":{}})")->env.empty());
    EXPECT_FALSE(parse_image_config("nope").has_value());
}

TEST(RegistryClientTest, BearerChallengesAndUrls) {
    auto c = parse_bearer_challenge(
        R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push")");
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->realm, "https://auth.example.com/token");
    EXPECT_EQ(c->service, "registry.example.com");
    EXPECT_EQ(c->scope, "repository:a/b:pull,push");
    EXPECT_FALSE(parse_bearer_challenge(R"(Basic realm="x")").has_value());
    EXPECT_FALSE(parse_bearer_challenge("Bearer service=x").has_value());

    auto u = parse_url("http://127.0.0.1:5000/v2/x?y=1");
    ASSERT_TRUE(u.has_value());
    EXPECT_FALSE(u->tls);
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, "5000");
    EXPECT_EQ(u->target, "/v2/x?y=1");
    auto v6 = parse_url("https://[::1]/token");
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, "443");
    EXPECT_EQ(parse_url("https://example.com")->target, "/");
    EXPECT_FALSE(parse_url("ftp://x/").has_value());
    EXPECT_FALSE(parse_url("http://:80/").has_value());
}

TEST(RegistryClientTest, UnreachableRegistryIsAPullError) {
    // Port 9 on 127.0.0.1: nothing listens there in a test environment; a refusal is immediate.
    RegistryClient client("127.0.0.1:9", "x", true, std::chrono::seconds(5));
    auto got = client.get_manifest("latest", 1024);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, "CannotPullContainerError");
}

// Layers are written in the test with libarchive, as gzip-compressed pax tars.
struct Entry {
    std::string path;
    mode_t type = AE_IFREG;
    std::string content;
    std::string link;  // symlink target, or hard-link target when hardlink is set
    bool hardlink = false;
    mode_t mode = 0644;
};

class LayerTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "awssim-layers-XXXXXX");
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        rootfs_ = dir_ + "/rootfs";
        fs::create_directories(rootfs_);
        fs::create_directories(dir_ + "/outside");
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string layer(const std::vector<Entry>& entries) {
        std::string path = dir_ + "/layer" + std::to_string(++layers_) + ".tar.gz";
        archive* a = archive_write_new();
        archive_write_add_filter_gzip(a);
        archive_write_set_format_pax_restricted(a);
        EXPECT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
        for (const auto& e : entries) {
            archive_entry* entry = archive_entry_new();
            archive_entry_set_pathname(entry, e.path.c_str());
            archive_entry_set_perm(entry, e.mode);
            if (e.hardlink) {
                archive_entry_set_filetype(entry, AE_IFREG);
                archive_entry_set_hardlink(entry, e.link.c_str());
                archive_entry_set_size(entry, 0);
            } else {
                archive_entry_set_filetype(entry, e.type);
                if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
                archive_entry_set_size(
                    entry, static_cast<la_int64_t>(e.type == AE_IFREG ? e.content.size() : 0));
            }
            archive_write_header(a, entry);
            if (!e.hardlink && e.type == AE_IFREG && !e.content.empty())
                archive_write_data(a, e.content.data(), e.content.size());
            archive_entry_free(entry);
        }
        archive_write_close(a);
        archive_write_free(a);
        return path;
    }

    std::string read(const std::string& rel) {
        std::ifstream in(rootfs_ + "/" + rel);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    bool exists(const std::string& rel) {
        std::error_code ec;
        return fs::symlink_status(rootfs_ + "/" + rel, ec).type() != fs::file_type::not_found;
    }

    std::string dir_, rootfs_;
    int layers_ = 0;
};

TEST_F(LayerTest, AppliesInOrderWithWhiteouts) {
    auto base = layer({
        {"a/", AE_IFDIR, "", "", false, 0755},
        {"a/x", AE_IFREG, "x1"},
        {"a/sub/", AE_IFDIR, "", "", false, 0755},
        {"a/sub/deep", AE_IFREG, "deep"},
        {"b/", AE_IFDIR, "", "", false, 0755},
        {"b/gone", AE_IFREG, "g"},
        {"b/kept", AE_IFREG, "k"},
        {"c", AE_IFREG, "file becomes dir"},
        {"bin/", AE_IFDIR, "", "", false, 0755},
        {"bin/tool", AE_IFREG, "#!/bin/sh\n", "", false, 0755},
        {"bin/alias", AE_IFREG, "", "bin/tool", true},
        {"bin/sh", AE_IFLNK, "", "/bin/tool"},
    });
    ASSERT_TRUE(apply_layer(rootfs_, base).has_value());
    EXPECT_EQ(read("a/sub/deep"), "deep");
    EXPECT_EQ(read("bin/alias"), "#!/bin/sh\n");
    struct stat st {
    }, link_st{};
    ASSERT_EQ(::stat((rootfs_ + "/bin/tool").c_str(), &st), 0);
    ASSERT_EQ(::stat((rootfs_ + "/bin/alias").c_str(), &link_st), 0);
    EXPECT_EQ(st.st_ino, link_st.st_ino);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(fs::read_symlink(rootfs_ + "/bin/sh"), "/bin/tool");

    // The new entry comes before the opaque marker in the tar: it must survive the marker.
    auto top = layer({
        {"a/", AE_IFDIR, "", "", false, 0755},
        {"a/new", AE_IFREG, "n"},
        {"a/.wh..wh..opq", AE_IFREG, ""},
        {"b/.wh.gone", AE_IFREG, ""},
        {"c/", AE_IFDIR, "", "", false, 0755},
        {"c/inside", AE_IFREG, "i"},
        {".wh.bin", AE_IFREG, ""},
    });
    ASSERT_TRUE(apply_layer(rootfs_, top).has_value());
    EXPECT_EQ(read("a/new"), "n");
    EXPECT_FALSE(exists("a/x"));
    EXPECT_FALSE(exists("a/sub"));
    EXPECT_FALSE(exists("b/gone"));
    EXPECT_EQ(read("b/kept"), "k");
    EXPECT_EQ(read("c/inside"), "i");
    EXPECT_FALSE(exists("bin"));
    EXPECT_FALSE(exists(".wh.bin"));
    EXPECT_FALSE(exists("a/.wh..wh..opq"));
}

TEST_F(LayerTest, ADirectoryReplacedByAFile) {
    ASSERT_TRUE(
        apply_layer(rootfs_, layer({{"d/", AE_IFDIR, "", "", false, 0755}, {"d/f", AE_IFREG, "x"}}))
            .has_value());
    ASSERT_TRUE(apply_layer(rootfs_, layer({{"d", AE_IFREG, "now a file"}})).has_value());
    EXPECT_EQ(read("d"), "now a file");
}

TEST_F(LayerTest, NothingEscapesTheRootfs) {
    std::string outside = dir_ + "/outside";
    std::ofstream(outside + "/victim") << "safe";
    auto escape = apply_layer(rootfs_, layer({{"../outside/evil", AE_IFREG, "x"}}));
    EXPECT_FALSE(escape.has_value());
    EXPECT_FALSE(fs::exists(outside + "/evil"));

    ASSERT_TRUE(apply_layer(rootfs_, layer({{"link", AE_IFLNK, "", outside}})).has_value());
    // libarchive replaces a link on the way by a real directory rather than following it.
    auto through = apply_layer(rootfs_, layer({{"link/planted", AE_IFREG, "x"}}));
    ASSERT_TRUE(through.has_value()) << through.error().message;
    EXPECT_FALSE(fs::exists(outside + "/planted"));
    EXPECT_EQ(read("link/planted"), "x");
    EXPECT_FALSE(fs::is_symlink(rootfs_ + "/link"));
    ASSERT_TRUE(apply_layer(rootfs_, layer({{"link2", AE_IFLNK, "", outside}})).has_value());

    ASSERT_TRUE(apply_layer(rootfs_, layer({{"link2/.wh.victim", AE_IFREG, ""},
                                            {"link2/.wh..wh..opq", AE_IFREG, ""}}))
                    .has_value());
    EXPECT_TRUE(fs::exists(outside + "/victim"));

    auto hard = apply_layer(rootfs_, layer({{"h", AE_IFREG, "", "../outside/victim", true}}));
    EXPECT_FALSE(hard.has_value());
}

TEST_F(LayerTest, CorruptLayerIsAnError) {
    std::string path = dir_ + "/garbage.tar.gz";
    std::ofstream(path) << "\x1f\x8b not really gzip";
    auto applied = apply_layer(rootfs_, path);
    ASSERT_FALSE(applied.has_value());
    EXPECT_EQ(applied.error().code, "CannotPullContainerError");
}

}  // namespace
}  // namespace sockerless::awssim
