// The ECS backend end to end on the simulator in image mode: tasks run from their real images
// (a local registry, busybox and the agent image from scripts/build-test-images.sh) under runc,
// the agent is injected by either strategy (copied out of its image by the init container, or
// staged on the simulator's EFS) and exec goes through it. What host mode cannot show: the
// definition's entry point, volumes and mounts work inside an image's own filesystem.
//
// Needs SOCKERLESS_AWSSIM and SOCKERLESS_AGENT, root, runc, skopeo and docker-registry, and a
// static agent (the image has no libc); skips, saying which is missing, as
// tests/integration/awssim_task_image_test.py does.

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "agentclient/client.h"
#include "aws/efs_client.h"
#include "aws/logs_client.h"
#include "backends/ecs/backend.h"
#include "backends/ecs/ecs_io_test_support.h"

namespace sockerless::ecs {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;
using test::run;

constexpr std::string_view kCluster = "backend-image-test";
constexpr auto kStartLimit = std::chrono::seconds(120);

std::string read_all(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The program's path from PATH, or nullopt.
std::optional<std::string> find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string_view rest = path == nullptr ? "/usr/sbin:/usr/bin:/sbin:/bin" : path;
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        const fs::path candidate = fs::path(rest.substr(0, colon)) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
    return std::nullopt;
}

// Runs a tool to completion within `limit`: its stdout when it exits 0, else an error with its
// stderr (kept in `log`).
Result<std::string> run_tool(const std::string& binary, const std::vector<std::string>& args,
                             const fs::path& log, std::chrono::milliseconds limit) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return make_error(Errc::internal, "pipe failed");
    test::Child child(binary, args, {}, log, fds[1]);
    ::close(fds[1]);
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 1))) <= 0) continue;
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const std::optional<int> status = child.wait(std::max(left, std::chrono::milliseconds(100)));
    std::string what = binary;
    for (const std::string& a : args)
        what += " " + a;
    if (!status) return make_error(Errc::timeout, what + ": did not finish in time");
    if (*status != 0) {
        return make_error(Errc::internal, what + ": exit status " + std::to_string(*status) +
                                              ":\n" + read_all(log));
    }
    return out;
}

// What every test of the suite shares: the skip decision, the registry and the pushed images.
struct Suite {
    std::string skip;     // set: every test skips with it
    std::string failure;  // set: every test fails with it
    std::string sim;
    std::string agent;
    std::string python;
    std::unique_ptr<test::TempDir> dir;
    std::string registry;  // HOST:PORT
    bool registry_running = false;
};

// Why the suite cannot run here, or "" when it can (the decisions of
// tests/integration/awssim_task_image_test.py).
std::string why_skip(Suite& s) {
    auto sim = test::env_path("SOCKERLESS_AWSSIM");
    auto agent = test::env_path("SOCKERLESS_AGENT");
    if (!sim || !agent) return "SOCKERLESS_AWSSIM and SOCKERLESS_AGENT unset";
    s.sim = *sim;
    s.agent = *agent;
    if (::geteuid() != 0) return "needs root (runc, overlay mounts)";
    const char* registry_env = std::getenv("DOCKER_REGISTRY");
    const std::string registry_binary =
        registry_env != nullptr && *registry_env != '\0' ? registry_env : "docker-registry";
    std::string missing;
    for (const std::string& tool : {std::string("runc"), std::string("skopeo"), registry_binary,
                                    std::string("python3"), std::string("file")}) {
        if (!find_program(tool)) missing += (missing.empty() ? "" : " and ") + tool;
    }
    if (!missing.empty()) return "needs " + missing;
    s.python = *find_program("python3");
    s.dir = std::make_unique<test::TempDir>("image-suite");
    auto kind = run_tool(*find_program("file"), {"-L", s.agent}, s.dir->path() / "file.log",
                         std::chrono::seconds(30));
    if (!kind || kind->find("statically linked") == std::string::npos)
        return "needs a static agent for its image (not the sanitizer build)";
    return "";
}

