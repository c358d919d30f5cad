#include "backends/ecs/ecs_io_test_support.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace sockerless::ecs::test {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kListening = "sockerless-awssim listening on http://127.0.0.1:";

std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Reads one line from `fd` within `limit`; "" on timeout or EOF.
std::string read_line(int fd, std::chrono::milliseconds limit) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return "";
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
        char c = 0;
        if (::read(fd, &c, 1) != 1) return "";
        if (c == '\n') return line;
        line += c;
    }
}

}  // namespace

std::optional<std::string> env_path(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
}

TempDir::TempDir(std::string_view tag) {
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
        fs::path p =
            fs::temp_directory_path() / ("ecs_io_test." + std::string(tag) + "." +
                                         std::to_string(::getpid()) + "." + std::to_string(rd()));
        std::error_code ec;
        if (fs::create_directory(p, ec)) {
            path_ = std::move(p);
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

bool wait_for_file(const fs::path& path, std::chrono::milliseconds limit) {
    const int watch = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (watch < 0) return false;
    ::inotify_add_watch(watch, path.parent_path().c_str(), IN_MOVED_TO | IN_CREATE);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!fs::exists(path)) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{watch, POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(left.count()));
        char buf[4096];
        while (::read(watch, buf, sizeof buf) > 0) {
        }
    }
    ::close(watch);
    return fs::exists(path);
}

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                       ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    ::close(fd);
    return bound ? ntohs(addr.sin_port) : 0;
}

Child::Child(const std::string& binary, const std::vector<std::string>& args,
             const std::vector<std::string>& extra_env, const fs::path& log, int stdout_fd) {
    std::vector<std::string> argv_s;
    argv_s.push_back(binary);
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::string_view(*e).rfind("SOCKERLESS_", 0) != 0) env_s.emplace_back(*e);
    }
    env_s.insert(env_s.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> argv;
    std::vector<char*> envp;
    argv.reserve(argv_s.size() + 1);
    envp.reserve(env_s.size() + 1);
    for (auto& a : argv_s)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_s)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string log_path = log.string();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        const int in = ::open("/dev/null", O_RDONLY);
        ::dup2(in, 0);
        ::dup2(stdout_fd >= 0 ? stdout_fd : out, 1);
        ::dup2(out, 2);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
}

