// The ECS backend end to end on the real simulator: tasks really run (host processes), the real
// agent is staged on the simulator's EFS and injected as the entry point, and exec goes through
// it. Needs SOCKERLESS_AWSSIM and SOCKERLESS_AGENT; skips, saying so, without them.

#include "backends/ecs/backend.h"

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "agentclient/client.h"
#include "aws/efs_client.h"
#include "aws/logs_client.h"
#include "backends/ecs/agent_logs.h"
#include "backends/ecs/ecs_io_test_support.h"

namespace sockerless::ecs {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using test::run;

constexpr std::string_view kCluster = "backend-test";
constexpr std::string_view kBucket = "backend-test-payloads";
constexpr std::string_view kTaskRole = "arn:aws:iam::000000000000:role/backend-test-task";

class BackendTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto sim_path = test::env_path("SOCKERLESS_AWSSIM");
        auto agent_path = test::env_path("SOCKERLESS_AGENT");
        if (!sim_path || !agent_path)
            GTEST_SKIP() << "SOCKERLESS_AWSSIM and SOCKERLESS_AGENT unset";
        std::string why;
        sim_ = test::Sim::start(*sim_path, why);
        ASSERT_NE(sim_, nullptr) << why;
        clients_ = std::make_unique<test::SimClients>(io_, sim_->endpoint());

        ASSERT_TRUE(ok_of(run(io_, clients_->ecs.create_cluster(std::string(kCluster)))));
        ASSERT_TRUE(ok_of(run(io_, clients_->logs.create_log_group("/sockerless/tasks"))));
        // The agent staged once on EFS, behind a read-only access point, as an operator does.
        auto staged = run(io_, clients_->stage_agent_on_efs("backend-test-agent", *agent_path));
        ASSERT_TRUE(staged && staged->has_value())
            << (staged ? staged->error().message : "") << "\nsimulator log:\n"
            << sim_->log();
        fs_id_ = (**staged).file_system_id;
        access_point_ = (**staged).access_point_id;

        config_.region = "us-east-1";
        config_.cluster = std::string(kCluster);
        config_.subnets = {"subnet-0123456789abcdef0"};
        config_.strategy = InjectionStrategy::efs;
        config_.efs_filesystem_id = fs_id_;
        config_.efs_access_point_id = access_point_;
        config_.task_role_arn = std::string(kTaskRole);
        config_.health_timeout = std::chrono::seconds(20);
        config_.payload_bucket = std::string(kBucket);
        config_.endpoint_url =
            "http://" + sim_->endpoint().host + ":" + std::to_string(sim_->endpoint().port);
    }

    template <class T>
    static bool ok_of(const std::optional<T>& out) {
        return out && static_cast<bool>(*out);
    }

    std::unique_ptr<EcsBackend> backend() {
        return std::make_unique<EcsBackend>(io_.get_executor(), config_, clients_->ecs,
                                            clients_->s3, clients_->logs);
    }

    static runtime::ContainerSpec spec(std::string id, std::vector<std::string> cmd) {
        runtime::ContainerSpec s;
        s.id = std::move(id);
        s.name = "c-" + s.id.substr(0, 8);
        s.image = "busybox";
        s.cmd = std::move(cmd);
        s.env = {"GREETING=hello from env"};
        return s;
    }

    // Runs argv in the container through its agent; stdout, or the error.
    Result<std::string> exec(const runtime::ContainerRecord& record,
                             std::vector<std::string> argv) {
        auto out = run(io_, exec_output(io_.get_executor(), record, std::move(argv)));
        if (!out) return make_error(Errc::timeout, "exec did not finish");
        return *out;
    }

    static asio::awaitable<Result<std::string>> exec_output(asio::any_io_executor executor,
                                                            runtime::ContainerRecord record,
                                                            std::vector<std::string> argv) {
        agentclient::Endpoint e;
        const auto colon = record.agent_address.rfind(':');
        e.host = record.agent_address.substr(0, colon);
        e.port = static_cast<std::uint16_t>(std::stoi(record.agent_address.substr(colon + 1)));
        e.token = record.agent_token;
        auto connection = co_await agentclient::Connection::connect(executor, e);
        if (!connection) co_return connection.error();
        agentproto::ExecRequest request;
        request.argv = std::move(argv);
        auto session = co_await (*connection)->exec(std::move(request));
        if (!session) co_return session.error();
        std::string text;
        while (true) {
            auto piece = co_await (*session)->read();
            if (!piece) co_return piece.error();
            if (!*piece) break;
            text.append((**piece).data.begin(), (**piece).data.end());
        }
        (*connection)->close();
        co_return text;
    }

    asio::io_context io_;
    std::unique_ptr<test::Sim> sim_;
    std::unique_ptr<test::SimClients> clients_;
    std::string fs_id_;
    std::string access_point_;
    EcsConfig config_;
};

