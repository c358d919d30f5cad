#include "app/embedded_sim.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "aws/client.h"
#include "aws/ecs_client.h"
#include "aws/efs_client.h"
#include "aws/logs_client.h"
#include "aws/s3_client.h"
#include "backends/ecs/payload_store.h"
#include "base/fd.h"

namespace sockerless::app {

namespace fs = std::filesystem;
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

constexpr std::string_view kCluster = "sockerless";
constexpr std::string_view kBucket = "sockerless-payloads";
constexpr std::string_view kTaskRole = "arn:aws:iam::000000000000:role/sockerless-task";
constexpr std::string_view kAgentDir = "/sockerless/bin";

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool alive(int pid) {
    return pid > 0 && ::kill(pid, 0) == 0;
}

// Answers at all: an unsigned GET of the simulator's admin API.
bool answers(const aws::Endpoint& endpoint) {
    aws::BlockingFetcher fetcher(std::chrono::milliseconds(1000));
    aws::FetchRequest request;
    request.method = "GET";
    request.url = endpoint.url() + "/_awssim/faults";
    auto response = fetcher.fetch(request);
    return response && response->status == 200;
}

// A /24 of 127.0.0.0/8 for this simulator's task addresses, so simulators of several daemons on
// one machine (tests run in parallel) do not hand out the same agent address.
std::string task_subnet() {
    std::random_device rd;
    std::uniform_int_distribution<int> second(100, 250);
    std::uniform_int_distribution<int> third(0, 255);
    return "127." + std::to_string(second(rd)) + "." + std::to_string(third(rd)) + ".0/24";
}

}  // namespace

aws::Credentials simulator_credentials() {
    aws::Credentials c;
    c.access_key_id = "test";
    c.secret_access_key = "test";
    return c;
}

std::string find_companion(const std::string& name, const std::string& build_subdir) {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path dir = self.parent_path();
        for (const fs::path& candidate : {dir / name, dir / ".." / ".." / build_subdir / name,
                                          dir / ".." / "lib" / "sockerless" / name}) {
            if (::access(candidate.c_str(), X_OK) == 0) return fs::weakly_canonical(candidate);
        }
    }
    if (const char* path = std::getenv("PATH")) {
        std::string_view rest = path;
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            const fs::path candidate = fs::path(std::string(rest.substr(0, colon))) / name;
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    }
    return "";
}

