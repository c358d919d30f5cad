#include "backends/ecs/task_watcher.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "backends/ecs/ecs_io_test_support.h"

// The watcher against the real simulator (SOCKERLESS_AWSSIM): tasks that really run as host
// processes, many waits at once, STOPPED with exit codes, MISSING tasks and injected API errors.

namespace sockerless::ecs {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using Until = TaskWatcher::Until;
using test::run;

constexpr std::string_view kCluster = "watcher";

class TaskWatcherTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        const auto binary = test::env_path("SOCKERLESS_AWSSIM");
        if (!binary) return;
        std::string why;
        sim_ = test::Sim::start(*binary, why).release();
        if (sim_ == nullptr) start_error_ = why;
    }
    static void TearDownTestSuite() {
        delete sim_;
        sim_ = nullptr;
    }

    void SetUp() override {
        if (!test::env_path("SOCKERLESS_AWSSIM"))
            GTEST_SKIP() << "SOCKERLESS_AWSSIM is not set (path to sockerless-awssim)";
        ASSERT_NE(sim_, nullptr) << start_error_;
        clients_ = std::make_unique<test::SimClients>(io_, sim_->endpoint());
        auto cluster = run(io_, clients_->ecs.create_cluster(std::string(kCluster)));
        ASSERT_TRUE(cluster && cluster->has_value())
            << (cluster ? cluster->error().message : "timeout");
        auto def = run(io_, clients_->ecs.register_task_definition(definition()));
        ASSERT_TRUE(def && def->has_value()) << (def ? def->error().message : "timeout");
        task_definition_ = (**def).task_definition_arn;
    }

    static json::object definition() {
        json::object c;
        c["name"] = "app";
        c["image"] = "busybox";
        c["essential"] = true;
        c["command"] = json::array{"sleep", "30"};
        json::object d;
        d["family"] = "watcher-sleep";
        d["networkMode"] = "awsvpc";
        d["requiresCompatibilities"] = json::array{"FARGATE"};
        d["cpu"] = "256";
        d["memory"] = "512";
        d["containerDefinitions"] = json::array{c};
        return d;
    }

    // `n` tasks, started ten per RunTask.
    std::vector<std::string> run_tasks(int n) {
        std::vector<std::string> arns;
        while (static_cast<int>(arns.size()) < n) {
            aws::RunTaskRequest req;
            req.cluster = kCluster;
            req.task_definition = task_definition_;
            req.count = std::min(10, n - static_cast<int>(arns.size()));
            req.subnets = {"subnet-0123456789abcdef0"};
            req.security_groups = {"sg-1"};
            auto out = run(io_, clients_->ecs.run_task(req));
            EXPECT_TRUE(out && out->has_value()) << (out ? out->error().message : "timeout");
            if (!out || !out->has_value()) break;
            EXPECT_TRUE((**out).failures.empty());
            for (const auto& t : (**out).tasks)
                arns.push_back(t.task_arn);
        }
        return arns;
    }

    void stop_all(const std::vector<std::string>& arns) {
        for (const std::string& arn : arns)
            run(io_, clients_->ecs.stop_task(std::string(kCluster), arn, "test done"));
    }

    // Waits for every task at once; the results in order.
    std::vector<Result<aws::EcsTask>> wait_all(TaskWatcher& watcher,
                                               const std::vector<std::string>& arns, Until until) {
        std::vector<std::optional<Result<aws::EcsTask>>> slots(arns.size());
        std::size_t done = 0;
        for (std::size_t i = 0; i < arns.size(); ++i) {
            asio::co_spawn(io_, watcher.wait(arns[i], until),
                           [&, i](const std::exception_ptr&, Result<aws::EcsTask> r) {
                               slots[i] = std::move(r);
                               ++done;
                           });
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
        io_.restart();
        while (done < arns.size() && std::chrono::steady_clock::now() < deadline)
            io_.run_one_until(deadline);
        std::vector<Result<aws::EcsTask>> out;
        for (auto& s : slots)
            out.push_back(s ? std::move(*s) : make_error(Errc::timeout, "test: wait unfinished"));
        return out;
    }

    static inline test::Sim* sim_ = nullptr;
    static inline std::string start_error_;
    asio::io_context io_;
    std::unique_ptr<test::SimClients> clients_;
    std::string task_definition_;
};