std::string container_id(char fill) {
    return std::string(64, fill);
}

TEST_F(BackendTest, StartsTheAgentOnEfsAndExecsThroughIt) {
    auto b = backend();
    auto started =
        run(io_, b->start(spec(container_id('a'),
                               {"sh", "-c", "echo started; echo oops >&2; exec sleep 60"})));
    ASSERT_TRUE(started.has_value());
    ASSERT_TRUE(started->has_value()) << started->error().message;
    const runtime::ContainerRecord& record = **started;
    EXPECT_TRUE(record.task_arn.starts_with("arn:aws:ecs:us-east-1:000000000000:task/"));
    EXPECT_TRUE(record.agent_address.starts_with("127.")) << record.agent_address;
    EXPECT_TRUE(record.agent_address.ends_with(":9111")) << record.agent_address;
    EXPECT_EQ(record.agent_token.size(), 64U);
    EXPECT_EQ(record.injection, "efs");
    EXPECT_TRUE(record.payload_uri.empty());
    EXPECT_FALSE(record.keep_alive);

    auto greeting = exec(record, {"sh", "-c", "echo \"$GREETING\""});
    ASSERT_TRUE(greeting.has_value()) << greeting.error().message;
    EXPECT_EQ(*greeting, "hello from env\n");
    // The agent's own variables stay with the agent.
    auto token = exec(record, {"sh", "-c", "echo \"[$SOCKERLESS_AGENT_TOKEN]\""});
    ASSERT_TRUE(token.has_value()) << token.error().message;

    // While it runs, its output comes from the agent: exact, streams apart, with times. The
    // process may not have written yet when /health answered: ask again, bounded.
    std::string out;
    std::string err;
    for (int attempt = 0; attempt < 100 && (out.empty() || err.empty()); ++attempt) {
        auto live = run(io_, read_agent_logs(io_.get_executor(), record, LogsQuery{}));
        ASSERT_TRUE(live && live->has_value()) << (live ? live->error().message : "");
        EXPECT_FALSE((**live).truncated);
        out.clear();
        err.clear();
        for (const runtime::LogLine& l : (**live).entries) {
            (l.stream == 2 ? err : out) += l.message;
            EXPECT_GT(l.time.time_since_epoch().count(), 0);
        }
        if (out.empty() || err.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(out, "started\n");
    EXPECT_EQ(err, "oops\n");

    // SIGTERM through the agent: sleep dies of it, Docker's 128+15.
    auto stopped = run(io_, b->stop(record, SIGTERM, std::chrono::seconds(10)));
    ASSERT_TRUE(stopped && stopped->has_value()) << (stopped ? stopped->error().message : "");
    EXPECT_EQ((**stopped).exit_code, 128 + SIGTERM);

    auto logs = run(io_, b->recorded_logs(record));
    ASSERT_TRUE(logs && logs->has_value()) << (logs ? logs->error().message : "");
    bool seen = false;
    for (const runtime::LogLine& l : **logs)
        seen = seen || l.message == "started";
    EXPECT_TRUE(seen) << "the main process's output is in CloudWatch Logs";
    EXPECT_TRUE(ok_of(run(io_, b->remove(record))));
}

TEST_F(BackendTest, ExitCodesAndTaskDefinitionReuse) {
    auto b = backend();
    auto three = run(io_, b->start(spec(container_id('b'), {"sh", "-c", "sleep 0.5; exit 3"})));
    ASSERT_TRUE(three && three->has_value()) << (three ? three->error().message : "");
    auto waited = run(io_, b->wait(**three));
    ASSERT_TRUE(waited && waited->has_value()) << (waited ? waited->error().message : "");
    EXPECT_EQ((**waited).exit_code, 3);

    // A container that is done before its agent could be asked: it ran, with its exit code.
    auto quick = run(io_, b->start(spec(container_id('c'), {"true"})));
    ASSERT_TRUE(quick && quick->has_value()) << (quick ? quick->error().message : "");
    auto quick_exit = run(io_, b->wait(**quick));
    ASSERT_TRUE(quick_exit && quick_exit->has_value());
    EXPECT_EQ((**quick_exit).exit_code, 0);

    // Both had one shape: registered once. A restarted backend finds it again.
    EXPECT_EQ(b->counters().register_task_definition, 1U);
    auto again = backend();
    auto other = run(io_, again->start(spec(container_id('d'), {"true"})));
    ASSERT_TRUE(other && other->has_value());
    EXPECT_EQ(again->counters().register_task_definition, 0U);
    EXPECT_EQ(again->counters().describe_task_definition, 1U);
    EXPECT_EQ((**other).task_definition_arn, (**three).task_definition_arn);
}

TEST_F(BackendTest, KeepAliveContainerIdlesUntilStopped) {
    auto b = backend();
    auto started = run(io_, b->start(spec(container_id('e'), {"tail", "-f", "/dev/null"})));
    ASSERT_TRUE(started && started->has_value()) << (started ? started->error().message : "");
    EXPECT_TRUE((**started).keep_alive);
    auto out = exec(**started, {"echo", "alive"});
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_EQ(*out, "alive\n");
    auto stopped = run(io_, b->stop(**started, SIGTERM, std::chrono::seconds(10)));
    ASSERT_TRUE(stopped && stopped->has_value()) << (stopped ? stopped->error().message : "");
    EXPECT_EQ((**stopped).exit_code, 128 + SIGTERM) << (**stopped).reason;
    EXPECT_EQ(b->counters().stop_task, 1U);
}

TEST_F(BackendTest, MissingAgentBinaryReportsEcsStoppedReason) {
    config_.efs_access_point_id = "fsap-00000000000000000";
    auto b = backend();
    auto started = run(io_, b->start(spec(container_id('f'), {"true"})));
    ASSERT_TRUE(started.has_value());
    ASSERT_FALSE(started->has_value());
    const std::string& m = started->error().message;
    EXPECT_TRUE(m.starts_with("ecs: agent injection: container " + container_id('f'))) << m;
    EXPECT_NE(m.find("stopped before its agent was up"), std::string::npos) << m;
    EXPECT_NE(m.find("fsap-00000000000000000"), std::string::npos) << m;
}

TEST_F(BackendTest, RunTaskFailureAfterPayloadPutLeavesNoObject) {
    ASSERT_TRUE(ok_of(run(io_, clients_->s3.create_bucket(std::string(kBucket)))));
    config_.payload_mode = PayloadMode::always;
    auto armed = run(io_, clients_->admin("POST", "/_awssim/faults",
                                          R"({"service":"ecs","operation":"RunTask","count":1,)"
                                          R"("status":400,"code":"ClientException",)"
                                          R"("message":"injected"})"));
    ASSERT_TRUE(armed && armed->has_value());
    auto b = backend();
    auto started = run(io_, b->start(spec(container_id('9'), {"true"})));
    ASSERT_TRUE(started.has_value());
    ASSERT_FALSE(started->has_value());
    EXPECT_NE(started->error().message.find("RunTask failed"), std::string::npos)
        << started->error().message;
    EXPECT_EQ(b->counters().put_payload, 1U);
    EXPECT_EQ(b->counters().delete_payload, 1U);
    auto left = run(io_, clients_->s3.list_objects_v2(std::string(kBucket), ""));
    ASSERT_TRUE(left && left->has_value());
    EXPECT_TRUE((**left).empty()) << (**left).size() << " objects left";
}

TEST_F(BackendTest, PayloadPutFailureStartsNoTask) {
    config_.payload_mode = PayloadMode::always;
    config_.payload_bucket = "no-such-bucket-backend-test";
    auto b = backend();
    auto started = run(io_, b->start(spec(container_id('8'), {"true"})));
    ASSERT_TRUE(started.has_value());
    ASSERT_FALSE(started->has_value());
    EXPECT_EQ(b->counters().run_task, 0U);
    EXPECT_NE(started->error().message.find("launch payload"), std::string::npos)
        << started->error().message;
}

// The task role may read payloads under the prefix, nothing else (docs/payload-bucket.md).
std::string task_role_policy() {
    return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":")" +
           std::string(kTaskRole) + R"("},"Action":"s3:GetObject","Resource":"arn:aws:s3:::)" +
           std::string(kBucket) + R"(/sockerless-payloads/*"}]})";
}

