// Endpoint URLs and resolution. The default endpoints are the ones botocore 1.43 produces
// (boto3.client(service, region_name=...).meta.endpoint_url) for the same service and region.

#include <gtest/gtest.h>

#include "aws/credentials_test_support.h"
#include "aws/transport.h"

namespace sockerless::aws {
namespace {

using test_support::FakeWorld;

const ServiceId ecs_id{"ECS", "ecs", "ecs"};
const ServiceId s3_id{"S3", "s3", "s3"};
const ServiceId logs_id{"CloudWatch Logs", "logs", "logs"};
const ServiceId ec2_id{"EC2", "ec2", "ec2"};
const ServiceId efs_id{"EFS", "elasticfilesystem", "elasticfilesystem"};
const ServiceId sts_id{"STS", "sts", "sts"};

std::string resolved(const ServiceId& service, std::string_view region) {
    FakeWorld world;
    Result<Endpoint> ep = resolve_endpoint(world.env(), service, region);
    if (!ep) return "error: " + ep.error().message;
    return ep->url();
}

// ---- parse_endpoint_url -------------------------------------------------------------------------

TEST(ParseEndpointUrl, HostAndDefaultPorts) {
    Result<Endpoint> https = parse_endpoint_url("https://ecs.us-east-1.amazonaws.com");
    ASSERT_TRUE(https) << https.error().message;
    EXPECT_EQ(https->scheme, "https");
    EXPECT_EQ(https->host, "ecs.us-east-1.amazonaws.com");
    EXPECT_EQ(https->port, 443);
    EXPECT_EQ(https->base_path, "");

    Result<Endpoint> http = parse_endpoint_url("http://localhost");
    ASSERT_TRUE(http);
    EXPECT_EQ(http->port, 80);
}

TEST(ParseEndpointUrl, ExplicitPortAndPath) {
    Result<Endpoint> ep = parse_endpoint_url("http://127.0.0.1:4566/prefix/sub/");
    ASSERT_TRUE(ep) << ep.error().message;
    EXPECT_EQ(ep->scheme, "http");
    EXPECT_EQ(ep->host, "127.0.0.1");
    EXPECT_EQ(ep->port, 4566);
    EXPECT_EQ(ep->base_path, "/prefix/sub");
}

TEST(ParseEndpointUrl, SchemeAndHostAreCaseInsensitive) {
    Result<Endpoint> ep = parse_endpoint_url("HTTPS://S3.Example.COM:8443/Base");
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->scheme, "https");
    EXPECT_EQ(ep->host, "s3.example.com");
    EXPECT_EQ(ep->port, 8443);
    EXPECT_EQ(ep->base_path, "/Base");  // paths are case-sensitive
}

TEST(ParseEndpointUrl, Ipv6Literals) {
    Result<Endpoint> ep = parse_endpoint_url("http://[::1]:4566");
    ASSERT_TRUE(ep) << ep.error().message;
    EXPECT_EQ(ep->host, "::1");
    EXPECT_EQ(ep->port, 4566);
    EXPECT_EQ(ep->host_header(), "[::1]:4566");
    EXPECT_EQ(ep->url(), "http://[::1]:4566");

    Result<Endpoint> bare = parse_endpoint_url("http://[fd00:ec2::254]");
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->host, "fd00:ec2::254");
    EXPECT_EQ(bare->host_header(), "[fd00:ec2::254]");
}

TEST(ParseEndpointUrl, RootPathIsNoBasePath) {
    Result<Endpoint> ep = parse_endpoint_url("https://example.com/");
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->base_path, "");
}

