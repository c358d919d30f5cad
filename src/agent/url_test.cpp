#include "agent/url.h"

#include <gtest/gtest.h>

#include <chrono>

#include "agent/resolver.h"

namespace sockerless::agent {
namespace {

TEST(ParseUrl, SplitsSchemeHostPortAndTarget) {
    auto url = parse_url("http://127.0.0.1:4566/v2/credentials/abc?x=1");
    ASSERT_TRUE(url.has_value());
    EXPECT_EQ(url->scheme, "http");
    EXPECT_EQ(url->host, "127.0.0.1");
    EXPECT_EQ(url->port, 4566);
    EXPECT_EQ(url->target, "/v2/credentials/abc?x=1");
    EXPECT_EQ(url->host_header(), "127.0.0.1:4566");
    EXPECT_EQ(url->text(), "http://127.0.0.1:4566/v2/credentials/abc?x=1");
}

TEST(ParseUrl, DefaultsPortAndTargetAndLowercasesNames) {
    auto url = parse_url("HTTPS://My-Bucket.S3.us-east-1.amazonaws.com");
    ASSERT_TRUE(url.has_value());
    EXPECT_TRUE(url->https());
    EXPECT_EQ(url->host, "my-bucket.s3.us-east-1.amazonaws.com");
    EXPECT_EQ(url->port, 443);
    EXPECT_EQ(url->target, "/");
    EXPECT_EQ(url->host_header(), "my-bucket.s3.us-east-1.amazonaws.com");
    auto query_only = parse_url("http://h?a=b");
    ASSERT_TRUE(query_only.has_value());
    EXPECT_EQ(query_only->target, "/?a=b");
}

TEST(ParseUrl, Ipv6LiteralsKeepTheirBracketsOnlyInTheHostHeader) {
    auto url = parse_url("https://[fd00:ec2::23]:8443/x");
    ASSERT_TRUE(url.has_value());
    EXPECT_EQ(url->host, "fd00:ec2::23");
    EXPECT_EQ(url->port, 8443);
    EXPECT_EQ(url->host_header(), "[fd00:ec2::23]:8443");
    EXPECT_TRUE(is_ip_literal(url->host));
}

TEST(ParseUrl, RefusesWhatItCannotFetch) {
    for (const char* bad :
         {"s3://bucket/key", "ftp://h/", "127.0.0.1:80/x", "http:///x", "http://h:0/",
          "http://h:65536/", "http://h:x/", "http://h:/", "http://user:pw@h/", "http://h/#frag",
          "http://[::1/", "http://[zz]/"}) {
        EXPECT_FALSE(parse_url(bad).has_value()) << bad;
    }
}

TEST(ResolveHost, IpLiteralsNeedNoLookup) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    auto v4 = resolve_host("127.0.0.1", deadline);
    ASSERT_TRUE(v4.has_value());
    ASSERT_EQ(v4->size(), 1u);
    EXPECT_EQ(v4->front().to_string(), "127.0.0.1");
    auto v6 = resolve_host("::1", deadline);
    ASSERT_TRUE(v6.has_value());
    EXPECT_TRUE(v6->front().is_v6());
}

// c-ares reads /etc/hosts itself: no NSS, no DNS server needed for localhost.
TEST(ResolveHost, LocalhostComesFromEtcHostsIpv4First) {
    auto addresses =
        resolve_host("localhost", std::chrono::steady_clock::now() + std::chrono::seconds(5));
    ASSERT_TRUE(addresses.has_value()) << addresses.error().message;
    ASSERT_FALSE(addresses->empty());
    EXPECT_EQ(addresses->front().to_string(), "127.0.0.1");
}

}  // namespace
}  // namespace sockerless::agent
