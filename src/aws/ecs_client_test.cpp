#include "aws/ecs_client.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "aws/client_test_support.h"
#include "aws/credentials_test_support.h"

// Golden bodies follow botocore 1.43's ECS model (ecs/2014-11-13/service-2.json: shapes Task,
// Container, Attachment, KeyValuePair, Failure) and its examples-1.json, with the awsvpc
// attachment details ECS returns for Fargate tasks.

namespace sockerless::aws {
namespace {

namespace json = boost::json;
using test_support::kNow;
using test_support::run;
using test_support::ScriptedServer;

constexpr std::string_view kFargateTask = R"({
  "tasks": [{
    "attachments": [{
      "id": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE",
      "type": "ElasticNetworkInterface",
      "status": "ATTACHED",
      "details": [
        {"name": "subnetId", "value": "subnet-0abcd1234EXAMPLE"},
        {"name": "networkInterfaceId", "value": "eni-0fa40520aeEXAMPLE"},
        {"name": "macAddress", "value": "0a:3f:c2:5e:9b:7d"},
        {"name": "privateDnsName", "value": "ip-10-0-1-184.ec2.internal"},
        {"name": "privateIPv4Address", "value": "10.0.1.184"}
      ]
    }],
    "clusterArn": "arn:aws:ecs:us-east-1:012345678910:cluster/sockerless",
    "containers": [{
      "containerArn": "arn:aws:ecs:us-east-1:012345678910:container/sockerless/0b69d5c0/f00d",
      "taskArn": "arn:aws:ecs:us-east-1:012345678910:task/sockerless/0b69d5c0d0e4",
      "name": "main",
      "image": "busybox",
      "lastStatus": "STOPPED",
      "exitCode": 137,
      "reason": "OutOfMemoryError: Container killed due to memory usage",
      "networkInterfaces": [{"attachmentId": "a1b2c3d4", "privateIpv4Address": "10.0.1.184"}]
    }, {
      "name": "init",
      "lastStatus": "STOPPED",
      "exitCode": 0
    }],
    "createdAt": 1714564800.123,
    "startedAt": 1714564830.5,
    "stoppingAt": 1714564900,
    "stoppedAt": 1714564910.0,
    "desiredStatus": "STOPPED",
    "lastStatus": "STOPPED",
    "launchType": "FARGATE",
    "stopCode": "EssentialContainerExited",
    "stoppedReason": "Essential container in task exited",
    "startedBy": "sockerless",
    "group": "family:sockerless-shape",
    "tags": [{"key": "sockerless-container", "value": "4f1e"}],
    "taskArn": "arn:aws:ecs:us-east-1:012345678910:task/sockerless/0b69d5c0d0e4",
    "taskDefinitionArn": "arn:aws:ecs:us-east-1:012345678910:task-definition/sockerless-shape:3"
  }],
  "failures": [{
    "arn": "arn:aws:ecs:us-east-1:012345678910:task/sockerless/missing",
    "reason": "MISSING"
  }]
})";

json::object parse(std::string_view body) {
    return json::parse(body).as_object();
}

