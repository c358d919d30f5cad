// Proxy settings from the environment and NO_PROXY matching.

#include <gtest/gtest.h>

#include "aws/credentials_test_support.h"
#include "aws/transport.h"

namespace sockerless::aws {
namespace {

using test_support::FakeWorld;

ProxySettings no_proxy(std::string value) {
    FakeWorld world;
    world.vars["NO_PROXY"] = std::move(value);
    Result<ProxySettings> settings = proxy_settings(world.env());
    EXPECT_TRUE(settings);
    return settings ? *settings : ProxySettings{};
}

TEST(ProxySettings, NothingSet) {
    FakeWorld world;
    Result<ProxySettings> s = proxy_settings(world.env());
    ASSERT_TRUE(s);
    EXPECT_FALSE(s->https_proxy);
    EXPECT_FALSE(s->http_proxy);
    EXPECT_TRUE(s->no_proxy.empty());
    EXPECT_EQ(s->https_proxy_authorization, "");
}

TEST(ProxySettings, ReadsBothProxies) {
    FakeWorld world;
    world.vars["HTTPS_PROXY"] = "http://proxy.corp:3128";
    world.vars["HTTP_PROXY"] = "http://plain.corp:8080/";
    Result<ProxySettings> s = proxy_settings(world.env());
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE(s->https_proxy);
    EXPECT_EQ(s->https_proxy->host, "proxy.corp");
    EXPECT_EQ(s->https_proxy->port, 3128);
    ASSERT_TRUE(s->http_proxy);
    EXPECT_EQ(s->http_proxy->host, "plain.corp");
    EXPECT_EQ(s->http_proxy->port, 8080);
}

TEST(ProxySettings, UpperCaseWinsOverLowerCase) {
    FakeWorld world;
    world.vars["HTTPS_PROXY"] = "http://upper:1";
    world.vars["https_proxy"] = "http://lower:2";
    world.vars["http_proxy"] = "http://lower-only:3";
    world.vars["NO_PROXY"] = "upper.example";
    world.vars["no_proxy"] = "lower.example";
    Result<ProxySettings> s = proxy_settings(world.env());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->https_proxy->host, "upper");
    EXPECT_EQ(s->http_proxy->host, "lower-only");
    ASSERT_EQ(s->no_proxy.size(), 1U);
    EXPECT_EQ(s->no_proxy[0], "upper.example");
}

TEST(ProxySettings, EmptyUpperCaseFallsBackToLowerCase) {
    FakeWorld world;
    world.vars["HTTPS_PROXY"] = "";
    world.vars["https_proxy"] = "http://lower:2";
    Result<ProxySettings> s = proxy_settings(world.env());
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->https_proxy);
    EXPECT_EQ(s->https_proxy->host, "lower");
}

TEST(ProxySettings, SchemeDefaultsToHttpAndPortTo80) {
    FakeWorld world;
    world.vars["HTTPS_PROXY"] = "proxy.corp:3128";
    world.vars["HTTP_PROXY"] = "proxy.corp";
    Result<ProxySettings> s = proxy_settings(world.env());
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->https_proxy->scheme, "http");
    EXPECT_EQ(s->https_proxy->port, 3128);
    EXPECT_EQ(s->http_proxy->port, 80);
}

TEST(ProxySettings, CredentialsBecomeBasicAuthorization) {
    FakeWorld world;
    world.vars["HTTPS_PROXY"] = "http://alice:s3cret@proxy.corp:3128";
    // Percent-escapes decode; an escaped ':' stays in the user name.
    world.vars["HTTP_PROXY"] = "http://do%3Amain%5Cbob:p%40ss%3Aword@proxy.corp:8080";
    Result<ProxySettings> s = proxy_settings(world.env());
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->https_proxy->host, "proxy.corp");
    EXPECT_EQ(s->https_proxy_authorization, "Basic YWxpY2U6czNjcmV0");  // alice:s3cret
    // "do:main\bob:p@ss:word"
    EXPECT_EQ(s->http_proxy_authorization, "Basic ZG86bWFpblxib2I6cEBzczp3b3Jk");
    EXPECT_EQ(s->http_proxy->port, 8080);
}

TEST(ProxySettings, UserWithoutPassword) {
    FakeWorld world;
    world.vars["HTTPS_PROXY"] = "http://bob@proxy:3128";
    Result<ProxySettings> s = proxy_settings(world.env());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->https_proxy_authorization, "Basic Ym9iOg==");  // "bob:"
}

TEST(ProxySettings, RejectsTlsToTheProxyAndBadUrls) {
    FakeWorld world;
    world.vars["HTTPS_PROXY"] = "https://user:topsecret@proxy:443";
    Result<ProxySettings> s = proxy_settings(world.env());
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::not_implemented);
    EXPECT_NE(s.error().message.find("HTTPS_PROXY"), std::string::npos);
    EXPECT_EQ(s.error().message.find("topsecret"), std::string::npos) << s.error().message;

    for (const char* bad : {"http://proxy:notaport", "http://proxy:3128/path",
                            "http://us%zzer:pw@proxy:3128", "socks5://proxy:1080"}) {
        world.vars["HTTPS_PROXY"] = bad;
        Result<ProxySettings> r = proxy_settings(world.env());
        ASSERT_FALSE(r) << bad;
        EXPECT_NE(r.error().message.find("HTTPS_PROXY"), std::string::npos) << bad;
        EXPECT_EQ(r.error().message.find("pw@"), std::string::npos) << r.error().message;
    }
}

