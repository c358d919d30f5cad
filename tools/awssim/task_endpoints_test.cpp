// The task endpoints through the simulator's router: unsigned requests, and the credentials
// endpoint's non-SigV4 Authorization header, reach the routes; unknown ids are 404s.

#include "task_endpoints.h"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "simulator.h"

namespace sockerless::awssim {
namespace {
namespace http = boost::beast::http;

TEST(Iso8601Test, FormatsUtcWithAndWithoutMilliseconds) {
    TimePoint t{std::chrono::milliseconds(1704164645678)};
    EXPECT_EQ(iso8601(t), "2024-01-02T03:04:05.678Z");
    EXPECT_EQ(iso8601(t, false), "2024-01-02T03:04:05Z");
    EXPECT_EQ(iso8601(TimePoint{std::chrono::milliseconds(5)}), "1970-01-01T00:00:00.005Z");
}

class TaskEndpointsRouteTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(sim_.run_tasks(io_.get_executor(), TaskRunnerConfig{})); }

    Response get(const std::string& target, std::string_view authorization = "") {
        Request req{http::verb::get, target, 11};
        if (!authorization.empty()) req.set(http::field::authorization, authorization);
        return sim_.handle(req);
    }

    boost::asio::io_context io_;
    Simulator sim_{SimulatorConfig{}, [] { return std::chrono::system_clock::now(); }};
};

TEST_F(TaskEndpointsRouteTest, UnknownIdsAreNotFound) {
    auto creds = get("/v2/credentials/0f6a6f5c", "some-token");
    EXPECT_EQ(creds.result_int(), 404u) << creds.body();
    EXPECT_EQ(boost::json::parse(creds.body()).at("code"), "NoCredentialsAssociated");
    EXPECT_EQ(get("/v4/abc-def").result_int(), 404u);
    EXPECT_EQ(get("/v4/abc-def/task").result_int(), 404u);
    EXPECT_EQ(get("/v3/abc-def/stats").result_int(), 404u);
}

TEST_F(TaskEndpointsRouteTest, SigV4RequestsStillGoToTheServices) {
    // A SigV4 Authorization never reaches the unsigned routes, even on their paths.
    auto res = get("/v4/abc-def",
                   "AWS4-HMAC-SHA256 Credential=test/20240102/us-east-1/ecs/aws4_request, "
                   "SignedHeaders=host, Signature=00");
    EXPECT_EQ(res.result_int(), 403u);
}

TEST(TaskRunnerConfigTest, RefusesAnInvalidSubnet) {
    boost::asio::io_context io;
    Simulator sim{SimulatorConfig{}, [] { return std::chrono::system_clock::now(); }};
    TaskRunnerConfig config;
    config.task_subnet = "127.0.0.0/31";
    auto st = sim.run_tasks(io.get_executor(), config);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("127.0.0.0/31"), std::string::npos);
}

}  // namespace
}  // namespace sockerless::awssim
