#include "aws/ecs_client.h"

#include <algorithm>
#include <utility>

#include <boost/json/array.hpp>

#include "aws/json_fields.h"

namespace sockerless::aws {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using json_fields::array_of;
using json_fields::int_of;
using json_fields::object_of;
using json_fields::pairs_of;
using json_fields::string_of;
using json_fields::time_of;

json::array string_array(const std::vector<std::string>& values) {
    json::array out;
    out.reserve(values.size());
    for (const std::string& v : values)
        out.emplace_back(v);
    return out;
}

std::vector<EcsFailure> parse_failures(const json::object& output) {
    std::vector<EcsFailure> out;
    for (const json::value& v : array_of(output, "failures")) {
        if (!v.is_object()) continue;
        const json::object& f = v.get_object();
        out.push_back({string_of(f, "arn"), string_of(f, "reason"), string_of(f, "detail")});
    }
    return out;
}

EcsContainer parse_container(const json::object& c) {
    EcsContainer out;
    out.name = string_of(c, "name");
    out.container_arn = string_of(c, "containerArn");
    out.image = string_of(c, "image");
    out.last_status = string_of(c, "lastStatus");
    if (auto code = int_of(c, "exitCode")) out.exit_code = static_cast<int>(*code);
    out.reason = string_of(c, "reason");
    return out;
}

EcsContainerOverride parse_container_override(const json::object& o) {
    return EcsContainerOverride{string_of(o, "name"), json_fields::strings_of(o, "command"),
                                pairs_of(o, "environment", "name", "value")};
}

EcsAttachment parse_attachment(const json::object& a) {
    return EcsAttachment{string_of(a, "id"), string_of(a, "type"), string_of(a, "status"),
                         pairs_of(a, "details", "name", "value")};
}

json::object network_configuration(const RunTaskRequest& r) {
    json::object vpc;
    vpc["subnets"] = string_array(r.subnets);
    if (!r.security_groups.empty()) vpc["securityGroups"] = string_array(r.security_groups);
    vpc["assignPublicIp"] = r.assign_public_ip ? "ENABLED" : "DISABLED";
    json::object out;
    out["awsvpcConfiguration"] = std::move(vpc);
    return out;
}

}  // namespace

ServiceId ecs_service_id() {
    return ServiceId{"ECS", "ecs", "ecs"};
}

std::string_view EcsAttachment::detail(std::string_view name) const {
    for (const auto& [n, v] : details) {
        if (n == name) return v;
    }
    return {};
}

// ---- Request building ---------------------------------------------------------------------------

json::object run_task_input(const RunTaskRequest& r) {
    json::object in;
    if (!r.cluster.empty()) in["cluster"] = r.cluster;
    in["taskDefinition"] = r.task_definition;
    in["count"] = r.count;
    if (!r.launch_type.empty()) in["launchType"] = r.launch_type;
    if (!r.platform_version.empty()) in["platformVersion"] = r.platform_version;
    if (!r.subnets.empty() || !r.security_groups.empty()) {
        in["networkConfiguration"] = network_configuration(r);
    }
    if (!r.overrides.empty()) in["overrides"] = r.overrides;
    if (!r.tags.empty()) in["tags"] = json_fields::to_pairs(r.tags, "key", "value");
    if (!r.started_by.empty()) in["startedBy"] = r.started_by;
    if (!r.group.empty()) in["group"] = r.group;
    if (r.enable_ecs_managed_tags) in["enableECSManagedTags"] = true;
    if (!r.propagate_tags.empty()) in["propagateTags"] = r.propagate_tags;
    if (!r.client_token.empty()) in["clientToken"] = r.client_token;
    return in;
}

json::object list_tasks_input(const ListTasksRequest& r, std::string_view next_token) {
    json::object in;
    if (!r.cluster.empty()) in["cluster"] = r.cluster;
    if (!r.family.empty()) in["family"] = r.family;
    if (!r.started_by.empty()) in["startedBy"] = r.started_by;
    if (!r.desired_status.empty()) in["desiredStatus"] = r.desired_status;
    if (r.page_size > 0) in["maxResults"] = r.page_size;
    if (!next_token.empty()) in["nextToken"] = next_token;
    return in;
}

