// Agent benchmarks, each beside a baseline measured in the same run:
//   exec round trip of `true` through client + agent  vs  fork+exec+wait of `true` directly
//   stdout throughput of `cat FILE` through the agent  vs  `cat FILE` into a plain pipe
//   the static binary's size and the idle agent's RSS
// Usage: agent_bench [--iterations N] [--megabytes M]

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "agent_harness.h"

namespace {
namespace asio = boost::asio;
using namespace sockerless;
using Clock = std::chrono::steady_clock;

struct Stats {
    double median_us;
    double p99_us;
};

Stats summarize(std::vector<double> us) {
    std::sort(us.begin(), us.end());
    auto at = [&](double q) {
        auto index = static_cast<std::size_t>(q * static_cast<double>(us.size()));
        return us[std::min(us.size() - 1, index)];
    };
    return {at(0.5), at(0.99)};
}

double fork_exec_wait_us(const char* path) {
    char* argv[] = {const_cast<char*>(path), nullptr};
    auto t0 = Clock::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, path, nullptr, nullptr, argv, environ) != 0) return -1;
    int status = 0;
    waitpid(pid, &status, 0);
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

asio::awaitable<double> exec_true_us(std::shared_ptr<agentclient::Connection> conn,
                                     agentproto::ExecRequest req) {
    auto t0 = Clock::now();
    auto session = co_await conn->exec(std::move(req));
    if (!session) throw std::runtime_error(session.error().message);
    auto exit = co_await (*session)->wait();
    if (!exit || exit->code != 0) throw std::runtime_error("exec true failed");
    co_return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

asio::awaitable<std::size_t> drain(std::shared_ptr<agentclient::Connection> conn,
                                   agentproto::ExecRequest req) {
    auto session = co_await conn->exec(std::move(req));
    if (!session) throw std::runtime_error(session.error().message);
    std::size_t total = 0;
    while (true) {
        auto out = co_await (*session)->read();
        if (!out || !*out) break;
        total += (*out)->data.size();
    }
    co_return total;
}

double pipe_cat_seconds(const std::string& file, std::size_t expect) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char* argv[] = {const_cast<char*>("cat"), const_cast<char*>(file.c_str()), nullptr};
    auto t0 = Clock::now();
    pid_t pid = 0;
    posix_spawnp(&pid, "cat", &fa, nullptr, argv, environ);
    close(fds[1]);
    std::vector<char> buf(std::size_t{256} * 1024);
    std::size_t total = 0;
    ssize_t n;
    while ((n = read(fds[0], buf.data(), buf.size())) > 0)
        total += static_cast<std::size_t>(n);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    posix_spawn_file_actions_destroy(&fa);
    return total == expect ? s : -1;
}

long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    int iterations = 1000;
    std::size_t megabytes = 1024;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--iterations") == 0) iterations = std::atoi(argv[i + 1]);
        if (std::strcmp(argv[i], "--megabytes") == 0)
            megabytes = std::strtoul(argv[i + 1], nullptr, 10);
    }
    sockerless::testing::AgentProcess agent({.agent_args = {"--keep-alive"}});
    asio::io_context io;
    auto conn = sockerless::testing::connect_or_fail(io, agent.endpoint());

    // Idle RSS first, before any session allocated buffers.
    long idle_rss = rss_kib(agent.pid());
    struct stat st {};
    stat(sockerless::testing::agent_binary().c_str(), &st);

    std::string true_path = "/bin/true";
    std::vector<double> direct, through;
    agentproto::ExecRequest req;
    req.argv = {true_path};
    for (int i = 0; i < iterations / 10; ++i) {  // warm up both paths
        fork_exec_wait_us(true_path.c_str());
        sockerless::testing::run_sync(io, exec_true_us(conn, req));
    }
    for (int i = 0; i < iterations; ++i) {
        direct.push_back(fork_exec_wait_us(true_path.c_str()));
        through.push_back(sockerless::testing::run_sync(io, exec_true_us(conn, req)));
    }
    Stats d = summarize(direct), a = summarize(through);

    sockerless::testing::TempDir dir;
    std::string file = (dir.path() / "big").string();
    {
        std::ofstream out(file, std::ios::binary);
        std::vector<char> block(1 << 20);
        std::mt19937_64 rng(42);
        for (auto& c : block)
            c = static_cast<char>(rng());
        for (std::size_t i = 0; i < megabytes; ++i)
            out.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
    std::size_t bytes = megabytes << 20;
    pipe_cat_seconds(file, bytes);  // warm the page cache
    double pipe_s = pipe_cat_seconds(file, bytes);
    agentproto::ExecRequest cat;
    cat.argv = {"cat", file};
    auto t0 = Clock::now();
    std::size_t got = sockerless::testing::run_sync(io, drain(conn, cat), std::chrono::minutes(5));
    double agent_s = std::chrono::duration<double>(Clock::now() - t0).count();
    long busy_rss = rss_kib(agent.pid());

    std::printf("agent benchmarks (%d iterations, %zu MiB)\n", iterations, megabytes);
    std::printf("%-44s %12s %12s %10s\n", "measure", "agent", "baseline", "ratio");
    std::printf("%-44s %10.1fus %10.1fus %9.2fx\n", "exec `true` round trip, median", a.median_us,
                d.median_us, a.median_us / d.median_us);
    std::printf("%-44s %10.1fus %10.1fus %9.2fx\n", "exec `true` round trip, p99", a.p99_us,
                d.p99_us, a.p99_us / d.p99_us);
    double agent_gbs = static_cast<double>(got) / agent_s / 1e9;
    double pipe_gbs = static_cast<double>(bytes) / pipe_s / 1e9;
    std::printf("%-44s %9.2fGB/s %9.2fGB/s %9.2fx\n", "stdout throughput, cat of a file", agent_gbs,
                pipe_gbs, agent_gbs / pipe_gbs);
    std::printf("%-44s %11.2fM\n", "agent binary size (static, stripped), MiB",
                static_cast<double>(st.st_size) / (1 << 20));
    std::printf("%-44s %10ldKiB\n", "agent RSS, idle", idle_rss);
    std::printf("%-44s %10ldKiB\n", "agent RSS, after the throughput run", busy_rss);
    if (got != bytes) {
        std::printf("ERROR: received %zu of %zu bytes\n", got, bytes);
        return 1;
    }
    return 0;
}