TEST_F(BackendTest, PayloadLaunchKeepsSecretsOutOfOverridesTagsAndLogs) {
    ASSERT_TRUE(ok_of(run(io_, clients_->s3.create_bucket(std::string(kBucket)))));
    ASSERT_TRUE(
        ok_of(run(io_, clients_->s3.put_bucket_policy(std::string(kBucket), task_role_policy()))));
    config_.payload_mode = PayloadMode::always;
    auto b = backend();
    runtime::ContainerSpec s = spec(container_id('7'), {"sh", "-c", "echo up; exec sleep 60"});
    s.env = {"SECRET_VALUE=s3cr3t-" + container_id('7').substr(0, 12)};
    s.workdir = "/tmp";
    auto started = run(io_, b->start(s));
    ASSERT_TRUE(started && started->has_value()) << (started ? started->error().message : "");
    const runtime::ContainerRecord& record = **started;
    EXPECT_TRUE(record.payload_uri.starts_with("s3://" + std::string(kBucket) +
                                               "/sockerless-payloads/" + container_id('7') + "/"))
        << record.payload_uri;
    auto env = exec(record, {"sh", "-c", "echo \"$SECRET_VALUE\"; pwd"});
    ASSERT_TRUE(env.has_value()) << env.error().message;
    EXPECT_EQ(*env, "s3cr3t-" + container_id('7').substr(0, 12) + "\n/tmp\n");
    // Read before /health answered: deleted at once.
    auto left = run(io_, clients_->s3.list_objects_v2(std::string(kBucket), ""));
    ASSERT_TRUE(left && left->has_value());
    EXPECT_TRUE((**left).empty());

    // Nothing secret in what ECS keeps about the task (overrides, tags) or in its log.
    json::object describe;
    describe["cluster"] = std::string(kCluster);
    json::array tasks;
    tasks.emplace_back(record.task_arn);
    describe["tasks"] = std::move(tasks);
    json::array include;
    include.emplace_back("TAGS");
    describe["include"] = std::move(include);
    auto raw = run(io_, clients_->ecs_aws.call_json(std::string(aws::kEcsTargetPrefix),
                                                    "DescribeTasks", std::move(describe)));
    ASSERT_TRUE(raw && raw->has_value());
    const std::string text = json::serialize(**raw);
    EXPECT_NE(text.find("SOCKERLESS_PAYLOAD_URI"), std::string::npos) << text;
    EXPECT_EQ(text.find(record.agent_token), std::string::npos) << text;
    EXPECT_EQ(text.find("s3cr3t"), std::string::npos) << text;
    auto stopped = run(io_, b->stop(record, SIGTERM, std::chrono::seconds(10)));
    ASSERT_TRUE(stopped && stopped->has_value());
    auto logs = run(io_, b->recorded_logs(record));
    ASSERT_TRUE(logs && logs->has_value());
    bool up = false;
    for (const runtime::LogLine& l : **logs) {
        up = up || l.message == "up";
        EXPECT_EQ(l.message.find(record.agent_token), std::string::npos) << l.message;
        EXPECT_EQ(l.message.find("s3cr3t"), std::string::npos) << l.message;
    }
    EXPECT_TRUE(up);
}