std::vector<json::object> describe_tasks_inputs(std::string_view cluster,
                                                const std::vector<std::string>& tasks) {
    std::vector<json::object> out;
    for (std::size_t i = 0; i < tasks.size(); i += kDescribeTasksBatch) {
        const std::size_t end = std::min(tasks.size(), i + kDescribeTasksBatch);
        json::object in;
        if (!cluster.empty()) in["cluster"] = cluster;
        json::array batch;
        batch.reserve(end - i);
        for (std::size_t j = i; j < end; ++j)
            batch.emplace_back(tasks[j]);
        in["tasks"] = std::move(batch);
        json::array include;
        include.emplace_back("TAGS");
        in["include"] = std::move(include);
        out.push_back(std::move(in));
    }
    return out;
}

// ---- Response parsing ---------------------------------------------------------------------------

EcsTask parse_task(const json::object& t) {
    EcsTask out;
    out.task_arn = string_of(t, "taskArn");
    out.cluster_arn = string_of(t, "clusterArn");
    out.task_definition_arn = string_of(t, "taskDefinitionArn");
    out.last_status = string_of(t, "lastStatus");
    out.desired_status = string_of(t, "desiredStatus");
    out.stop_code = string_of(t, "stopCode");
    out.stopped_reason = string_of(t, "stoppedReason");
    out.started_by = string_of(t, "startedBy");
    out.group = string_of(t, "group");
    for (const json::value& c : array_of(t, "containers")) {
        if (c.is_object()) out.containers.push_back(parse_container(c.get_object()));
    }
    for (const json::value& a : array_of(t, "attachments")) {
        if (a.is_object()) out.attachments.push_back(parse_attachment(a.get_object()));
    }
    for (const json::value& o : array_of(object_of(t, "overrides"), "containerOverrides")) {
        if (o.is_object())
            out.container_overrides.push_back(parse_container_override(o.get_object()));
    }
    out.tags = pairs_of(t, "tags", "key", "value");
    out.created_at = time_of(t, "createdAt");
    out.started_at = time_of(t, "startedAt");
    out.stopping_at = time_of(t, "stoppingAt");
    out.stopped_at = time_of(t, "stoppedAt");
    return out;
}

EcsTasksResult parse_tasks_result(const json::object& output) {
    EcsTasksResult out;
    for (const json::value& t : array_of(output, "tasks")) {
        if (t.is_object()) out.tasks.push_back(parse_task(t.get_object()));
    }
    out.failures = parse_failures(output);
    return out;
}

EcsTaskDefinition parse_task_definition(const json::object& output) {
    const json::object& d = object_of(output, "taskDefinition");
    EcsTaskDefinition out;
    out.task_definition_arn = string_of(d, "taskDefinitionArn");
    out.family = string_of(d, "family");
    out.revision = static_cast<int>(int_of(d, "revision").value_or(0));
    out.status = string_of(d, "status");
    out.tags = pairs_of(output, "tags", "key", "value");
    out.raw = d;
    return out;
}

EcsCluster parse_cluster(const json::object& c) {
    EcsCluster out;
    out.cluster_arn = string_of(c, "clusterArn");
    out.cluster_name = string_of(c, "clusterName");
    out.status = string_of(c, "status");
    out.running_tasks_count = static_cast<int>(int_of(c, "runningTasksCount").value_or(0));
    out.pending_tasks_count = static_cast<int>(int_of(c, "pendingTasksCount").value_or(0));
    return out;
}

// ---- The client
// -----------------------------------------------------------------------------------

asio::awaitable<Result<json::object>> EcsClient::call(std::string operation, json::object input) {
    co_return co_await client_.call_json(std::string(kEcsTargetPrefix), std::move(operation),
                                         std::move(input));
}

asio::awaitable<Result<EcsTaskDefinition>> EcsClient::register_task_definition(json::object input) {
    Result<json::object> out = co_await call("RegisterTaskDefinition", std::move(input));
    if (!out) co_return out.error();
    co_return parse_task_definition(*out);
}