TEST(ProxySettings, NoProxyEntriesAreTrimmedAndLowercased) {
    ProxySettings s = no_proxy(" Example.COM , .internal,,10.0.0.0/8\t169.254.169.254 ");
    const std::vector<std::string> expected{"example.com", ".internal", "10.0.0.0/8",
                                            "169.254.169.254"};
    EXPECT_EQ(s.no_proxy, expected);
}

// ---- bypasses_proxy -----------------------------------------------------------------------------

TEST(BypassesProxy, NothingListedBypassesNothing) {
    ProxySettings s;
    EXPECT_FALSE(bypasses_proxy(s, "example.com", 443));
}

TEST(BypassesProxy, StarMatchesEverything) {
    ProxySettings s = no_proxy("*");
    EXPECT_TRUE(bypasses_proxy(s, "ecs.us-east-1.amazonaws.com", 443));
    EXPECT_TRUE(bypasses_proxy(s, "127.0.0.1", 80));
}

TEST(BypassesProxy, DomainMatchesItselfAndSubdomains) {
    for (const char* entry : {"example.com", ".example.com"}) {
        ProxySettings s = no_proxy(entry);
        EXPECT_TRUE(bypasses_proxy(s, "example.com", 443)) << entry;
        EXPECT_TRUE(bypasses_proxy(s, "a.example.com", 443)) << entry;
        EXPECT_TRUE(bypasses_proxy(s, "b.a.example.com", 443)) << entry;
        EXPECT_TRUE(bypasses_proxy(s, "A.Example.Com", 443)) << entry;
        EXPECT_FALSE(bypasses_proxy(s, "badexample.com", 443)) << entry;
        EXPECT_FALSE(bypasses_proxy(s, "example.com.evil", 443)) << entry;
        EXPECT_FALSE(bypasses_proxy(s, "com", 443)) << entry;
    }
}

TEST(BypassesProxy, TrailingDotsAreIgnored) {
    ProxySettings s = no_proxy("amazonaws.com.");
    EXPECT_TRUE(bypasses_proxy(s, "ecs.us-east-1.amazonaws.com.", 443));
    EXPECT_TRUE(bypasses_proxy(s, "ecs.us-east-1.amazonaws.com", 443));
}

TEST(BypassesProxy, PortRestrictsTheEntry) {
    ProxySettings s = no_proxy("example.com:8080,[::1]:9000");
    EXPECT_TRUE(bypasses_proxy(s, "example.com", 8080));
    EXPECT_TRUE(bypasses_proxy(s, "api.example.com", 8080));
    EXPECT_FALSE(bypasses_proxy(s, "example.com", 443));
    EXPECT_TRUE(bypasses_proxy(s, "::1", 9000));
    EXPECT_FALSE(bypasses_proxy(s, "::1", 9001));
}

TEST(BypassesProxy, IpLiteralsMatchExactly) {
    ProxySettings s = no_proxy("169.254.169.254,::1,[fd00:ec2::254]");
    EXPECT_TRUE(bypasses_proxy(s, "169.254.169.254", 80));
    EXPECT_FALSE(bypasses_proxy(s, "169.254.169.25", 80));
    EXPECT_FALSE(bypasses_proxy(s, "169.254.169.2", 80));
    EXPECT_TRUE(bypasses_proxy(s, "::1", 80));
    EXPECT_TRUE(bypasses_proxy(s, "0:0:0:0:0:0:0:1", 80));  // same address, other spelling
    EXPECT_TRUE(bypasses_proxy(s, "[::1]", 80));
    EXPECT_TRUE(bypasses_proxy(s, "fd00:ec2::254", 80));
    EXPECT_FALSE(bypasses_proxy(s, "::2", 80));
}

TEST(BypassesProxy, AnIpEntryIsNotASuffix) {
    ProxySettings s = no_proxy("0.0.1");
    EXPECT_FALSE(bypasses_proxy(s, "10.0.0.1", 80));
}

TEST(BypassesProxy, CidrBlocks) {
    ProxySettings s = no_proxy("10.0.0.0/8,192.168.1.0/23,fd00::/8,127.0.0.1/32");
    EXPECT_TRUE(bypasses_proxy(s, "10.1.2.3", 443));
    EXPECT_FALSE(bypasses_proxy(s, "11.0.0.1", 443));
    EXPECT_TRUE(bypasses_proxy(s, "192.168.0.7", 443));
    EXPECT_TRUE(bypasses_proxy(s, "192.168.1.7", 443));
    EXPECT_FALSE(bypasses_proxy(s, "192.168.2.7", 443));
    EXPECT_TRUE(bypasses_proxy(s, "fd00:ec2::254", 80));
    EXPECT_FALSE(bypasses_proxy(s, "fe80::1", 80));
    EXPECT_TRUE(bypasses_proxy(s, "127.0.0.1", 80));
    EXPECT_FALSE(bypasses_proxy(s, "127.0.0.2", 80));
    // Names never match address blocks.
    EXPECT_FALSE(bypasses_proxy(s, "10.example.com", 443));
}

TEST(BypassesProxy, MalformedEntriesMatchNothing) {
    ProxySettings s = no_proxy("10.0.0.0/99,10.0.0.0/x,.,[::1");
    EXPECT_FALSE(bypasses_proxy(s, "10.0.0.1", 80));
    EXPECT_FALSE(bypasses_proxy(s, "example.com", 80));
    EXPECT_FALSE(bypasses_proxy(s, "::1", 80));
}

}  // namespace
}  // namespace sockerless::aws