std::string start_registry_and_push(Suite& s) {
    const fs::path scripts = fs::path(SOCKERLESS_SOURCE_DIR);
    const std::vector<std::string> start = {(scripts / "tests/support/registry.py").string(),
                                            "start", "--dir",
                                            (s.dir->path() / "registry").string()};
    auto started =
        run_tool(s.python, start, s.dir->path() / "registry-start.log", std::chrono::seconds(60));
    if (!started) return "registry.py start: " + started.error().message;
    s.registry_running = true;
    s.registry = started->substr(0, started->find('\n'));
    if (s.registry.empty()) return "registry.py start printed no address";

    auto bash = find_program("bash");
    if (!bash) return "no bash";
    const std::vector<std::string> build = {(scripts / "scripts/build-test-images.sh").string(),
                                            (s.dir->path() / "images").string(),
                                            "--agent",
                                            s.agent,
                                            "--push",
                                            s.registry};
    auto pushed =
        run_tool(*bash, build, s.dir->path() / "build-images.log", std::chrono::seconds(240));
    if (!pushed) return "build-test-images.sh: " + pushed.error().message;
    // One "name digest" line per image.
    for (const std::string& name : {std::string("busybox "), std::string("sockerless-agent ")}) {
        if (!pushed->starts_with(name) && pushed->find("\n" + name) == std::string::npos)
            return "build-test-images.sh pushed no " + name + "image: " + *pushed;
    }
    return "";
}

void stop_registry(Suite& s) {
    if (!s.registry_running) return;
    const std::vector<std::string> stop = {
        (fs::path(SOCKERLESS_SOURCE_DIR) / "tests/support/registry.py").string(), "stop", "--dir",
        (s.dir->path() / "registry").string()};
    auto stopped =
        run_tool(s.python, stop, s.dir->path() / "registry-stop.log", std::chrono::seconds(30));
    if (!stopped) ADD_FAILURE() << "registry.py stop: " << stopped.error().message;
    s.registry_running = false;
}

class BackendImageTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        suite = new Suite();
        suite->skip = why_skip(*suite);
        if (suite->skip.empty()) suite->failure = start_registry_and_push(*suite);
    }

    static void TearDownTestSuite() {
        if (suite->dir) stop_registry(*suite);
        delete suite;
        suite = nullptr;
    }

    void SetUp() override {
        if (!suite->skip.empty()) GTEST_SKIP() << suite->skip;
        ASSERT_TRUE(suite->failure.empty()) << suite->failure;
        std::string why;
        sim_ = test::Sim::start(suite->sim, why, "image");
        ASSERT_NE(sim_, nullptr) << why;
        clients_ = std::make_unique<test::SimClients>(io_, sim_->endpoint());
        ASSERT_TRUE(ok_of(run(io_, clients_->ecs.create_cluster(std::string(kCluster)))));
        ASSERT_TRUE(ok_of(run(io_, clients_->logs.create_log_group("/sockerless/tasks"))));

        config_.region = "us-east-1";
        config_.cluster = std::string(kCluster);
        config_.subnets = {"subnet-0123456789abcdef0"};
        config_.health_timeout = std::chrono::seconds(30);
        config_.endpoint_url =
            "http://" + sim_->endpoint().host + ":" + std::to_string(sim_->endpoint().port);
    }

    void TearDown() override {
        // The simulator stops every task (and its runc container) when it stops.
        sim_.reset();
    }

    static std::string image(std::string_view name) {
        return suite->registry + "/" + std::string(name) + ":latest";
    }

    void use_init_container(std::string agent_image) {
        config_.strategy = InjectionStrategy::init_container;
        config_.agent_image = std::move(agent_image);
    }

    // The agent staged once on EFS, behind a read-only access point, as an operator does.
    void use_efs() {
        auto staged =
            run(io_, clients_->stage_agent_on_efs("backend-image-test-agent", suite->agent));
        ASSERT_TRUE(staged && staged->has_value()) << (staged ? staged->error().message : "");
        config_.strategy = InjectionStrategy::efs;
        config_.efs_filesystem_id = (**staged).file_system_id;
        config_.efs_access_point_id = (**staged).access_point_id;
    }

    template <class T>
    static bool ok_of(const std::optional<T>& out) {
        return out && static_cast<bool>(*out);
    }

    std::unique_ptr<EcsBackend> backend() {
        return std::make_unique<EcsBackend>(io_.get_executor(), config_, clients_->ecs,
                                            clients_->s3, clients_->logs);
    }

    static runtime::ContainerSpec spec(std::string id, std::vector<std::string> cmd) {
        runtime::ContainerSpec s;
        s.id = std::move(id);
        s.name = "c-" + s.id.substr(0, 8);
        s.image = image("busybox");
        s.cmd = std::move(cmd);
        s.env = {"GREETING=hello from env"};
        return s;
    }

    Result<runtime::ContainerRecord> start(EcsBackend& b, runtime::ContainerSpec s) {
        auto started = run(io_, b.start(std::move(s)), kStartLimit);
        if (!started) return make_error(Errc::timeout, "start did not finish");
        return std::move(*started);
    }

    // Runs argv in the container through its agent; stdout, or the error.
    Result<std::string> exec(const runtime::ContainerRecord& record,
                             std::vector<std::string> argv) {
        auto out = run(io_, exec_output(io_.get_executor(), record, std::move(argv)));
        if (!out) return make_error(Errc::timeout, "exec did not finish");
        return *out;
    }

    static asio::awaitable<Result<std::string>> exec_output(asio::any_io_executor executor,
                                                            runtime::ContainerRecord record,
                                                            std::vector<std::string> argv) {
        agentclient::Endpoint e;
        const auto colon = record.agent_address.rfind(':');
        e.host = record.agent_address.substr(0, colon);
        e.port = static_cast<std::uint16_t>(std::stoi(record.agent_address.substr(colon + 1)));
        e.token = record.agent_token;
        auto connection = co_await agentclient::Connection::connect(executor, e);
        if (!connection) co_return connection.error();
        agentproto::ExecRequest request;
        request.argv = std::move(argv);
        auto session = co_await (*connection)->exec(std::move(request));
        if (!session) co_return session.error();
        std::string text;
        while (true) {
            auto piece = co_await (*session)->read();
            if (!piece) co_return piece.error();
            if (!*piece) break;
            text.append((**piece).data.begin(), (**piece).data.end());
        }
        (*connection)->close();
        co_return text;
    }

    // The task as ECS describes it now.
    std::optional<aws::EcsTask> describe(const std::string& task_arn) {
        std::vector<std::string> one;
        one.push_back(task_arn);
        auto d = run(io_, clients_->ecs.describe_tasks(std::string(kCluster), std::move(one)));
        if (!d || !d->has_value() || (**d).tasks.empty()) return std::nullopt;
        return (**d).tasks.front();
    }

    // The checks both strategies share for a container running
    // `sh -c 'echo started; exec sleep 60'` from busybox: exec inside the image, the agent's
    // volume read-only, SIGTERM through the agent, the output in CloudWatch Logs.
    void expect_runs_in_busybox(EcsBackend& b, const runtime::ContainerRecord& record) {
        EXPECT_TRUE(record.agent_address.starts_with("127.")) << record.agent_address;
        EXPECT_TRUE(record.agent_address.ends_with(":9111")) << record.agent_address;
        EXPECT_EQ(record.agent_token.size(), 64U);
        EXPECT_FALSE(record.keep_alive);
        EXPECT_FALSE(record.exited_with.has_value());

        // The image's filesystem, not the host's.
        auto os = exec(record, {"cat", "/etc/os-release"});
        ASSERT_TRUE(os.has_value()) << os.error().message;
        EXPECT_NE(os->find("\nID=busybox\n"), std::string::npos) << *os;
        auto who = exec(record, {"sh", "-c", "id -un; echo \"$GREETING\"; readlink /bin/sh"});
        ASSERT_TRUE(who.has_value()) << who.error().message;
        EXPECT_EQ(*who, "root\nhello from env\n/bin/busybox\n");
        // The agent is where the entry point names it, on a volume main cannot write.
        auto agent = exec(record, {"sh", "-c",
                                   "ls /sockerless; touch /sockerless/x 2>/dev/null && echo "
                                   "writable || echo read-only"});
        ASSERT_TRUE(agent.has_value()) << agent.error().message;
        EXPECT_EQ(*agent, "sockerless-agent\nread-only\n");

        auto stopped = run(io_, b.stop(record, SIGTERM, std::chrono::seconds(10)));
        ASSERT_TRUE(stopped && stopped->has_value()) << (stopped ? stopped->error().message : "");
        EXPECT_EQ((**stopped).exit_code, 128 + SIGTERM) << (**stopped).reason;

        auto logs = run(io_, b.recorded_logs(record));
        ASSERT_TRUE(logs && logs->has_value()) << (logs ? logs->error().message : "");
        bool seen = false;
        for (const runtime::LogLine& l : **logs)
            seen = seen || l.message == "started";
        EXPECT_TRUE(seen) << "the main process's output is in CloudWatch Logs";
        EXPECT_TRUE(ok_of(run(io_, b.remove(record))));
    }

    static Suite* suite;
    asio::io_context io_;
    std::unique_ptr<test::Sim> sim_;
    std::unique_ptr<test::SimClients> clients_;
    EcsConfig config_;
};

