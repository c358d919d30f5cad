#include "engine/images.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "registry/reference.h"
#include "store/store.h"

namespace sockerless::engine {
namespace {

namespace fs = std::filesystem;

using Strings = std::vector<std::string>;

// Two ids sharing the prefix "3f5", as short ids often do.
const std::string busybox_id =
    "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741";
const std::string alpine_id =
    "sha256:3f5ef9003cefbfb3fdbd5f4b8b4c0d1e0d1a2c1eb3b0a3d9f1c2e3a4b5c6d7e8";
const std::string nginx_id =
    "sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6";

Image image(const std::string& id) {
    Image i;
    i.id = id;
    i.created = "2024-01-17T21:49:12Z";
    i.size = 2'152'262;
    i.architecture = "arm64";
    i.variant = "v8";
    i.layers = {"sha256:1111111111111111111111111111111111111111111111111111111111111111"};
    i.repo_digests = {
        "busybox@sha256:"
        "6d9ac9237a84afe1516540f40a0fafdc86859b2141954b4d643af7066d598b74"};
    i.config.cmd = Strings{"sh"};
    i.config.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    i.config.labels = {{"org.opencontainers.image.title", id.substr(7, 4)}};
    return i;
}

class ImageStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "images_test.XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        reopen();
    }
    void TearDown() override {
        images_.reset();
        store_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    // A fresh Store and ImageStore over the same database file, as after a daemon restart.
    void reopen() {
        images_.reset();
        store_.reset();
        auto opened = store::Store::open((dir_ / "state.db").string());
        ASSERT_TRUE(opened) << opened.error().message;
        store_ = std::move(*opened);
        images_ = std::make_unique<ImageStore>(*store_, &registry::familiar_reference);
    }

    ImageStore& images() { return *images_; }

    static Strings sorted(Strings v) {
        std::sort(v.begin(), v.end());
        return v;
    }

    fs::path dir_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<ImageStore> images_;
};

TEST_F(ImageStoreTest, FindsByEveryFormOfReferenceAndId) {
    ASSERT_EQ(images().put("busybox", image(busybox_id)).value(), false);
    ASSERT_EQ(images().put("alpine:3.19", image(alpine_id)).value(), false);

    const Image* busybox = images().find("busybox");
    ASSERT_NE(busybox, nullptr);
    EXPECT_EQ(busybox->id, busybox_id);
    EXPECT_EQ(busybox->repo_tags, Strings{"busybox:latest"});
    for (std::string_view ref :
         {"busybox:latest", "docker.io/library/busybox", "docker.io/library/busybox:latest",
          "index.docker.io/library/busybox", "library/busybox:latest", busybox_id.c_str(),
          busybox_id.c_str() + 7, "3f57d94", "3f57"})
        EXPECT_EQ(images().find(ref), busybox) << ref;

    EXPECT_EQ(images().find("alpine:3.19")->id, alpine_id);
    EXPECT_EQ(images().find("3f5e")->id, alpine_id);
    EXPECT_EQ(images().find("sha256:3f5e")->id, alpine_id);
}

TEST_F(ImageStoreTest, UnknownOrAmbiguousIsNotFound) {
    ASSERT_TRUE(images().put("busybox", image(busybox_id)));
    ASSERT_TRUE(images().put("alpine", image(alpine_id)));
    EXPECT_EQ(images().find("3f5"), nullptr);  // both ids start with it
    EXPECT_EQ(images().find("sha256:3f5"), nullptr);
    EXPECT_EQ(images().find("alpine:3.18"), nullptr);
    EXPECT_EQ(images().find("busybox:1.36"), nullptr);
    EXPECT_EQ(images().find("quay.io/busybox"), nullptr);
    EXPECT_EQ(images().find("a8758716"), nullptr);
    EXPECT_EQ(images().find("sha256:"), nullptr);
    EXPECT_EQ(images().find(""), nullptr);
    EXPECT_EQ(images().find("Not A Reference"), nullptr);
}

TEST_F(ImageStoreTest, PutReportsUpToDate) {
    EXPECT_EQ(images().put("busybox", image(busybox_id)).value(), false);
    EXPECT_EQ(images().put("busybox:latest", image(busybox_id)).value(), true);
    EXPECT_EQ(images().put("docker.io/library/busybox", image(busybox_id)).value(), true);
    // Another tag of the same image is new.
    EXPECT_EQ(images().put("busybox:1.36", image(busybox_id)).value(), false);
    EXPECT_EQ(sorted(images().find(busybox_id)->repo_tags),
              (Strings{"busybox:1.36", "busybox:latest"}));
    EXPECT_EQ(images().all().size(), 1U);
}

TEST_F(ImageStoreTest, PutRefusesAMalformedReference) {
    auto put = images().put("Busybox", image(busybox_id));
    ASSERT_FALSE(put);
    EXPECT_EQ(put.error().code, Errc::invalid_argument);
    EXPECT_TRUE(images().all().empty());
}

TEST_F(ImageStoreTest, TagMovesToAnotherImage) {
    ASSERT_TRUE(images().put("busybox", image(busybox_id)));
    ASSERT_TRUE(images().put("tools:v1", image(busybox_id)));
    EXPECT_EQ(images().put("busybox", image(nginx_id)).value(), false);

    EXPECT_EQ(images().find("busybox")->id, nginx_id);
    EXPECT_EQ(images().find(nginx_id)->repo_tags, Strings{"busybox:latest"});
    const Image* old = images().find(busybox_id);
    ASSERT_NE(old, nullptr);
    EXPECT_EQ(old->repo_tags, Strings{"tools:v1"});
    EXPECT_EQ(images().find("tools:v1"), old);

    // When its last tag moves too, nothing names the old image any more and it goes, as it would
    // after a restart.
    EXPECT_EQ(images().put("tools:v1", image(nginx_id)).value(), false);
    EXPECT_EQ(images().find(busybox_id), nullptr);
    ASSERT_EQ(images().all().size(), 1U);
    EXPECT_EQ(sorted(images().find(nginx_id)->repo_tags), (Strings{"busybox:latest", "tools:v1"}));
}

TEST_F(ImageStoreTest, PutReplacesTheImagesMetadata) {
    ASSERT_TRUE(images().put("busybox", image(busybox_id)));
    Image updated = image(busybox_id);
    updated.size = 42;
    updated.config.cmd = Strings{"/bin/sh", "-l"};
    EXPECT_EQ(images().put("busybox:1.36", std::move(updated)).value(), false);
    const Image* found = images().find("busybox");
    EXPECT_EQ(found->size, 42);
    EXPECT_EQ(found->config.cmd, (Strings{"/bin/sh", "-l"}));
    EXPECT_EQ(sorted(found->repo_tags), (Strings{"busybox:1.36", "busybox:latest"}));
}

TEST_F(ImageStoreTest, DigestReferencesFindTheImageButAreNotTags) {
    const std::string digest =
        "busybox@sha256:6d9ac9237a84afe1516540f40a0fafdc86859b2141954b4d643af7066d598b74";
    ASSERT_EQ(images().put(digest, image(busybox_id)).value(), false);
    const Image* found = images().find("docker.io/library/" + digest);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->id, busybox_id);
    EXPECT_TRUE(found->repo_tags.empty());
    EXPECT_EQ(images().find("busybox"), nullptr);
}

