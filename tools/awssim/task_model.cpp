#include "task_model.h"

#include <algorithm>

#include <boost/json.hpp>

namespace sockerless::awssim {
namespace json = boost::json;
namespace {

std::string dependency_error(const ContainerDependency& dep, const TaskContainer& target,
                             std::string_view why) {
    return "CannotStartContainerError: dependency graph: failed to resolve container ordering "
           "dependency [" +
           dep.container + "] for target [" + target.name + "] " + std::string(why);
}

bool has_started(const TaskContainer& c) {
    return c.started_at.has_value();
}

// Stopped without ever running (failed to start, or stopped while still pending).
bool will_never_start(const TaskContainer& c) {
    return c.status == ContainerStatus::stopped && !has_started(c);
}

enum class Condition { met, unmet, impossible };

std::pair<Condition, std::string_view> check(const ContainerDependency& dep,
                                             const TaskContainer& d) {
    if (will_never_start(d)) return {Condition::impossible, "because dependency will never start"};
    bool stopped = d.status == ContainerStatus::stopped;
    if (dep.condition == "START") return {has_started(d) ? Condition::met : Condition::unmet, ""};
    if (dep.condition == "COMPLETE") return {stopped ? Condition::met : Condition::unmet, ""};
    if (dep.condition == "SUCCESS") {
        if (!stopped) return {Condition::unmet, ""};
        if (d.exit_code == 0) return {Condition::met, ""};
        return {Condition::impossible, "as dependency did not exit successfully."};
    }
    if (dep.condition == "HEALTHY") {
        if (!d.health_check)
            return {Condition::impossible, "as dependency has no health check to become healthy."};
        if (d.health == Health::healthy && !stopped) return {Condition::met, ""};
        if (stopped)
            return {Condition::impossible, "as dependency stopped before becoming healthy."};
        return {Condition::unmet, ""};
    }
    return {Condition::impossible, "as the dependency condition is not valid."};
}

json::object container_json(const Task& task, const TaskContainer& c) {
    json::object out{
        {"containerArn", c.arn},
        {"taskArn", task.arn},
        {"name", c.name},
        {"image", c.image},
        {"lastStatus", container_status_name(c.status)},
        {"networkBindings", json::array{}},
        {"healthStatus", health_name(c.health)},
        {"cpu", std::to_string(c.cpu)},
    };
    if (!c.image_digest.empty()) out["imageDigest"] = c.image_digest;
    if (c.started_at) out["runtimeId"] = c.runtime_id;
    if (c.exit_code) out["exitCode"] = *c.exit_code;
    if (!c.reason.empty()) out["reason"] = c.reason;
    json::array interfaces;
    if (!task.eni.private_ip.empty()) {
        interfaces.push_back(json::object{{"attachmentId", task.eni.attachment_id},
                                          {"privateIpv4Address", task.eni.private_ip}});
    }
    out["networkInterfaces"] = std::move(interfaces);
    if (c.memory) out["memory"] = std::to_string(*c.memory);
    if (c.memory_reservation) out["memoryReservation"] = std::to_string(*c.memory_reservation);
    return out;
}

json::object attachment_json(const TaskEni& eni) {
    json::array details{json::object{{"name", "subnetId"}, {"value", eni.subnet_id}}};
    if (!eni.private_ip.empty()) {
        details.push_back(json::object{{"name", "networkInterfaceId"}, {"value", eni.eni_id}});
        details.push_back(json::object{{"name", "macAddress"}, {"value", eni.mac_address}});
        details.push_back(
            json::object{{"name", "privateDnsName"}, {"value", eni.private_dns_name}});
        details.push_back(json::object{{"name", "privateIPv4Address"}, {"value", eni.private_ip}});
    }
    return json::object{{"id", eni.attachment_id},
                        {"type", "ElasticNetworkInterface"},
                        {"status", eni.status},
                        {"details", std::move(details)}};
}

void put_time(json::object& out, std::string_view key, const std::optional<TimePoint>& t) {
    if (t) out[key] = epoch_seconds(*t);
}

}  // namespace

std::string_view task_status_name(TaskStatus status) {
    switch (status) {
        case TaskStatus::provisioning:
            return "PROVISIONING";
        case TaskStatus::pending:
            return "PENDING";
        case TaskStatus::activating:
            return "ACTIVATING";
        case TaskStatus::running:
            return "RUNNING";
        case TaskStatus::deactivating:
            return "DEACTIVATING";
        case TaskStatus::stopping:
            return "STOPPING";
        case TaskStatus::deprovisioning:
            return "DEPROVISIONING";
        case TaskStatus::stopped:
            return "STOPPED";
    }
    return "UNKNOWN";
}

bool can_advance(TaskStatus from, TaskStatus to) {
    return static_cast<int>(to) > static_cast<int>(from);
}

std::string_view container_status_name(ContainerStatus status) {
    switch (status) {
        case ContainerStatus::pending:
            return "PENDING";
        case ContainerStatus::running:
            return "RUNNING";
        case ContainerStatus::stopped:
            return "STOPPED";
    }
    return "UNKNOWN";
}

std::string_view health_name(Health health) {
    switch (health) {
        case Health::unknown:
            return "UNKNOWN";
        case Health::healthy:
            return "HEALTHY";
        case Health::unhealthy:
            return "UNHEALTHY";
    }
    return "UNKNOWN";
}

TaskContainer* Task::container(std::string_view name) {
    auto it = std::ranges::find_if(containers, [&](const auto& c) { return c.name == name; });
    return it == containers.end() ? nullptr : &*it;
}

const TaskContainer* Task::container(std::string_view name) const {
    auto it = std::ranges::find_if(containers, [&](const auto& c) { return c.name == name; });
    return it == containers.end() ? nullptr : &*it;
}

bool advance(Task& task, TaskStatus to) {
    if (!can_advance(task.status, to)) return false;
    task.status = to;
    ++task.version;
    return true;
}

void request_stop(Task& task, std::string stop_code, std::string reason, TimePoint now) {
    if (task.desired_stopped) return;
    task.desired_stopped = true;
    task.stop_code = std::move(stop_code);
    task.stopped_reason = std::move(reason);
    task.stopping_at = now;
    ++task.version;
}

void finish_stop(Task& task, TimePoint now) {
    for (auto& c : task.containers) {
        if (c.status == ContainerStatus::pending) c.status = ContainerStatus::stopped;
    }
    if (!task.execution_stopped_at) task.execution_stopped_at = now;
    task.stopped_at = now;
    task.eni.status = "DELETED";
    advance(task, TaskStatus::stopped);
}

Health task_health(const Task& task) {
    bool any = false;
    bool all_healthy = true;
    for (const auto& c : task.containers) {
        if (!c.essential || !c.health_check) continue;
        any = true;
        if (c.health == Health::unhealthy) return Health::unhealthy;
        if (c.health != Health::healthy) all_healthy = false;
    }
    return any && all_healthy ? Health::healthy : Health::unknown;
}

StartDecision start_decision(const Task& task, const TaskContainer& target, TimePoint now) {
    bool waiting = false;
    for (const auto& dep : target.depends_on) {
        const TaskContainer* d = task.container(dep.container);
        if (!d) {
            return {StartDecision::Verdict::never,
                    dependency_error(dep, target, "as the dependency does not exist.")};
        }
        auto [condition, why] = check(dep, *d);
        if (condition == Condition::impossible)
            return {StartDecision::Verdict::never, dependency_error(dep, target, why)};
        if (condition == Condition::unmet && d->started_at && d->start_timeout &&
            now >= *d->started_at + *d->start_timeout) {
            return {StartDecision::Verdict::never,
                    "CannotStartContainerError: dependency graph: container ordering dependency "
                    "[" +
                        dep.container + "] for target [" + target.name + "] has timed out."};
        }
        if (condition == Condition::unmet) waiting = true;
    }
    return {waiting ? StartDecision::Verdict::wait : StartDecision::Verdict::ready, ""};
}

std::size_t container_overrides_length(const json::value& container_overrides) {
    std::string text = json::serialize(container_overrides);
    std::size_t units = 0;
    for (unsigned char c : text) {
        if ((c & 0xC0) == 0x80) continue;  // a continuation byte adds nothing
        units += c >= 0xF0 ? 2 : 1;        // outside the BMP: a surrogate pair
    }
    return units;
}

double epoch_seconds(TimePoint t) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
    return static_cast<double>(ms.count()) / 1000.0;
}