TEST_F(TaskWatcherTest, ManyTasksShareFewDescribeCalls) {
    // Waits begin as each RunTask returns, as they would for containers started together, so the
    // watcher polls while tasks are still provisioning and new waiters keep arriving.
    constexpr int kTasks = 150;
    TaskWatcher watcher(io_.get_executor(), clients_->ecs, std::string(kCluster));
    std::vector<std::string> arns;
    std::vector<std::optional<Result<aws::EcsTask>>> slots(kTasks);
    std::size_t done = 0;
    while (arns.size() < static_cast<std::size_t>(kTasks)) {
        const std::vector<std::string> batch = run_tasks(10);
        ASSERT_EQ(batch.size(), 10U);
        for (const std::string& arn : batch) {
            const std::size_t i = arns.size();
            arns.push_back(arn);
            asio::co_spawn(io_, watcher.wait(arn, Until::running_or_stopped),
                           [&, i](const std::exception_ptr&, Result<aws::EcsTask> r) {
                               slots[i] = std::move(r);
                               ++done;
                           });
        }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (done < arns.size() && std::chrono::steady_clock::now() < deadline)
        io_.run_one_until(deadline);
    ASSERT_EQ(done, arns.size()) << "waits still pending: " << watcher.pending();
    for (std::size_t i = 0; i < slots.size(); ++i) {
        ASSERT_TRUE(slots[i]->has_value()) << arns[i] << ": " << slots[i]->error().message;
        EXPECT_EQ((*slots[i])->last_status, "RUNNING") << arns[i];
        EXPECT_EQ((*slots[i])->task_arn, arns[i]);
    }
    const TaskWatcherCounters c = watcher.counters();
    RecordProperty("polls", std::to_string(c.polls));
    RecordProperty("describe_calls", std::to_string(c.describe_calls));
    // Every poll covers every pending task: at most two calls of 100 per round for 150 tasks.
    EXPECT_GE(c.polls, 1U);
    EXPECT_LE(c.describe_calls, c.polls * 2);
    EXPECT_LT(c.describe_calls, static_cast<std::uint64_t>(kTasks) / 3)
        << "polls " << c.polls << ", calls " << c.describe_calls;
    EXPECT_GE(c.tasks_described, static_cast<std::uint64_t>(kTasks));
    EXPECT_EQ(watcher.pending(), 0U);
    stop_all(arns);
}

TEST_F(TaskWatcherTest, StoppedWaitsSeeTheExitCode) {
    const std::vector<std::string> arns = run_tasks(3);
    ASSERT_EQ(arns.size(), 3U);
    TaskWatcher watcher(io_.get_executor(), clients_->ecs, std::string(kCluster));
    // Waiting for RUNNING first makes StopTask signal a process that really runs.
    for (const auto& r : wait_all(watcher, arns, Until::running_or_stopped))
        ASSERT_TRUE(r.has_value()) << r.error().message;

    std::vector<std::optional<Result<aws::EcsTask>>> slots(arns.size());
    std::size_t done = 0;
    for (std::size_t i = 0; i < arns.size(); ++i) {
        asio::co_spawn(io_, watcher.wait(arns[i], Until::stopped),
                       [&, i](const std::exception_ptr&, Result<aws::EcsTask> r) {
                           slots[i] = std::move(r);
                           ++done;
                       });
    }
    stop_all(arns);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (done < arns.size() && std::chrono::steady_clock::now() < deadline)
        io_.run_one_until(deadline);
    ASSERT_EQ(done, arns.size());
    for (auto& slot : slots) {
        ASSERT_TRUE(slot->has_value()) << slot->error().message;
        const aws::EcsTask& task = **slot;
        EXPECT_EQ(task.last_status, "STOPPED");
        EXPECT_EQ(task.stop_code, "UserInitiated");
        ASSERT_EQ(task.containers.size(), 1U);
        EXPECT_EQ(task.containers[0].exit_code, std::optional<int>(143));  // SIGTERM
    }
}

TEST_F(TaskWatcherTest, MissingTaskIsNotFound) {
    TaskWatcher watcher(io_.get_executor(), clients_->ecs, std::string(kCluster));
    const std::string arn =
        "arn:aws:ecs:us-east-1:000000000000:task/watcher/0123456789abcdef0123456789abcdef";
    auto out = run(io_, watcher.wait(arn, Until::running_or_stopped));
    ASSERT_TRUE(out) << "the wait did not end";
    ASSERT_FALSE(out->has_value());
    EXPECT_EQ(out->error().code, Errc::not_found);
    EXPECT_NE(out->error().message.find(arn), std::string::npos) << out->error().message;
    EXPECT_NE(out->error().message.find("MISSING"), std::string::npos) << out->error().message;
}

TEST_F(TaskWatcherTest, ApiErrorReachesEveryWaiterOfTheCall) {
    const std::vector<std::string> arns = run_tasks(2);
    ASSERT_EQ(arns.size(), 2U);
    // Not retryable, so the client gives it to the watcher at once.
    auto armed = run(io_, clients_->admin("POST", "/_awssim/faults",
                                          R"({"service":"ecs","operation":"DescribeTasks",)"
                                          R"("status":400,"code":"AccessDeniedException",)"
                                          R"("message":"not today"})"));
    ASSERT_TRUE(armed && armed->has_value()) << (armed ? armed->error().message : "timeout");
    TaskWatcher watcher(io_.get_executor(), clients_->ecs, std::string(kCluster));
    const auto results = wait_all(watcher, arns, Until::running_or_stopped);
    for (const auto& r : results) {
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, Errc::forbidden);
        EXPECT_NE(r.error().message.find("AccessDeniedException"), std::string::npos)
            << r.error().message;
    }
    EXPECT_EQ(watcher.counters().describe_calls, 1U);
    stop_all(arns);
}

