// EcsBackend::sweep_orphans on the real simulator's S3: the startup sweeper deletes the payloads
// of containers the daemon no longer knows and nothing else. Needs SOCKERLESS_AWSSIM; skips,
// saying so, without it.

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "aws/logs_client.h"
#include "backends/ecs/backend.h"
#include "backends/ecs/ecs_io_test_support.h"
#include "backends/ecs/payload_store.h"

namespace sockerless::ecs {
namespace {

namespace asio = boost::asio;
using test::run;

constexpr std::string_view kPrefix = "sweep-payloads";

template <class T>
std::string why(const std::optional<T>& r) {
    if (!r) return "timeout";
    if (r->has_value()) return "ok";
    return r->error().message;
}

class BackendSweepTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto sim_path = test::env_path("SOCKERLESS_AWSSIM");
        if (!sim_path) GTEST_SKIP() << "SOCKERLESS_AWSSIM is not set (path to sockerless-awssim)";
        std::string error;
        sim_ = test::Sim::start(*sim_path, error);
        ASSERT_NE(sim_, nullptr) << error;
        clients_ = std::make_unique<test::SimClients>(io_, sim_->endpoint());
        logs_aws_ =
            std::make_unique<aws::AwsClient>(clients_->transport, clients_->provider,
                                             aws::logs_service_id(), "us-east-1", sim_->endpoint());
        logs_ = std::make_unique<aws::LogsClient>(*logs_aws_);
        config_.region = "us-east-1";
        config_.cluster = "sweep-test";
        config_.subnets = {"subnet-0123456789abcdef0"};
        config_.agent_image = "sockerless-agent:test";
        config_.payload_prefix = std::string(kPrefix);
    }

    std::string new_bucket() {
        std::string name = "sweep-" + std::to_string(std::random_device{}() % 1'000'000'000);
        auto out = run(io_, clients_->s3.create_bucket(name));
        EXPECT_TRUE(out && out->has_value()) << why(out);
        return name;
    }

    void put(const std::string& bucket, const std::string& key) {
        auto out = run(io_, put_payload(clients_->s3, bucket, key, "{}"));
        ASSERT_TRUE(out && out->has_value()) << why(out);
    }

    std::vector<std::string> keys(const std::string& bucket) {
        auto out = run(io_, clients_->s3.list_objects_v2(bucket, ""));
        EXPECT_TRUE(out && out->has_value()) << why(out);
        std::vector<std::string> names;
        if (out && out->has_value()) {
            for (const auto& o : **out)
                names.push_back(o.key);
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    std::unique_ptr<EcsBackend> backend() {
        return std::make_unique<EcsBackend>(io_.get_executor(), config_, clients_->ecs,
                                            clients_->s3, *logs_);
    }

    asio::io_context io_;
    std::unique_ptr<test::Sim> sim_;
    std::unique_ptr<test::SimClients> clients_;
    std::unique_ptr<aws::AwsClient> logs_aws_;
    std::unique_ptr<aws::LogsClient> logs_;
    EcsConfig config_;
};

// <prefix>/<container id>/<nonce>/payload.json
std::string payload_key(std::string_view container_id, std::string_view nonce) {
    std::string key(kPrefix);
    key += '/';
    key += container_id;
    key += '/';
    key += nonce;
    key += "/payload.json";
    return key;
}

TEST_F(BackendSweepTest, DeletesThePayloadsOfContainersNotLive) {
    config_.payload_bucket = new_bucket();
    const std::string& bucket = config_.payload_bucket;
    const std::string live(64, 'a');
    const std::string dead(64, 'b');
    const std::string gone(64, 'c');
    const std::string loose = std::string(kPrefix) + "/loose.json";
    const std::string outside = "other/" + dead + "/n5/payload.json";
    for (const std::string& key :
         {payload_key(live, "n1"), payload_key(dead, "n2"), payload_key(dead, "n3"),
          payload_key(gone, "n4"), loose, outside}) {
        put(bucket, key);
    }
    auto b = backend();
    auto swept = run(io_, b->sweep_orphans({live}));
    ASSERT_TRUE(swept && swept->has_value()) << why(swept);
    std::vector<std::string> deleted = **swept;
    std::sort(deleted.begin(), deleted.end());
    EXPECT_EQ(deleted, (std::vector<std::string>{payload_key(dead, "n2"), payload_key(dead, "n3"),
                                                 payload_key(gone, "n4")}));
    EXPECT_EQ(keys(bucket), (std::vector<std::string>{outside, payload_key(live, "n1"), loose}));
    EXPECT_EQ(b->counters().delete_payload, 3U);

    // A second sweep finds nothing more to delete.
    auto again = run(io_, b->sweep_orphans({live}));
    ASSERT_TRUE(again && again->has_value()) << why(again);
    EXPECT_TRUE((**again).empty());
}

TEST_F(BackendSweepTest, NoPayloadBucketMeansNothingToSweep) {
    // The simulator has no bucket at all: any request would fail, so success means none was made.
    auto b = backend();
    auto swept = run(io_, b->sweep_orphans({}));
    ASSERT_TRUE(swept && swept->has_value()) << why(swept);
    EXPECT_TRUE((**swept).empty());
    EXPECT_EQ(b->counters().delete_payload, 0U);
}

TEST_F(BackendSweepTest, AMissingBucketIsAnErrorNamingIt) {
    config_.payload_bucket = "no-such-payload-bucket";
    auto b = backend();
    auto swept = run(io_, b->sweep_orphans({}));
    ASSERT_TRUE(swept && !swept->has_value());
    EXPECT_EQ(swept->error().code, Errc::not_found) << swept->error().message;
    EXPECT_NE(swept->error().message.find("s3://no-such-payload-bucket/sweep-payloads/"),
              std::string::npos)
        << swept->error().message;
}

}  // namespace
}  // namespace sockerless::ecs
