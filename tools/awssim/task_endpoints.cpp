#include "task_endpoints.h"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "address_pool.h"
#include "base/hex.h"

namespace sockerless::awssim {
namespace http = boost::beast::http;
namespace json = boost::json;
namespace {

Response json_reply(const Request& request, int status, const json::value& body) {
    return make_response(request, status, "application/json", json::serialize(body));
}

Response error_reply(const Request& request, int status, std::string_view code,
                     std::string_view message) {
    return json_reply(request, status, json::object{{"code", code}, {"message", message}});
}

// The subnet's gateway as ECS reports it: the first host address, with the prefix length.
std::string gateway_of(std::string_view cidr) {
    std::size_t slash = cidr.find('/');
    auto base = parse_ipv4(cidr.substr(0, slash));
    if (!base) return "";
    return ipv4_to_string(*base + 1) + std::string(cidr.substr(slash));
}

struct ContainerRef {
    Task* task = nullptr;
    std::size_t index = 0;
};

// Metadata ids are "<task id>-<random>": the task is found without a scan.
ContainerRef find_container(EcsState& ecs, std::string_view id) {
    std::size_t dash = id.find('-');
    if (dash == std::string_view::npos) return {};
    Task* task = ecs.find_task(id.substr(0, dash));
    if (!task) return {};
    for (std::size_t i = 0; i < task->containers.size(); ++i) {
        if (task->containers[i].metadata_id == id) return {task, i};
    }
    return {};
}

std::string known_status(const TaskContainer& c) {
    return std::string(container_status_name(c.status));
}

json::object container_document(const Task& task, const TaskContainer& c, std::string_view subnet) {
    json::object labels{
        {"com.amazonaws.ecs.cluster", task.cluster_arn},
        {"com.amazonaws.ecs.container-name", c.name},
        {"com.amazonaws.ecs.task-arn", task.arn},
        {"com.amazonaws.ecs.task-definition-family", task.family},
        {"com.amazonaws.ecs.task-definition-version", std::to_string(task.revision)},
    };
    json::object out{
        {"DockerId", c.runtime_id},
        {"Name", c.name},
        {"DockerName", c.name},
        {"Image", c.image},
        {"ImageID",
         c.image_digest.empty() ? std::string("sha256:") + std::string(64, '0') : c.image_digest},
        {"Labels", std::move(labels)},
        {"DesiredStatus", task.desired_stopped ? "STOPPED" : "RUNNING"},
        {"KnownStatus", known_status(c)},
        {"Limits", json::object{{"CPU", c.cpu}, {"Memory", c.memory.value_or(0)}}},
        {"Type", "NORMAL"},
        {"ContainerARN", c.arn},
        {"Snapshotter", "overlayfs"},
    };
    if (c.started_at) {
        out["CreatedAt"] = iso8601(*c.started_at);
        out["StartedAt"] = iso8601(*c.started_at);
    }
    if (c.finished_at) out["FinishedAt"] = iso8601(*c.finished_at);
    if (c.exit_code) out["ExitCode"] = *c.exit_code;
    if (c.health_check) {
        out["Health"] = json::object{{"status", health_name(c.health)}};
    }
    if (!task.eni.private_ip.empty()) {
        out["Networks"] = json::array{json::object{
            {"NetworkMode", "awsvpc"},
            {"IPv4Addresses", json::array{json::string(task.eni.private_ip)}},
            {"AttachmentIndex", 0},
            {"MACAddress", task.eni.mac_address},
            {"IPv4SubnetCIDRBlock", subnet},
            {"DomainNameServers", json::array{}},
            {"DomainNameSearchList", json::array{}},
            {"PrivateDNSName", task.eni.private_dns_name},
            {"SubnetGatewayIpv4Address", gateway_of(subnet)},
        }};
    }
    if (c.awslogs) {
        out["LogDriver"] = "awslogs";
        json::object options{{"awslogs-group", c.awslogs->group},
                             {"awslogs-stream-prefix", c.awslogs->stream_prefix}};
        if (c.awslogs->create_group) options["awslogs-create-group"] = "true";
        out["LogOptions"] = std::move(options);
    }
    return out;
}

json::object task_document(const Task& task, std::string_view subnet, TimePoint now) {
    json::array containers;
    for (const auto& c : task.containers)
        containers.push_back(container_document(task, c, subnet));
    long cpu_units = 0;
    long memory = 0;
    std::from_chars(task.cpu.data(), task.cpu.data() + task.cpu.size(), cpu_units);
    std::from_chars(task.memory.data(), task.memory.data() + task.memory.size(), memory);
    double vcpu = static_cast<double>(cpu_units) / 1024.0;
    json::object out{
        {"Cluster", task.cluster_arn},
        {"TaskARN", task.arn},
        {"Family", task.family},
        {"Revision", std::to_string(task.revision)},
        {"DesiredStatus", task.desired_stopped ? "STOPPED" : "RUNNING"},
        {"KnownStatus", task_status_name(task.status)},
        {"Limits", json::object{{"CPU", vcpu}, {"Memory", memory}}},
        {"AvailabilityZone", task.availability_zone},
        {"LaunchType", task.launch_type},
        {"Containers", std::move(containers)},
        {"ClockDrift", json::object{{"ClockErrorBound", 0.5},
                                    {"ReferenceTimestamp", iso8601(now)},
                                    {"ClockSynchronizationStatus", "SYNCHRONIZED"}}},
        {"EphemeralStorageMetrics", json::object{{"Utilized", 0}, {"Reserved", 20496}}},
    };
    if (task.pull_started_at) out["PullStartedAt"] = iso8601(*task.pull_started_at);
    if (task.pull_stopped_at) out["PullStoppedAt"] = iso8601(*task.pull_stopped_at);
    if (task.execution_stopped_at) out["ExecutionStoppedAt"] = iso8601(*task.execution_stopped_at);
    return out;
}

// CPU time (ns) and resident memory (bytes) of a process, from /proc.
struct ProcessUsage {
    std::uint64_t user_ns = 0;
    std::uint64_t system_ns = 0;
    std::uint64_t rss_bytes = 0;
    std::uint64_t threads = 0;
};

ProcessUsage usage_of(pid_t pid) {
    ProcessUsage usage;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    std::size_t paren = line.rfind(')');
    if (paren == std::string::npos) return usage;
    std::istringstream fields(line.substr(paren + 2));
    std::vector<std::string> f;
    for (std::string field; fields >> field;)
        f.push_back(field);
    // Fields after the command: state is index 0, utime 11, stime 12, num_threads 17, rss 21.
    if (f.size() < 22) return usage;
    auto ticks = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
    auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    usage.user_ns = std::stoull(f[11]) * 1000000000ULL / ticks;
    usage.system_ns = std::stoull(f[12]) * 1000000000ULL / ticks;
    usage.threads = std::stoull(f[17]);
    usage.rss_bytes = std::stoull(f[21]) * page;
    return usage;
}

json::value stats_document(const TaskContainer& c, std::optional<pid_t> pid, TimePoint now) {
    if (!pid) return nullptr;
    ProcessUsage usage = usage_of(*pid);
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    json::object cpu{
        {"cpu_usage", json::object{{"total_usage", usage.user_ns + usage.system_ns},
                                   {"usage_in_kernelmode", usage.system_ns},
                                   {"usage_in_usermode", usage.user_ns}}},
        {"online_cpus", cpus},
        {"throttling_data",
         json::object{{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}}},
    };
    std::uint64_t limit = c.memory ? static_cast<std::uint64_t>(*c.memory) * 1024 * 1024 : 0;
    return json::object{
        {"read", iso8601(now)},
        {"preread", "0001-01-01T00:00:00Z"},
        {"name", "/" + c.name},
        {"id", c.runtime_id},
        {"num_procs", 0},
        {"pids_stats", json::object{{"current", usage.threads}}},
        {"cpu_stats", std::move(cpu)},
        {"precpu_stats", json::object{{"cpu_usage", json::object{{"total_usage", 0}}}}},
        {"memory_stats", json::object{{"usage", usage.rss_bytes}, {"limit", limit}}},
        {"networks", json::object{}},
    };
}

}  // namespace

std::string iso8601(TimePoint t, bool fraction) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char buffer[40];
    std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
    std::string out(buffer, n);
    if (fraction) {
        char frac[8];
        std::snprintf(frac, sizeof frac, ".%03lld", static_cast<long long>(ms % 1000));
        out += frac;
    }
    return out + "Z";
}