TEST(EcsParse, FargateTask) {
    const EcsTasksResult r = parse_tasks_result(parse(kFargateTask));
    ASSERT_EQ(r.tasks.size(), 1U);
    const EcsTask& t = r.tasks[0];
    EXPECT_EQ(t.task_arn, "arn:aws:ecs:us-east-1:012345678910:task/sockerless/0b69d5c0d0e4");
    EXPECT_EQ(t.cluster_arn, "arn:aws:ecs:us-east-1:012345678910:cluster/sockerless");
    EXPECT_EQ(t.task_definition_arn,
              "arn:aws:ecs:us-east-1:012345678910:task-definition/sockerless-shape:3");
    EXPECT_EQ(t.last_status, "STOPPED");
    EXPECT_EQ(t.desired_status, "STOPPED");
    EXPECT_EQ(t.stop_code, "EssentialContainerExited");
    EXPECT_EQ(t.stopped_reason, "Essential container in task exited");
    EXPECT_EQ(t.started_by, "sockerless");
    EXPECT_EQ(t.group, "family:sockerless-shape");
    ASSERT_EQ(t.containers.size(), 2U);
    EXPECT_EQ(t.containers[0].name, "main");
    EXPECT_EQ(t.containers[0].exit_code, 137);
    EXPECT_EQ(t.containers[0].reason, "OutOfMemoryError: Container killed due to memory usage");
    EXPECT_EQ(t.containers[0].last_status, "STOPPED");
    EXPECT_EQ(t.containers[1].exit_code, 0);
    ASSERT_EQ(t.attachments.size(), 1U);
    EXPECT_EQ(t.attachments[0].type, "ElasticNetworkInterface");
    EXPECT_EQ(t.attachments[0].status, "ATTACHED");
    EXPECT_EQ(t.attachments[0].detail("privateIPv4Address"), "10.0.1.184");
    EXPECT_EQ(t.attachments[0].detail("absent"), "");
    ASSERT_EQ(t.tags.size(), 1U);
    EXPECT_EQ(t.tags[0], NameValue("sockerless-container", "4f1e"));
    using std::chrono::milliseconds;
    ASSERT_TRUE(t.created_at && t.started_at && t.stopping_at && t.stopped_at);
    EXPECT_EQ(std::chrono::duration_cast<milliseconds>(t.created_at->time_since_epoch()).count(),
              1714564800123);
    EXPECT_EQ(std::chrono::duration_cast<milliseconds>(t.started_at->time_since_epoch()).count(),
              1714564830500);
    EXPECT_EQ(std::chrono::duration_cast<milliseconds>(t.stopped_at->time_since_epoch()).count(),
              1714564910000);
    ASSERT_EQ(r.failures.size(), 1U);
    EXPECT_EQ(r.failures[0].reason, "MISSING");
}

// A task that has not stopped has no exit code: absent, not 0.
TEST(EcsParse, RunningContainerHasNoExitCode) {
    const EcsTask t = parse_task(parse(R"({"taskArn":"t","lastStatus":"PENDING",
        "containers":[{"name":"main","lastStatus":"PENDING"}]})"));
    ASSERT_EQ(t.containers.size(), 1U);
    EXPECT_FALSE(t.containers[0].exit_code.has_value());
    EXPECT_FALSE(t.stopped_at.has_value());
}

// What RunTask was given comes back in overrides.containerOverrides; the image per container.
TEST(EcsParse, ContainerOverridesAndImages) {
    const EcsTask t = parse_task(parse(R"({"taskArn":"t","lastStatus":"RUNNING",
        "containers":[{"name":"init","image":"agent:1"},{"name":"main","image":"busybox"}],
        "overrides":{"containerOverrides":[{"name":"init"},
          {"name":"main","command":["sh","-c","true"],
           "environment":[{"name":"A","value":"1"},{"name":"B","value":""}]}],
          "inferenceAcceleratorOverrides":[]}})"));
    ASSERT_EQ(t.containers.size(), 2U);
    EXPECT_EQ(t.containers[0].image, "agent:1");
    EXPECT_EQ(t.containers[1].image, "busybox");
    ASSERT_EQ(t.container_overrides.size(), 2U);
    EXPECT_EQ(t.container_overrides[0].name, "init");
    EXPECT_TRUE(t.container_overrides[0].command.empty());
    EXPECT_TRUE(t.container_overrides[0].environment.empty());
    EXPECT_EQ(t.container_overrides[1].name, "main");
    EXPECT_EQ(t.container_overrides[1].command, (std::vector<std::string>{"sh", "-c", "true"}));
    EXPECT_EQ(t.container_overrides[1].environment,
              (std::vector<NameValue>{{"A", "1"}, {"B", ""}}));
    // A task without overrides has none.
    EXPECT_TRUE(parse_task(parse(R"({"taskArn":"t"})")).container_overrides.empty());
}