TEST_F(BackendTest, PayloadTheTaskRoleCannotReadIsAnAgentExit) {
    // No policy for the task role: its GetObject is denied, and the agent exits with its own code
    // for that (92, docs/agent-protocol.md) and one line in the task's log, as a container whose
    // entrypoint fails does. The payload is deleted either way.
    ASSERT_TRUE(ok_of(run(io_, clients_->s3.create_bucket(std::string(kBucket)))));
    config_.payload_mode = PayloadMode::always;
    auto b = backend();
    auto started = run(io_, b->start(spec(container_id('6'), {"true"})));
    ASSERT_TRUE(started && started->has_value()) << (started ? started->error().message : "");
    auto exited = run(io_, b->wait(**started));
    ASSERT_TRUE(exited && exited->has_value());
    EXPECT_EQ((**exited).exit_code, 92);
    auto logs = run(io_, b->recorded_logs(**started));
    ASSERT_TRUE(logs && logs->has_value());
    ASSERT_FALSE((**logs).empty());
    EXPECT_TRUE((**logs).back().message.starts_with("sockerless-agent: payload: s3://"))
        << (**logs).back().message;
    auto left = run(io_, clients_->s3.list_objects_v2(std::string(kBucket), ""));
    ASSERT_TRUE(left && left->has_value());
    EXPECT_TRUE((**left).empty());
}

}  // namespace
}  // namespace sockerless::ecs