Result<EmbeddedSim> start_or_attach(const EmbeddedOptions& options) {
    const fs::path dir = fs::path(options.state_dir) / "awssim";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(Errc::internal, "create " + dir.string() + ": " + ec.message());
    const fs::path endpoint_file = dir / "endpoint";
    const fs::path pid_file = dir / "pid";

    // An earlier daemon's simulator, still serving its tasks?
    if (fs::exists(endpoint_file) && fs::exists(pid_file)) {
        auto endpoint = aws::parse_endpoint_url(read_file(endpoint_file));
        const int pid = std::atoi(read_file(pid_file).c_str());
        if (endpoint && alive(pid) && answers(*endpoint)) return EmbeddedSim{*endpoint, pid, true};
    }

    if (options.awssim_binary.empty())
        return make_error(Errc::not_found,
                          "no AWS is configured and sockerless-awssim was not found next to "
                          "sockerlessd or on PATH: give --awssim PATH, or configure AWS "
                          "(docs/daemon.md)");
    if (::access(options.awssim_binary.c_str(), X_OK) != 0)
        return make_error(Errc::not_found, "the simulator binary " + options.awssim_binary +
                                               " is not an executable file: give --awssim PATH");
    const fs::path log = dir / "awssim.log";
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return errno_error("pipe", errno);
    UniqueFd read_end(out[0]);
    UniqueFd write_end(out[1]);
    const std::string subnet = task_subnet();
    const std::string state = (dir / "state").string();
    const pid_t pid = ::fork();
    if (pid < 0) return errno_error("fork", errno);
    if (pid == 0) {
        // Its own session: it outlives a daemon that is killed, as the tasks it runs must.
        ::setsid();
        ::dup2(write_end.get(), STDOUT_FILENO);
        int logfd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (logfd >= 0) ::dup2(logfd, STDERR_FILENO);
        int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
        std::vector<std::string> args = {options.awssim_binary,
                                         "--listen",
                                         "127.0.0.1:0",
                                         "--state-dir",
                                         state,
                                         "--task-subnet",
                                         subnet,
                                         "--provisioning-delay",
                                         "0",
                                         "--container-mode",
                                         options.container_mode};
        std::vector<char*> argv;
        argv.reserve(args.size() + 1);
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    write_end.reset();
    // The simulator prints its address once it accepts connections.
    std::string line;
    char c = 0;
    while (true) {
        const ssize_t n = ::read(read_end.get(), &c, 1);
        if (n <= 0 || c == '\n') break;
        line.push_back(c);
    }
    const std::string marker = "listening on ";
    const auto at = line.find(marker);
    if (at == std::string::npos) {
        int status = 0;
        ::waitpid(pid, &status, WNOHANG);
        return make_error(Errc::unavailable, "sockerless-awssim (" + options.awssim_binary +
                                                 ") did not start; its log is " + log.string() +
                                                 ":\n" + read_file(log));
    }
    // Its later output goes to the log; nobody reads the pipe again.
    const std::string url = line.substr(at + marker.size());
    auto endpoint = aws::parse_endpoint_url(url);
    if (!endpoint) return endpoint.error();
    std::ofstream(endpoint_file) << url;
    std::ofstream(pid_file) << pid;
    return EmbeddedSim{*endpoint, pid, false};
}

void stop_simulator(const EmbeddedSim& sim) {
    if (sim.pid <= 0) return;
    ::kill(sim.pid, SIGTERM);
    for (int i = 0; i < 100 && alive(sim.pid); ++i) {
        ::waitpid(sim.pid, nullptr, WNOHANG);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (alive(sim.pid)) ::kill(sim.pid, SIGKILL);
    ::waitpid(sim.pid, nullptr, WNOHANG);
}

asio::awaitable<Result<ecs::EcsConfig>> prepare_simulator(aws::Transport& transport,
                                                          const EmbeddedSim& sim,
                                                          const EmbeddedOptions& options) {
    aws::ProvidedCredentials root;
    root.credentials = simulator_credentials();
    root.source = "the embedded simulator's root";
    aws::StaticProvider provider(root);
    const std::string region = "us-east-1";
    aws::AwsClient ecs_aws(transport, provider, aws::ecs_service_id(), region, sim.endpoint);
    aws::AwsClient logs_aws(transport, provider, aws::logs_service_id(), region, sim.endpoint);
    aws::AwsClient efs_aws(transport, provider, aws::efs_service_id(), region, sim.endpoint);
    aws::AwsClient s3_aws(transport, provider, aws::s3_service_id(), region, sim.endpoint);
    aws::EcsClient ecs(ecs_aws);
    aws::LogsClient logs(logs_aws);
    aws::EfsClient efs(efs_aws);
    aws::S3Client s3(s3_aws);

    if (auto made = co_await ecs.create_cluster(std::string(kCluster)); !made)
        co_return made.error().wrap("embedded simulator: CreateCluster");
    if (Status st = co_await logs.create_log_group("/sockerless/tasks");
        !st && st.error().code != Errc::conflict)
        co_return st.error().wrap("embedded simulator: CreateLogGroup");

    // The agent's file system: found again by its creation token.
    json::object fs_input;
    fs_input["CreationToken"] = "sockerless-agent";
    auto made_fs = co_await efs_aws.call_rest_json("POST", "/2015-02-01/file-systems", {},
                                                   std::move(fs_input), "CreateFileSystem");
    std::string fs_id;
    if (made_fs) {
        fs_id = aws::parse_file_system(*made_fs).file_system_id;
    } else {
        auto all = co_await efs.describe_file_systems();
        if (!all) co_return all.error().wrap("embedded simulator: DescribeFileSystems");
        for (const aws::FileSystem& f : *all)
            if (f.name == "sockerless-agent" || all->size() == 1) fs_id = f.file_system_id;
        if (fs_id.empty()) co_return made_fs.error().wrap("embedded simulator: CreateFileSystem");
    }
    std::string ap_id;
    auto points = co_await efs.describe_access_points("", fs_id);
    if (points)
        for (const aws::AccessPoint& ap : *points)
            if (ap.root_path == kAgentDir) ap_id = ap.access_point_id;
    if (ap_id.empty()) {
        aws::CreateAccessPointRequest ap;
        ap.file_system_id = fs_id;
        ap.posix_user = aws::PosixUser{0, 0, {}};
        ap.root_directory.path = std::string(kAgentDir);
        ap.root_directory.owner_uid = 0;
        ap.root_directory.owner_gid = 0;
        ap.root_directory.permissions = "0555";
        auto made = co_await efs.create_access_point(ap);
        if (!made) co_return made.error().wrap("embedded simulator: CreateAccessPoint");
        ap_id = made->access_point_id;
    }
    // The agent binary, staged as an operator stages it on a real EFS. An attached simulator
    // has it already, and its running tasks execute it: it is not rewritten under them.
    const std::string agent = sim.attached ? std::string("-") : read_file(options.agent_binary);
    if (agent.empty())
        co_return make_error(Errc::not_found, "the agent binary " + options.agent_binary +
                                                  " is missing or empty: give --agent PATH");
    if (!sim.attached) {
        aws::HttpRequest stage;
        stage.method = "PUT";
        stage.host = sim.endpoint.host_header();
        stage.path = "/_awssim/efs/" + fs_id + std::string(kAgentDir) + "/sockerless-agent";
        stage.query.emplace_back("mode", "0755");
        stage.body = agent;
        auto staged = co_await transport.send(sim.endpoint, stage);
        if (!staged || staged->status / 100 != 2)
            co_return make_error(
                Errc::unavailable,
                "embedded simulator: staging the agent on EFS failed: " +
                    (staged ? "HTTP " + std::to_string(staged->status) + " " + staged->body
                            : staged.error().message));
    }

    if (Status st = co_await s3.create_bucket(std::string(kBucket));
        !st && st.error().code != Errc::conflict)
        co_return st.error().wrap("embedded simulator: CreateBucket");
    ecs::BucketSetup setup;
    setup.create = false;
    setup.require_tls = false;  // the simulator speaks plain HTTP on loopback
    if (Status st =
            co_await ecs::setup_bucket(s3, std::string(kBucket), "sockerless-payloads", setup);
        !st)
        co_return st.error().wrap("embedded simulator: payload bucket");

    ecs::EcsConfig config;
    config.region = region;
    config.cluster = std::string(kCluster);
    config.subnets = {"subnet-0123456789abcdef0"};
    config.strategy = ecs::InjectionStrategy::efs;
    config.injection = ecs::InjectionStrategy::efs;
    config.efs_filesystem_id = fs_id;
    config.efs_access_point_id = ap_id;
    config.task_role_arn = std::string(kTaskRole);
    config.health_timeout = std::chrono::seconds(60);
    config.payload_bucket = std::string(kBucket);
    config.endpoint_url = sim.endpoint.url();
    co_return config;
}

}  // namespace sockerless::app