TEST(ParseEndpointUrl, RejectsMalformed) {
    const char* const bad[] = {
        "",
        "localhost:4566",        // no scheme
        "ftp://example.com",     // not http(s)
        "http://",               // no host
        "http://:80",            // no host
        "http://host:",          // empty port
        "http://host:0",         // port out of range
        "http://host:65536",     // port out of range
        "http://host:12ab",      // not a number
        "http://user:pw@host",   // credentials
        "http://host/path?x=1",  // query
        "http://host/#frag",     // fragment
        "http://[::1",           // unterminated literal
        "http://[::1]x",         // junk after literal
        "http://[zz::1]",        // not IPv6
        "http://ho st",          // space
        "http://host/pa th",     // space in path
        "http://exa$mple.com",   // bad host character
    };
    for (const char* url : bad) {
        Result<Endpoint> ep = parse_endpoint_url(url);
        ASSERT_FALSE(ep) << url;
        EXPECT_EQ(ep.error().code, Errc::invalid_argument) << url;
        EXPECT_NE(ep.error().message.find("endpoint URL"), std::string::npos) << ep.error().message;
    }
}

TEST(ParseEndpointUrl, ErrorNamesTheUrl) {
    Result<Endpoint> ep = parse_endpoint_url("http://host:99999");
    ASSERT_FALSE(ep);
    EXPECT_NE(ep.error().message.find("http://host:99999"), std::string::npos);
    EXPECT_NE(ep.error().message.find("port"), std::string::npos);
}

// ---- host_header / url --------------------------------------------------------------------------

TEST(Endpoint, HostHeaderOmitsTheSchemesDefaultPort) {
    EXPECT_EQ((Endpoint{"https", "a.example", 443, ""}.host_header()), "a.example");
    EXPECT_EQ((Endpoint{"http", "a.example", 80, ""}.host_header()), "a.example");
    EXPECT_EQ((Endpoint{"https", "a.example", 80, ""}.host_header()), "a.example:80");
    EXPECT_EQ((Endpoint{"http", "a.example", 443, ""}.host_header()), "a.example:443");
    EXPECT_EQ((Endpoint{"http", "127.0.0.1", 4566, ""}.host_header()), "127.0.0.1:4566");
}

TEST(Endpoint, UrlRoundTrips) {
    for (const char* url : {"https://ecs.eu-west-1.amazonaws.com", "http://127.0.0.1:4566",
                            "https://example.com:8443/base/path", "http://[::1]:9000/x"}) {
        Result<Endpoint> ep = parse_endpoint_url(url);
        ASSERT_TRUE(ep) << url;
        EXPECT_EQ(ep->url(), url);
    }
}

// ---- resolve_endpoint: defaults -----------------------------------------------------------------

TEST(ResolveEndpoint, DefaultsForTheAwsPartition) {
    EXPECT_EQ(resolved(ecs_id, "us-east-1"), "https://ecs.us-east-1.amazonaws.com");
    EXPECT_EQ(resolved(ecs_id, "eu-west-1"), "https://ecs.eu-west-1.amazonaws.com");
    EXPECT_EQ(resolved(ecs_id, "ap-southeast-5"), "https://ecs.ap-southeast-5.amazonaws.com");
    EXPECT_EQ(resolved(logs_id, "eu-west-1"), "https://logs.eu-west-1.amazonaws.com");
    EXPECT_EQ(resolved(ec2_id, "us-east-1"), "https://ec2.us-east-1.amazonaws.com");
    EXPECT_EQ(resolved(efs_id, "us-east-1"), "https://elasticfilesystem.us-east-1.amazonaws.com");
    EXPECT_EQ(resolved(efs_id, "eu-west-1"), "https://elasticfilesystem.eu-west-1.amazonaws.com");
}

TEST(ResolveEndpoint, S3InUsEast1IsTheLegacyGlobalEndpoint) {
    EXPECT_EQ(resolved(s3_id, "us-east-1"), "https://s3.amazonaws.com");
    EXPECT_EQ(resolved(s3_id, "aws-global"), "https://s3.amazonaws.com");
    EXPECT_EQ(resolved(s3_id, "eu-west-1"), "https://s3.eu-west-1.amazonaws.com");
    EXPECT_EQ(resolved(s3_id, "us-east-2"), "https://s3.us-east-2.amazonaws.com");
}

