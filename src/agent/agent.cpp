#include "agent/agent.h"
#include "agent/task_metadata.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdlib>
#include <fstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "agent/user.h"
#include "base/fd.h"

namespace sockerless::agent {
namespace asio = boost::asio;

namespace {

constexpr auto kShutdownGrace = std::chrono::seconds(2);

class AgentHost final : public SessionHost {
public:
    AgentHost(const asio::any_io_executor& executor, Reaper& reaper, MainProcess& main,
              const ProcessDefaults& defaults)
        : executor_(executor), reaper_(reaper), main_(main), defaults_(defaults) {}

    std::shared_ptr<Session> open_exec(const agentproto::ExecRequest& request,
                                       std::shared_ptr<Outlet> outlet,
                                       std::shared_ptr<StdinAcks> acks) override {
        return ExecSession::launch(executor_, reaper_, request, std::move(outlet), defaults_, acks);
    }
    std::shared_ptr<Session> open_attach(const agentproto::AttachRequest& request,
                                         std::shared_ptr<Outlet> outlet,
                                         std::shared_ptr<StdinAcks> acks) override {
        return main_.attach(request, outlet, acks);
    }
    std::shared_ptr<Session> open_logs(const agentproto::LogsRequest& request,
                                       std::shared_ptr<Outlet> outlet,
                                       std::shared_ptr<StdinAcks> acks) override {
        return main_.logs(request, outlet, acks);
    }
    Result<int> start_main(const agentproto::StartRequest& request) override {
        return main_.start(request);
    }

private:
    asio::any_io_executor executor_;
    Reaper& reaper_;
    MainProcess& main_;
    const ProcessDefaults& defaults_;
};

Result<std::vector<std::string>> json_string_array(const char* name, const char* text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    std::vector<std::string> out;
    if (!ec && v.is_array()) {
        for (const auto& item : v.as_array()) {
            if (!item.is_string()) {
                ec = boost::json::make_error_code(boost::json::error::not_string);
                break;
            }
            out.emplace_back(item.as_string());
        }
    }
    if (ec || !v.is_array()) {
        return make_error(Errc::invalid_argument,
                          std::string(name) + " must be a JSON array of strings");
    }
    return out;
}

// The platform sets HOME for the task's user (the agent's, root); Docker sets it for the
// container's user. An inherited HOME equal to the agent's own home is the platform's default,
// not the user's choice: it is dropped, and every process gets its own user's home from the
// image's /etc/passwd (build_environment), as under Docker.
std::vector<std::string> without_platform_home(std::vector<std::string> env) {
    auto self = resolve_user_in(std::to_string(::geteuid()));
    if (!self) return env;
    const std::string platform_home = "HOME=" + self->home;
    std::erase_if(env, [&](const std::string& kv) { return kv == platform_home; });
    return env;
}

bool env_flag(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && (std::string_view(v) == "1" || std::string_view(v) == "true");
}

Status write_port_file(const std::string& path, std::uint16_t port) {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << port << "\n";
        if (!out) return make_error(Errc::internal, "cannot write port file " + tmp);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_error("rename " + tmp, errno);
    return ok();
}

// Gives connections a moment to deliver the last output and exit messages, then stops the loop.
asio::awaitable<void> drain_then_stop(Server* server, asio::steady_timer* timer,
                                      asio::io_context* io) {
    auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
    while (server != nullptr && server->open_connections() > 0 &&
           std::chrono::steady_clock::now() < deadline) {
        timer->expires_after(std::chrono::milliseconds(5));
        boost::system::error_code ec;
        co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    io->stop();
}

// Binds the address ECS task metadata reports for this task, when allowed and available; a
// failure keeps the default (every address) and is logged, since on Fargate that default works.
void bind_task_address(AgentConfig& config) {
    const char* uri = std::getenv("ECS_CONTAINER_METADATA_URI_V4");
    if (!config.address_from_metadata || uri == nullptr || *uri == '\0') return;
    auto address = fetch_task_ipv4(uri, std::chrono::seconds(2));
    if (!address) {
        log_warn("task address from metadata: " + address.error().message + "; binding " +
                 config.server.address);
        return;
    }
    config.server.address = *address;
}

}  // namespace

Status apply_environment(AgentConfig& config) {
    if (const char* port = std::getenv("SOCKERLESS_AGENT_PORT"); port != nullptr && *port != '\0') {
        unsigned value = 0;
        std::string_view sv(port);
        auto [ptr, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), value);
        if (ec != std::errc() || ptr != sv.data() + sv.size() || value > 65535) {
            return make_error(
                Errc::invalid_argument,
                "SOCKERLESS_AGENT_PORT must be a port number, got \"" + std::string(sv) + "\"");
        }
        config.server.port = static_cast<std::uint16_t>(value);
    }
    if (const char* addr = std::getenv("SOCKERLESS_AGENT_ADDR"); addr != nullptr && *addr != '\0') {
        config.server.address = addr;
        config.address_from_metadata = false;
    }
    if (const char* token = std::getenv("SOCKERLESS_AGENT_TOKEN"); token != nullptr)
        config.server.token = token;
    if (const char* f = std::getenv("SOCKERLESS_AGENT_PORT_FILE");
        f != nullptr && config.port_file.empty()) {
        config.port_file = f;
    }
    if (config.main.argv.empty()) {
        for (const char* name : {"SOCKERLESS_ORIGINAL_ENTRYPOINT", "SOCKERLESS_ORIGINAL_CMD"}) {
            const char* text = std::getenv(name);
            if (text == nullptr || *text == '\0') continue;
            auto parts = json_string_array(name, text);
            if (!parts) return parts.error();
            config.main.argv.insert(config.main.argv.end(), parts->begin(), parts->end());
        }
    }
    // Lingering is keep-alive with a main process: the agent outlives each run of it.
    config.main.keep_alive = config.main.keep_alive || env_flag("SOCKERLESS_AGENT_KEEP_ALIVE") ||
                             env_flag("SOCKERLESS_AGENT_LINGER");
    config.main.hold = config.main.hold || env_flag("SOCKERLESS_AGENT_HOLD");
    config.main.tty = config.main.tty || env_flag("SOCKERLESS_AGENT_TTY");
    config.main.open_stdin = config.main.open_stdin || env_flag("SOCKERLESS_AGENT_OPEN_STDIN");
    config.main.stdin_once = config.main.stdin_once || env_flag("SOCKERLESS_AGENT_STDIN_ONCE");
    if (const char* dir = std::getenv("SOCKERLESS_AGENT_WORKDIR"); dir != nullptr && *dir != '\0')
        config.main.defaults.workdir = dir;
    if (const char* user = std::getenv("SOCKERLESS_AGENT_USER"); user != nullptr && *user != '\0')
        config.main.defaults.user = user;
    return ok();
}

int run_agent(AgentConfig config) {
    set_log_level(config.log_level);
    // Descriptors 0-2 must exist: otherwise pipes created later take those numbers and a child's
    // dup2 onto its stdio would clobber them.
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF)
            ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    }
    ::signal(SIGPIPE, SIG_IGN);
    if (::getpid() != 1) {
        // Not PID 1 (tests, or a runtime with its own init): still become the reaper of orphans.
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    }
    config.main.defaults.env =
        overlay_environment(without_platform_home(inherited_environment()), config.launch_env);

    asio::io_context io(1);
    auto executor = io.get_executor();
    Reaper reaper(executor);
    int exit_code = 0;
    bool stopping = false;
    std::unique_ptr<Server> server;
    asio::steady_timer grace(executor);

    auto finish = [&](ExitStatus status) {
        if (stopping) return;
        stopping = true;
        exit_code = status.code;
        log_info("exiting with status " + std::to_string(status.code));
        if (server) server->shutdown();
        asio::co_spawn(executor, drain_then_stop(server.get(), &grace, &io), asio::detached);
    };

    bind_task_address(config);
    MainProcess main(executor, reaper, config.main, finish);
    AgentHost host(executor, reaper, main, config.main.defaults);
    server = std::make_unique<Server>(executor, config.server, host, [&main] {
        auto health = main.health();
        health.agent_version = SOCKERLESS_VERSION;
        return health;
    });
    auto port = server->listen();
    if (!port) {
        log_error("cannot serve: " + port.error().message);
        return 125;
    }
    if (config.server.token.empty())
        log_warn("SOCKERLESS_AGENT_TOKEN is not set: exec and attach are refused");
    if (!config.port_file.empty()) {
        if (auto st = write_port_file(config.port_file, *port); !st) {
            log_error(st.error().message);
            return 125;
        }
    }
    log_info("listening on " + config.server.address + ":" + std::to_string(*port) + " protocol " +
             std::string(agentproto::kSubprotocol));
    server->start();

    asio::signal_set forwarded(executor, SIGTERM, SIGINT, SIGHUP);
    for (int sig : {SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH})
        forwarded.add(sig);
    std::function<void()> arm = [&] {
        forwarded.async_wait([&](const boost::system::error_code& ec, int sig) {
            if (ec) return;
            main.on_agent_signal(sig);
            arm();
        });
    };
    arm();

    main.boot();
    io.run();
    return exit_code;
}

Status install_self(const std::string& destination) {
    UniqueFd in(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!in) return errno_error("open /proc/self/exe", errno);
    struct stat st {};
    if (::fstat(in.get(), &st) != 0) return errno_error("stat /proc/self/exe", errno);
    std::string tmp = destination + ".tmp";
    UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755));
    if (!out) return errno_error("create " + tmp, errno);
    off_t offset = 0;
    while (offset < st.st_size) {
        ssize_t n =
            ::sendfile(out.get(), in.get(), &offset, static_cast<std::size_t>(st.st_size - offset));
        if (n <= 0) return errno_error("copy to " + tmp, n < 0 ? errno : EIO);
    }
    if (::fchmod(out.get(), 0755) != 0) return errno_error("chmod " + tmp, errno);
    out.reset();
    if (::rename(tmp.c_str(), destination.c_str()) != 0)
        return errno_error("rename to " + destination, errno);
    return ok();
}

}  // namespace sockerless::agent
