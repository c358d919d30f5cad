#include "aws/client.h"

#include <gtest/gtest.h>

#include <memory>

#include "aws/client_test_support.h"
#include "aws/credentials_test_support.h"

namespace sockerless::aws {
namespace {

namespace asio = boost::asio;
using test_support::kNow;
using test_support::run;
using test_support::ScriptedServer;

ProvidedCredentials creds(std::string key, std::string secret) {
    ProvidedCredentials c;
    c.credentials.access_key_id = std::move(key);
    c.credentials.secret_access_key = std::move(secret);
    c.source = "test";
    return c;
}

RetryOptions fast_retries() {
    RetryOptions o;
    o.base_delay = std::chrono::milliseconds(1);
    o.max_backoff = std::chrono::milliseconds(2);
    return o;
}

// Hands out a new key on each call, so a test can tell which call signed a request.
class CountingProvider final : public CredentialsProvider {
public:
    explicit CountingProvider(int* calls) : calls_(calls) {}
    Result<ProvidedCredentials> credentials() override {
        ++*calls_;
        ProvidedCredentials c = creds("AKID" + std::to_string(*calls_), "secret");
        c.expiration = kNow + std::chrono::hours(1);
        return c;
    }

private:
    int* calls_;
};

class AwsClientTest : public ::testing::Test {
protected:
    AwsClient make_client(ServiceId service, RetryOptions retry = fast_retries()) {
        return AwsClient(transport_, provider_, std::move(service), "us-east-1", server_.endpoint(),
                         retry, [] { return kNow; });
    }

    asio::io_context io_;
    Transport transport_{io_.get_executor(), TransportOptions{}};
    StaticProvider provider_{creds("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")};
    ScriptedServer server_{io_};
};

ServiceId ecs() {
    return ServiceId{"ECS", "ecs", "ecs"};
}

TEST(AwsClientRequests, JsonRequestShape) {
    boost::json::object input;
    input["cluster"] = "default";
    const HttpRequest req = json_request("AmazonEC2ContainerServiceV20141113", "ListTasks", input);
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.path, "/");
    EXPECT_EQ(req.body, R"({"cluster":"default"})");
    ASSERT_EQ(req.headers.size(), 2U);
    EXPECT_EQ(req.headers[0], NameValue("Content-Type", "application/x-amz-json-1.1"));
    EXPECT_EQ(req.headers[1],
              NameValue("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListTasks"));
}

TEST(AwsClientRequests, QueryRequestShape) {
    const HttpRequest req = query_request("DescribeSubnets", "2016-11-15",
                                          {{"SubnetId.1", "subnet-1"}, {"Filter.1.Name", "a b"}});
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.body,
              "Action=DescribeSubnets&Version=2016-11-15&SubnetId.1=subnet-1&Filter.1.Name=a%20b");
    ASSERT_EQ(req.headers.size(), 1U);
    EXPECT_EQ(req.headers[0].second, "application/x-www-form-urlencoded; charset=utf-8");
}

TEST(AwsClientRequests, FormEncodeEscapesReservedCharacters) {
    EXPECT_EQ(form_encode({{"k", "a+b=c&d/e~"}}), "k=a%2Bb%3Dc%26d%2Fe~");
}

// moto answers JSON 1.1 errors as XML; the JSON reader falls back to the XML shape.
TEST(AwsClientRequests, JsonProtocolReadsXmlErrors) {
    HttpResponse res;
    res.status = 403;
    res.body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse><Error><Code>"
        "SignatureDoesNotMatch</Code><Message>The request signature we calculated does not "
        "match</Message></Error><RequestId>7a62c49f</RequestId></ErrorResponse>";
    const AwsError e = parse_error(Protocol::json, res);
    EXPECT_EQ(e.code, "SignatureDoesNotMatch");
    EXPECT_EQ(e.request_id, "7a62c49f");
}

// moto's EFS and IAM-checked refusals nest the error one level deeper.
TEST(AwsClientRequests, RestJsonProtocolReadsNestedXmlErrors) {
    HttpResponse res;
    res.status = 403;
    res.headers = {{"x-amzn-requestid", "9UEQxajj"}, {"content-type", "text/html; charset=utf-8"}};
    res.body =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error><Code>"
        "SignatureDoesNotMatch</Code><Message>The request signature we calculated does not "
        "match</Message><Type>Sender</Type></Error></Errors></ErrorResponse>";
    const AwsError e = parse_error(Protocol::rest_json, res);
    EXPECT_EQ(e.code, "SignatureDoesNotMatch");
    EXPECT_EQ(e.message, "The request signature we calculated does not match");
    EXPECT_EQ(e.request_id, "9UEQxajj");
}

