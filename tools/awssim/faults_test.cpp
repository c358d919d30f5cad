#include "faults.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace sockerless::awssim {
namespace {
namespace json = boost::json;

json::object spec(std::string_view text) {
    return json::parse(text).as_object();
}

TEST(FaultInjector, ErrorAppliesToExactlyCountMatchingCalls) {
    FaultInjector faults;
    ASSERT_TRUE(faults
                    .add(spec(R"({"service":"ecs","operation":"RunTask","count":2,"status":400,
                                   "code":"ThrottlingException","message":"Rate exceeded"})"))
                    .has_value());
    EXPECT_FALSE(faults.on_call("ecs", "DescribeTasks").error);
    EXPECT_FALSE(faults.on_call("logs", "RunTask").error);
    for (int i = 0; i < 2; ++i) {
        auto effect = faults.on_call("ecs", "RunTask");
        ASSERT_TRUE(effect.error);
        EXPECT_EQ(effect.error->code, "ThrottlingException");
        EXPECT_EQ(effect.error->status, 400);
        EXPECT_EQ(effect.error->message, "Rate exceeded");
    }
    EXPECT_FALSE(faults.on_call("ecs", "RunTask").error);
    EXPECT_TRUE(faults.list().empty());
}

TEST(FaultInjector, EmptyServiceAndOperationMatchAnything) {
    FaultInjector faults;
    ASSERT_TRUE(faults.add(spec(R"({"status":503})")).has_value());
    auto effect = faults.on_call("s3", "GetObject");
    ASSERT_TRUE(effect.error);
    EXPECT_EQ(effect.error->status, 503);
    EXPECT_EQ(effect.error->code, "InternalFailure");
}

TEST(FaultInjector, LatencyAndErrorFromSeparateFaultsCombine) {
    FaultInjector faults;
    ASSERT_TRUE(faults.add(spec(R"({"service":"ecs","latency_ms":250})")).has_value());
    ASSERT_TRUE(
        faults.add(spec(R"({"service":"ecs","status":500,"code":"ServerException"})")).has_value());
    auto effect = faults.on_call("ecs", "DescribeTasks");
    EXPECT_EQ(effect.latency.count(), 250);
    ASSERT_TRUE(effect.error);
    EXPECT_EQ(effect.error->code, "ServerException");
    auto next = faults.on_call("ecs", "DescribeTasks");
    EXPECT_EQ(next.latency.count(), 0);
    EXPECT_FALSE(next.error);
}

TEST(FaultInjector, TaskFaultsAreTakenByKind) {
    FaultInjector faults;
    ASSERT_TRUE(
        faults
            .add(spec(R"({"task":"stop_before_running","reason":"CannotPullContainerError: x",
                                   "count":1})"))
            .has_value());
    ASSERT_TRUE(faults.add(spec(R"({"task":"slow_provisioning","delay_ms":1500})")).has_value());
    EXPECT_EQ(faults.list().size(), 2u);
    auto slow = faults.take_task_fault(TaskFaultKind::slow_provisioning);
    ASSERT_TRUE(slow);
    EXPECT_EQ(slow->delay.count(), 1500);
    auto stop = faults.take_task_fault(TaskFaultKind::stop_before_running);
    ASSERT_TRUE(stop);
    EXPECT_EQ(stop->stop_code, "TaskFailedToStart");
    EXPECT_EQ(stop->reason, "CannotPullContainerError: x");
    EXPECT_FALSE(faults.take_task_fault(TaskFaultKind::stop_before_running));
}

TEST(FaultInjector, RefusesMalformedSpecsWithReasons) {
    FaultInjector faults;
    auto no_effect = faults.add(spec(R"({"service":"ecs"})"));
    ASSERT_FALSE(no_effect.has_value());
    EXPECT_NE(no_effect.error().message.find("needs an error"), std::string::npos);
    EXPECT_FALSE(faults.add(spec(R"({"status":200})")).has_value());
    EXPECT_FALSE(faults.add(spec(R"({"status":500,"count":0})")).has_value());
    EXPECT_FALSE(faults.add(spec(R"({"task":"explode"})")).has_value());
    EXPECT_FALSE(faults.add(spec(R"({"task":"slow_provisioning"})")).has_value());
    EXPECT_TRUE(faults.list().empty());
}

TEST(FaultInjector, ClearDisarmsEverything) {
    FaultInjector faults;
    ASSERT_TRUE(faults.add(spec(R"({"status":500,"count":5})")).has_value());
    ASSERT_TRUE(faults.add(spec(R"({"task":"stop_before_running"})")).has_value());
    faults.clear();
    EXPECT_FALSE(faults.on_call("ecs", "RunTask").error);
    EXPECT_FALSE(faults.take_task_fault(TaskFaultKind::stop_before_running));
}

}  // namespace
}  // namespace sockerless::awssim
