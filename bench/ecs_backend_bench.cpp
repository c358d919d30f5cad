// The ECS backend on the simulator: what a container start costs.
//
//   ecs_backend_bench PATH/TO/sockerless-awssim PATH/TO/sockerless-agent [--sequential N]
//                     [--concurrent M]
//
// Prints, for N sequential starts on a warm task-definition cache: the delay from the task's
// RUNNING (ECS's startedAt) to the agent's /health answering, as the daemon sees it (median, p90,
// max; DESIGN §10 target: under 100 ms), and the AWS calls per start (target: RunTask plus
// DescribeTasks polls only). Then M starts at once: wall time and the calls they made, against
// the M*polls a per-container poller would make. Tasks are host processes with the real agent
// staged on the simulator's EFS.

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>

#include "aws/efs_client.h"
#include "aws/logs_client.h"
#include "backends/ecs/backend.h"
#include "backends/ecs/ecs_io_test_support.h"

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace sockerless;
using sockerless::ecs::test::run;

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto at = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(at, v.size() - 1)];
}

runtime::ContainerSpec spec(int n) {
    runtime::ContainerSpec s;
    char id[65];
    std::snprintf(id, sizeof id, "%064x", n);
    s.id = id;
    s.image = "busybox";
    s.cmd = {"sleep", "300"};
    return s;
}

