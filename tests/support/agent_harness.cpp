#include "agent_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/hex.h"

namespace sockerless::testing {
namespace asio = boost::asio;
namespace fs = std::filesystem;

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sockerless-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const fs::path& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

std::string agent_binary() {
    return SOCKERLESS_AGENT_BIN;
}
std::string repo_root() {
    return SOCKERLESS_SOURCE_DIR;
}
bool agent_is_static() {
    return SOCKERLESS_AGENT_IS_STATIC != 0;
}

AgentProcess::AgentProcess(AgentOptions options) {
    if (options.with_token) token_ = *random_hex_token(32);
    fs::path port_dir = options.rootfs.empty() ? dir_.path() : options.rootfs / "tmp";
    fs::path port_file_host = port_dir / "agent.port";
    std::string port_file_agent =
        options.rootfs.empty() ? port_file_host.string() : "/tmp/agent.port";

    std::vector<std::string> args = options.wrapper;
    args.push_back(options.agent_path.empty() ? agent_binary() : options.agent_path);
    args.insert(args.end(), options.agent_args.begin(), options.agent_args.end());
    if (!options.command.empty()) {
        args.push_back("--");
        args.insert(args.end(), options.command.begin(), options.command.end());
    }
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::string_view(*e).rfind("SOCKERLESS_", 0) != 0) env.emplace_back(*e);
    }
    env.push_back("SOCKERLESS_AGENT_ADDR=127.0.0.1");
    env.push_back("SOCKERLESS_AGENT_PORT=0");
    env.push_back("SOCKERLESS_AGENT_PORT_FILE=" + port_file_agent);
    if (options.with_token) env.push_back("SOCKERLESS_AGENT_TOKEN=" + token_);
    env.insert(env.end(), options.env.begin(), options.env.end());

    int inotify = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotify < 0 ||
        ::inotify_add_watch(inotify, port_dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        throw std::runtime_error("inotify on " + port_dir.string() + " failed");
    }

    std::vector<char*> argv, envp;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string out_path = (dir_.path() / "agent.out").string();
    std::string err_path = (dir_.path() / "agent.err").string();
    pid_ = ::fork();
    if (pid_ == 0) {
        int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = ::open("/dev/null", O_RDONLY);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!fs::exists(port_file_host)) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd fds[2] = {{inotify, POLLIN, 0}, {pidfd_, POLLIN, 0}};
        int n = ::poll(fds, 2, static_cast<int>(left.count()));
        if (n > 0 && (fds[1].revents & POLLIN)) break;  // the agent exited before listening
        char buf[4096];
        while (::read(inotify, buf, sizeof buf) > 0) {
        }
    }
    ::close(inotify);
    std::string text = read_file(port_file_host);
    if (text.empty()) {
        throw std::runtime_error("agent did not start listening; its stderr:\n" + stderr_log());
    }
    port_ = static_cast<std::uint16_t>(std::stoi(text));
}

AgentProcess::~AgentProcess() {
    if (!exit_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait_exit(std::chrono::seconds(10));
    }
    if (pidfd_ >= 0) ::close(pidfd_);
}

void AgentProcess::signal(int signal) const {
    ::kill(pid_, signal);
}

std::optional<int> AgentProcess::wait_exit(std::chrono::milliseconds timeout) {
    if (exit_) return exit_;
    pollfd fd{pidfd_, POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return std::nullopt;
    exit_ = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    return exit_;
}

asio::awaitable<Collected> collect(std::shared_ptr<agentclient::Session> session) {
    Collected c;
    while (true) {
        auto out = co_await session->read();
        if (!out) {
            c.error = out.error();
            break;
        }
        if (!*out) break;
        auto& chunk = **out;
        std::string& target = chunk.stream == agentproto::Stream::err ? c.err : c.out;
        target.append(reinterpret_cast<const char*>(chunk.data.data()), chunk.data.size());
    }
    c.exit = session->exit_status();
    if (!c.error) c.error = session->error();
    co_return c;
}

std::shared_ptr<agentclient::Connection> connect_or_fail(asio::io_context& io,
                                                         const agentclient::Endpoint& ep) {
    auto conn = run_sync(io, agentclient::Connection::connect(io.get_executor(), ep));
    if (!conn) throw std::runtime_error("connect failed: " + conn.error().message);
    return *conn;
}

Collected exec_collect(asio::io_context& io,
                       const std::shared_ptr<agentclient::Connection>& connection,
                       agentproto::ExecRequest request) {
    return run_sync(io, [&]() -> asio::awaitable<Collected> {
        auto session = co_await connection->exec(request);
        if (!session) {
            Collected c;
            c.error = session.error();
            co_return c;
        }
        co_return co_await collect(*session);
    }());
}

}  // namespace sockerless::testing