TEST(ResolveEndpoint, StsIsRegional) {
    EXPECT_EQ(resolved(sts_id, "us-east-1"), "https://sts.us-east-1.amazonaws.com");
    EXPECT_EQ(resolved(sts_id, "eu-west-1"), "https://sts.eu-west-1.amazonaws.com");
    EXPECT_EQ(resolved(sts_id, "aws-global"), "https://sts.amazonaws.com");
}

TEST(ResolveEndpoint, OtherPartitions) {
    EXPECT_EQ(resolved(ecs_id, "cn-north-1"), "https://ecs.cn-north-1.amazonaws.com.cn");
    EXPECT_EQ(resolved(s3_id, "cn-northwest-1"), "https://s3.cn-northwest-1.amazonaws.com.cn");
    EXPECT_EQ(resolved(sts_id, "cn-north-1"), "https://sts.cn-north-1.amazonaws.com.cn");
    EXPECT_EQ(resolved(ecs_id, "us-gov-west-1"), "https://ecs.us-gov-west-1.amazonaws.com");
    EXPECT_EQ(resolved(s3_id, "us-gov-west-1"), "https://s3.us-gov-west-1.amazonaws.com");
    EXPECT_EQ(resolved(ecs_id, "us-iso-east-1"), "https://ecs.us-iso-east-1.c2s.ic.gov");
    EXPECT_EQ(resolved(logs_id, "us-isob-east-1"), "https://logs.us-isob-east-1.sc2s.sgov.gov");
    EXPECT_EQ(resolved(ecs_id, "us-isof-south-1"), "https://ecs.us-isof-south-1.csp.hci.ic.gov");
    EXPECT_EQ(resolved(ecs_id, "eu-isoe-west-1"), "https://ecs.eu-isoe-west-1.cloud.adc-e.uk");
    EXPECT_EQ(resolved(ecs_id, "eusc-de-east-1"), "https://ecs.eusc-de-east-1.amazonaws.eu");
}

TEST(ResolveEndpoint, UnknownRegionsBelongToTheAwsPartition) {
    EXPECT_EQ(resolved(ecs_id, "foo"), "https://ecs.foo.amazonaws.com");
    EXPECT_EQ(resolved(ecs_id, "local"), "https://ecs.local.amazonaws.com");
    EXPECT_EQ(resolved(ecs_id, "cn-north"), "https://ecs.cn-north.amazonaws.com");
}

TEST(ResolveEndpoint, RegionMustBeAHostLabel) {
    FakeWorld world;
    for (std::string_view region :
         {"", "us-east-1.evil.com", "us east", "-us-east-1", "us-east-1-", "us/east"}) {
        Result<Endpoint> ep = resolve_endpoint(world.env(), ecs_id, region);
        ASSERT_FALSE(ep) << region;
        EXPECT_EQ(ep.error().code, Errc::invalid_argument);
        EXPECT_NE(ep.error().message.find("region"), std::string::npos) << ep.error().message;
    }
}

// ---- resolve_endpoint: configured endpoints -----------------------------------------------------

TEST(ResolveEndpoint, GlobalVariableOverridesTheDefault) {
    FakeWorld world;
    world.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
    Result<Endpoint> ep = resolve_endpoint(world.env(), ecs_id, "us-east-1");
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->url(), "http://127.0.0.1:4566");
}

TEST(ResolveEndpoint, ServiceVariableOverridesTheGlobalOne) {
    FakeWorld world;
    world.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
    world.vars["AWS_ENDPOINT_URL_ECS"] = "http://127.0.0.1:5000";
    world.vars["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"] = "http://127.0.0.1:5001/logs";
    world.vars["AWS_ENDPOINT_URL_EFS"] = "https://efs.internal";
    world.vars["AWS_ENDPOINT_URL_S3"] = "http://minio.local:9000";
    EXPECT_EQ(resolve_endpoint(world.env(), ecs_id, "us-east-1")->url(), "http://127.0.0.1:5000");
    EXPECT_EQ(resolve_endpoint(world.env(), logs_id, "us-east-1")->url(),
              "http://127.0.0.1:5001/logs");
    EXPECT_EQ(resolve_endpoint(world.env(), efs_id, "us-east-1")->url(), "https://efs.internal");
    EXPECT_EQ(resolve_endpoint(world.env(), s3_id, "us-east-1")->url(), "http://minio.local:9000");
    // No service variable for EC2 or STS: the global one applies.
    EXPECT_EQ(resolve_endpoint(world.env(), ec2_id, "us-east-1")->url(), "http://127.0.0.1:4566");
    EXPECT_EQ(resolve_endpoint(world.env(), sts_id, "us-east-1")->url(), "http://127.0.0.1:4566");
}

