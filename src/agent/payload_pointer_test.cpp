#include "agent/payload_pointer.h"

#include <gtest/gtest.h>

#include <map>

namespace sockerless::agent {
namespace {

const std::string kSha = std::string(64, 'a');

GetEnv env_of(std::map<std::string, std::string, std::less<>> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end() || it->second.empty()) return std::nullopt;
        return it->second;
    };
}

std::map<std::string, std::string, std::less<>> pointer_vars() {
    return {{"SOCKERLESS_PAYLOAD_URI", "s3://payloads/sockerless/c0ffee/n1/payload.json"},
            {"SOCKERLESS_PAYLOAD_SHA256", kSha},
            {"SOCKERLESS_PAYLOAD_LENGTH", "1234"}};
}

TEST(ParseS3Uri, SplitsBucketAndKey) {
    auto object = parse_s3_uri("s3://payloads/a/b/c.json");
    ASSERT_TRUE(object.has_value());
    EXPECT_EQ(object->bucket, "payloads");
    EXPECT_EQ(object->key, "a/b/c.json");
    for (const char* bad : {"", "s3://", "s3://bucket", "s3://bucket/", "s3:///key",
                            "https://bucket/key", "S3://bucket/key"}) {
        EXPECT_FALSE(parse_s3_uri(bad).has_value()) << bad;
    }
}

TEST(ReadPayloadPointer, NoPointerVariablesMeansAnInlineLaunch) {
    auto pointer = read_payload_pointer(env_of({{"AWS_REGION", "eu-west-1"}}));
    ASSERT_TRUE(pointer.has_value());
    EXPECT_FALSE(pointer->has_value());
}

TEST(ReadPayloadPointer, ReadsTheVariablesAndTheRegionChain) {
    auto vars = pointer_vars();
    vars["SOCKERLESS_PAYLOAD_SHA256"] = std::string(64, 'B');
    vars["AWS_DEFAULT_REGION"] = "eu-central-1";
    auto pointer = read_payload_pointer(env_of(vars));
    ASSERT_TRUE(pointer.has_value()) << pointer.error().message;
    ASSERT_TRUE(pointer->has_value());
    const PayloadPointer& p = **pointer;
    EXPECT_EQ(p.uri, "s3://payloads/sockerless/c0ffee/n1/payload.json");
    EXPECT_EQ(p.object.bucket, "payloads");
    EXPECT_EQ(p.object.key, "sockerless/c0ffee/n1/payload.json");
    EXPECT_EQ(p.sha256, std::string(64, 'b'));  // lowercased
    EXPECT_EQ(p.length, 1234u);
    EXPECT_EQ(p.endpoint, "");
    EXPECT_EQ(p.region, "eu-central-1");

    vars["AWS_REGION"] = "eu-west-1";
    EXPECT_EQ((*read_payload_pointer(env_of(vars)))->region, "eu-west-1");
    vars["SOCKERLESS_PAYLOAD_REGION"] = "ap-south-1";
    EXPECT_EQ((*read_payload_pointer(env_of(vars)))->region, "ap-south-1");
    EXPECT_EQ((*read_payload_pointer(env_of(pointer_vars())))->region, "us-east-1");
}

