#include "backends/ecs/task_definition.h"

#include <gtest/gtest.h>

#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sockerless::ecs {
namespace {

namespace json = boost::json;

EcsConfig base_config() {
    EcsConfig c;
    c.region = "us-east-1";
    c.subnets = {"subnet-0abcd1234abcd1234"};
    c.task_role_arn = "arn:aws:iam::012345678910:role/sockerless-task";
    c.execution_role_arn = "arn:aws:iam::012345678910:role/sockerless-execution";
    return c;
}

EcsConfig efs_config() {
    EcsConfig c = base_config();
    c.efs_filesystem_id = "fs-0123456789abcdef0";
    c.efs_access_point_id = "fsap-0123456789abcdef0";
    c.strategy = InjectionStrategy::efs;
    return c;
}

EcsConfig init_config() {
    EcsConfig c = base_config();
    c.agent_image = "public.ecr.aws/sockerless/agent:0.1.0";
    c.strategy = InjectionStrategy::init_container;
    return c;
}

// Goldens are written readable; compared as compact JSON, so member order counts too.
void expect_golden(const json::object& actual, std::string_view golden) {
    EXPECT_EQ(json::serialize(actual), json::serialize(json::parse(golden)))
        << "actual: " << json::serialize(actual);
}

constexpr std::string_view kEfsGolden = R"({
  "family": "sockerless-1578030f4d24a3eb",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "256",
  "memory": "512",
  "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
  "taskRoleArn": "arn:aws:iam::012345678910:role/sockerless-task",
  "executionRoleArn": "arn:aws:iam::012345678910:role/sockerless-execution",
  "volumes": [{
    "name": "sockerless-agent",
    "efsVolumeConfiguration": {
      "fileSystemId": "fs-0123456789abcdef0",
      "transitEncryption": "ENABLED",
      "authorizationConfig": {"accessPointId": "fsap-0123456789abcdef0", "iam": "DISABLED"}
    }
  }],
  "containerDefinitions": [{
    "name": "main",
    "image": "busybox:1.36",
    "essential": true,
    "entryPoint": ["/sockerless/sockerless-agent", "--"],
    "portMappings": [{"containerPort": 9111, "protocol": "tcp"}],
    "environment": [{"name": "SOCKERLESS_AGENT_PORT", "value": "9111"}],
    "mountPoints": [{"sourceVolume": "sockerless-agent", "containerPath": "/sockerless",
                     "readOnly": true}],
    "logConfiguration": {
      "logDriver": "awslogs",
      "options": {"awslogs-group": "/sockerless/tasks", "awslogs-region": "us-east-1",
                  "awslogs-stream-prefix": "sockerless"}
    }
  }],
  "tags": [{"key": "sockerless-shape", "value": "sockerless-1578030f4d24a3eb"}]
})";

constexpr std::string_view kInitKeepAliveGolden = R"({
  "family": "sockerless-7acfe3c9ab8e7ac8",
  "networkMode": "awsvpc",
  "requiresCompatibilities": ["FARGATE"],
  "cpu": "1024",
  "memory": "2048",
  "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
  "volumes": [{"name": "sockerless-agent"}],
  "containerDefinitions": [{
    "name": "init",
    "image": "public.ecr.aws/sockerless/agent:0.1.0",
    "essential": false,
    "entryPoint": ["/sockerless-agent", "install", "/sockerless/sockerless-agent"],
    "mountPoints": [{"sourceVolume": "sockerless-agent", "containerPath": "/sockerless",
                     "readOnly": false}],
    "logConfiguration": {
      "logDriver": "awslogs",
      "options": {"awslogs-group": "/ci/jobs", "awslogs-region": "eu-west-1",
                  "awslogs-stream-prefix": "runner"}
    }
  }, {
    "name": "main",
    "image": "node:20",
    "essential": true,
    "entryPoint": ["/sockerless/sockerless-agent", "--keep-alive", "--"],
    "portMappings": [{"containerPort": 7000, "protocol": "tcp"}],
    "environment": [{"name": "SOCKERLESS_AGENT_PORT", "value": "7000"}],
    "mountPoints": [{"sourceVolume": "sockerless-agent", "containerPath": "/sockerless",
                     "readOnly": true}],
    "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
    "logConfiguration": {
      "logDriver": "awslogs",
      "options": {"awslogs-group": "/ci/jobs", "awslogs-region": "eu-west-1",
                  "awslogs-stream-prefix": "runner"}
    }
  }],
  "tags": [{"key": "sockerless-shape", "value": "sockerless-7acfe3c9ab8e7ac8"}]
})";

TEST(TaskDefinition, EfsGolden) {
    const TaskShape shape = shape_of(efs_config(), "busybox:1.36", false);
    EXPECT_EQ(shape_family(shape), "sockerless-1578030f4d24a3eb");
    expect_golden(build_task_definition(shape), kEfsGolden);
}