TEST(EcsParse, TaskDefinitionWithTags) {
    const EcsTaskDefinition d = parse_task_definition(parse(R"({
      "taskDefinition": {
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:012345678910:task-definition/sleep360:19",
        "containerDefinitions": [{"name": "sleep", "image": "busybox", "memory": 10}],
        "family": "sleep360", "revision": 19, "status": "ACTIVE", "cpu": "256", "memory": "512"
      },
      "tags": [{"key": "sockerless-shape", "value": "9c1d"}]})"));
    EXPECT_EQ(d.task_definition_arn,
              "arn:aws:ecs:us-east-1:012345678910:task-definition/sleep360:19");
    EXPECT_EQ(d.family, "sleep360");
    EXPECT_EQ(d.revision, 19);
    EXPECT_EQ(d.status, "ACTIVE");
    ASSERT_EQ(d.tags.size(), 1U);
    EXPECT_EQ(d.tags[0].second, "9c1d");
    EXPECT_EQ(d.raw.at("memory").as_string(), "512");
}

TEST(EcsParse, Cluster) {
    const EcsCluster c = parse_cluster(parse(R"({"activeServicesCount": 0,
        "clusterArn": "arn:aws:ecs:us-east-1:012345678910:cluster/my_cluster",
        "clusterName": "my_cluster", "pendingTasksCount": 2,
        "registeredContainerInstancesCount": 0, "runningTasksCount": 5, "status": "ACTIVE"})"));
    EXPECT_EQ(c.cluster_name, "my_cluster");
    EXPECT_EQ(c.status, "ACTIVE");
    EXPECT_EQ(c.running_tasks_count, 5);
    EXPECT_EQ(c.pending_tasks_count, 2);
}

TEST(EcsRequests, RunTaskInput) {
    RunTaskRequest r;
    r.cluster = "sockerless";
    r.task_definition = "sockerless-shape:3";
    r.subnets = {"subnet-1", "subnet-2"};
    r.security_groups = {"sg-1"};
    r.overrides = parse(R"({"containerOverrides":[{"name":"main","command":["true"]}]})");
    r.tags = {{"sockerless-container", "4f1e"}};
    r.started_by = "sockerless";
    r.client_token = "4f1e-1";
    r.propagate_tags = "TASK_DEFINITION";
    EXPECT_EQ(json::serialize(run_task_input(r)),
              R"({"cluster":"sockerless","taskDefinition":"sockerless-shape:3","count":1,)"
              R"("launchType":"FARGATE","networkConfiguration":{"awsvpcConfiguration":)"
              R"({"subnets":["subnet-1","subnet-2"],"securityGroups":["sg-1"],)"
              R"("assignPublicIp":"DISABLED"}},"overrides":{"containerOverrides":)"
              R"([{"name":"main","command":["true"]}]},"tags":[{"key":"sockerless-container",)"
              R"("value":"4f1e"}],"startedBy":"sockerless","propagateTags":"TASK_DEFINITION",)"
              R"("clientToken":"4f1e-1"})");
}

TEST(EcsRequests, ListTasksInput) {
    ListTasksRequest r;
    r.cluster = "c";
    r.started_by = "sockerless";
    r.desired_status = "STOPPED";
    r.page_size = 10;
    EXPECT_EQ(json::serialize(list_tasks_input(r, "tok")),
              R"({"cluster":"c","startedBy":"sockerless","desiredStatus":"STOPPED",)"
              R"("maxResults":10,"nextToken":"tok"})");
    EXPECT_EQ(json::serialize(list_tasks_input(ListTasksRequest{}, "")), "{}");
}

TEST(EcsRequests, DescribeTasksBatchesOfAHundred) {
    std::vector<std::string> tasks;
    tasks.reserve(250);
    for (int i = 0; i < 250; ++i)
        tasks.push_back("t" + std::to_string(i));
    const std::vector<json::object> inputs = describe_tasks_inputs("c", tasks);
    ASSERT_EQ(inputs.size(), 3U);
    EXPECT_EQ(inputs[0].at("tasks").as_array().size(), 100U);
    EXPECT_EQ(inputs[1].at("tasks").as_array().size(), 100U);
    EXPECT_EQ(inputs[2].at("tasks").as_array().size(), 50U);
    EXPECT_EQ(inputs[1].at("tasks").as_array().at(0).as_string(), "t100");
    EXPECT_EQ(inputs[2].at("tasks").as_array().at(49).as_string(), "t249");
    EXPECT_EQ(json::serialize(inputs[0].at("include")), R"(["TAGS"])");
    EXPECT_TRUE(describe_tasks_inputs("c", {}).empty());
}

