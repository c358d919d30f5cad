// ECS tasks: RunTask, DescribeTasks, ListTasks and StopTask. Tasks are created here from the
// task definition and the request's overrides; what happens to them afterwards is the
// TaskLauncher's business (see task_runner.h).

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include <boost/json.hpp>

#include "base/hex.h"
#include "ecs_service.h"
#include "fargate.h"
#include "json_protocol.h"
#include "service.h"

namespace sockerless::awssim {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxDescribedTasks = 100;
constexpr long kMaxRunTaskCount = 10;
constexpr std::size_t kMaxClientToken = 64;
constexpr std::size_t kMaxStartedBy = 128;
constexpr std::size_t kMaxGroup = 255;
constexpr std::size_t kMaxSubnets = 16;
constexpr std::size_t kMaxSecurityGroups = 5;
constexpr auto kMaxStopTimeout = std::chrono::seconds(120);

std::string random_hex(std::size_t bytes) {
    auto hex = random_hex_token(bytes);
    return hex ? *hex : std::string(bytes * 2, '0');
}

std::string random_digits(std::size_t n) {
    std::string hex = random_hex(n);
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(static_cast<char>('0' + std::stoul(hex.substr(i * 2, 2), nullptr, 16) % 10));
    return out;
}

// A task id from an id or a task ARN ("arn:...:task/cluster/id", or the old "arn:...:task/id").
std::string task_id_from(std::string_view identifier) {
    if (identifier.starts_with("arn:")) {
        std::size_t slash = identifier.rfind('/');
        return slash == std::string_view::npos ? "" : std::string(identifier.substr(slash + 1));
    }
    return std::string(identifier);
}

// Lenient readers for task definition members: registration stored what the caller sent.
std::vector<std::string> strings_of(const json::object& o, std::string_view key) {
    std::vector<std::string> out;
    const auto* v = o.if_contains(key);
    if (!v || !v->is_array()) return out;
    for (const auto& item : v->as_array()) {
        if (item.is_string()) out.emplace_back(item.as_string());
    }
    return out;
}

std::string string_of(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<long> int_of(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v && v->is_int64()) return static_cast<long>(v->as_int64());
    if (v && v->is_uint64()) return static_cast<long>(v->as_uint64());
    return std::nullopt;
}

bool bool_of(const json::object& o, std::string_view key, bool fallback) {
    const auto* v = o.if_contains(key);
    return v && v->is_bool() ? v->as_bool() : fallback;
}

using Environment = std::vector<std::pair<std::string, std::string>>;

// Later entries replace earlier ones of the same name, keeping the first position.
void merge_environment(Environment& env, const json::object& o) {
    const auto* list = o.if_contains("environment");
    if (!list || !list->is_array()) return;
    for (const auto& item : list->as_array()) {
        if (!item.is_object()) continue;
        std::string name = string_of(item.as_object(), "name");
        std::string value = string_of(item.as_object(), "value");
        if (name.empty()) continue;
        auto same = std::ranges::find_if(env, [&](const auto& e) { return e.first == name; });
        if (same != env.end())
            same->second = value;
        else
            env.emplace_back(name, value);
    }
}

std::optional<HealthCheckSpec> health_check_of(const json::object& def) {
    const auto* v = def.if_contains("healthCheck");
    if (!v || !v->is_object()) return std::nullopt;
    const auto& hc = v->as_object();
    HealthCheckSpec spec;
    spec.command = strings_of(hc, "command");
    if (spec.command.empty()) return std::nullopt;
    if (auto i = int_of(hc, "interval")) spec.interval = std::chrono::seconds(*i);
    if (auto t = int_of(hc, "timeout")) spec.timeout = std::chrono::seconds(*t);
    if (auto r = int_of(hc, "retries")) spec.retries = static_cast<int>(*r);
    if (auto s = int_of(hc, "startPeriod")) spec.start_period = std::chrono::seconds(*s);
    return spec;
}

std::optional<AwsLogsConfig> awslogs_of(const json::object& def) {
    const auto* v = def.if_contains("logConfiguration");
    if (!v || !v->is_object() || string_of(v->as_object(), "logDriver") != "awslogs")
        return std::nullopt;
    AwsLogsConfig config;
    const auto* options = v->as_object().if_contains("options");
    if (options && options->is_object()) {
        const auto& o = options->as_object();
        config.group = string_of(o, "awslogs-group");
        config.stream_prefix = string_of(o, "awslogs-stream-prefix");
        config.create_group = string_of(o, "awslogs-create-group") == "true";
    }
    return config;
}

std::vector<ContainerDependency> depends_on_of(const json::object& def) {
    std::vector<ContainerDependency> out;
    const auto* v = def.if_contains("dependsOn");
    if (!v || !v->is_array()) return out;
    for (const auto& item : v->as_array()) {
        if (!item.is_object()) continue;
        out.push_back(ContainerDependency{string_of(item.as_object(), "containerName"),
                                          string_of(item.as_object(), "condition")});
    }
    return out;
}

// The request's overrides, checked against the task definition.
struct Overrides {
    json::object rendered;  // as DescribeTasks reports them
    std::map<std::string, json::object> containers;
    std::string cpu, memory, task_role_arn, execution_role_arn;
};

ApiResult<Overrides> parse_overrides(const json::object& in, const json::object& td) {
    Overrides out;
    const auto* v = in.if_contains("overrides");
    if (v && !v->is_null() && !v->is_object())
        return ApiError{400, "SerializationException", "Unexpected value for field 'overrides'"};
    json::object given = v && v->is_object() ? v->as_object() : json::object{};
    auto list = opt_objects(given, "containerOverrides");
    if (!list) return list.error();
    std::set<std::string> names;
    if (const auto* defs = td.if_contains("containerDefinitions"); defs && defs->is_array()) {
        for (const auto& d : defs->as_array()) {
            if (d.is_object()) names.insert(string_of(d.as_object(), "name"));
        }
    }
    if (*list) {
        if (container_overrides_length(**list) > kMaxContainerOverridesLength)
            return invalid_parameter("Container Overrides length must be at most 8192");
        for (const auto& item : **list) {
            const auto& o = item.as_object();
            auto name = opt_string(o, "name");
            if (!name) return name.error();
            if (!*name || !names.contains(**name)) {
                return invalid_parameter("Override for container named " + name->value_or("") +
                                         " is not a container in the TaskDefinition.");
            }
            auto command = opt_strings(o, "command");
            if (!command) return command.error();
            if (auto env = opt_objects(o, "environment"); !env) return env.error();
            for (auto key : {"cpu", "memory", "memoryReservation"}) {
                if (auto n = opt_int(o, key); !n) return n.error();
            }
            out.containers[**name] = o;
        }
    }
    for (auto [key, field] : {std::pair{"cpu", &out.cpu}, std::pair{"memory", &out.memory},
                              std::pair{"taskRoleArn", &out.task_role_arn},
                              std::pair{"executionRoleArn", &out.execution_role_arn}}) {
        auto s = opt_string(given, key);
        if (!s) return s.error();
        *field = s->value_or("");
    }
    json::array rendered;
    for (const auto& d : td.at("containerDefinitions").as_array()) {
        std::string name = string_of(d.as_object(), "name");
        auto it = out.containers.find(name);
        rendered.push_back(it != out.containers.end() ? json::value(it->second)
                                                      : json::value(json::object{{"name", name}}));
    }
    out.rendered = given;
    out.rendered["containerOverrides"] = std::move(rendered);
    out.rendered["inferenceAcceleratorOverrides"] = json::array{};
    return out;
}

// The task size after overrides: AWS's Fargate table must offer it.
ApiResult<std::pair<std::string, std::string>> task_size(const json::object& td,
                                                         const Overrides& overrides) {
    std::string cpu = overrides.cpu.empty() ? string_of(td, "cpu") : overrides.cpu;
    std::string memory = overrides.memory.empty() ? string_of(td, "memory") : overrides.memory;
    auto cpu_units = parse_cpu_units(cpu);
    auto memory_mib = parse_memory_mib(memory);
    if (!cpu_units || !memory_mib)
        return invalid_parameter("Task definition does not support launch_type FARGATE.");
    if (!fargate_size_supported(*cpu_units, *memory_mib)) {
        return client_exception(
            "No Fargate configuration exists for given values: " + std::to_string(*cpu_units) +
            " CPU, " + std::to_string(*memory_mib) +
            " memory. See the Amazon ECS documentation for the valid values.");
    }
    return std::pair{std::to_string(*cpu_units), std::to_string(*memory_mib)};
}

struct Network {
    std::vector<std::string> subnets;
};

ApiResult<Network> parse_network(const json::object& in) {
    const auto* nc = in.if_contains("networkConfiguration");
    const json::value* vpc = nullptr;
    if (nc && nc->is_object()) vpc = nc->as_object().if_contains("awsvpcConfiguration");
    if (!vpc || !vpc->is_object()) {
        return invalid_parameter(
            "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    }
    const auto& o = vpc->as_object();
    auto subnets = opt_strings(o, "subnets");
    if (!subnets) return subnets.error();
    auto groups = opt_strings(o, "securityGroups");
    if (!groups) return groups.error();
    auto public_ip = opt_string(o, "assignPublicIp");
    if (!public_ip) return public_ip.error();
    if (!*subnets || (*subnets)->empty()) return invalid_parameter("subnets can not be empty.");
    if ((*subnets)->size() > kMaxSubnets)
        return invalid_parameter("subnets can have at most 16 items.");
    if (*groups && (*groups)->size() > kMaxSecurityGroups)
        return invalid_parameter("securityGroups can have at most 5 items.");
    if (*public_ip && **public_ip != "ENABLED" && **public_ip != "DISABLED")
        return invalid_parameter("assignPublicIp must be ENABLED or DISABLED.");
    return Network{**subnets};
}

std::string random_mac() {
    std::string hex = random_hex(6);
    hex[1] = '2';  // locally administered, unicast, like the MACs of ENIs
    std::string mac;
    for (std::size_t i = 0; i < 12; i += 2) {
        if (!mac.empty()) mac.push_back(':');
        mac += hex.substr(i, 2);
    }
    return mac;
}

TaskContainer container_from(const json::object& def, const Overrides& overrides,
                             const std::string& container_arn_prefix, const std::string& task_id) {
    TaskContainer c;
    c.definition = def;
    c.name = string_of(def, "name");
    c.arn = container_arn_prefix + new_request_id();
    c.image = string_of(def, "image");
    c.runtime_id = task_id + "-" + random_digits(10);
    c.metadata_id = task_id + "-" + random_hex(8);
    c.essential = bool_of(def, "essential", true);
    c.entry_point = strings_of(def, "entryPoint");
    c.command = strings_of(def, "command");
    merge_environment(c.environment, def);
    c.working_directory = string_of(def, "workingDirectory");
    c.user = string_of(def, "user");
    c.cpu = int_of(def, "cpu").value_or(0);
    c.memory = int_of(def, "memory");
    c.memory_reservation = int_of(def, "memoryReservation");
    if (auto t = int_of(def, "stopTimeout"))
        c.stop_timeout = std::min<std::chrono::seconds>(std::chrono::seconds(*t), kMaxStopTimeout);
    if (auto t = int_of(def, "startTimeout")) c.start_timeout = std::chrono::seconds(*t);
    c.depends_on = depends_on_of(def);
    c.health_check = health_check_of(def);
    c.awslogs = awslogs_of(def);
    if (c.health_check) c.health = Health::unknown;
    auto it = overrides.containers.find(c.name);
    if (it != overrides.containers.end()) {
        const auto& o = it->second;
        if (o.contains("command") && o.at("command").is_array())
            c.command = strings_of(o, "command");
        merge_environment(c.environment, o);
        if (auto cpu = int_of(o, "cpu")) c.cpu = *cpu;
        if (auto memory = int_of(o, "memory")) c.memory = *memory;
        if (auto reservation = int_of(o, "memoryReservation")) c.memory_reservation = *reservation;
    }
    return c;
}

ApiResult<void> check_client_token(const std::optional<std::string>& token) {
    if (!token) return {};
    bool printable =
        std::ranges::all_of(*token, [](unsigned char c) { return c >= 33 && c <= 126; });
    if (token->empty() || token->size() > kMaxClientToken || !printable) {
        return invalid_parameter(
            "clientToken can have at most 64 characters in the range 33-126 (inclusive).");
    }
    return {};
}

// True when the definition can run on Fargate: awsvpc with a task-level size.
bool fargate_compatible(const json::object& td) {
    return string_of(td, "networkMode") == "awsvpc" && !string_of(td, "cpu").empty() &&
           !string_of(td, "memory").empty();
}

}  // namespace

ApiResult<Cluster*> EcsService::request_cluster(const Json& in) {
    auto id = opt_string(in, "cluster");
    if (!id) return id.error();
    std::string identifier = id->value_or("default");
    Cluster* cluster = state_.find_cluster(cluster_name_from(identifier));
    if (!cluster || !cluster->active ||
        (identifier.starts_with("arn:") && identifier != cluster->arn))
        return ApiError{400, "ClusterNotFoundException", "Cluster not found."};
    return cluster;
}

ApiResult<json::object> EcsService::run_task(const Json& in) {
    auto now = clock_();
    state_.expire(now);
    auto td_id = opt_string(in, "taskDefinition");
    if (!td_id) return td_id.error();
    auto cluster = request_cluster(in);
    if (!cluster) return cluster.error();
    auto ref = *td_id ? parse_task_definition_ref(**td_id) : std::nullopt;
    TaskDefinition* td = nullptr;
    if (ref) {
        td = ref->revision ? state_.find_task_definition(ref->family, *ref->revision)
                           : state_.latest_active(ref->family);
    }
    if (!td) return client_exception("TaskDefinition not found.");
    if (!td->active) return client_exception("TaskDefinition is inactive");

    auto count = opt_int(in, "count");
    if (!count) return count.error();
    long n = count->value_or(1);
    if (n < 1 || n > kMaxRunTaskCount)
        return invalid_parameter("Count must be between 1 and 10, inclusive.");
    auto launch_type = opt_string(in, "launchType");
    if (!launch_type) return launch_type.error();
    if (*launch_type && **launch_type != "FARGATE")
        return invalid_parameter("No Container Instances were found in your cluster.");
    if (!fargate_compatible(td->body))
        return invalid_parameter("Task definition does not support launch_type FARGATE.");
    auto network = parse_network(in);
    if (!network) return network.error();
    auto overrides = parse_overrides(in, td->body);
    if (!overrides) return overrides.error();
    auto size = task_size(td->body, *overrides);
    if (!size) return size.error();

    auto started_by = opt_string(in, "startedBy");
    if (!started_by) return started_by.error();
    if (started_by->value_or("").size() > kMaxStartedBy)
        return invalid_parameter("startedBy can have at most 128 characters.");
    auto group = opt_string(in, "group");
    if (!group) return group.error();
    if (group->value_or("").size() > kMaxGroup)
        return invalid_parameter("group can have at most 255 characters.");
    auto platform = opt_string(in, "platformVersion");
    if (!platform) return platform.error();
    if (*platform && **platform != "LATEST" && **platform != "1.4.0")
        return invalid_parameter("The specified platform version does not exist.");
    auto tags = parse_tags(in, "tags");
    if (!tags) return tags.error();
    auto propagate = opt_string(in, "propagateTags");
    if (!propagate) return propagate.error();
    if (*propagate && **propagate != "TASK_DEFINITION" && **propagate != "SERVICE" &&
        **propagate != "NONE")
        return invalid_parameter("Invalid propagateTags value: '" + **propagate + "'.");
    auto token = opt_string(in, "clientToken");
    if (!token) return token.error();
    if (auto st = check_client_token(*token); !st) return st.error();

    json::object fingerprint_source = in;
    fingerprint_source.erase("clientToken");
    std::string fingerprint = json::serialize(fingerprint_source);
    if (*token) {
        if (const auto* used = state_.client_token((*cluster)->arn, **token)) {
            if (used->fingerprint != fingerprint) {
                return ApiError{400, "ConflictException",
                                "The specified client token has already been used in a RunTask "
                                "request with different parameters."};
            }
            json::array tasks;
            for (const auto& id : used->task_ids) {
                if (Task* t = state_.find_task(id)) tasks.push_back(task_json(*t, nullptr));
            }
            return json::object{{"tasks", std::move(tasks)}, {"failures", json::array{}}};
        }
    }

    Tags task_tags;
    if (propagate->value_or("NONE") == "TASK_DEFINITION") task_tags = state_.tags(td->arn);
    for (const auto& tag : *tags) {
        auto same =
            std::ranges::find_if(task_tags, [&tag](const auto& t) { return t.first == tag.first; });
        if (same != task_tags.end())
            same->second = tag.second;
        else
            task_tags.push_back(tag);
    }

    const json::object& body = td->body;
    json::array tasks;
    std::vector<std::string> ids;
    for (long i = 0; i < n; ++i) {
        Task task;
        task.id = random_hex(16);
        task.arn = state_.task_arn((*cluster)->name, task.id);
        task.cluster_arn = (*cluster)->arn;
        task.task_definition_arn = td->arn;
        task.family = td->family;
        task.revision = td->revision;
        task.cpu = size->first;
        task.memory = size->second;
        task.availability_zone = state_.region() + "a";
        task.group = group->value_or("family:" + td->family);
        task.started_by = started_by->value_or("");
        task.client_token = token->value_or("");
        task.request_fingerprint = fingerprint;
        task.task_role_arn = overrides->task_role_arn.empty() ? string_of(body, "taskRoleArn")
                                                              : overrides->task_role_arn;
        task.execution_role_arn = overrides->execution_role_arn.empty()
                                      ? string_of(body, "executionRoleArn")
                                      : overrides->execution_role_arn;
        task.enable_execute_command = bool_of(in, "enableExecuteCommand", false);
        task.overrides = overrides->rendered;
        if (const auto* volumes = body.if_contains("volumes"); volumes && volumes->is_array())
            task.volumes = volumes->as_array();
        task.created_at = now;
        const auto& subnets = network->subnets;
        task.eni.attachment_id = new_request_id();
        task.eni.subnet_id = subnets[static_cast<std::size_t>(i) % subnets.size()];
        task.eni.eni_id = "eni-" + random_hex(9).substr(0, 17);
        task.eni.mac_address = random_mac();
        std::string container_arn_prefix = "arn:aws:ecs:" + state_.region() + ":" +
                                           std::string(kAccountId) + ":container/" +
                                           (*cluster)->name + "/" + task.id + "/";
        for (const auto& def : body.at("containerDefinitions").as_array()) {
            task.containers.push_back(
                container_from(def.as_object(), *overrides, container_arn_prefix, task.id));
        }
        Task& stored = state_.add_task(std::move(task));
        state_.set_tags(stored.arn, task_tags);
        ids.push_back(stored.id);
    }
    for (const auto& id : ids) {
        if (launcher_) launcher_->launch(id);
        if (Task* t = state_.find_task(id))
            tasks.push_back(task_json(*t, task_tags.empty() ? nullptr : &task_tags));
    }
    if (*token) state_.remember_client_token((*cluster)->arn, **token, {fingerprint, ids, now});
    return json::object{{"tasks", std::move(tasks)}, {"failures", json::array{}}};
}

ApiResult<json::object> EcsService::describe_tasks(const Json& in) {
    auto cluster = request_cluster(in);
    if (!cluster) return cluster.error();
    auto ids = opt_strings(in, "tasks");
    if (!ids) return ids.error();
    auto include = opt_strings(in, "include");
    if (!include) return include.error();
    if (!*ids || (*ids)->empty()) return invalid_parameter("Tasks cannot be empty.");
    if ((*ids)->size() > kMaxDescribedTasks)
        return invalid_parameter("taskIds can have at most 100 items.");
    bool with_tags =
        include->has_value() && std::ranges::find(**include, "TAGS") != (*include)->end();

    json::array tasks, failures;
    for (const auto& id : **ids) {
        Task* task = state_.find_task(task_id_from(id));
        bool match = task && task->cluster_arn == (*cluster)->arn &&
                     (!id.starts_with("arn:") || id == task->arn);
        if (match) {
            tasks.push_back(task_json(*task, with_tags ? &state_.tags(task->arn) : nullptr));
        } else {
            std::string arn = id.starts_with("arn:") ? id : state_.task_arn((*cluster)->name, id);
            failures.push_back(json::object{{"arn", arn}, {"reason", "MISSING"}});
        }
    }
    return json::object{{"tasks", std::move(tasks)}, {"failures", std::move(failures)}};
}

ApiResult<json::object> EcsService::list_tasks(const Json& in) {
    auto cluster = request_cluster(in);
    if (!cluster) return cluster.error();
    auto family = opt_string(in, "family");
    if (!family) return family.error();
    auto started_by = opt_string(in, "startedBy");
    if (!started_by) return started_by.error();
    auto desired = opt_string(in, "desiredStatus");
    if (!desired) return desired.error();
    auto token = opt_string(in, "nextToken");
    if (!token) return token.error();
    auto service = opt_string(in, "serviceName");
    if (!service) return service.error();
    auto instance = opt_string(in, "containerInstance");
    if (!instance) return instance.error();
    auto launch_type = opt_string(in, "launchType");
    if (!launch_type) return launch_type.error();
    auto max = opt_int(in, "maxResults");
    if (!max) return max.error();
    long limit = max->value_or(100);
    if (limit < 1 || limit > 100) return invalid_parameter("maxResults must be between 1 and 100.");
    std::string want = desired->value_or("RUNNING");
    if (want != "RUNNING" && want != "PENDING" && want != "STOPPED")
        return invalid_parameter("Invalid desiredStatus: '" + want + "'.");

    // The token is the creation sequence of the last task already returned, so pages stay
    // stable while tasks start and stop between calls.
    std::uint64_t after = 0;
    if (*token) {
        auto decoded = hex_decode(**token);
        std::uint64_t value = 0;
        auto parsed =
            decoded ? std::from_chars(decoded->data(), decoded->data() + decoded->size(), value)
                    : std::from_chars_result{nullptr, std::errc::invalid_argument};
        if (!decoded || parsed.ec != std::errc() || parsed.ptr != decoded->data() + decoded->size())
            return invalid_parameter("Invalid nextToken.");
        after = value;
    }
    // There are no services or container instances, and PENDING never matches (as on ECS).
    bool none = service->has_value() || instance->has_value() || want == "PENDING" ||
                (launch_type->has_value() && **launch_type != "FARGATE");
    json::array page;
    std::optional<std::uint64_t> last;
    bool more = false;
    for (Task* task : state_.tasks()) {
        if (none || task->sequence <= after || task->cluster_arn != (*cluster)->arn) continue;
        if (*family && task->family != **family) continue;
        if (*started_by && task->started_by != **started_by) continue;
        if ((want == "STOPPED") != task->desired_stopped) continue;
        if (static_cast<long>(page.size()) == limit) {
            more = true;
            break;
        }
        page.push_back(json::string(task->arn));
        last = task->sequence;
    }
    json::object out{{"taskArns", std::move(page)}};
    if (more && last) {
        std::string text = std::to_string(*last);
        out["nextToken"] =
            hex_encode(std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
    }
    return out;
}

ApiResult<json::object> EcsService::stop_task(const Json& in) {
    auto cluster = request_cluster(in);
    if (!cluster) return cluster.error();
    auto id = opt_string(in, "task");
    if (!id) return id.error();
    auto reason = opt_string(in, "reason");
    if (!reason) return reason.error();
    Task* task = *id ? state_.find_task(task_id_from(**id)) : nullptr;
    if (!task || task->cluster_arn != (*cluster)->arn ||
        ((*id)->starts_with("arn:") && **id != task->arn))
        return invalid_parameter("The referenced task was not found.");
    if (!task->desired_stopped) {
        std::string why = reason->value_or("");
        request_stop(*task, "UserInitiated", why.empty() ? "Task stopped by user" : why, clock_());
        std::string task_id = task->id;
        if (launcher_) {
            launcher_->stop(task_id);
        } else {
            finish_stop(*task, clock_());
        }
        task = state_.find_task(task_id);
        if (!task) return invalid_parameter("The referenced task was not found.");
    }
    return json::object{{"task", task_json(*task, nullptr)}};
}

}  // namespace sockerless::awssim
