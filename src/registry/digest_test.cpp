#include "registry/digest.h"

#include <gtest/gtest.h>

namespace sockerless::registry {
namespace {

TEST(Digest, ComputesSha256AndSha512) {
    // Known answers for "abc" (FIPS 180-2).
    EXPECT_EQ(compute_digest("sha256", "abc").str(),
              "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(compute_digest("sha512", "abc").encoded.substr(0, 16), "ddaf35a193617aba");
    EXPECT_EQ(compute_digest("sha512", "abc").encoded.size(), 128U);
}

TEST(Digest, ParsesOnlyComputableWellFormedDigests) {
    const std::string hex(64, 'a');
    EXPECT_EQ(parse_digest("sha256:" + hex)->encoded, hex);
    EXPECT_TRUE(parse_digest("sha512:" + std::string(128, '0')));
    for (const std::string& bad : std::vector<std::string>{
             "sha256:" + std::string(63, 'a'), "sha256:" + std::string(64, 'A'),
             "sha256:" + std::string(63, 'a') + "g", "md5:" + hex, hex,
             "sha384:" + std::string(96, 'a'), std::string("sha256:")}) {
        Result<Digest> d = parse_digest(bad);
        ASSERT_FALSE(d) << bad;
        EXPECT_EQ(d.error().code, Errc::invalid_argument);
        EXPECT_TRUE(d.error().message.starts_with("invalid digest")) << d.error().message;
    }
}

TEST(Digest, VerifyNamesBothDigestsOnMismatch) {
    const Digest good = compute_digest("sha256", "payload");
    EXPECT_TRUE(verify_digest(good, "payload", "manifest"));
    Status bad = verify_digest(good, "tampered", "manifest");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::invalid_argument);
    EXPECT_NE(bad.error().message.find(good.str()), std::string::npos);
    EXPECT_NE(bad.error().message.find(compute_digest("sha256", "tampered").str()),
              std::string::npos);
    EXPECT_TRUE(bad.error().message.starts_with("manifest: digest mismatch"));
}

TEST(Digest, ShortIdIsTwelveHex) {
    EXPECT_EQ(short_id("sha256:0123456789abcdef0123"), "0123456789ab");
    EXPECT_EQ(short_id("0123456789abcdef"), "0123456789ab");
}

}  // namespace
}  // namespace sockerless::registry