void Child::stop() {
    if (pid_ <= 0) return;
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    ::kill(pid_, SIGTERM);
    // Bounded: the simulator stops its tasks within a couple of seconds of SIGTERM.
    pollfd p{pidfd, POLLIN, 0};
    if (pidfd < 0 || ::poll(&p, 1, 10'000) <= 0) ::kill(pid_, SIGKILL);
    if (pidfd >= 0) ::close(pidfd);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

std::optional<int> Child::wait(std::chrono::milliseconds limit) {
    if (pid_ <= 0) return std::nullopt;
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd < 0) return std::nullopt;
    pollfd p{pidfd, POLLIN, 0};
    const bool exited = ::poll(&p, 1, static_cast<int>(limit.count())) > 0;
    ::close(pidfd);
    if (!exited) return std::nullopt;
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return std::nullopt;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Child::~Child() {
    stop();
}

std::unique_ptr<Sim> Sim::start(const std::string& binary, std::string& why,
                                std::string_view container_mode) {
    auto sim = std::unique_ptr<Sim>(new Sim());
    sim->dir_ = std::make_unique<TempDir>("awssim");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        why = "pipe failed";
        return nullptr;
    }
    // A task subnet of our own, so simulators of concurrent test runs do not meet.
    std::random_device rd;
    const std::string subnet = "127." + std::to_string(100 + rd() % 150) + ".0.0/16";
    const std::vector<std::string> args = {
        "--listen",         "127.0.0.1:0",
        "--state-dir",      (sim->dir_->path() / "state").string(),
        "--container-mode", std::string(container_mode),
        "--task-subnet",    subnet};
    sim->child_ = std::make_unique<Child>(binary, args, std::vector<std::string>{},
                                          sim->dir_->path() / "awssim.log", fds[1]);
    ::close(fds[1]);
    sim->out_fd_ = fds[0];
    const std::string line = read_line(sim->out_fd_, std::chrono::seconds(30));
    if (!line.starts_with(kListening)) {
        why = "the simulator did not report listening (first line \"" + line + "\"); log:\n" +
              sim->log();
        return nullptr;
    }
    sim->port_ = static_cast<std::uint16_t>(std::stoi(line.substr(kListening.size())));
    // Whatever else it prints goes nowhere, so the pipe never fills.
    sim->drain_ = std::thread([fd = sim->out_fd_, stop = &sim->stopping_] {
        char buf[4096];
        while (!stop->load()) {
            pollfd p{fd, POLLIN, 0};
            const int n = ::poll(&p, 1, 100);
            if (n < 0 || (n > 0 && ::read(fd, buf, sizeof buf) <= 0)) return;
        }
    });
    return sim;
}

Sim::~Sim() {
    if (child_) child_->stop();
    stopping_ = true;
    if (drain_.joinable()) drain_.join();
    if (out_fd_ >= 0) ::close(out_fd_);
}

aws::Endpoint Sim::endpoint() const {
    aws::Endpoint e;
    e.scheme = "http";
    e.host = "127.0.0.1";
    e.port = port_;
    return e;
}

std::string Sim::log() const {
    return slurp(dir_->path() / "awssim.log");
}

namespace {

aws::ProvidedCredentials provided(aws::Credentials c) {
    aws::ProvidedCredentials out;
    out.credentials = std::move(c);
    out.source = "test";
    return out;
}

}  // namespace

SimClients::SimClients(boost::asio::io_context& io, const aws::Endpoint& endpoint,
                       aws::Credentials credentials)
    : transport(io.get_executor(), aws::TransportOptions{}),
      provider(provided(std::move(credentials))),
      ecs_aws(transport, provider, aws::ecs_service_id(), "us-east-1", endpoint),
      s3_aws(transport, provider, aws::s3_service_id(), "us-east-1", endpoint),
      logs_aws(transport, provider, aws::logs_service_id(), "us-east-1", endpoint),
      efs_aws(transport, provider, aws::efs_service_id(), "us-east-1", endpoint),
      endpoint_(endpoint) {}

boost::asio::awaitable<Result<SimClients::AgentOnEfs>> SimClients::stage_agent_on_efs(
    std::string creation_token, std::string agent_path) {
    boost::json::object input;
    input["CreationToken"] = creation_token;
    auto made_fs = co_await efs_aws.call_rest_json("POST", "/2015-02-01/file-systems", {},
                                                   std::move(input), "CreateFileSystem");
    if (!made_fs) co_return made_fs.error();
    AgentOnEfs out;
    out.file_system_id = aws::parse_file_system(*made_fs).file_system_id;
    aws::CreateAccessPointRequest ap;
    ap.file_system_id = out.file_system_id;
    ap.posix_user = aws::PosixUser{0, 0, {}};
    ap.root_directory.path = "/sockerless/bin";
    ap.root_directory.owner_uid = 0;
    ap.root_directory.owner_gid = 0;
    ap.root_directory.permissions = "0555";
    auto made = co_await efs.create_access_point(ap);
    if (!made) co_return made.error();
    out.access_point_id = made->access_point_id;
    std::ifstream in(agent_path, std::ios::binary);
    if (!in) co_return make_error(Errc::not_found, "cannot read the agent at " + agent_path);
    std::stringstream binary;
    binary << in.rdbuf();
    auto staged = co_await admin(
        "PUT", "/_awssim/efs/" + out.file_system_id + "/sockerless/bin/sockerless-agent?mode=0755",
        binary.str());
    if (!staged) co_return staged.error();
    co_return out;
}

boost::asio::awaitable<Result<std::string>> SimClients::admin(std::string method, std::string path,
                                                              std::string body) {
    aws::HttpRequest req;
    req.method = std::move(method);
    req.host = endpoint_.host_header();
    // "path?name=value&...": the query travels apart (HttpRequest encodes the path).
    if (const auto q = path.find('?'); q != std::string::npos) {
        std::string_view rest = std::string_view(path).substr(q + 1);
        while (!rest.empty()) {
            const auto amp = rest.find('&');
            std::string_view item = rest.substr(0, amp);
            const auto eq = item.find('=');
            req.query.emplace_back(
                std::string(item.substr(0, eq)),
                eq == std::string_view::npos ? std::string() : std::string(item.substr(eq + 1)));
            rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        }
        path.resize(q);
    }
    req.path = std::move(path);
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = std::move(body);
    Result<aws::HttpResponse> res = co_await transport.send(endpoint_, req);
    if (!res) co_return res.error();
    if (res->status / 100 != 2) {
        co_return make_error(Errc::internal, "admin " + req.path + " answered HTTP " +
                                                 std::to_string(res->status) + ": " + res->body);
    }
    co_return std::move(res->body);
}

}  // namespace sockerless::ecs::test
