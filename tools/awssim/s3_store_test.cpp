#include "s3_store.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "sigv4_verify.h"

namespace sockerless::awssim {
namespace {

namespace fs = std::filesystem;

TimePoint at(std::string_view amz_date) {
    return *parse_amz_date(amz_date);
}

ObjectMeta meta(std::string key, std::size_t size) {
    ObjectMeta m;
    m.key = std::move(key);
    m.size = size;
    m.etag = "\"e\"";
    m.last_modified = at("20240102T030405Z");
    m.headers["content-type"] = "text/plain";
    m.metadata["owner"] = "me";
    m.sse = "AES256";
    m.checksum_algorithm = "CRC32";
    m.checksum = "AAAAAA==";
    return m;
}

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "s3-store-test-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

TEST(S3Store, KeepsObjectsInMemoryWithoutARoot) {
    S3Store store("");
    ASSERT_TRUE(store.load());
    auto bucket = store.create_bucket("b", "us-east-1", at("20240102T030405Z"));
    ASSERT_TRUE(bucket.has_value());
    auto put = store.put_object(**bucket, meta("k", 11), "hello world");
    ASSERT_TRUE(put.has_value());
    EXPECT_EQ((*put)->key, "k");
    EXPECT_EQ(*store.read_object(**bucket, **put, 6, 5), "world");
    EXPECT_FALSE(store.read_object(**bucket, **put, 6, 6).has_value());
    ASSERT_TRUE(store.delete_object(**bucket, "k"));
    ASSERT_TRUE(store.delete_object(**bucket, "k"));
    EXPECT_TRUE((*bucket)->objects.empty());
    ASSERT_TRUE(store.delete_bucket("b"));
    EXPECT_EQ(store.find("b"), nullptr);
}

TEST(S3Store, PersistsBucketsSettingsAndObjectsOnDisk) {
    TempDir dir;
    std::string weird_key = "../../etc/passwd\n\xe2\x9c\x93 key";
    {
        S3Store store(dir.path());
        ASSERT_TRUE(store.load());
        auto bucket = store.create_bucket("b", "eu-west-1", at("20240102T030405Z"));
        ASSERT_TRUE(bucket.has_value());
        Bucket& b = **bucket;
        b.policy_text = R"({"Statement":{"Effect":"Allow","Principal":"*",
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}})";
        b.lifecycle = std::vector<LifecycleRule>{{"r1", "tmp/", true, true, 1, 7}};
        b.encryption = BucketEncryption{"aws:kms", "arn:aws:kms:eu-west-1:0:key/k", true};
        b.public_access_block = PublicAccessBlock{true, false, true, false};
        ASSERT_TRUE(store.save_settings(b));
        ASSERT_TRUE(store.put_object(b, meta(weird_key, 5), "12345"));
        ASSERT_TRUE(store.put_object(b, meta("gone", 1), "x"));
        ASSERT_TRUE(store.delete_object(b, "gone"));
    }
    EXPECT_TRUE(fs::exists(dir.path() + "/b/bucket.json"));
    EXPECT_FALSE(fs::exists(dir.path() + "/etc"));

    S3Store again(dir.path());
    ASSERT_TRUE(again.load());
    Bucket* b = again.find("b");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->region, "eu-west-1");
    EXPECT_EQ(b->created, at("20240102T030405Z"));
    ASSERT_TRUE(b->policy.has_value());
    EXPECT_EQ(b->policy->statements.size(), 1u);
    ASSERT_TRUE(b->lifecycle.has_value());
    EXPECT_EQ((*b->lifecycle)[0].id, "r1");
    EXPECT_EQ((*b->lifecycle)[0].expiration_days, 1);
    EXPECT_EQ((*b->lifecycle)[0].abort_incomplete_upload_days, 7);
    EXPECT_EQ(b->encryption.algorithm, "aws:kms");
    EXPECT_TRUE(b->encryption.bucket_key_enabled);
    ASSERT_TRUE(b->public_access_block.has_value());
    EXPECT_TRUE(b->public_access_block->block_public_policy);
    EXPECT_FALSE(b->public_access_block->ignore_public_acls);
    ASSERT_EQ(b->objects.size(), 1u);
    const ObjectMeta& m = b->objects.begin()->second.meta;
    EXPECT_EQ(m.key, weird_key);
    EXPECT_EQ(m.size, 5u);
    EXPECT_EQ(m.metadata.at("owner"), "me");
    EXPECT_EQ(m.headers.at("content-type"), "text/plain");
    EXPECT_EQ(m.checksum_algorithm, "CRC32");
    EXPECT_EQ(m.last_modified, at("20240102T030405Z"));
    EXPECT_EQ(*again.read_object(*b, m, 1, 3), "234");

    ASSERT_TRUE(again.delete_object(*b, weird_key));
    ASSERT_TRUE(again.delete_bucket("b"));
    EXPECT_FALSE(fs::exists(dir.path() + "/b"));
}

TEST(S3Store, LifecycleExpiresAtTheNextMidnightAfterTheDays) {
    EXPECT_EQ(lifecycle_expiry(at("20140115T103000Z"), 3), at("20140119T000000Z"));
    EXPECT_EQ(lifecycle_expiry(at("20140115T000000Z"), 1), at("20140117T000000Z"));

    S3Store store("");
    Bucket& b = **store.create_bucket("b", "us-east-1", at("20140101T000000Z"));
    b.lifecycle = std::vector<LifecycleRule>{{"short", "tmp/", true, true, 1, std::nullopt},
                                             {"off", "", true, false, 1, std::nullopt},
                                             {"long", "tmp/", true, true, 5, std::nullopt}};
    auto written = meta("tmp/a", 1);
    written.last_modified = at("20140115T103000Z");
    ASSERT_TRUE(store.put_object(b, written, "a"));
    auto kept = written;
    kept.key = "keep/a";
    ASSERT_TRUE(store.put_object(b, kept, "a"));
    EXPECT_EQ(expiration_rule(b, "tmp/a", written.last_modified)->id, "short");
    EXPECT_EQ(expiration_rule(b, "keep/a", written.last_modified), nullptr);

    store.expire_objects(b, at("20140116T235959Z"));
    EXPECT_EQ(b.objects.size(), 2u);
    store.expire_objects(b, at("20140117T000000Z"));
    EXPECT_EQ(b.objects.size(), 1u);
    EXPECT_TRUE(b.objects.contains("keep/a"));
}

}  // namespace
}  // namespace sockerless::awssim