Suite* BackendImageTest::suite = nullptr;

std::string container_id(char fill) {
    return std::string(64, fill);
}

TEST_F(BackendImageTest, InitContainerCopiesTheAgentOutOfItsImage) {
    use_init_container(image("sockerless-agent"));
    auto b = backend();
    auto record = start(*b, spec(container_id('a'), {"sh", "-c", "echo started; exec sleep 60"}));
    ASSERT_TRUE(record.has_value()) << record.error().message << "\n" << sim_->log();
    EXPECT_EQ(record->injection, "init-container");
    // init ran from the agent image, installed the agent and exited 0 before main started.
    auto task = describe(record->task_arn);
    ASSERT_TRUE(task.has_value());
    bool init_done = false;
    for (const aws::EcsContainer& c : task->containers)
        init_done = init_done || (c.name == kInitContainer && c.exit_code == 0);
    EXPECT_TRUE(init_done);
    expect_runs_in_busybox(*b, *record);
}

TEST_F(BackendImageTest, EfsAgentRunsInTheImage) {
    ASSERT_NO_FATAL_FAILURE(use_efs());
    auto b = backend();
    auto record = start(*b, spec(container_id('b'), {"sh", "-c", "echo started; exec sleep 60"}));
    ASSERT_TRUE(record.has_value()) << record.error().message << "\n" << sim_->log();
    EXPECT_EQ(record->injection, "efs");
    expect_runs_in_busybox(*b, *record);
}

TEST_F(BackendImageTest, EfsKeepAliveContainerIdlesUntilStopped) {
    ASSERT_NO_FATAL_FAILURE(use_efs());
    auto b = backend();
    auto record = start(*b, spec(container_id('c'), {"tail", "-f", "/dev/null"}));
    ASSERT_TRUE(record.has_value()) << record.error().message << "\n" << sim_->log();
    EXPECT_TRUE(record->keep_alive);
    auto out = exec(*record, {"sh", "-c", "echo alive; grep ^ID= /etc/os-release"});
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_EQ(*out, "alive\nID=busybox\n");
    auto stopped = run(io_, b->stop(*record, SIGTERM, std::chrono::seconds(10)));
    ASSERT_TRUE(stopped && stopped->has_value()) << (stopped ? stopped->error().message : "");
    EXPECT_EQ((**stopped).exit_code, 128 + SIGTERM) << (**stopped).reason;
    auto task = describe(record->task_arn);
    ASSERT_TRUE(task.has_value());
    EXPECT_EQ(task->last_status, "STOPPED");
}

// A pull that fails stops the task before RUNNING; the start error carries ECS's reason.
void expect_pull_error(const Result<runtime::ContainerRecord>& started, const std::string& id) {
    ASSERT_FALSE(started.has_value());
    const std::string& m = started.error().message;
    EXPECT_TRUE(m.starts_with("ecs: agent injection: container " + id + ":")) << m;
    EXPECT_NE(m.find("CannotPullContainerError"), std::string::npos) << m;
}

TEST_F(BackendImageTest, MissingImageReportsCannotPull) {
    ASSERT_NO_FATAL_FAILURE(use_efs());
    auto b = backend();
    runtime::ContainerSpec s = spec(container_id('d'), {"true"});
    s.image = image("no-such-image");
    expect_pull_error(start(*b, s), container_id('d'));
}

TEST_F(BackendImageTest, MissingAgentImageReportsCannotPull) {
    use_init_container(image("no-such-agent"));
    auto b = backend();
    expect_pull_error(start(*b, spec(container_id('e'), {"true"})), container_id('e'));
}

}  // namespace
}  // namespace sockerless::ecs