TEST_F(TaskWatcherTest, DeadlineEndsTheWaitWithTheLastStatus) {
    const std::vector<std::string> arns = run_tasks(1);
    ASSERT_EQ(arns.size(), 1U);
    TaskWatcherOptions options;
    options.max_interval = std::chrono::milliseconds(100);
    TaskWatcher watcher(io_.get_executor(), clients_->ecs, std::string(kCluster), options);
    ASSERT_TRUE(wait_all(watcher, arns, Until::running_or_stopped)[0].has_value());
    auto out = run(io_, watcher.wait(arns[0], Until::stopped,
                                     TaskWatcher::Clock::now() + std::chrono::milliseconds(400)));
    ASSERT_TRUE(out) << "the wait did not end";
    ASSERT_FALSE(out->has_value());
    EXPECT_EQ(out->error().code, Errc::timeout);
    EXPECT_NE(out->error().message.find("did not reach STOPPED"), std::string::npos)
        << out->error().message;
    EXPECT_NE(out->error().message.find("last status RUNNING"), std::string::npos)
        << out->error().message;
    EXPECT_EQ(watcher.pending(), 0U);
    stop_all(arns);
}

TEST_F(TaskWatcherTest, DestroyingTheWatcherEndsPendingWaits) {
    const std::vector<std::string> arns = run_tasks(1);
    ASSERT_EQ(arns.size(), 1U);
    std::optional<Result<aws::EcsTask>> result;
    {
        TaskWatcher watcher(io_.get_executor(), clients_->ecs, std::string(kCluster));
        asio::co_spawn(
            io_, watcher.wait(arns[0], Until::stopped),
            [&](const std::exception_ptr&, Result<aws::EcsTask> r) { result = std::move(r); });
        io_.run_for(std::chrono::milliseconds(20));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!result && std::chrono::steady_clock::now() < deadline)
        io_.run_one_until(deadline);
    ASSERT_TRUE(result);
    ASSERT_FALSE(result->has_value());
    EXPECT_EQ(result->error().code, Errc::unavailable);
    stop_all(arns);
}

}  // namespace
}  // namespace sockerless::ecs