TEST(TaskDefinition, InitContainerKeepAliveGolden) {
    EcsConfig c = init_config();
    c.region = "eu-west-1";
    c.task_role_arn.clear();
    c.execution_role_arn.clear();
    c.agent_port = 7000;
    c.log_group = "/ci/jobs";
    c.log_stream_prefix = "runner";
    c.cpu_architecture = "ARM64";
    const TaskShape shape = shape_of(c, "node:20", true, "1024", "2048");
    EXPECT_EQ(shape_family(shape), "sockerless-7acfe3c9ab8e7ac8");
    expect_golden(build_task_definition(shape), kInitKeepAliveGolden);
}

TEST(TaskDefinition, KeepAliveOnlyChangesTheEntrypointAndFamily) {
    const TaskShape plain = shape_of(efs_config(), "busybox:1.36", false);
    const TaskShape idle = shape_of(efs_config(), "busybox:1.36", true);
    json::object a = build_task_definition(plain);
    json::object b = build_task_definition(idle);
    EXPECT_NE(a["family"], b["family"]);
    EXPECT_EQ(json::serialize(b["containerDefinitions"].as_array()[0].as_object()["entryPoint"]),
              R"(["/sockerless/sockerless-agent","--keep-alive","--"])");
    for (json::object* d : {&a, &b}) {
        d->erase("family");
        d->erase("tags");
        (*d)["containerDefinitions"].as_array()[0].as_object().erase("entryPoint");
    }
    EXPECT_EQ(json::serialize(a), json::serialize(b));
}

TEST(TaskDefinition, FamilyIsStableAndFollowsEveryShapeField) {
    const TaskShape base = shape_of(init_config(), "alpine:3.20", false);
    EXPECT_EQ(shape_family(base), shape_family(shape_of(init_config(), "alpine:3.20", false)));
    EXPECT_EQ(shape_family(base).size(), std::string_view("sockerless-").size() + 16);
    const std::vector<void (*)(TaskShape&)> changes = {
        [](TaskShape& s) { s.image = "alpine:3.21"; },
        [](TaskShape& s) { s.cpu = "512"; },
        [](TaskShape& s) { s.memory = "1024"; },
        [](TaskShape& s) { s.keep_alive = true; },
        [](TaskShape& s) { s.agent_image = "sockerless/agent:other"; },
        [](TaskShape& s) { s.agent_port = 9112; },
        [](TaskShape& s) { s.log_group = "/other"; },
        [](TaskShape& s) { s.log_stream_prefix = "other"; },
        [](TaskShape& s) { s.log_region = "us-west-2"; },
        [](TaskShape& s) { s.task_role_arn = "arn:aws:iam::012345678910:role/other"; },
        [](TaskShape& s) { s.execution_role_arn = "arn:aws:iam::012345678910:role/other"; },
        [](TaskShape& s) { s.cpu_architecture = "ARM64"; },
        [](TaskShape& s) {
            s.strategy = InjectionStrategy::efs;
            s.efs_filesystem_id = "fs-0123456789abcdef0";
            s.efs_access_point_id = "fsap-0123456789abcdef0";
        },
    };
    std::set<std::string> families{shape_family(base)};
    for (auto change : changes) {
        TaskShape s = base;
        change(s);
        EXPECT_TRUE(families.insert(shape_family(s)).second);
    }
}

TEST(TaskDefinition, ShapeOfLeavesOutWhatTheStrategyDoesNotUse) {
    EcsConfig c = efs_config();
    c.agent_image = "sockerless/agent:1";
    const TaskShape efs = shape_of(c, "alpine", false);
    EXPECT_TRUE(efs.agent_image.empty());
    EXPECT_EQ(efs.cpu, "256");
    EXPECT_EQ(efs.memory, "512");
    c.agent_image = "sockerless/agent:2";
    EXPECT_EQ(shape_family(shape_of(c, "alpine", false)), shape_family(efs));

    EcsConfig i = init_config();
    i.efs_access_point_id = "fsap-0123456789abcdef0";
    EXPECT_TRUE(shape_of(i, "alpine", false).efs_access_point_id.empty());
}

TEST(FargateSize, Table) {
    for (auto [cpu, memory] :
         std::vector<std::pair<std::string, std::string>>{{"256", "512"},
                                                          {"256", "2048"},
                                                          {"512", "4096"},
                                                          {"1024", "3072"},
                                                          {"4096", "30720"},
                                                          {"8192", "20480"},
                                                          {"16384", "122880"}}) {
        EXPECT_TRUE(check_fargate_size(cpu, memory).has_value()) << cpu << "/" << memory;
    }
    for (auto [cpu, memory] :
         std::vector<std::pair<std::string, std::string>>{{"256", "1536"},
                                                          {"256", "4096"},
                                                          {"512", "512"},
                                                          {"1024", "2500"},
                                                          {"8192", "17408"},
                                                          {"128", "512"},
                                                          {"", "512"},
                                                          {"256", ""},
                                                          {"0.25 vCPU", "512"}}) {
        auto st = check_fargate_size(cpu, memory);
        ASSERT_FALSE(st.has_value()) << cpu << "/" << memory;
        EXPECT_EQ(st.error().code, Errc::invalid_argument);
    }
    EXPECT_NE(check_fargate_size("256", "4096").error().message.find("512, 1024 or 2048"),
              std::string::npos);
}

}  // namespace
}  // namespace sockerless::ecs
