#include "simulator.h"

#include <gtest/gtest.h>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace sockerless::awssim {
namespace {
namespace http = boost::beast::http;
namespace json = boost::json;

constexpr std::string_view kNow = "20240102T030405Z";

class SimulatorTest : public ::testing::Test {
protected:
    Simulator sim_{SimulatorConfig{}, [] { return *parse_amz_date(kNow); }};

    // A request signed the way a client would sign it, using the verifier's own building blocks.
    static Simulator::Request signed_request(std::string_view operation, std::string body,
                                             std::string_view secret = "test") {
        Simulator::Request req{http::verb::post, "/", 11};
        req.set(http::field::host, "127.0.0.1:1");
        req.set("X-Amz-Target", std::string(kEcsTargetPrefix) + "." + std::string(operation));
        req.set(http::field::content_type, "application/x-amz-json-1.1");
        req.set("X-Amz-Date", kNow);
        req.body() = std::move(body);
        req.prepare_payload();
        AuthorizationHeader scope{"test", "20240102", "us-east-1", "ecs", {}, ""};
        scope.signed_headers = {"host", "x-amz-date", "x-amz-target"};
        SigV4Request sr{"POST", "/", {}, req.body()};
        for (const auto& f : req)
            sr.headers.emplace_back(f.name_string(), f.value());
        std::string sig = signing_signature(secret, scope, kNow,
                                            canonical_request(sr, scope.signed_headers, true));
        req.set(http::field::authorization,
                "AWS4-HMAC-SHA256 Credential=test/20240102/us-east-1/ecs/aws4_request, "
                "SignedHeaders=host;x-amz-date;x-amz-target, Signature=" +
                    sig);
        return req;
    }

    static std::string str(const json::value& v) { return std::string(v.as_string()); }

    static json::object body(const Simulator::Response& res) {
        return json::parse(res.body()).as_object();
    }
};

TEST_F(SimulatorTest, CreatesAndDescribesCluster) {
    auto res = sim_.handle(signed_request("CreateCluster", R"({"clusterName":"c1"})"));
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    EXPECT_EQ(res[http::field::content_type], "application/x-amz-json-1.1");
    EXPECT_FALSE(res["x-amzn-RequestId"].empty());
    EXPECT_EQ(str(body(res).at("cluster").at("clusterArn")),
              "arn:aws:ecs:us-east-1:000000000000:cluster/c1");

    res = sim_.handle(signed_request("DescribeClusters", R"({"clusters":["c1","nope"]})"));
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    auto out = body(res);
    EXPECT_EQ(out.at("clusters").as_array().size(), 1u);
    EXPECT_EQ(str(out.at("failures").at(0).at("reason")), "MISSING");
    EXPECT_EQ(str(out.at("failures").at(0).at("arn")),
              "arn:aws:ecs:us-east-1:000000000000:cluster/nope");
}

TEST_F(SimulatorTest, WrongSecretIsForbidden) {
    auto res = sim_.handle(signed_request("CreateCluster", "{}", "wrong"));
    EXPECT_EQ(res.result_int(), 403u);
    EXPECT_EQ(str(body(res).at("__type")), "InvalidSignatureException");
}

TEST_F(SimulatorTest, UnknownOperation) {
    auto res = sim_.handle(signed_request("Frobnicate", "{}"));
    EXPECT_EQ(res.result_int(), 400u);
    EXPECT_EQ(str(body(res).at("__type")), "UnknownOperationException");
}

TEST_F(SimulatorTest, BadJsonIsSerializationException) {
    auto res = sim_.handle(signed_request("CreateCluster", "[1"));
    EXPECT_EQ(res.result_int(), 400u);
    EXPECT_EQ(str(body(res).at("__type")), "SerializationException");
}

TEST_F(SimulatorTest, TaskDefinitionRevisionsAndFargateSizes) {
    std::string td = R"({"family":"f","requiresCompatibilities":["FARGATE"],
        "networkMode":"awsvpc","cpu":"256","memory":"MEM",
        "containerDefinitions":[{"name":"a","image":"busybox"}]})";
    auto with_memory = [&](const std::string& m) { return td.replace(td.find("MEM"), 3, m), td; };
    std::string ok = with_memory("512");
    for (int rev = 1; rev <= 2; ++rev) {
        auto res = sim_.handle(signed_request("RegisterTaskDefinition", ok));
        ASSERT_EQ(res.result_int(), 200u) << res.body();
        EXPECT_EQ(str(body(res).at("taskDefinition").at("taskDefinitionArn")),
                  "arn:aws:ecs:us-east-1:000000000000:task-definition/f:" + std::to_string(rev));
    }
    std::string bad = ok;
    bad.replace(bad.find("\"512\""), 5, "\"4096\"");
    auto res = sim_.handle(signed_request("RegisterTaskDefinition", bad));
    EXPECT_EQ(res.result_int(), 400u);
    EXPECT_EQ(str(body(res).at("__type")), "ClientException");
    EXPECT_EQ(str(body(res).at("message")),
              "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the "
              "Amazon ECS documentation for the valid values.");
}