TEST(ReadPayloadPointer, RefusesMalformedOrPartialPointers) {
    auto refuses = [](std::map<std::string, std::string, std::less<>> vars,
                      std::string_view mentions) {
        auto pointer = read_payload_pointer(env_of(std::move(vars)));
        ASSERT_FALSE(pointer.has_value()) << mentions;
        EXPECT_EQ(pointer.error().code, Errc::invalid_argument);
        EXPECT_NE(pointer.error().message.find(mentions), std::string::npos)
            << pointer.error().message;
    };
    auto with = [](std::string_view name, std::string value) {
        auto vars = pointer_vars();
        vars[std::string(name)] = std::move(value);
        return vars;
    };
    auto without = [](std::string_view name) {
        auto vars = pointer_vars();
        vars.erase(std::string(name));
        return vars;
    };
    refuses(with("SOCKERLESS_PAYLOAD_URI", "s3://bucket-only"), "SOCKERLESS_PAYLOAD_URI");
    refuses(without("SOCKERLESS_PAYLOAD_URI"), "SOCKERLESS_PAYLOAD_URI");
    refuses(without("SOCKERLESS_PAYLOAD_SHA256"), "SOCKERLESS_PAYLOAD_SHA256");
    refuses(with("SOCKERLESS_PAYLOAD_SHA256", std::string(63, 'a')), "SOCKERLESS_PAYLOAD_SHA256");
    refuses(with("SOCKERLESS_PAYLOAD_SHA256", std::string(63, 'a') + "g"),
            "SOCKERLESS_PAYLOAD_SHA256");
    refuses(without("SOCKERLESS_PAYLOAD_LENGTH"), "SOCKERLESS_PAYLOAD_LENGTH");
    refuses(with("SOCKERLESS_PAYLOAD_LENGTH", "12x"), "SOCKERLESS_PAYLOAD_LENGTH");
    refuses(with("SOCKERLESS_PAYLOAD_LENGTH", "-1"), "SOCKERLESS_PAYLOAD_LENGTH");
    refuses(with("SOCKERLESS_PAYLOAD_LENGTH", "16777217"), "over the agent's limit");
    refuses(with("SOCKERLESS_PAYLOAD_ENDPOINT", "127.0.0.1:4566"), "SOCKERLESS_PAYLOAD_ENDPOINT");
    refuses(with("SOCKERLESS_PAYLOAD_ENDPOINT", "http://h/?x=1"), "SOCKERLESS_PAYLOAD_ENDPOINT");
}

PayloadPointer pointer_to(std::string bucket, std::string key, std::string region,
                          std::string endpoint = "") {
    PayloadPointer p;
    p.uri = "s3://" + bucket + "/" + key;
    p.object = S3Object{std::move(bucket), std::move(key)};
    p.region = std::move(region);
    p.endpoint = std::move(endpoint);
    return p;
}

TEST(ObjectRequest, VirtualHostStyleOnAws) {
    auto req = object_request(pointer_to("payloads", "pfx/c1/n 1/payload.json", "eu-west-1"));
    ASSERT_TRUE(req.has_value());
    EXPECT_EQ(req->url.text(),
              "https://payloads.s3.eu-west-1.amazonaws.com/pfx/c1/n%201/payload.json");
    EXPECT_EQ(req->raw_path, "/pfx/c1/n 1/payload.json");
    auto china = object_request(pointer_to("payloads", "k", "cn-north-1"));
    EXPECT_EQ(china->url.text(), "https://payloads.s3.cn-north-1.amazonaws.com.cn/k");
}

TEST(ObjectRequest, PathStyleForDottedBucketsOnAws) {
    auto req = object_request(pointer_to("my.payloads", "k.json", "us-east-1"));
    ASSERT_TRUE(req.has_value());
    EXPECT_EQ(req->url.text(), "https://s3.us-east-1.amazonaws.com/my.payloads/k.json");
    EXPECT_EQ(req->url.host, "s3.us-east-1.amazonaws.com");
    EXPECT_EQ(req->raw_path, "/my.payloads/k.json");
}

TEST(ObjectRequest, PathStyleUnderAnEndpoint) {
    auto sim = object_request(pointer_to("b", "x/y+z.json", "us-east-1", "http://127.0.0.1:4566"));
    ASSERT_TRUE(sim.has_value());
    EXPECT_EQ(sim->url.text(), "http://127.0.0.1:4566/b/x/y%2Bz.json");
    EXPECT_EQ(sim->url.host_header(), "127.0.0.1:4566");
    EXPECT_EQ(sim->raw_path, "/b/x/y+z.json");
    auto based = object_request(pointer_to("b", "k", "us-east-1", "https://vpce.example/s3/"));
    ASSERT_TRUE(based.has_value());
    EXPECT_EQ(based->url.text(), "https://vpce.example/s3/b/k");
    EXPECT_EQ(based->raw_path, "/s3/b/k");
}

}  // namespace
}  // namespace sockerless::agent