asio::awaitable<Result<EcsTaskDefinition>> EcsClient::deregister_task_definition(
    std::string task_definition) {
    json::object in;
    in["taskDefinition"] = task_definition;
    Result<json::object> out = co_await call("DeregisterTaskDefinition", std::move(in));
    if (!out) co_return out.error();
    co_return parse_task_definition(*out);
}

asio::awaitable<Result<EcsTaskDefinition>> EcsClient::describe_task_definition(
    std::string task_definition) {
    json::object in;
    in["taskDefinition"] = task_definition;
    json::array include;
    include.emplace_back("TAGS");
    in["include"] = std::move(include);
    Result<json::object> out = co_await call("DescribeTaskDefinition", std::move(in));
    if (!out) co_return out.error();
    co_return parse_task_definition(*out);
}

asio::awaitable<Result<EcsTasksResult>> EcsClient::run_task(RunTaskRequest request) {
    Result<json::object> out = co_await call("RunTask", run_task_input(request));
    if (!out) co_return out.error();
    co_return parse_tasks_result(*out);
}

asio::awaitable<Result<EcsTasksResult>> EcsClient::describe_tasks(std::string cluster,
                                                                  std::vector<std::string> tasks) {
    EcsTasksResult all;
    for (json::object& in : describe_tasks_inputs(cluster, tasks)) {
        Result<json::object> out = co_await call("DescribeTasks", std::move(in));
        if (!out) co_return out.error();
        EcsTasksResult page = parse_tasks_result(*out);
        std::move(page.tasks.begin(), page.tasks.end(), std::back_inserter(all.tasks));
        std::move(page.failures.begin(), page.failures.end(), std::back_inserter(all.failures));
    }
    co_return all;
}

asio::awaitable<Result<std::vector<std::string>>> EcsClient::list_tasks(ListTasksRequest request) {
    std::vector<std::string> arns;
    std::string next_token;
    do {
        Result<json::object> out =
            co_await call("ListTasks", list_tasks_input(request, next_token));
        if (!out) co_return out.error();
        for (std::string& arn : json_fields::strings_of(*out, "taskArns"))
            arns.push_back(std::move(arn));
        next_token = string_of(*out, "nextToken");
    } while (!next_token.empty());
    co_return arns;
}

asio::awaitable<Result<EcsTask>> EcsClient::stop_task(std::string cluster, std::string task,
                                                      std::string reason) {
    json::object in;
    if (!cluster.empty()) in["cluster"] = cluster;
    in["task"] = task;
    if (!reason.empty()) in["reason"] = reason;
    Result<json::object> out = co_await call("StopTask", std::move(in));
    if (!out) co_return out.error();
    co_return parse_task(object_of(*out, "task"));
}

asio::awaitable<Status> EcsClient::tag_resource(std::string resource_arn,
                                                std::vector<NameValue> tags) {
    json::object in;
    in["resourceArn"] = resource_arn;
    in["tags"] = json_fields::to_pairs(tags, "key", "value");
    Result<json::object> out = co_await call("TagResource", std::move(in));
    if (!out) co_return out.error();
    co_return ok();
}

asio::awaitable<Result<EcsCluster>> EcsClient::create_cluster(std::string cluster_name,
                                                              std::vector<NameValue> tags) {
    json::object in;
    in["clusterName"] = cluster_name;
    if (!tags.empty()) in["tags"] = json_fields::to_pairs(tags, "key", "value");
    Result<json::object> out = co_await call("CreateCluster", std::move(in));
    if (!out) co_return out.error();
    co_return parse_cluster(object_of(*out, "cluster"));
}

asio::awaitable<Result<EcsClustersResult>> EcsClient::describe_clusters(
    std::vector<std::string> clusters) {
    json::object in;
    in["clusters"] = string_array(clusters);
    Result<json::object> out = co_await call("DescribeClusters", std::move(in));
    if (!out) co_return out.error();
    EcsClustersResult result;
    for (const json::value& c : array_of(*out, "clusters")) {
        if (c.is_object()) result.clusters.push_back(parse_cluster(c.get_object()));
    }
    result.failures = parse_failures(*out);
    co_return result;
}

}  // namespace sockerless::aws