TEST(ResolveEndpoint, ConfiguredEndpointNeedsNoRegion) {
    FakeWorld world;
    world.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
    Result<Endpoint> ep = resolve_endpoint(world.env(), ecs_id, "");
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->port, 4566);
}

TEST(ResolveEndpoint, EmptyVariablesCountAsUnset) {
    FakeWorld world;
    world.vars["AWS_ENDPOINT_URL_ECS"] = "";
    world.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
    EXPECT_EQ(resolve_endpoint(world.env(), ecs_id, "us-east-1")->url(), "http://127.0.0.1:4566");
}

TEST(ResolveEndpoint, ExplicitOverrideWinsOverEverything) {
    FakeWorld world;
    world.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
    world.vars["AWS_ENDPOINT_URL_ECS"] = "http://127.0.0.1:5000";
    world.vars["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true";
    Result<Endpoint> ep =
        resolve_endpoint(world.env(), ecs_id, "us-east-1", std::string("https://vpce.example:444"));
    ASSERT_TRUE(ep);
    EXPECT_EQ(ep->url(), "https://vpce.example:444");
}

TEST(ResolveEndpoint, EmptyOverrideIsNoOverride) {
    FakeWorld world;
    EXPECT_EQ(resolve_endpoint(world.env(), ecs_id, "us-west-2", std::string())->url(),
              "https://ecs.us-west-2.amazonaws.com");
}

TEST(ResolveEndpoint, IgnoreConfiguredEndpointUrls) {
    FakeWorld world;
    world.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
    world.vars["AWS_ENDPOINT_URL_ECS"] = "http://127.0.0.1:5000";
    for (const char* truthy : {"true", "TRUE", "True"}) {
        world.vars["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = truthy;
        EXPECT_EQ(resolve_endpoint(world.env(), ecs_id, "eu-west-1")->url(),
                  "https://ecs.eu-west-1.amazonaws.com")
            << truthy;
    }
    // Anything but "true" (case-insensitive) is false, as botocore's ensure_boolean has it.
    for (const char* other : {"false", "1", "yes"}) {
        world.vars["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = other;
        EXPECT_EQ(resolve_endpoint(world.env(), ecs_id, "eu-west-1")->url(),
                  "http://127.0.0.1:5000")
            << other;
    }
}

TEST(ResolveEndpoint, MalformedConfiguredEndpointIsAnErrorNamingTheVariable) {
    FakeWorld world;
    world.vars["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"] = "127.0.0.1:4566";
    world.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
    Result<Endpoint> ep = resolve_endpoint(world.env(), logs_id, "us-east-1");
    ASSERT_FALSE(ep);
    EXPECT_EQ(ep.error().code, Errc::invalid_argument);
    EXPECT_NE(ep.error().message.find("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"), std::string::npos)
        << ep.error().message;

    Result<Endpoint> over =
        resolve_endpoint(world.env(), ecs_id, "us-east-1", std::string("not a url"));
    ASSERT_FALSE(over);
    EXPECT_NE(over.error().message.find("endpoint override"), std::string::npos);
}

TEST(ResolveEndpoint, ServiceVariableNameFollowsTheServiceId) {
    FakeWorld world;
    const ServiceId spaced{"Elastic Load Balancing v2", "elasticloadbalancing",
                           "elasticloadbalancing"};
    world.vars["AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2"] = "http://127.0.0.1:7000";
    EXPECT_EQ(resolve_endpoint(world.env(), spaced, "us-east-1")->url(), "http://127.0.0.1:7000");
}

}  // namespace
}  // namespace sockerless::aws