class EcsClientTest : public ::testing::Test {
protected:
    ProvidedCredentials creds() {
        ProvidedCredentials c;
        c.credentials = {"AKIDEXAMPLE", "secret", ""};
        return c;
    }

    boost::asio::io_context io_;
    Transport transport_{io_.get_executor(), TransportOptions{}};
    StaticProvider provider_{creds()};
    ScriptedServer server_{io_};
    AwsClient aws_{transport_,         provider_,      ecs_service_id(),   "us-east-1",
                   server_.endpoint(), RetryOptions{}, [] { return kNow; }};
    EcsClient ecs_{aws_};
};

TEST_F(EcsClientTest, ListTasksFollowsNextToken) {
    server_.answer(200, R"({"taskArns":["a","b"],"nextToken":"page2"})");
    server_.answer(200, R"({"taskArns":["c"]})");
    ListTasksRequest r;
    r.cluster = "c";
    auto out = run(io_, ecs_.list_tasks(r));
    ASSERT_TRUE(out && out->has_value());
    EXPECT_EQ(**out, (std::vector<std::string>{"a", "b", "c"}));
    ASSERT_EQ(server_.requests.size(), 2U);
    EXPECT_EQ(server_.requests[0].body, R"({"cluster":"c"})");
    EXPECT_EQ(server_.requests[1].body, R"({"cluster":"c","nextToken":"page2"})");
    EXPECT_EQ(server_.requests[1].header("X-Amz-Target"),
              "AmazonEC2ContainerServiceV20141113.ListTasks");
}

TEST_F(EcsClientTest, DescribeTasksMergesBatches) {
    std::vector<std::string> tasks;
    tasks.reserve(101);
    for (int i = 0; i < 101; ++i)
        tasks.push_back("t" + std::to_string(i));
    server_.answer(200, R"({"tasks":[{"taskArn":"t0"}],"failures":[]})");
    server_.answer(200, R"({"tasks":[],"failures":[{"arn":"t100","reason":"MISSING"}]})");
    auto out = run(io_, ecs_.describe_tasks("c", tasks));
    ASSERT_TRUE(out && out->has_value());
    ASSERT_EQ((**out).tasks.size(), 1U);
    ASSERT_EQ((**out).failures.size(), 1U);
    EXPECT_EQ((**out).failures[0].arn, "t100");
    EXPECT_EQ(server_.requests.size(), 2U);
}

TEST_F(EcsClientTest, StopTaskReturnsTheTask) {
    server_.answer(200, R"({"task":{"taskArn":"t","desiredStatus":"STOPPED",)"
                        R"("lastStatus":"RUNNING"}})");
    auto out = run(io_, ecs_.stop_task("c", "t", "docker stop"));
    ASSERT_TRUE(out && out->has_value());
    EXPECT_EQ((**out).desired_status, "STOPPED");
    EXPECT_EQ(server_.requests[0].body, R"({"cluster":"c","task":"t","reason":"docker stop"})");
}

TEST_F(EcsClientTest, ErrorsStopPagination) {
    server_.answer(200, R"({"taskArns":["a"],"nextToken":"page2"})");
    server_.answer(400, R"({"__type":"InvalidParameterException","message":"bad token"})");
    auto out = run(io_, ecs_.list_tasks(ListTasksRequest{}));
    ASSERT_TRUE(out && !out->has_value());
    EXPECT_EQ(out->error().code, Errc::invalid_argument);
    EXPECT_EQ(out->error().message, "ecs ListTasks: InvalidParameterException: bad token");
}

}  // namespace
}  // namespace sockerless::aws
