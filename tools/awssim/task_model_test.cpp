#include "task_model.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "address_pool.h"

namespace sockerless::awssim {
namespace {
namespace json = boost::json;

TaskContainer named(std::string name, bool essential = true) {
    TaskContainer c;
    c.name = std::move(name);
    c.essential = essential;
    return c;
}

void started(TaskContainer& c) {
    c.status = ContainerStatus::running;
    c.started_at = TimePoint{};
}

void exited(TaskContainer& c, int code) {
    started(c);
    c.status = ContainerStatus::stopped;
    c.exit_code = code;
}

TEST(TaskStatusTest, MovesOnlyForward) {
    Task task;
    EXPECT_EQ(task_status_name(task.status), "PROVISIONING");
    EXPECT_TRUE(advance(task, TaskStatus::pending));
    EXPECT_TRUE(advance(task, TaskStatus::running));
    EXPECT_EQ(task.version, 3);
    EXPECT_FALSE(advance(task, TaskStatus::pending));
    EXPECT_FALSE(advance(task, TaskStatus::running));
    EXPECT_EQ(task.version, 3);
    EXPECT_TRUE(advance(task, TaskStatus::stopping));
    EXPECT_TRUE(advance(task, TaskStatus::stopped));
    for (auto s : {TaskStatus::provisioning, TaskStatus::running, TaskStatus::deprovisioning})
        EXPECT_FALSE(advance(task, s));
    EXPECT_EQ(task_status_name(task.status), "STOPPED");
}

TEST(TaskStatusTest, FirstStopReasonWins) {
    Task task;
    request_stop(task, "EssentialContainerExited", "Essential container in task exited",
                 TimePoint{std::chrono::seconds(5)});
    request_stop(task, "UserInitiated", "later", TimePoint{std::chrono::seconds(9)});
    EXPECT_TRUE(task.desired_stopped);
    EXPECT_EQ(task.stop_code, "EssentialContainerExited");
    EXPECT_EQ(task.stopped_reason, "Essential container in task exited");
    EXPECT_EQ(*task.stopping_at, TimePoint{std::chrono::seconds(5)});
}

TEST(TaskStatusTest, FinishStopStopsPendingContainersAndDeletesEni) {
    Task task;
    task.containers = {named("a"), named("b")};
    exited(task.containers[0], 0);
    finish_stop(task, TimePoint{std::chrono::seconds(3)});
    EXPECT_EQ(task.status, TaskStatus::stopped);
    EXPECT_EQ(task.containers[1].status, ContainerStatus::stopped);
    EXPECT_FALSE(task.containers[1].exit_code);
    EXPECT_EQ(task.eni.status, "DELETED");
    EXPECT_EQ(*task.stopped_at, TimePoint{std::chrono::seconds(3)});
}

TEST(DependsOnTest, ConditionsWaitThenResolve) {
    Task task;
    task.containers = {named("init", false), named("side", false), named("main")};
    task.containers[2].depends_on = {{"init", "SUCCESS"}, {"side", "START"}};
    auto& main = task.containers[2];
    EXPECT_EQ(start_decision(task, main, TimePoint{}).verdict, StartDecision::Verdict::wait);
    started(task.containers[1]);
    EXPECT_EQ(start_decision(task, main, TimePoint{}).verdict, StartDecision::Verdict::wait);
    exited(task.containers[0], 0);
    EXPECT_EQ(start_decision(task, main, TimePoint{}).verdict, StartDecision::Verdict::ready);
    EXPECT_EQ(start_decision(task, task.containers[0], TimePoint{}).verdict,
              StartDecision::Verdict::ready);
}

TEST(DependsOnTest, FailedSuccessDependencyCanNeverBeMet) {
    Task task;
    task.containers = {named("init", false), named("main")};
    task.containers[1].depends_on = {{"init", "SUCCESS"}};
    exited(task.containers[0], 1);
    auto decision = start_decision(task, task.containers[1], TimePoint{});
    EXPECT_EQ(decision.verdict, StartDecision::Verdict::never);
    EXPECT_EQ(decision.reason,
              "CannotStartContainerError: dependency graph: failed to resolve container ordering "
              "dependency [init] for target [main] as dependency did not exit successfully.");
}

TEST(DependsOnTest, CompleteAcceptsAnyExitCode) {
    Task task;
    task.containers = {named("job", false), named("main")};
    task.containers[1].depends_on = {{"job", "COMPLETE"}};
    started(task.containers[0]);
    EXPECT_EQ(start_decision(task, task.containers[1], TimePoint{}).verdict,
              StartDecision::Verdict::wait);
    exited(task.containers[0], 9);
    EXPECT_EQ(start_decision(task, task.containers[1], TimePoint{}).verdict,
              StartDecision::Verdict::ready);
}

TEST(DependsOnTest, DependencyThatNeverStartedIsFatalForEveryCondition) {
    for (const char* condition : {"START", "COMPLETE", "SUCCESS", "HEALTHY"}) {
        Task task;
        task.containers = {named("dep", false), named("main")};
        task.containers[0].health_check = HealthCheckSpec{};
        task.containers[0].status = ContainerStatus::stopped;  // failed to start
        task.containers[1].depends_on = {{"dep", condition}};
        auto decision = start_decision(task, task.containers[1], TimePoint{});
        EXPECT_EQ(decision.verdict, StartDecision::Verdict::never) << condition;
        EXPECT_TRUE(decision.reason.ends_with("because dependency will never start")) << condition;
    }
}

TEST(DependsOnTest, HealthyWaitsForHealthAndFailsWhenTheDependencyStops) {
    Task task;
    task.containers = {named("db", false), named("app")};
    task.containers[0].health_check = HealthCheckSpec{};
    task.containers[1].depends_on = {{"db", "HEALTHY"}};
    started(task.containers[0]);
    EXPECT_EQ(start_decision(task, task.containers[1], TimePoint{}).verdict,
              StartDecision::Verdict::wait);
    task.containers[0].health = Health::healthy;
    EXPECT_EQ(start_decision(task, task.containers[1], TimePoint{}).verdict,
              StartDecision::Verdict::ready);
    task.containers[0].health = Health::unknown;
    exited(task.containers[0], 0);
    EXPECT_EQ(start_decision(task, task.containers[1], TimePoint{}).verdict,
              StartDecision::Verdict::never);
}

TEST(DependsOnTest, StartTimeoutOfTheDependencyEndsTheWait) {
    Task task;
    task.containers = {named("slow", false), named("main")};
    task.containers[0].start_timeout = std::chrono::seconds(10);
    task.containers[1].depends_on = {{"slow", "COMPLETE"}};
    task.containers[0].status = ContainerStatus::running;
    task.containers[0].started_at = TimePoint{std::chrono::seconds(100)};
    EXPECT_EQ(
        start_decision(task, task.containers[1], TimePoint{std::chrono::seconds(109)}).verdict,
        StartDecision::Verdict::wait);
    auto late = start_decision(task, task.containers[1], TimePoint{std::chrono::seconds(110)});
    EXPECT_EQ(late.verdict, StartDecision::Verdict::never);
    EXPECT_TRUE(late.reason.ends_with("has timed out.")) << late.reason;
}

TEST(DependsOnTest, UnknownContainerOrConditionIsFatal) {
    Task task;
    task.containers = {named("main")};
    task.containers[0].depends_on = {{"ghost", "START"}};
    EXPECT_EQ(start_decision(task, task.containers[0], TimePoint{}).verdict,
              StartDecision::Verdict::never);
    task.containers.push_back(named("dep", false));
    task.containers[0].depends_on = {{"dep", "SOMETIMES"}};
    EXPECT_EQ(start_decision(task, task.containers[0], TimePoint{}).verdict,
              StartDecision::Verdict::never);
}

TEST(TaskHealthTest, EssentialContainersWithChecksDecide) {
    Task task;
    task.containers = {named("a"), named("b"), named("side", false)};
    EXPECT_EQ(task_health(task), Health::unknown);
    task.containers[0].health_check = HealthCheckSpec{};
    task.containers[2].health_check = HealthCheckSpec{};
    task.containers[2].health = Health::unhealthy;  // not essential: does not count
    EXPECT_EQ(task_health(task), Health::unknown);
    task.containers[0].health = Health::healthy;
    EXPECT_EQ(task_health(task), Health::healthy);
    task.containers[1].health_check = HealthCheckSpec{};
    EXPECT_EQ(task_health(task), Health::unknown);
    task.containers[1].health = Health::unhealthy;
    EXPECT_EQ(task_health(task), Health::unhealthy);
}

TEST(OverridesLengthTest, CountsCompactJsonInUtf16Units) {
    EXPECT_EQ(container_overrides_length(json::parse(R"([{"name":"app"}])")), 16u);
    // Whitespace in the request does not count: ECS measures its own serialization.
    EXPECT_EQ(container_overrides_length(json::parse("[ { \"name\" : \"app\" } ]")), 16u);
    // Two UTF-8 bytes, one UTF-16 unit; four UTF-8 bytes, a surrogate pair.
    EXPECT_EQ(container_overrides_length(json::parse("[\"\xC3\xA9\"]")), 5u);
    EXPECT_EQ(container_overrides_length(json::parse("[\"\xF0\x9F\x98\x80\"]")), 6u);
    // Escapes count as written: a newline is two characters.
    EXPECT_EQ(container_overrides_length(json::parse(R"(["a\nb"])")), 8u);
}

TEST(OverridesLengthTest, Boundary) {
    std::string pad(8192 - std::string(R"([{"name":"app","command":[""]}])").size(), 'x');
    json::value at_limit = json::parse(R"([{"name":"app","command":[")" + pad + R"("]}])");
    EXPECT_EQ(container_overrides_length(at_limit), kMaxContainerOverridesLength);
    at_limit.as_array()[0].as_object()["command"].as_array()[0].as_string().push_back('x');
    EXPECT_EQ(container_overrides_length(at_limit), kMaxContainerOverridesLength + 1);
}

TEST(TaskJsonTest, EniDetailsAppearOnceAttached) {
    Task task;
    task.eni.subnet_id = "subnet-1";
    task.eni.attachment_id = "att";
    task.containers = {named("app")};
    auto out = task_json(task, nullptr);
    auto& details = out.at("attachments").as_array()[0].at("details").as_array();
    EXPECT_EQ(details.size(), 1u);
    EXPECT_TRUE(out.at("containers").as_array()[0].at("networkInterfaces").as_array().empty());
    EXPECT_FALSE(out.contains("tags"));
    EXPECT_FALSE(out.contains("stopCode"));
    task.eni.private_ip = "127.77.0.9";
    task.eni.status = "ATTACHED";
    Tags tags{{"k", "v"}};
    out = task_json(task, &tags);
    auto& attached = out.at("attachments").as_array()[0].as_object();
    EXPECT_EQ(attached.at("status"), "ATTACHED");
    EXPECT_EQ(attached.at("details").as_array().back().at("name"), "privateIPv4Address");
    EXPECT_EQ(attached.at("details").as_array().back().at("value"), "127.77.0.9");
    EXPECT_EQ(out.at("tags").as_array()[0].at("key"), "k");
    EXPECT_EQ(out.at("desiredStatus"), "RUNNING");
}

TEST(AddressPoolTest, SkipsReservedAndEdgeAddresses) {
    auto pool = AddressPool::parse("10.1.0.0/23");
    ASSERT_TRUE(pool) << pool.error().message;
    EXPECT_EQ(pool->cidr(), "10.1.0.0/23");
    std::vector<std::string> got;
    while (auto a = pool->acquire())
        got.push_back(*a);
    // 512 addresses minus the first four, the last, 10.1.0.255 and 10.1.1.0.
    EXPECT_EQ(got.size(), 512u - 4 - 1 - 2);
    EXPECT_EQ(got.front(), "10.1.0.4");
    EXPECT_EQ(got.back(), "10.1.1.254");
    for (const auto& a : got) {
        EXPECT_FALSE(a.ends_with(".0")) << a;
        EXPECT_FALSE(a.ends_with(".255")) << a;
    }
}

TEST(AddressPoolTest, NeverHandsOutAHeldAddressAndReusesReleasedOnesLast) {
    auto pool = AddressPool::parse("127.5.0.0/29");
    ASSERT_TRUE(pool);
    auto a = pool->acquire();
    auto b = pool->acquire();
    auto c = pool->acquire();
    EXPECT_EQ(*a, "127.5.0.4");
    EXPECT_EQ(*b, "127.5.0.5");
    EXPECT_EQ(*c, "127.5.0.6");
    EXPECT_FALSE(pool->acquire());
    pool->release(*b);
    EXPECT_EQ(*pool->acquire(), "127.5.0.5");
    EXPECT_EQ(pool->held(), 3u);
}

TEST(AddressPoolTest, SkipsBusyAddressesAndStartsAtTheCursor) {
    auto pool = AddressPool::parse("127.6.0.77/24");
    ASSERT_TRUE(pool);
    EXPECT_EQ(pool->cidr(), "127.6.0.0/24");
    pool->set_cursor(100);
    auto busy = [](std::uint32_t address) { return (address & 0xFF) == 100; };
    EXPECT_EQ(*pool->acquire(busy), "127.6.0.101");
}

TEST(AddressPoolTest, RejectsMalformedBlocks) {
    for (const char* bad : {"127.0.0.0", "127.0.0.0/7", "127.0.0.0/30", "300.0.0.0/16",
                            "127.0.0/16", "127.0.0.0/x", "a.b.c.d/16"}) {
        EXPECT_FALSE(AddressPool::parse(bad)) << bad;
    }
}

}  // namespace
}  // namespace sockerless::awssim