TEST(AwsClientRequests, QueryProtocolReadsBothErrorNestings) {
    HttpResponse res;
    res.status = 403;
    res.body =
        "<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>m</Message></Error>"
        "<RequestId>r</RequestId></ErrorResponse>";
    EXPECT_EQ(parse_error(Protocol::query, res).code, "InvalidClientTokenId");
    res.body =
        "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>m</Message>"
        "</Error></Errors></ErrorResponse>";
    EXPECT_EQ(parse_error(Protocol::query, res).code, "SignatureDoesNotMatch");
}

TEST(AwsClientRequests, UnreadableJsonErrorKeepsTheStatus) {
    HttpResponse res;
    res.status = 502;
    res.body = "<html><body>Bad Gateway</body></html>";
    const AwsError e = parse_error(Protocol::json, res);
    EXPECT_EQ(e.code, "502");
}

TEST_F(AwsClientTest, SignsEachCallForTheEndpoint) {
    AwsClient client = make_client(ecs());
    server_.answer(200, R"({"taskArns":["arn:1"]})", {{"x-amzn-RequestId", "r1"}});
    boost::json::object input;
    input["cluster"] = "c";
    auto out = run(io_, client.call_json("AmazonEC2ContainerServiceV20141113", "ListTasks", input));
    ASSERT_TRUE(out.has_value());
    ASSERT_TRUE(out->has_value()) << (*out).error().message;
    EXPECT_EQ((**out).at("taskArns").as_array().at(0).as_string(), "arn:1");

    ASSERT_EQ(server_.requests.size(), 1U);
    const auto& req = server_.requests[0];
    EXPECT_EQ(req.target, "/");
    EXPECT_EQ(req.header("Host"), server_.endpoint().host_header());
    EXPECT_EQ(req.header("X-Amz-Date"), "20240501T120000Z");
    EXPECT_EQ(req.header("X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.ListTasks");
    EXPECT_TRUE(req.header("Authorization")
                    .starts_with("AWS4-HMAC-SHA256 "
                                 "Credential=AKIDEXAMPLE/20240501/us-east-1/ecs/aws4_request, "));
    // The signature the server can recompute from what arrived.
    HttpRequest again = json_request("AmazonEC2ContainerServiceV20141113", "ListTasks", input);
    again.host = server_.endpoint().host_header();
    sign(again, provider_.credentials()->credentials, "us-east-1", "ecs", kNow);
    EXPECT_EQ(req.header("Authorization"),
              std::string(header_value(again.headers, "Authorization")));
}

TEST_F(AwsClientTest, RetriesThrottlingAndSignsEachAttemptAnew) {
    server_.answer(400, R"({"__type":"ThrottlingException","message":"Rate exceeded"})");
    server_.answer(200, "{}");
    // A clock that moves one second per signing, so the attempts carry distinct X-Amz-Dates.
    int signings = 0;
    AwsClient counting(transport_, provider_, ecs(), "us-east-1", server_.endpoint(),
                       fast_retries(), [&] { return kNow + std::chrono::seconds(signings++); });
    auto out = run(io_, counting.call_json("P", "ListTasks", {}));
    ASSERT_TRUE(out && out->has_value());
    ASSERT_EQ(server_.requests.size(), 2U);
    EXPECT_EQ(server_.requests[0].header("X-Amz-Date"), "20240501T120000Z");
    EXPECT_EQ(server_.requests[1].header("X-Amz-Date"), "20240501T120001Z");
    EXPECT_NE(server_.requests[0].header("Authorization"),
              server_.requests[1].header("Authorization"));
    EXPECT_EQ(counting.retry_policy().quota_available(), RetryOptions{}.quota_capacity);
}

TEST_F(AwsClientTest, ServerErrorsStopAtMaxAttempts) {
    AwsClient client = make_client(ecs());
    for (int i = 0; i < 3; ++i)
        server_.answer(503, "");
    auto out = run(io_, client.call_json("P", "RunTask", {}));
    ASSERT_TRUE(out.has_value());
    ASSERT_FALSE(out->has_value());
    EXPECT_EQ(out->error().code, Errc::unavailable);
    EXPECT_EQ(out->error().message, "ecs RunTask: 503: Service Unavailable (after 3 attempts)");
    EXPECT_EQ(server_.requests.size(), 3U);
}

TEST_F(AwsClientTest, RetryQuotaIsSharedAndReported) {
    RetryOptions tight = fast_retries();
    tight.quota_capacity = 5;  // room for one retry in all
    AwsClient client = make_client(ecs(), tight);
    server_.answer(503, "");
    server_.answer(503, "");
    auto out = run(io_, client.call_json("P", "RunTask", {}));
    ASSERT_TRUE(out && !out->has_value());
    EXPECT_EQ(out->error().message,
              "ecs RunTask: 503: Service Unavailable (after 2 attempts) (retry quota exhausted)");
    EXPECT_EQ(server_.requests.size(), 2U);
    EXPECT_EQ(client.retry_policy().quota_available(), 0);
}

TEST_F(AwsClientTest, NonRetryableErrorKeepsCodeMessageAndRequestId) {
    AwsClient client = make_client(ecs());
    server_.answer(400, R"({"__type":"ClusterNotFoundException","message":"Cluster not found."})",
                   {{"x-amzn-RequestId", "8c4f2d1e-0000-4000-8000-000000000001"}});
    auto out = run(io_, client.call_json("P", "DescribeTasks", {}));
    ASSERT_TRUE(out && !out->has_value());
    EXPECT_EQ(out->error().code, Errc::not_found);
    EXPECT_EQ(out->error().message,
              "ecs DescribeTasks: ClusterNotFoundException: Cluster not found. (request id "
              "8c4f2d1e-0000-4000-8000-000000000001)");
    EXPECT_EQ(server_.requests.size(), 1U);
}

TEST_F(AwsClientTest, NoResponseIsRetriedAndCounted) {
    AwsClient client = make_client(ecs());
    server_.drop();
    server_.drop();
    server_.drop();
    auto out = run(io_, client.call_json("P", "ListTasks", {}));
    ASSERT_TRUE(out && !out->has_value());
    EXPECT_EQ(out->error().code, Errc::unavailable);
    EXPECT_TRUE(out->error().message.starts_with("ecs ListTasks: ")) << out->error().message;
    EXPECT_TRUE(out->error().message.ends_with("(after 3 attempts)")) << out->error().message;
}

TEST_F(AwsClientTest, ExpiredTokenRefreshesACachingProviderOnce) {
    int calls = 0;
    CachingProvider caching(std::make_unique<CountingProvider>(&calls), [] { return kNow; });
    AwsClient client(transport_, caching, ecs(), "us-east-1", server_.endpoint(), fast_retries(),
                     [] { return kNow; });
    server_.answer(400, R"({"__type":"ExpiredTokenException","message":"expired"})");
    server_.answer(400, R"({"__type":"ExpiredTokenException","message":"expired"})");
    auto out = run(io_, client.call_json("P", "ListTasks", {}));
    ASSERT_TRUE(out && !out->has_value());
    EXPECT_EQ(out->error().code, Errc::unauthorized);
    ASSERT_EQ(server_.requests.size(), 2U);
    EXPECT_NE(server_.requests[0].header("Authorization").find("Credential=AKID1/"),
              std::string::npos);
    EXPECT_NE(server_.requests[1].header("Authorization").find("Credential=AKID2/"),
              std::string::npos);
    EXPECT_EQ(calls, 2);
}

TEST_F(AwsClientTest, CredentialErrorsStopTheCall) {
    class Failing final : public CredentialsProvider {
    public:
        Result<ProvidedCredentials> credentials() override {
            return make_error(Errc::unauthorized, "no credentials found");
        }
    } failing;
    AwsClient client(transport_, failing, ecs(), "us-east-1", server_.endpoint());
    auto out = run(io_, client.call_json("P", "ListTasks", {}));
    ASSERT_TRUE(out && !out->has_value());
    EXPECT_EQ(out->error().code, Errc::unauthorized);
    EXPECT_EQ(out->error().message, "ecs ListTasks: credentials: no credentials found");
    EXPECT_TRUE(server_.requests.empty());
}

TEST_F(AwsClientTest, BasePathIsPrependedAndSigned) {
    Endpoint e = server_.endpoint();
    e.base_path = "/aws";
    AwsClient client(transport_, provider_,
                     ServiceId{"EFS", "elasticfilesystem", "elasticfilesystem"}, "us-east-1", e,
                     fast_retries(), [] { return kNow; });
    server_.answer(204, "");
    auto out = run(io_, client.call_rest_json("DELETE", "/2015-02-01/access-points/fsap-1", {},
                                              nullptr, "DeleteAccessPoint"));
    ASSERT_TRUE(out && out->has_value());
    EXPECT_TRUE((**out).empty());
    ASSERT_EQ(server_.requests.size(), 1U);
    EXPECT_EQ(server_.requests[0].target, "/aws/2015-02-01/access-points/fsap-1");
    EXPECT_EQ(server_.requests[0].body, "");
}

TEST_F(AwsClientTest, QueryCallReturnsTheDocument) {
    AwsClient client = make_client(ServiceId{"STS", "sts", "sts"});
    server_.answer(400,
                   "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
                   "<Message>The security token included in the request is invalid.</Message>"
                   "</Error><RequestId>4c9d</RequestId></ErrorResponse>");
    auto out = run(io_, client.call_query("GetCallerIdentity", "2011-06-15", {}));
    ASSERT_TRUE(out && !out->has_value());
    EXPECT_EQ(out->error().code, Errc::unauthorized);
    EXPECT_EQ(out->error().message,
              "sts GetCallerIdentity: InvalidClientTokenId: The security token included in the "
              "request is invalid. (request id 4c9d)");
}

}  // namespace
}  // namespace sockerless::aws