TEST_F(SimulatorTest, AdminArmsFaultsThatTheRouterApplies) {
    Simulator::Request arm{http::verb::post, "/_awssim/faults", 11};
    arm.body() = R"({"service":"ecs","operation":"DescribeClusters","status":400,
                     "code":"ThrottlingException","message":"Rate exceeded","latency_ms":40})";
    arm.prepare_payload();
    auto armed = sim_.handle(arm);
    ASSERT_EQ(armed.result_int(), 200u) << armed.body();
    EXPECT_EQ(body(armed).at("faults").as_array().size(), 1u);

    auto other = sim_.serve(signed_request("ListTaskDefinitions", "{}"));
    EXPECT_EQ(other.response.result_int(), 200u);
    auto hit = sim_.serve(signed_request("DescribeClusters", "{}"));
    EXPECT_EQ(hit.response.result_int(), 400u);
    EXPECT_EQ(hit.delay.count(), 40);
    EXPECT_EQ(str(body(hit.response).at("__type")), "ThrottlingException");
    EXPECT_EQ(hit.response["x-amzn-ErrorType"], "ThrottlingException");
    EXPECT_EQ(sim_.serve(signed_request("DescribeClusters", "{}")).response.result_int(), 200u);
}

TEST_F(SimulatorTest, AdminRefusesBadFaultsAndUnknownPaths) {
    Simulator::Request bad{http::verb::post, "/_awssim/faults", 11};
    bad.body() = R"({"task":"explode"})";
    bad.prepare_payload();
    auto res = sim_.handle(bad);
    EXPECT_EQ(res.result_int(), 400u);
    EXPECT_NE(str(body(res).at("message")).find("explode"), std::string::npos);
    Simulator::Request unknown{http::verb::get, "/_awssim/nothing", 11};
    EXPECT_EQ(sim_.handle(unknown).result_int(), 404u);
}

TEST_F(SimulatorTest, UnsignedRequestsOutsideInternalRoutesAreRefused) {
    Simulator::Request req{http::verb::post, "/", 11};
    req.set("X-Amz-Target", std::string(kEcsTargetPrefix) + ".ListClusters");
    req.body() = "{}";
    req.prepare_payload();
    auto res = sim_.handle(req);
    EXPECT_EQ(res.result_int(), 403u);
    EXPECT_EQ(str(body(res).at("__type")), "MissingAuthenticationTokenException");
}

TEST_F(SimulatorTest, RoleSessionsSignRequestsUntilRevoked) {
    auto creds = sim_.identities().issue_session("arn:aws:iam::000000000000:role/app", "task-1",
                                                 *parse_amz_date(kNow), std::chrono::hours(1));
    auto identity = sim_.identities().identify(creds.access_key, creds.session_token);
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->arn, "arn:aws:sts::000000000000:assumed-role/app/task-1");
    EXPECT_EQ(identity->role_arn, "arn:aws:iam::000000000000:role/app");
    EXPECT_FALSE(sim_.identities().identify(creds.access_key, "wrong").has_value());
    EXPECT_TRUE(sim_.identities().secret_for(creds.access_key, *parse_amz_date(kNow)));
    EXPECT_FALSE(sim_.identities().secret_for(creds.access_key,
                                              *parse_amz_date(kNow) + std::chrono::hours(2)));
    sim_.identities().revoke(creds.access_key);
    EXPECT_FALSE(sim_.identities().secret_for(creds.access_key, *parse_amz_date(kNow)));
}

}  // namespace
}  // namespace sockerless::awssim