int fail(const std::string& what) {
    std::cerr << "ecs_backend_bench: " << what << "\n";
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: ecs_backend_bench SIM AGENT [--sequential N] [--concurrent M]\n";
        return 2;
    }
    int sequential = 20;
    int concurrent = 200;
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--sequential") sequential = std::stoi(argv[i + 1]);
        if (flag == "--concurrent") concurrent = std::stoi(argv[i + 1]);
    }
    spdlog::set_level(spdlog::level::warn);
    std::string why;
    auto sim = ecs::test::Sim::start(argv[1], why);
    if (!sim) return fail(why);
    asio::io_context io;
    ecs::test::SimClients clients(io, sim->endpoint());
    aws::AwsClient logs_aws(clients.transport, clients.provider, aws::logs_service_id(),
                            "us-east-1", sim->endpoint());
    aws::AwsClient efs_aws(clients.transport, clients.provider, aws::efs_service_id(), "us-east-1",
                           sim->endpoint());
    aws::LogsClient logs(logs_aws);
    aws::EfsClient efs(efs_aws);

    if (!run(io, clients.ecs.create_cluster("bench"))) return fail("CreateCluster");
    if (!run(io, logs.create_log_group("/sockerless/tasks"))) return fail("CreateLogGroup");
    json::object fs_input;
    fs_input["CreationToken"] = "bench-agent";
    auto fs = run(io, efs_aws.call_rest_json("POST", "/2015-02-01/file-systems", {},
                                             std::move(fs_input), "CreateFileSystem"));
    if (!fs || !*fs) return fail("CreateFileSystem");
    const std::string fs_id = aws::parse_file_system(**fs).file_system_id;
    aws::CreateAccessPointRequest ap;
    ap.file_system_id = fs_id;
    ap.root_directory.path = "/sockerless/bin";
    auto made = run(io, efs.create_access_point(ap));
    if (!made || !*made) return fail("CreateAccessPoint");
    auto staged = run(
        io,
        clients.admin("PUT", "/_awssim/efs/" + fs_id + "/sockerless/bin/sockerless-agent?mode=0755",
                      read_all(argv[2])));
    if (!staged || !*staged) return fail("staging the agent");

    ecs::EcsConfig config;
    config.region = "us-east-1";
    config.cluster = "bench";
    config.subnets = {"subnet-0123456789abcdef0"};
    config.strategy = ecs::InjectionStrategy::efs;
    config.efs_filesystem_id = fs_id;
    config.efs_access_point_id = (**made).access_point_id;

    std::vector<double> delays;
    ecs::BackendOptions options;
    options.on_started = [&delays](const ecs::StartTimings& t) {
        if (!t.running_at) return;
        delays.push_back(
            std::chrono::duration<double, std::milli>(t.healthy_seen - *t.running_at).count());
    };
    ecs::EcsBackend backend(io.get_executor(), config, clients.ecs, clients.s3, logs, options);
    std::vector<runtime::ContainerRecord> started;

    // Warm the task-definition cache.
    auto first = run(io, backend.start(spec(0)));
    if (!first || !*first) return fail(first ? (*first).error().message : "start timed out");
    started.push_back(**first);
    delays.clear();
    const ecs::BackendCounters c0 = backend.counters();
    const ecs::TaskWatcherCounters w0 = backend.watcher_counters();
    for (int i = 1; i <= sequential; ++i) {
        auto one = run(io, backend.start(spec(i)));
        if (!one || !*one) return fail(one ? (*one).error().message : "start timed out");
        started.push_back(**one);
    }
    const ecs::BackendCounters c1 = backend.counters();
    const ecs::TaskWatcherCounters w1 = backend.watcher_counters();
    const double n = sequential;
    std::printf("sequential starts: %d (warm task-definition cache)\n", sequential);
    std::printf(
        "  RUNNING -> agent healthy seen: median %.1f ms, p90 %.1f ms, max %.1f ms "
        "(target < 100 ms)\n",
        percentile(delays, 0.5), percentile(delays, 0.9), percentile(delays, 1.0));
    std::printf(
        "  AWS calls per start: RunTask %.2f, DescribeTasks %.2f, "
        "RegisterTaskDefinition %.2f, DescribeTaskDefinition %.2f, S3 %.2f\n",
        static_cast<double>(c1.run_task - c0.run_task) / n,
        static_cast<double>(w1.describe_calls - w0.describe_calls) / n,
        static_cast<double>(c1.register_task_definition - c0.register_task_definition) / n,
        static_cast<double>(c1.describe_task_definition - c0.describe_task_definition) / n,
        static_cast<double>(c1.put_payload - c0.put_payload + c1.delete_payload -
                            c0.delete_payload) /
            n);

    // Concurrent starts.
    delays.clear();
    const ecs::TaskWatcherCounters w2 = backend.watcher_counters();
    const ecs::BackendCounters c2 = backend.counters();
    int done = 0;
    int failed = 0;
    std::string first_error;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < concurrent; ++i) {
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                auto r = co_await backend.start(spec(100000 + i));
                if (r) {
                    started.push_back(*r);
                } else {
                    ++failed;
                    if (first_error.empty()) first_error = r.error().message;
                }
                ++done;
            },
            asio::detached);
    }
    io.restart();
    const auto limit = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (done < concurrent && std::chrono::steady_clock::now() < limit)
        io.run_one_until(limit);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const ecs::TaskWatcherCounters w3 = backend.watcher_counters();
    const ecs::BackendCounters c3 = backend.counters();
    std::printf("concurrent starts: %d (%d failed%s%s) in %.2f s wall\n", concurrent, failed,
                first_error.empty() ? "" : ": ", first_error.c_str(), wall);
    std::printf(
        "  RunTask %llu, DescribeTasks %llu calls in %llu polls (a poller per container "
        "would make %llu+), RUNNING -> healthy median %.1f ms, p90 %.1f ms\n",
        static_cast<unsigned long long>(c3.run_task - c2.run_task),
        static_cast<unsigned long long>(w3.describe_calls - w2.describe_calls),
        static_cast<unsigned long long>(w3.polls - w2.polls),
        static_cast<unsigned long long>(w3.tasks_described - w2.tasks_described),
        percentile(delays, 0.5), percentile(delays, 0.9));

    for (const runtime::ContainerRecord& r : started)
        asio::co_spawn(io, backend.remove(r), asio::detached);
    io.restart();
    io.run_for(std::chrono::seconds(30));
    return failed == 0 ? 0 : 1;
}
