// RunTask, DescribeTasks, ListTasks and StopTask on the service alone: no launcher, so tasks stay
// PROVISIONING until stopped, which makes paging and idempotency deterministic.

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "ecs_service.h"

namespace sockerless::awssim {
namespace {
namespace json = boost::json;

class EcsTasksTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(ecs_.create_cluster(json::object{{"clusterName", "c"}}));
        auto td = ecs_.register_task_definition(
            json::parse(R"({"family":"f","networkMode":"awsvpc","cpu":"256","memory":"512",
                "requiresCompatibilities":["FARGATE"],
                "containerDefinitions":[{"name":"app","image":"busybox"}]})")
                .as_object(),
            100);
        ASSERT_TRUE(td) << td.error().message;
    }

    json::object run(std::string_view extra = "") {
        std::string body =
            R"({"cluster":"c","taskDefinition":"f","networkConfiguration":{"awsvpcConfiguration":)"
            R"({"subnets":["subnet-1"]}})" +
            std::string(extra) + "}";
        auto out = ecs_.run_task(json::parse(body).as_object());
        EXPECT_TRUE(out) << (out ? "" : out.error().message);
        return out ? *out : json::object{};
    }

    std::vector<std::string> list(std::string_view body, std::string* token) {
        auto out = ecs_.list_tasks(json::parse(body).as_object());
        EXPECT_TRUE(out) << (out ? "" : out.error().message);
        std::vector<std::string> arns;
        if (!out) return arns;
        for (const auto& a : out->at("taskArns").as_array())
            arns.emplace_back(a.as_string());
        *token = out->contains("nextToken") ? std::string(out->at("nextToken").as_string()) : "";
        return arns;
    }

    TimePoint now_{std::chrono::seconds(1700000000)};
    EcsState state_{"us-east-1"};
    EcsService ecs_{state_, [this] { return now_; }};
};

TEST_F(EcsTasksTest, ListTasksPagesInCreationOrder) {
    std::vector<std::string> arns;
    auto started = run(R"(,"count":5,"startedBy":"me")");
    for (const auto& t : started.at("tasks").as_array())
        arns.emplace_back(t.at("taskArn").as_string());
    run();  // another starter
    std::vector<std::string> seen;
    std::string token;
    std::vector<std::size_t> sizes;
    do {
        std::string body = R"({"cluster":"c","startedBy":"me","maxResults":2)" +
                           (token.empty() ? std::string() : R"(,"nextToken":")" + token + "\"") +
                           "}";
        auto page = list(body, &token);
        sizes.push_back(page.size());
        seen.insert(seen.end(), page.begin(), page.end());
    } while (!token.empty());
    EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 1}));
    EXPECT_EQ(seen, arns);
}

TEST_F(EcsTasksTest, ListTasksFiltersByDesiredStatus) {
    std::string arn(run().at("tasks").as_array()[0].at("taskArn").as_string());
    std::string token;
    EXPECT_EQ(list(R"({"cluster":"c","desiredStatus":"STOPPED"})", &token).size(), 0u);
    auto stopped = ecs_.stop_task(json::object{{"cluster", "c"}, {"task", arn}});
    ASSERT_TRUE(stopped);
    EXPECT_EQ(stopped->at("task").at("lastStatus"), "STOPPED");
    EXPECT_EQ(stopped->at("task").at("stoppedReason"), "Task stopped by user");
    EXPECT_EQ(list(R"({"cluster":"c","desiredStatus":"STOPPED"})", &token),
              std::vector<std::string>{arn});
    EXPECT_TRUE(list(R"({"cluster":"c"})", &token).empty());
    EXPECT_TRUE(list(R"({"cluster":"c","serviceName":"s"})", &token).empty());
    auto bad = ecs_.list_tasks(json::object{{"cluster", "c"}, {"maxResults", 101}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "InvalidParameterException");
}

TEST_F(EcsTasksTest, StoppedTasksAreForgottenAfterAnHour) {
    std::string arn(run().at("tasks").as_array()[0].at("taskArn").as_string());
    ASSERT_TRUE(ecs_.stop_task(json::object{{"cluster", "c"}, {"task", arn}}));
    now_ += std::chrono::minutes(59);
    run();
    auto described = ecs_.describe_tasks(json::object{{"cluster", "c"}, {"tasks", {arn}}});
    EXPECT_EQ(described->at("tasks").as_array().size(), 1u);
    now_ += std::chrono::minutes(2);
    run();
    described = ecs_.describe_tasks(json::object{{"cluster", "c"}, {"tasks", {arn}}});
    EXPECT_EQ(described->at("failures").as_array()[0].at("reason"), "MISSING");
}

TEST_F(EcsTasksTest, ClientTokenReplaysOrConflicts) {
    auto first = run(R"(,"clientToken":"abc","count":2)");
    auto again = run(R"(,"clientToken":"abc","count":2)");
    EXPECT_EQ(first.at("tasks").as_array()[1].at("taskArn"),
              again.at("tasks").as_array()[1].at("taskArn"));
    std::string token;
    EXPECT_EQ(list(R"({"cluster":"c"})", &token).size(), 2u);
    auto conflict = ecs_.run_task(
        json::parse(
            R"({"cluster":"c","taskDefinition":"f","clientToken":"abc","networkConfiguration":
            {"awsvpcConfiguration":{"subnets":["subnet-1"]}}})")
            .as_object());
    ASSERT_FALSE(conflict);
    EXPECT_EQ(conflict.error().code, "ConflictException");
    auto bad = ecs_.run_task(
        json::parse(
            R"({"cluster":"c","taskDefinition":"f","clientToken":"with space","networkConfiguration":
            {"awsvpcConfiguration":{"subnets":["subnet-1"]}}})")
            .as_object());
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "InvalidParameterException");
}

TEST_F(EcsTasksTest, TasksCarryTheDefinitionAndOverrides) {
    auto out = run(R"(,"overrides":{"taskRoleArn":"arn:aws:iam::000000000000:role/r",
        "containerOverrides":[{"name":"app","command":["echo","hi"],"memory":64}]})");
    const auto& task = out.at("tasks").as_array()[0].as_object();
    EXPECT_EQ(task.at("lastStatus"), "PROVISIONING");
    EXPECT_EQ(task.at("overrides").at("taskRoleArn"), "arn:aws:iam::000000000000:role/r");
    EXPECT_EQ(task.at("containers").as_array()[0].at("memory"), "64");
    std::string id(task.at("taskArn").as_string());
    id = id.substr(id.rfind('/') + 1);
    Task* stored = state_.find_task(id);
    ASSERT_NE(stored, nullptr);
    EXPECT_EQ(stored->containers[0].command, (std::vector<std::string>{"echo", "hi"}));
    EXPECT_EQ(stored->task_role_arn, "arn:aws:iam::000000000000:role/r");
}

}  // namespace
}  // namespace sockerless::awssim