TEST_F(ImageStoreTest, RemoveRefRemovesTheImageWithItsLastReference) {
    ASSERT_TRUE(images().put("busybox", image(busybox_id)));
    ASSERT_TRUE(images().put("tools:v1", image(busybox_id)));

    ASSERT_TRUE(images().remove_ref("docker.io/library/tools:v1"));
    const Image* kept = images().find(busybox_id);
    ASSERT_NE(kept, nullptr);
    EXPECT_EQ(kept->repo_tags, Strings{"busybox:latest"});
    EXPECT_EQ(images().find("tools:v1"), nullptr);

    ASSERT_TRUE(images().remove_ref("busybox"));
    EXPECT_EQ(images().find(busybox_id), nullptr);
    EXPECT_TRUE(images().all().empty());

    Status again = images().remove_ref("busybox");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::not_found);
    EXPECT_EQ(again.error().message, "No such image: busybox");

    // Gone from the store as well.
    reopen();
    ASSERT_TRUE(images().load());
    EXPECT_TRUE(images().all().empty());
}

TEST_F(ImageStoreTest, LoadRestoresEverything) {
    ASSERT_TRUE(images().put("busybox", image(busybox_id)));
    ASSERT_TRUE(images().put("busybox:1.36", image(busybox_id)));
    ASSERT_TRUE(images().put("alpine:3.19", image(alpine_id)));
    ASSERT_TRUE(images().put("nginx", image(nginx_id)));
    ASSERT_TRUE(images().put("nginx", image(alpine_id)));  // moves: nginx's image goes
    ASSERT_TRUE(
        images().put("127.0.0.1:5000/team/app:v2@sha256:"
                     "6d9ac9237a84afe1516540f40a0fafdc86859b2141954b4d643af7066d598b74",
                     image(nginx_id)));

    reopen();
    EXPECT_TRUE(images().all().empty());
    ASSERT_TRUE(images().load());

    ASSERT_EQ(images().all().size(), 3U);
    const Image* busybox = images().find("busybox:1.36");
    ASSERT_NE(busybox, nullptr);
    EXPECT_EQ(busybox->id, busybox_id);
    EXPECT_EQ(sorted(busybox->repo_tags), (Strings{"busybox:1.36", "busybox:latest"}));
    const Image expected = image(busybox_id);
    EXPECT_EQ(busybox->created, expected.created);
    EXPECT_EQ(busybox->size, expected.size);
    EXPECT_EQ(busybox->os, "linux");
    EXPECT_EQ(busybox->architecture, "arm64");
    EXPECT_EQ(busybox->variant, "v8");
    EXPECT_EQ(busybox->layers, expected.layers);
    EXPECT_EQ(busybox->repo_digests, expected.repo_digests);
    EXPECT_EQ(busybox->config.cmd, expected.config.cmd);
    EXPECT_EQ(busybox->config.env, expected.config.env);
    EXPECT_EQ(busybox->config.labels, expected.config.labels);

    EXPECT_EQ(sorted(images().find(alpine_id)->repo_tags),
              (Strings{"alpine:3.19", "nginx:latest"}));
    EXPECT_EQ(images().find("nginx")->id, alpine_id);
    const Image* pinned = images().find(nginx_id);
    ASSERT_NE(pinned, nullptr);
    EXPECT_TRUE(pinned->repo_tags.empty());  // named by a digest only
    EXPECT_EQ(images().find("127.0.0.1:5000/team/app:v2@sha256:"
                            "6d9ac9237a84afe1516540f40a0fafdc86859b2141954b4d643af7066d598b74"),
              pinned);
    EXPECT_EQ(images().put("alpine:3.19", image(alpine_id)).value(), true);
}

}  // namespace
}  // namespace sockerless::engine
