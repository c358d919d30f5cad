// EcsBackend::list_tasks_of_containers on the real simulator with the real agent: a backend that
// never started them (a restarted daemon) finds the containers another backend started, from the
// tags, overrides and ENIs ECS keeps about their tasks. Needs SOCKERLESS_AWSSIM and
// SOCKERLESS_AGENT; skips, saying so, without them.

#include <csignal>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "aws/efs_client.h"
#include "aws/logs_client.h"
#include "backends/ecs/backend.h"
#include "backends/ecs/ecs_io_test_support.h"

namespace sockerless::ecs {
namespace {

namespace json = boost::json;
using test::run;

constexpr std::string_view kCluster = "recover-test";
constexpr std::string_view kBucket = "recover-test-payloads";
constexpr std::string_view kTaskRole = "arn:aws:iam::000000000000:role/recover-test-task";

template <class T>
std::string why(const std::optional<T>& r) {
    if (!r) return "timeout";
    if (r->has_value()) return "ok";
    return r->error().message;
}

// The task role may read launch payloads (docs/payload-bucket.md).
std::string task_role_policy() {
    return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":")" +
           std::string(kTaskRole) + R"("},"Action":"s3:GetObject","Resource":"arn:aws:s3:::)" +
           std::string(kBucket) + R"(/sockerless-payloads/*"}]})";
}

class BackendRecoverTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto sim_path = test::env_path("SOCKERLESS_AWSSIM");
        auto agent_path = test::env_path("SOCKERLESS_AGENT");
        if (!sim_path || !agent_path)
            GTEST_SKIP() << "SOCKERLESS_AWSSIM and SOCKERLESS_AGENT unset";
        std::string error;
        sim_ = test::Sim::start(*sim_path, error);
        ASSERT_NE(sim_, nullptr) << error;
        clients_ = std::make_unique<test::SimClients>(io_, sim_->endpoint());

        auto cluster = run(io_, clients_->ecs.create_cluster(std::string(kCluster)));
        ASSERT_TRUE(cluster && cluster->has_value()) << why(cluster);
        auto group = run(io_, clients_->logs.create_log_group("/sockerless/tasks"));
        ASSERT_TRUE(group && group->has_value()) << why(group);
        auto bucket = run(io_, clients_->s3.create_bucket(std::string(kBucket)));
        ASSERT_TRUE(bucket && bucket->has_value()) << why(bucket);
        auto policy =
            run(io_, clients_->s3.put_bucket_policy(std::string(kBucket), task_role_policy()));
        ASSERT_TRUE(policy && policy->has_value()) << why(policy);

        // The agent staged on EFS behind a read-only access point, as an operator does.
        auto staged = run(io_, clients_->stage_agent_on_efs("recover-test-agent", *agent_path));
        ASSERT_TRUE(staged && staged->has_value()) << why(staged) << "\nsimulator log:\n"
                                                   << sim_->log();

        config_.region = "us-east-1";
        config_.cluster = std::string(kCluster);
        config_.subnets = {"subnet-0123456789abcdef0"};
        config_.strategy = InjectionStrategy::efs;
        config_.efs_filesystem_id = (**staged).file_system_id;
        config_.efs_access_point_id = (**staged).access_point_id;
        config_.task_role_arn = std::string(kTaskRole);
        config_.health_timeout = std::chrono::seconds(20);
        config_.payload_bucket = std::string(kBucket);
        config_.endpoint_url =
            "http://" + sim_->endpoint().host + ":" + std::to_string(sim_->endpoint().port);
    }

    std::unique_ptr<EcsBackend> backend() {
        return std::make_unique<EcsBackend>(io_.get_executor(), config_, clients_->ecs,
                                            clients_->s3, clients_->logs);
    }

    runtime::ContainerRecord start(EcsBackend& b, runtime::ContainerSpec spec) {
        auto started = run(io_, b.start(std::move(spec)));
        EXPECT_TRUE(started && started->has_value()) << why(started);
        if (!started || !started->has_value()) return {};
        return **started;
    }

    std::vector<RecoveredTask> recover(EcsBackend& b) {
        auto listed = run(io_, b.list_tasks_of_containers());
        EXPECT_TRUE(listed && listed->has_value()) << why(listed);
        if (!listed || !listed->has_value()) return {};
        return **listed;
    }

    boost::asio::io_context io_;
    std::unique_ptr<test::Sim> sim_;
    std::unique_ptr<test::SimClients> clients_;
    EcsConfig config_;
};

runtime::ContainerSpec spec(char fill, std::string name, std::vector<std::string> cmd) {
    runtime::ContainerSpec s;
    s.id = std::string(64, fill);
    s.name = std::move(name);
    s.image = "busybox";
    s.cmd = std::move(cmd);
    return s;
}

void expect_matches(const RecoveredTask& got, const runtime::ContainerRecord& record,
                    std::string_view name) {
    EXPECT_EQ(got.container_id, record.id);
    EXPECT_EQ(got.name, name);
    EXPECT_EQ(got.task_arn, record.task_arn);
    EXPECT_EQ(got.task_definition_arn, record.task_definition_arn);
    EXPECT_EQ(got.agent_address, record.agent_address);
    EXPECT_EQ(got.injection, record.injection);
    EXPECT_EQ(got.keep_alive, record.keep_alive);
    EXPECT_EQ(got.image, "busybox");
}

