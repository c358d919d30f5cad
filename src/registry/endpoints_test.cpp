#include "registry/endpoints.h"

#include <gtest/gtest.h>

namespace sockerless::registry {
namespace {

TEST(Url, ParsesRegistryRealmAndRedirectUrls) {
    Result<Url> u = parse_url("https://auth.example.com/token?service=reg&x=a%2Fb");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->scheme, "https");
    EXPECT_EQ(u->host, "auth.example.com");
    EXPECT_EQ(u->port, 443);
    EXPECT_EQ(u->path, "/token");
    EXPECT_EQ(u->query, (std::vector<Param>{{"service", "reg"}, {"x", "a/b"}}));
    EXPECT_EQ(u->authority(), "auth.example.com");

    u = parse_url("http://127.0.0.1:5000");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->port, 5000);
    EXPECT_EQ(u->path, "");
    EXPECT_EQ(u->authority(), "127.0.0.1:5000");
    EXPECT_EQ(u->str(), "http://127.0.0.1:5000/");

    u = parse_url("HTTP://[::1]:8080/v2/?a=b#frag");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->scheme, "http");
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->authority(), "[::1]:8080");
    EXPECT_EQ(u->str(), "http://[::1]:8080/v2/?a=b");

    for (const char* bad : {"ftp://x/", "no-scheme", "http://", "http://h:0/", "http://h:99999/",
                            "http://[::1/", "http://h:x/"}) {
        EXPECT_FALSE(parse_url(bad)) << bad;
    }
}

TEST(Url, ResolvesRedirectLocations) {
    const Url base = *parse_url("http://registry:5000/v2/x/blobs/sha256:ab?q=1");
    EXPECT_EQ(resolve_location(base, "https://s3.example/b/k?X-Amz-Signature=s")->str(),
              "https://s3.example/b/k?X-Amz-Signature=s");
    EXPECT_EQ(resolve_location(base, "//cdn.example/k")->str(), "http://cdn.example/k");
    EXPECT_EQ(resolve_location(base, "/other/path?z=9")->str(),
              "http://registry:5000/other/path?z=9");
    EXPECT_EQ(resolve_location(base, "next")->str(), "http://registry:5000/v2/x/blobs/next");
}

TEST(Insecure, LoopbackIsAlwaysInsecure) {
    for (const char* domain :
         {"127.0.0.1:5000", "127.1.2.3", "localhost:5000", "localhost", "[::1]:5000"}) {
        EXPECT_TRUE(is_insecure_registry(domain, {})) << domain;
    }
    EXPECT_FALSE(is_insecure_registry("docker.io", {}));
    EXPECT_FALSE(is_insecure_registry("128.0.0.1:5000", {}));
    EXPECT_FALSE(is_insecure_registry("localhost.example.com", {}));
}

TEST(Insecure, ConfiguredHostsAndCidrs) {
    const std::vector<std::string> insecure = {"myregistry:5000", "10.0.0.0/8", "fd00::/8",
                                               "http://legacy.example/"};
    EXPECT_TRUE(is_insecure_registry("myregistry:5000", insecure));
    EXPECT_FALSE(is_insecure_registry("myregistry:5001", insecure));
    EXPECT_FALSE(is_insecure_registry("myregistry", insecure));
    EXPECT_TRUE(is_insecure_registry("10.1.2.3:5000", insecure));
    EXPECT_FALSE(is_insecure_registry("11.1.2.3:5000", insecure));
    EXPECT_TRUE(is_insecure_registry("[fd12::1]:5000", insecure));
    EXPECT_TRUE(is_insecure_registry("legacy.example", insecure));
    // Host names are not resolved for CIDR matching.
    EXPECT_FALSE(is_insecure_registry("ten.example", {"0.0.0.0/0"}));
    EXPECT_TRUE(is_insecure_registry("192.168.1.1", {"192.168.1.0/24"}));
    EXPECT_FALSE(is_insecure_registry("192.168.2.1", {"192.168.1.0/24"}));
}

}  // namespace
}  // namespace sockerless::registry
