// ECS task definitions: RegisterTaskDefinition, DescribeTaskDefinition,
// DeregisterTaskDefinition and ListTaskDefinitions.

#include <algorithm>
#include <set>

#include <boost/json.hpp>

#include "base/hex.h"
#include "ecs_service.h"
#include "fargate.h"
#include "json_protocol.h"

namespace sockerless::awssim {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxTaskDefinitionBytes = 65536;

bool valid_family(std::string_view family) {
    return !family.empty() && family.size() <= 255 &&
           std::ranges::all_of(
               family, [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

bool has(const std::vector<std::string>& list, std::string_view item) {
    return std::ranges::find(list, item) != list.end();
}

// Fills the members AWS always returns for a container definition.
json::object normalise_container(json::object c) {
    auto fill = [&](std::string_view key, json::value v) {
        if (!c.contains(key) || c.at(key).is_null()) c[key] = std::move(v);
    };
    fill("cpu", 0);
    fill("portMappings", json::array{});
    fill("essential", true);
    fill("environment", json::array{});
    fill("mountPoints", json::array{});
    fill("volumesFrom", json::array{});
    return c;
}

struct TaskSize {
    std::optional<long> cpu, memory;
};

ApiResult<TaskSize> parse_task_size(const json::object& in) {
    TaskSize size;
    auto cpu = opt_string(in, "cpu");
    if (!cpu) return cpu.error();
    auto memory = opt_string(in, "memory");
    if (!memory) return memory.error();
    if (*cpu) {
        size.cpu = parse_cpu_units(**cpu);
        if (!size.cpu) return invalid_parameter("Invalid 'cpu' setting for task.");
    }
    if (*memory) {
        size.memory = parse_memory_mib(**memory);
        if (!size.memory) return invalid_parameter("Invalid 'memory' setting for task.");
    }
    return size;
}

ApiResult<void> check_fargate(const json::object& in, const TaskSize& size) {
    auto mode = opt_string(in, "networkMode");
    if (!mode) return mode.error();
    if (mode->value_or("") != "awsvpc")
        return client_exception("Fargate only supports network mode 'awsvpc'.");
    if (!size.cpu)
        return client_exception("Fargate requires that 'cpu' be defined at the task level.");
    if (!size.memory)
        return client_exception("Fargate requires that 'memory' be defined at the task level.");
    if (!fargate_size_supported(*size.cpu, *size.memory)) {
        return client_exception(
            "No Fargate configuration exists for given values: " + std::to_string(*size.cpu) +
            " CPU, " + std::to_string(*size.memory) +
            " memory. See the Amazon ECS documentation for the valid values.");
    }
    return {};
}

ApiResult<json::array> parse_containers(const json::object& in, const TaskSize& size) {
    auto list = opt_objects(in, "containerDefinitions");
    if (!list) return list.error();
    if (!*list || (*list)->empty()) return client_exception("Container list cannot be empty.");
    json::array out;
    std::set<std::string> names;
    for (const auto& item : **list) {
        const auto& c = item.as_object();
        auto name = opt_string(c, "name");
        if (!name) return name.error();
        auto image = opt_string(c, "image");
        if (!image) return image.error();
        if (!*name || (*name)->empty())
            return client_exception("Container.name should not be null or empty.");
        if (!*image || (*image)->empty())
            return client_exception("Container.image should not be null or empty.");
        if (!names.insert(**name).second)
            return client_exception("Duplicate container name: '" + **name + "'.");
        bool container_memory =
            (c.contains("memory") && !c.at("memory").is_null()) ||
            (c.contains("memoryReservation") && !c.at("memoryReservation").is_null());
        if (!size.memory && !container_memory) {
            return client_exception("Invalid setting for container '" + **name +
                                    "'. At least one of 'memory' or 'memoryReservation' must be "
                                    "specified.");
        }
        out.push_back(normalise_container(c));
    }
    return out;
}

json::object describe_output(const TaskDefinition& td) {
    return td.body;
}

}  // namespace

ApiResult<json::object> EcsService::register_task_definition(const Json& in,
                                                             std::size_t request_bytes) {
    if (request_bytes > kMaxTaskDefinitionBytes) {
        return client_exception("Actual length: '" + std::to_string(request_bytes) +
                                "'. Max allowed length is '65536' bytes.");
    }
    auto family = opt_string(in, "family");
    if (!family) return family.error();
    if (!*family || !valid_family(**family)) {
        return client_exception(
            "Family contains invalid characters or is too long: up to 255 letters (uppercase and "
            "lowercase), numbers, underscores and hyphens are allowed.");
    }
    auto compat = opt_strings(in, "requiresCompatibilities");
    if (!compat) return compat.error();
    std::vector<std::string> requires_compat = compat->value_or(std::vector<std::string>{});
    for (const auto& c : requires_compat) {
        if (c != "EC2" && c != "FARGATE" && c != "EXTERNAL" && c != "MANAGED_INSTANCES")
            return invalid_parameter("Invalid compatibility: '" + c + "'.");
    }
    auto mode = opt_string(in, "networkMode");
    if (!mode) return mode.error();
    if (*mode && **mode != "bridge" && **mode != "host" && **mode != "awsvpc" && **mode != "none")
        return invalid_parameter("Invalid networkMode: '" + **mode + "'.");
    auto size = parse_task_size(in);
    if (!size) return size.error();
    if (has(requires_compat, "FARGATE")) {
        if (auto st = check_fargate(in, *size); !st) return st.error();
    }
    auto containers = parse_containers(in, *size);
    if (!containers) return containers.error();
    auto tags = parse_tags(in, "tags");
    if (!tags) return tags.error();

    json::object body = in;
    body.erase("tags");
    body["containerDefinitions"] = std::move(*containers);
    if (size->cpu) body["cpu"] = std::to_string(*size->cpu);
    if (size->memory) body["memory"] = std::to_string(*size->memory);
    for (auto key : {"volumes", "placementConstraints"}) {
        if (!body.contains(key) || body.at(key).is_null()) body[key] = json::array{};
    }
    body["requiresAttributes"] = json::array{};
    json::array compatibilities{"EC2"};
    if (has(requires_compat, "FARGATE")) compatibilities.push_back("FARGATE");
    body["compatibilities"] = std::move(compatibilities);
    body["requiresCompatibilities"] = json::value_from(requires_compat);
    body["registeredAt"] = now_seconds();
    body["registeredBy"] = "arn:aws:iam::" + std::string(kAccountId) + ":root";

    TaskDefinition& td = state_.add_task_definition(**family, std::move(body));
    state_.set_tags(td.arn, {});
    if (auto st = apply_tags(td.arn, *tags); !st) return st.error();
    return json::object{{"taskDefinition", describe_output(td)}, {"tags", tags_json(td.arn)}};
}

ApiResult<json::object> EcsService::describe_task_definition(const Json& in) {
    auto id = opt_string(in, "taskDefinition");
    if (!id) return id.error();
    auto include = opt_strings(in, "include");
    if (!include) return include.error();
    auto ref = *id ? parse_task_definition_ref(**id) : std::nullopt;
    TaskDefinition* td = nullptr;
    if (ref) {
        td = ref->revision ? state_.find_task_definition(ref->family, *ref->revision)
                           : state_.latest_active(ref->family);
    }
    if (!td) return client_exception("Unable to describe task definition.");
    json::object out{{"taskDefinition", describe_output(*td)}};
    if (include->has_value() && has(**include, "TAGS")) out["tags"] = tags_json(td->arn);
    return out;
}

ApiResult<json::object> EcsService::deregister_task_definition(const Json& in) {
    auto id = opt_string(in, "taskDefinition");
    if (!id) return id.error();
    auto ref = *id ? parse_task_definition_ref(**id) : std::nullopt;
    if (ref && !ref->revision)
        return client_exception("The specified task definition does not exist.");
    TaskDefinition* td = ref ? state_.find_task_definition(ref->family, *ref->revision) : nullptr;
    if (!td) return client_exception("The specified task definition does not exist.");
    if (td->active) {
        td->active = false;
        td->body["status"] = "INACTIVE";
        td->body["deregisteredAt"] = now_seconds();
    }
    return json::object{{"taskDefinition", describe_output(*td)}};
}

ApiResult<json::object> EcsService::list_task_definitions(const Json& in) {
    auto family = opt_string(in, "familyPrefix");
    if (!family) return family.error();
    auto status = opt_string(in, "status");
    if (!status) return status.error();
    auto sort = opt_string(in, "sort");
    if (!sort) return sort.error();
    auto token = opt_string(in, "nextToken");
    if (!token) return token.error();
    auto max = opt_int(in, "maxResults");
    if (!max) return max.error();

    std::string want_status = status->value_or("ACTIVE");
    if (want_status != "ACTIVE" && want_status != "INACTIVE" && want_status != "DELETE_IN_PROGRESS")
        return invalid_parameter("Invalid status: '" + want_status + "'.");
    std::string order = sort->value_or("ASC");
    if (order != "ASC" && order != "DESC")
        return invalid_parameter("Invalid sort: '" + order + "'.");
    long limit = max->value_or(100);
    if (limit < 1 || limit > 100) return invalid_parameter("maxResults must be between 1 and 100.");

    std::vector<std::string> arns;
    for (const TaskDefinition* td : state_.task_definitions()) {
        if (*family && td->family != **family) continue;
        if ((want_status == "ACTIVE") != td->active || want_status == "DELETE_IN_PROGRESS")
            continue;
        arns.push_back(td->arn);
    }
    if (order == "DESC") std::ranges::reverse(arns);

    // The token is the (hex-encoded) last ARN already returned, so pages stay stable while
    // revisions are registered between calls.
    auto begin = arns.begin();
    if (*token) {
        auto last = hex_decode(**token);
        auto at = last ? std::ranges::find(arns, *last) : arns.end();
        if (at == arns.end()) return invalid_parameter("Invalid nextToken.");
        begin = at + 1;
    }
    json::array page;
    auto end = begin + std::min<long>(limit, arns.end() - begin);
    for (auto it = begin; it != end; ++it)
        page.push_back(json::string(*it));
    json::object out{{"taskDefinitionArns", std::move(page)}};
    if (end != arns.end()) {
        const std::string& last = *(end - 1);
        out["nextToken"] =
            hex_encode(std::span(reinterpret_cast<const unsigned char*>(last.data()), last.size()));
    }
    return out;
}

}  // namespace sockerless::awssim