Response TaskEndpoints::credentials(const Request& request, std::string_view rest) {
    if (request.method() != http::verb::get)
        return error_reply(request, 405, "MethodNotAllowed", "Use GET.");
    const auto* issued = runner_.credentials(rest);
    if (!issued) {
        return error_reply(request, 404, "NoCredentialsAssociated",
                           "No credentials are associated with the id in the request.");
    }
    if (!constant_time_equal(request[http::field::authorization], issued->token)) {
        return error_reply(request, 401, "InvalidAuthorizationToken",
                           "The Authorization header does not match the task's token.");
    }
    const auto& s = issued->session;
    return json_reply(request, 200,
                      json::object{{"RoleArn", s.role_arn},
                                   {"AccessKeyId", s.access_key},
                                   {"SecretAccessKey", s.secret_key},
                                   {"Token", s.session_token},
                                   {"Expiration", iso8601(s.expiration, false)}});
}

Response TaskEndpoints::metadata(const Request& request, std::string_view rest) {
    if (request.method() != http::verb::get)
        return error_reply(request, 405, "MethodNotAllowed", "Use GET.");
    std::size_t slash = rest.find('/');
    std::string_view id = rest.substr(0, slash);
    std::string_view what = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    ContainerRef ref = find_container(ecs_, id);
    if (!ref.task) {
        return error_reply(request, 404, "InvalidIdInRequest",
                           "No task or container is known by the id in the request.");
    }
    const Task& task = *ref.task;
    const std::string& subnet = runner_.task_subnet();
    auto now = clock_();
    if (what.empty())
        return json_reply(request, 200,
                          container_document(task, task.containers[ref.index], subnet));
    if (what == "task") return json_reply(request, 200, task_document(task, subnet, now));
    if (what == "stats") {
        return json_reply(request, 200,
                          stats_document(task.containers[ref.index],
                                         runner_.container_pid(task.id, ref.index), now));
    }
    if (what == "task/stats") {
        json::object all;
        for (std::size_t i = 0; i < task.containers.size(); ++i) {
            all[task.containers[i].runtime_id] =
                stats_document(task.containers[i], runner_.container_pid(task.id, i), now);
        }
        return json_reply(request, 200, all);
    }
    return error_reply(request, 404, "NotFound", "No such metadata path.");
}

}  // namespace sockerless::awssim