json::object task_json(const Task& task, const Tags* tags) {
    json::array containers;
    for (const auto& c : task.containers)
        containers.push_back(container_json(task, c));
    json::object out{
        {"attachments", json::array{attachment_json(task.eni)}},
        {"attributes",
         json::array{json::object{{"name", "ecs.cpu-architecture"}, {"value", "x86_64"}}}},
        {"availabilityZone", task.availability_zone},
        {"clusterArn", task.cluster_arn},
        {"containers", std::move(containers)},
        {"cpu", task.cpu},
        {"createdAt", epoch_seconds(task.created_at)},
        {"desiredStatus", task.desired_stopped ? "STOPPED" : "RUNNING"},
        {"enableExecuteCommand", task.enable_execute_command},
        {"group", task.group},
        {"healthStatus", health_name(task_health(task))},
        {"lastStatus", task_status_name(task.status)},
        {"launchType", task.launch_type},
        {"memory", task.memory},
        {"overrides", task.overrides},
        {"platformVersion", task.platform_version},
        {"platformFamily", "Linux"},
        {"taskArn", task.arn},
        {"taskDefinitionArn", task.task_definition_arn},
        {"version", task.version},
        {"ephemeralStorage", json::object{{"sizeInGiB", 20}}},
        {"fargateEphemeralStorage", json::object{{"sizeInGiB", 20}}},
    };
    if (task.connectivity_at) {
        out["connectivity"] = "CONNECTED";
        put_time(out, "connectivityAt", task.connectivity_at);
    }
    put_time(out, "pullStartedAt", task.pull_started_at);
    put_time(out, "pullStoppedAt", task.pull_stopped_at);
    put_time(out, "startedAt", task.started_at);
    put_time(out, "stoppingAt", task.stopping_at);
    put_time(out, "executionStoppedAt", task.execution_stopped_at);
    put_time(out, "stoppedAt", task.stopped_at);
    if (!task.started_by.empty()) out["startedBy"] = task.started_by;
    if (!task.stop_code.empty()) out["stopCode"] = task.stop_code;
    if (!task.stopped_reason.empty()) out["stoppedReason"] = task.stopped_reason;
    if (tags) {
        json::array list;
        for (const auto& [k, v] : *tags)
            list.push_back(json::object{{"key", k}, {"value", v}});
        out["tags"] = std::move(list);
    }
    return out;
}

}  // namespace sockerless::awssim
