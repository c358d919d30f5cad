#include "backends/ecs/task_definition.h"

#include <array>
#include <charconv>
#include <optional>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "agentproto/launch.h"
#include "aws/sigv4.h"

namespace sockerless::ecs {
namespace {

namespace json = boost::json;

json::array string_array(const std::vector<std::string>& items) {
    json::array out;
    out.reserve(items.size());
    for (const std::string& s : items)
        out.emplace_back(s);
    return out;
}

json::object log_configuration(const TaskShape& shape) {
    json::object options;
    options["awslogs-group"] = shape.log_group;
    options["awslogs-region"] = shape.log_region;
    options["awslogs-stream-prefix"] = shape.log_stream_prefix;
    json::object out;
    out["logDriver"] = "awslogs";
    out["options"] = std::move(options);
    return out;
}

json::object agent_mount(bool read_only) {
    json::object out;
    out["sourceVolume"] = kAgentVolume;
    out["containerPath"] = kAgentMountPath;
    out["readOnly"] = read_only;
    return out;
}

json::object name_value(std::string_view name, std::string_view value) {
    json::object out;
    out["name"] = name;
    out["value"] = value;
    return out;
}

json::object main_container(const TaskShape& shape) {
    json::object c;
    c["name"] = kMainContainer;
    c["image"] = shape.image;
    c["essential"] = true;
    c["entryPoint"] = string_array(agent_entrypoint(shape.keep_alive));
    json::object port;
    port["containerPort"] = shape.agent_port;
    port["protocol"] = "tcp";
    c["portMappings"] = json::array{std::move(port)};
    c["environment"] =
        json::array{name_value(agentproto::kEnvPort, std::to_string(shape.agent_port))};
    c["mountPoints"] = json::array{agent_mount(true)};
    if (shape.strategy == InjectionStrategy::init_container) {
        json::object dep;
        dep["containerName"] = kInitContainer;
        dep["condition"] = "SUCCESS";
        c["dependsOn"] = json::array{std::move(dep)};
    }
    c["logConfiguration"] = log_configuration(shape);
    return c;
}

// Copies the agent out of its image into the shared volume, then exits 0 (main waits for that).
json::object init_container(const TaskShape& shape) {
    json::object c;
    c["name"] = kInitContainer;
    c["image"] = shape.agent_image;
    c["essential"] = false;
    c["entryPoint"] =
        string_array({std::string(kAgentImagePath), "install", std::string(kAgentPath)});
    c["mountPoints"] = json::array{agent_mount(false)};
    c["logConfiguration"] = log_configuration(shape);
    return c;
}

json::object agent_volume(const TaskShape& shape) {
    json::object v;
    v["name"] = kAgentVolume;
    if (shape.strategy == InjectionStrategy::efs) {
        json::object auth;
        auth["accessPointId"] = shape.efs_access_point_id;
        auth["iam"] = "DISABLED";
        json::object efs;
        efs["fileSystemId"] = shape.efs_filesystem_id;
        efs["transitEncryption"] = "ENABLED";
        efs["authorizationConfig"] = std::move(auth);
        v["efsVolumeConfiguration"] = std::move(efs);
    }
    return v;
}

// The definition without family and tags: what the family digests.
json::object definition_body(const TaskShape& shape) {
    json::object d;
    d["networkMode"] = "awsvpc";
    d["requiresCompatibilities"] = json::array{"FARGATE"};
    d["cpu"] = shape.cpu;
    d["memory"] = shape.memory;
    json::object platform;
    platform["cpuArchitecture"] = shape.cpu_architecture;
    platform["operatingSystemFamily"] = "LINUX";
    d["runtimePlatform"] = std::move(platform);
    if (!shape.task_role_arn.empty()) d["taskRoleArn"] = shape.task_role_arn;
    if (!shape.execution_role_arn.empty()) d["executionRoleArn"] = shape.execution_role_arn;
    d["volumes"] = json::array{agent_volume(shape)};
    json::array containers;
    if (shape.strategy == InjectionStrategy::init_container)
        containers.emplace_back(init_container(shape));
    containers.emplace_back(main_container(shape));
    d["containerDefinitions"] = std::move(containers);
    return d;
}

std::string family_of(const json::object& body) {
    return "sockerless-" + aws::sha256_hex(json::serialize(body)).substr(0, 16);
}

std::optional<int> to_int(std::string_view s) {
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

struct FargateSize {
    int cpu;
    int min_memory;
    int max_memory;
    int step;
};

// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html
constexpr std::array<FargateSize, 7> kFargateSizes = {{
    {256, 512, 2048, 512},  // 512, 1024, 2048 (no 1536)
    {512, 1024, 4096, 1024},
    {1024, 2048, 8192, 1024},
    {2048, 4096, 16384, 1024},
    {4096, 8192, 30720, 1024},
    {8192, 16384, 61440, 4096},
    {16384, 32768, 122880, 8192},
}};

bool fits(const FargateSize& size, int memory) {
    if (memory < size.min_memory || memory > size.max_memory) return false;
    if (size.cpu == 256) return memory == 512 || memory == 1024 || memory == 2048;
    return (memory - size.min_memory) % size.step == 0;
}

std::string memory_choices(const FargateSize& size) {
    if (size.cpu == 256) return "512, 1024 or 2048";
    return std::to_string(size.min_memory) + " to " + std::to_string(size.max_memory) +
           " in steps of " + std::to_string(size.step);
}

}  // namespace

TaskShape shape_of(const EcsConfig& config, std::string image, bool keep_alive, std::string cpu,
                   std::string memory) {
    TaskShape s;
    s.image = std::move(image);
    s.cpu = std::move(cpu);
    if (s.cpu.empty()) s.cpu = config.cpu;
    s.memory = std::move(memory);
    if (s.memory.empty()) s.memory = config.memory;
    s.keep_alive = keep_alive;
    s.strategy = config.strategy;
    if (s.strategy == InjectionStrategy::efs) {
        s.efs_filesystem_id = config.efs_filesystem_id;
        s.efs_access_point_id = config.efs_access_point_id;
    } else {
        s.agent_image = config.agent_image;
    }
    s.agent_port = config.agent_port;
    s.log_group = config.log_group;
    s.log_stream_prefix = config.log_stream_prefix;
    s.log_region = config.region;
    s.task_role_arn = config.task_role_arn;
    s.execution_role_arn = config.execution_role_arn;
    s.cpu_architecture = config.cpu_architecture;
    return s;
}

std::vector<std::string> agent_entrypoint(bool keep_alive) {
    std::vector<std::string> out{std::string(kAgentPath)};
    if (keep_alive) out.emplace_back("--keep-alive");
    out.emplace_back("--");
    return out;
}

std::string shape_family(const TaskShape& shape) {
    return family_of(definition_body(shape));
}

json::object build_task_definition(const TaskShape& shape) {
    json::object body = definition_body(shape);
    const std::string family = family_of(body);
    json::object d;
    d["family"] = family;
    for (auto& [key, value] : body)
        d[key] = std::move(value);
    json::object tag;
    tag["key"] = kShapeTag;
    tag["value"] = family;
    d["tags"] = json::array{std::move(tag)};
    return d;
}

Status check_fargate_size(std::string_view cpu, std::string_view memory) {
    const std::optional<int> c = to_int(cpu);
    const std::optional<int> m = to_int(memory);
    for (const FargateSize& size : kFargateSizes) {
        if (!c || *c != size.cpu) continue;
        if (m && fits(size, *m)) return ok();
        return make_error(Errc::invalid_argument, "Fargate runs " + std::string(cpu) +
                                                      " CPU units with " + memory_choices(size) +
                                                      " MiB of memory, not \"" +
                                                      std::string(memory) + "\"");
    }
    return make_error(Errc::invalid_argument,
                      "\"" + std::string(cpu) +
                          "\" is not a Fargate CPU size (256, 512, 1024, 2048, 4096, 8192 or "
                          "16384 units)");
}

}  // namespace sockerless::ecs