TEST_F(BackendRecoverTest, AFreshBackendFindsWhatAnotherStarted) {
    // One launch inline, one through a payload (a keep-alive one: its overrides cannot say so).
    auto first = backend();
    const runtime::ContainerRecord inline_record =
        start(*first, spec('a', "inline-one", {"sh", "-c", "exec sleep 60"}));
    ASSERT_FALSE(inline_record.task_arn.empty());
    ASSERT_TRUE(inline_record.payload_uri.empty());
    config_.payload_mode = PayloadMode::always;
    auto second = backend();
    const runtime::ContainerRecord payload_record =
        start(*second, spec('b', "payload-one", {"tail", "-f", "/dev/null"}));
    ASSERT_FALSE(payload_record.task_arn.empty());
    ASSERT_FALSE(payload_record.payload_uri.empty());
    ASSERT_TRUE(payload_record.keep_alive);

    // Tasks that are not a container's: one without the tag, one tagged but started by another.
    aws::RunTaskRequest untagged;
    untagged.cluster = std::string(kCluster);
    untagged.task_definition = inline_record.task_definition_arn;
    untagged.subnets = config_.subnets;
    untagged.started_by = std::string(kStartedBy);
    auto ran = run(io_, clients_->ecs.run_task(untagged));
    ASSERT_TRUE(ran && ran->has_value()) << why(ran);
    ASSERT_EQ((**ran).tasks.size(), 1U);
    aws::RunTaskRequest foreign = untagged;
    foreign.started_by = "someone-else";
    foreign.tags = {{std::string(kContainerIdTag), std::string(64, 'c')}};
    ran = run(io_, clients_->ecs.run_task(foreign));
    ASSERT_TRUE(ran && ran->has_value()) << why(ran);
    ASSERT_EQ((**ran).tasks.size(), 1U);

    config_.payload_mode = PayloadMode::automatic;
    auto fresh = backend();
    std::vector<RecoveredTask> found = recover(*fresh);
    ASSERT_EQ(found.size(), 2U);
    expect_matches(found[0], inline_record, "inline-one");
    expect_matches(found[1], payload_record, "payload-one");
    EXPECT_EQ(found[0].agent_token, inline_record.agent_token);
    EXPECT_EQ(found[0].agent_token.size(), 64U);
    EXPECT_TRUE(found[0].payload_uri.empty());
    EXPECT_EQ(found[1].agent_token, "") << "a payload launch's token is not recoverable";
    EXPECT_EQ(found[1].payload_uri, payload_record.payload_uri);
    for (const RecoveredTask& t : found) {
        EXPECT_EQ(t.last_status, "RUNNING") << t.container_id;
        EXPECT_FALSE(t.exit_code.has_value()) << t.container_id;
        EXPECT_TRUE(t.started_at.has_value()) << t.container_id;
    }
    // Only the payload launch needed its definition.
    EXPECT_EQ(fresh->counters().describe_task_definition, 1U);

    // A stopped container is still found, with its exit code.
    auto stopped = run(io_, first->stop(inline_record, SIGTERM, std::chrono::seconds(10)));
    ASSERT_TRUE(stopped && stopped->has_value()) << why(stopped);
    ASSERT_EQ((**stopped).exit_code, 128 + SIGTERM);
    found = recover(*fresh);
    ASSERT_EQ(found.size(), 2U);
    expect_matches(found[0], inline_record, "inline-one");
    EXPECT_EQ(found[0].last_status, "STOPPED");
    EXPECT_EQ(found[0].exit_code, 128 + SIGTERM);
    EXPECT_EQ(found[1].last_status, "RUNNING");
    EXPECT_FALSE(found[1].exit_code.has_value());

    auto ended = run(io_, second->stop(payload_record, SIGTERM, std::chrono::seconds(10)));
    ASSERT_TRUE(ended && ended->has_value()) << why(ended);
}

TEST_F(BackendRecoverTest, AContainerStartedTwiceListsItsCurrentTaskLast) {
    auto b = backend();
    const runtime::ContainerRecord once = start(*b, spec('d', "twice", {"true"}));
    ASSERT_FALSE(once.task_arn.empty());
    auto waited = run(io_, b->wait(once));
    ASSERT_TRUE(waited && waited->has_value()) << why(waited);
    const runtime::ContainerRecord again = start(*b, spec('d', "twice", {"sleep", "60"}));
    ASSERT_FALSE(again.task_arn.empty());

    std::vector<RecoveredTask> found = recover(*backend());
    ASSERT_EQ(found.size(), 2U);
    EXPECT_EQ(found[0].task_arn, once.task_arn);
    EXPECT_EQ(found[0].last_status, "STOPPED");
    EXPECT_EQ(found[0].exit_code, 0);
    EXPECT_EQ(found[1].task_arn, again.task_arn);
    EXPECT_EQ(found[1].last_status, "RUNNING");
    EXPECT_EQ(found[1].agent_token, again.agent_token);

    auto ended = run(io_, b->stop(again, SIGTERM, std::chrono::seconds(10)));
    ASSERT_TRUE(ended && ended->has_value()) << why(ended);
}

TEST_F(BackendRecoverTest, AnEmptyClusterHasNoContainers) {
    auto b = backend();
    std::vector<RecoveredTask> found = recover(*b);
    EXPECT_TRUE(found.empty());
    EXPECT_EQ(b->counters().describe_task_definition, 0U);
}

TEST_F(BackendRecoverTest, AMissingClusterIsAnErrorNamingIt) {
    config_.cluster = "no-such-cluster";
    auto listed = run(io_, backend()->list_tasks_of_containers());
    ASSERT_TRUE(listed.has_value());
    ASSERT_FALSE(listed->has_value());
    EXPECT_EQ(listed->error().code, Errc::not_found) << listed->error().message;
    EXPECT_NE(listed->error().message.find("no-such-cluster"), std::string::npos)
        << listed->error().message;
}

}  // namespace
}  // namespace sockerless::ecs
