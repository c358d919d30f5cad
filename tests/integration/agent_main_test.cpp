// The agent's main process, with the real agent binary and the real client: attach before start
// (GitLab Runner's pattern), the replay buffer, the tee to the task log, keep-alive and restarts,
// signal forwarding, orphan reaping, and the agent as PID 1 of a busybox root filesystem.

#include <poll.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>

#include <gtest/gtest.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent_harness.h"

namespace sockerless::testing {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using agentproto::AttachRequest;
using agentproto::ExecRequest;
using agentproto::Health;
using agentproto::StartRequest;
using namespace std::chrono_literals;

constexpr auto kWait = std::chrono::milliseconds(20s);

ExecRequest sh(std::string script) {
    ExecRequest r;
    r.argv = {"/bin/sh", "-c", std::move(script)};
    return r;
}

AttachRequest attach_request(bool with_stdin, bool replay) {
    AttachRequest r;
    r.stdin = with_stdin;
    r.replay = replay;
    return r;
}

StartRequest start_request(std::vector<std::string> argv = {}) {
    StartRequest r;
    r.argv = std::move(argv);
    return r;
}

// inotify on a directory: wakes a waiter when a file in it is written, created or renamed into it.
class DirWatch {
public:
    explicit DirWatch(const fs::path& dir) : fd_(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
        if (fd_ < 0 ||
            ::inotify_add_watch(fd_, dir.c_str(),
                                IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO) < 0) {
            throw std::runtime_error("inotify on " + dir.string() + " failed");
        }
    }
    ~DirWatch() { ::close(fd_); }
    DirWatch(const DirWatch&) = delete;
    DirWatch& operator=(const DirWatch&) = delete;

    // Waits for at least one event, or `timeout`; then drains what is queued.
    void wait(std::chrono::milliseconds timeout) const {
        pollfd p{fd_, POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(timeout.count(), 0)));
        char buf[4096];
        while (::read(fd_, buf, sizeof buf) > 0) {
        }
    }

private:
    int fd_;
};

std::chrono::milliseconds left_until(std::chrono::steady_clock::time_point deadline) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
}

// Waits (on inotify events, bounded) until `path` contains `needle`.
bool wait_file_contains(const fs::path& path, const std::string& needle,
                        std::chrono::milliseconds timeout = kWait) {
    DirWatch watch(path.parent_path());  // armed before the first look: no write can slip between
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (read_file(path).find(needle) == std::string::npos) {
        auto left = left_until(deadline);
        if (left.count() <= 0) return false;
        watch.wait(left);
    }
    return true;
}

Health health_of(asio::io_context& io, const AgentProcess& agent) {
    auto h =
        run_sync(io, agentclient::check_health(io.get_executor(), "127.0.0.1", agent.port(), 5s));
    if (!h) throw std::runtime_error("health: " + h.error().message);
    return *h;
}

// Asks /health until `done` holds. Between questions it waits for the agent to write to its log
// (it logs every start and exit of the main process), with a short cap as a fallback.
Health wait_health(asio::io_context& io, const AgentProcess& agent,
                   const std::function<bool(const Health&)>& done,
                   std::chrono::milliseconds timeout = kWait) {
    DirWatch watch(agent.dir().path());
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        Health h = health_of(io, agent);
        if (done(h)) return h;
        auto left = left_until(deadline);
        if (left.count() <= 0) throw std::runtime_error("health never reached the expected state");
        watch.wait(std::min(left, std::chrono::milliseconds(100)));
    }
}

// Reads stdout of `session` until `needle` arrived; returns what was read.
asio::awaitable<std::string> read_until(std::shared_ptr<agentclient::Session> session,
                                        std::string needle) {
    std::string out;
    while (out.find(needle) == std::string::npos) {
        auto next = co_await session->read();
        if (!next) throw std::runtime_error("session failed: " + next.error().message);
        if (!*next) {
            std::string message = "session ended before \"";
            message.append(needle).append("\" arrived; got \"").append(out).append("\"");
            throw std::runtime_error(message);
        }
        if ((*next)->stream == agentproto::Stream::out) {
            out.append(reinterpret_cast<const char*>((*next)->data.data()), (*next)->data.size());
        }
    }
    co_return out;
}

// Writes `text` to the session's stdin, then closes it if asked. Returns an error message, or "".
asio::awaitable<std::string> write_text(std::shared_ptr<agentclient::Session> session,
                                        std::string text, bool close) {
    auto st = co_await session->write_stdin(std::span<const unsigned char>(
        reinterpret_cast<const unsigned char*>(text.data()), text.size()));
    if (!st) co_return st.error().message;
    if (close) session->close_stdin();
    co_return std::string();
}

void write_stdin(asio::io_context& io, const std::shared_ptr<agentclient::Session>& session,
                 std::string text, bool close) {
    auto error = run_sync(io, write_text(session, std::move(text), close));
    ASSERT_EQ(error, "");
}

std::string proc_status_field(pid_t pid, const std::string& field) {
    std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) {
            auto value = line.substr(field.size() + 1);
            value.erase(0, value.find_first_not_of(" \t"));
            return value;
        }
    }
    return {};
}

int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// Waits for `pidfd`'s process to have exited (a zombie or gone).
bool wait_pidfd(int pidfd, std::chrono::milliseconds timeout = kWait) {
    pollfd p{pidfd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

// Owns a duplicate of `fd`: a wait abandoned by a timeout closes only its own copy.
asio::awaitable<bool> until_readable(int fd) {
    asio::posix::stream_descriptor d(co_await asio::this_coro::executor, ::dup(fd));
    boost::system::error_code ec;
    co_await d.async_wait(asio::posix::stream_descriptor::wait_read,
                          asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
}

// Waits for the agent to exit while the client's io keeps running, so connections answer the
// agent's closing handshake (a daemon always does) instead of making it wait out its grace period.
std::optional<int> wait_exit_serving(asio::io_context& io, AgentProcess& agent) {
    int pidfd = pidfd_open(agent.pid());
    if (pidfd < 0) return agent.wait_exit();
    try {
        run_sync(io, until_readable(pidfd), kWait);
    } catch (const std::exception&) {
    }
    ::close(pidfd);
    return agent.wait_exit(std::chrono::milliseconds(0));
}

// ---- attach before start, replay, tee -----------------------------------------------------------

TEST(AgentMainAttach, AttachBeforeStartSeesAllOutputFeedsStdinOnceAndGetsExitStatus) {
    AgentProcess agent(
        {.agent_args = {"--hold", "--open-stdin", "--stdin-once"},
         .command = {"/bin/sh", "-c", "echo first-line; read x; echo got:$x; exit 4"}});
    asio::io_context io;
    Health held = health_of(io, agent);
    EXPECT_FALSE(held.main_running);
    EXPECT_FALSE(held.main_exited);
    EXPECT_EQ(held.runs, 0);

    auto conn = connect_or_fail(io, agent.endpoint());
    auto session = conn->attach(attach_request(/*with_stdin=*/true, /*replay=*/false));
    auto pid = run_sync(io, conn->start_main(start_request()));
    ASSERT_TRUE(pid.has_value()) << pid.error().message;
    EXPECT_GT(*pid, 0);

    EXPECT_EQ(run_sync(io, read_until(session, "first-line\n")), "first-line\n");
    write_stdin(io, session, "hello\n", /*close=*/true);
    auto rest = run_sync(io, collect(session));
    EXPECT_EQ(rest.out, "got:hello\n");
    ASSERT_TRUE(rest.exit.has_value()) << (rest.error ? rest.error->message : "");
    EXPECT_EQ(rest.exit->code, 4);
    EXPECT_EQ(rest.exit->signal, 0);
    EXPECT_EQ(wait_exit_serving(io, agent), 4);
}

TEST(AgentMainAttach, StdinWrittenAndClosedBeforeStartReachesTheProcess) {
    AgentProcess agent({.agent_args = {"--hold", "--open-stdin", "--stdin-once"},
                        .command = {"/bin/sh", "-c", "read x; echo got:$x; read y || echo eof"}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto session = conn->attach(attach_request(/*with_stdin=*/true, /*replay=*/false));
    write_stdin(io, session, "early-input\n", /*close=*/true);
    auto pid = run_sync(io, conn->start_main(start_request()));
    ASSERT_TRUE(pid.has_value()) << pid.error().message;
    auto c = run_sync(io, collect(session));
    EXPECT_EQ(c.out, "got:early-input\neof\n");
    ASSERT_TRUE(c.exit.has_value());
    EXPECT_EQ(c.exit->code, 0);
    EXPECT_EQ(wait_exit_serving(io, agent), 0);
}

TEST(AgentMainAttach, ReplayGivesEarlierOutputOnlyWhenAsked) {
    AgentProcess agent({.agent_args = {"--open-stdin"},
                        .command = {"/bin/sh", "-c", "echo early; read x; echo late:$x"}});
    // The tee to the agent's stdout comes before the replay buffer and the fan-out: once the task
    // log has the line, the replay buffer has it too.
    ASSERT_TRUE(wait_file_contains(agent.dir().path() / "agent.out", "early\n"))
        << agent.stderr_log();
    asio::io_context io;
    EXPECT_TRUE(health_of(io, agent).main_running);

    auto conn = connect_or_fail(io, agent.endpoint());
    auto replayed = conn->attach(attach_request(/*with_stdin=*/false, /*replay=*/true));
    auto live = conn->attach(attach_request(/*with_stdin=*/true, /*replay=*/false));
    write_stdin(io, live, "go\n", /*close=*/false);

    auto r = run_sync(io, collect(replayed));
    auto l = run_sync(io, collect(live));
    EXPECT_EQ(r.out, "early\nlate:go\n");
    EXPECT_EQ(l.out, "late:go\n");
    ASSERT_TRUE(r.exit.has_value()) << (r.error ? r.error->message : "") << "\n"
                                    << agent.stderr_log();
    ASSERT_TRUE(l.exit.has_value()) << (l.error ? l.error->message : "");
    EXPECT_EQ(r.exit->code, 0);
    EXPECT_EQ(l.exit->code, 0);
    EXPECT_EQ(wait_exit_serving(io, agent), 0);
    EXPECT_EQ(agent.stdout_log(), "early\nlate:go\n");
}

TEST(AgentMainAttach, ReplayIsBoundedAndKeepsTheNewestOutput) {
    AgentProcess agent({.agent_args = {"--open-stdin"},
                        .command = {"/bin/sh", "-c", "seq 1 300000; echo done-marker; read x"}});
    ASSERT_TRUE(wait_file_contains(agent.dir().path() / "agent.out", "done-marker\n"))
        << agent.stderr_log();
    std::string full;
    for (int i = 1; i <= 300000; ++i)
        full += std::to_string(i) + "\n";
    full += "done-marker\n";
    ASSERT_EQ(agent.stdout_log(), full);  // the task log has everything

    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto session = conn->attach(attach_request(true, /*replay=*/true));
    std::string replayed = run_sync(io, read_until(session, "done-marker\n"));
    // The newest output, at most the buffer's size, cut only at a chunk boundary.
    EXPECT_LE(replayed.size(), std::size_t{1} << 20);
    EXPECT_GT(replayed.size(), (std::size_t{1} << 20) - agentproto::kMaxDataPayload);
    EXPECT_EQ(full.compare(full.size() - replayed.size(), replayed.size(), replayed), 0);
    write_stdin(io, session, "\n", false);
    auto rest = run_sync(io, collect(session));
    EXPECT_EQ(rest.out, "");
    ASSERT_TRUE(rest.exit.has_value());
    EXPECT_EQ(rest.exit->code, 0);
    EXPECT_EQ(wait_exit_serving(io, agent), 0);
}

TEST(AgentMainAttach, ReplayHoldsOnlyTheCurrentRun) {
    AgentProcess agent({.agent_args = {"--keep-alive", "--hold", "--open-stdin"},
                        .command = {"/bin/sh", "-c", "echo run-$RUN; read x"}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());

    auto first = conn->attach(attach_request(true, false));
    StartRequest run1;
    run1.env = {"RUN=1"};
    ASSERT_TRUE(run_sync(io, conn->start_main(run1)).has_value());
    EXPECT_EQ(run_sync(io, read_until(first, "run-1\n")), "run-1\n");
    write_stdin(io, first, "\n", false);
    auto c1 = run_sync(io, collect(first));
    ASSERT_TRUE(c1.exit.has_value());

    auto second = conn->attach(attach_request(true, false));
    StartRequest run2;
    run2.env = {"RUN=2"};
    ASSERT_TRUE(run_sync(io, conn->start_main(run2)).has_value());
    EXPECT_EQ(run_sync(io, read_until(second, "run-2\n")), "run-2\n");
    auto replayed = conn->attach(attach_request(false, /*replay=*/true));
    write_stdin(io, second, "\n", false);
    auto r = run_sync(io, collect(replayed));
    EXPECT_EQ(r.out, "run-2\n");
    ASSERT_TRUE(r.exit.has_value());
    EXPECT_EQ(r.exit->code, 0);
    EXPECT_EQ(agent.stdout_log(), "run-1\nrun-2\n");
}

TEST(AgentMainTee, MainStdoutAndStderrGoToTheAgentsOwnStreams) {
    AgentProcess agent(
        {.command = {"/bin/sh", "-c", "echo to-out; echo to-err >&2; echo more-out"}});
    EXPECT_EQ(agent.wait_exit(), 0);
    EXPECT_EQ(agent.stdout_log(), "to-out\nmore-out\n");
    std::string err = "\n" + agent.stderr_log();  // between the agent's own log lines
    EXPECT_NE(err.find("\nto-err\n"), std::string::npos) << err;
    EXPECT_EQ(agent.stdout_log().find("to-err"), std::string::npos);
}

// ---- keep-alive
// -------------------------------------------------------------------------------------

TEST(AgentMainKeepAlive, ExitedMainLeavesAgentServingAndRunsAgain) {
    AgentProcess agent(
        {.agent_args = {"--keep-alive", "--open-stdin"}, .command = {"/bin/sh", "-c", "exit 5"}});
    asio::io_context io;
    Health h = wait_health(io, agent, [](const Health& x) { return x.main_exited; });
    EXPECT_TRUE(h.keep_alive);
    EXPECT_FALSE(h.main_running);
    EXPECT_EQ(h.main_pid, 0);
    EXPECT_EQ(h.exit_code, 5);
    EXPECT_EQ(h.runs, 1);

    auto conn = connect_or_fail(io, agent.endpoint());
    auto alive = exec_collect(io, conn, sh("echo alive"));
    EXPECT_EQ(alive.out, "alive\n");
    ASSERT_TRUE(alive.exit.has_value());
    EXPECT_EQ(alive.exit->code, 0);

    // Again with the same command: an attach made before the start sees the run's end.
    auto second = conn->attach(attach_request(false, false));
    auto pid2 = run_sync(io, conn->start_main(start_request()));
    ASSERT_TRUE(pid2.has_value()) << pid2.error().message;
    auto c2 = run_sync(io, collect(second));
    ASSERT_TRUE(c2.exit.has_value());
    EXPECT_EQ(c2.exit->code, 5);
    h = health_of(io, agent);
    EXPECT_EQ(h.runs, 2);
    EXPECT_TRUE(h.main_exited);
    EXPECT_EQ(h.exit_code, 5);

    // A new command; starting while it runs is a conflict.
    auto third = conn->attach(attach_request(true, false));
    auto pid3 =
        run_sync(io, conn->start_main(start_request({"/bin/sh", "-c", "echo up; read x; exit 6"})));
    ASSERT_TRUE(pid3.has_value()) << pid3.error().message;
    EXPECT_EQ(run_sync(io, read_until(third, "up\n")), "up\n");
    auto conflict = run_sync(io, conn->start_main(start_request()));
    ASSERT_FALSE(conflict.has_value());
    EXPECT_EQ(conflict.error().code, Errc::conflict) << conflict.error().message;
    h = health_of(io, agent);
    EXPECT_TRUE(h.main_running);
    EXPECT_FALSE(h.main_exited);
    EXPECT_EQ(h.main_pid, *pid3);
    EXPECT_EQ(h.runs, 3);
    write_stdin(io, third, "\n", false);
    auto c3 = run_sync(io, collect(third));
    EXPECT_EQ(c3.out, "");
    ASSERT_TRUE(c3.exit.has_value());
    EXPECT_EQ(c3.exit->code, 6);
    h = health_of(io, agent);
    EXPECT_FALSE(h.main_running);
    EXPECT_EQ(h.exit_code, 6);

    // Idle: a terminating signal ends the agent as it would have ended the process.
    agent.signal(SIGTERM);
    EXPECT_EQ(wait_exit_serving(io, agent), 143);
}

TEST(AgentMainKeepAlive, WithoutCommandServesExecAndStartsOnlyWithOne) {
    AgentProcess agent({.agent_args = {"--keep-alive"}});
    asio::io_context io;
    Health h = health_of(io, agent);
    EXPECT_TRUE(h.keep_alive);
    EXPECT_FALSE(h.main_running);
    EXPECT_FALSE(h.main_exited);
    EXPECT_FALSE(h.exit_code.has_value());
    EXPECT_EQ(h.runs, 0);

    auto conn = connect_or_fail(io, agent.endpoint());
    auto hi = exec_collect(io, conn, sh("echo hi"));
    EXPECT_EQ(hi.out, "hi\n");

    auto none = run_sync(io, conn->start_main(start_request()));
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().code, Errc::invalid_argument) << none.error().message;

    auto session = conn->attach(attach_request(false, false));
    auto pid = run_sync(io, conn->start_main(start_request({"/bin/sh", "-c", "exit 9"})));
    ASSERT_TRUE(pid.has_value()) << pid.error().message;
    auto c = run_sync(io, collect(session));
    ASSERT_TRUE(c.exit.has_value());
    EXPECT_EQ(c.exit->code, 9);
    h = health_of(io, agent);
    EXPECT_TRUE(h.main_exited);
    EXPECT_EQ(h.exit_code, 9);
    EXPECT_EQ(h.runs, 1);

    auto again = exec_collect(io, conn, sh("echo still-here"));
    EXPECT_EQ(again.out, "still-here\n");
    agent.signal(SIGTERM);
    EXPECT_EQ(wait_exit_serving(io, agent), 143);
}

// ---- signals
// ------------------------------------------------------------------------------------------

// A main process that waits in the shell (so traps run at once) until a signal ends it.
std::string waiting_script(const std::string& trap) {
    return trap + "echo ready; while :; do sleep 1 >/dev/null 2>&1 & wait $!; done";
}

TEST(AgentMainSignals, Usr1ToTheAgentReachesTheMainProcess) {
    AgentProcess agent(
        {.command = {"/bin/sh", "-c", waiting_script("trap 'echo got-usr1; exit 3' USR1; ")}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto session = conn->attach(attach_request(false, /*replay=*/true));
    EXPECT_EQ(run_sync(io, read_until(session, "ready\n")), "ready\n");
    agent.signal(SIGUSR1);
    auto c = run_sync(io, collect(session));
    EXPECT_EQ(c.out, "got-usr1\n");
    ASSERT_TRUE(c.exit.has_value());
    EXPECT_EQ(c.exit->code, 3);
    EXPECT_EQ(wait_exit_serving(io, agent), 3);
}

TEST(AgentMainSignals, TermIsForwardedAndTheAgentExitsWithTheMainsStatus) {
    AgentProcess agent({.command = {"/bin/sh", "-c", waiting_script("")}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto session = conn->attach(attach_request(false, true));
    EXPECT_EQ(run_sync(io, read_until(session, "ready\n")), "ready\n");
    agent.signal(SIGTERM);
    auto c = run_sync(io, collect(session));
    ASSERT_TRUE(c.exit.has_value());
    EXPECT_EQ(c.exit->code, 143);
    EXPECT_EQ(c.exit->signal, SIGTERM);  // the main process died of it: the agent forwarded it
    EXPECT_EQ(wait_exit_serving(io, agent), 143);
}

TEST(AgentMainSignals, TermWithKeepAliveEndsTheAgentAfterTheMainProcess) {
    AgentProcess agent(
        {.agent_args = {"--keep-alive"},
         .command = {"/bin/sh", "-c", waiting_script("trap 'echo bye; exit 42' TERM; ")}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto session = conn->attach(attach_request(false, true));
    EXPECT_EQ(run_sync(io, read_until(session, "ready\n")), "ready\n");
    agent.signal(SIGTERM);
    auto c = run_sync(io, collect(session));
    EXPECT_EQ(c.out, "bye\n");
    ASSERT_TRUE(c.exit.has_value());
    EXPECT_EQ(c.exit->code, 42);
    EXPECT_EQ(wait_exit_serving(io, agent),
              42);  // not 143: the process decided, and keep-alive did not hold
}

// ---- reaping
// ------------------------------------------------------------------------------------------

TEST(AgentMainReaper, OrphanedGrandchildIsReparentedAndReaped) {
    AgentProcess agent({.agent_args = {"--keep-alive"}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto spawn = exec_collect(io, conn, sh("sleep 1000 >/dev/null 2>&1 & echo $!"));
    ASSERT_TRUE(spawn.exit.has_value());
    ASSERT_EQ(spawn.exit->code, 0);
    pid_t orphan = std::stoi(spawn.out);
    ASSERT_GT(orphan, 0);
    // Its shell exited (and was reaped) before the exec ended: the orphan now belongs to the agent.
    EXPECT_EQ(proc_status_field(orphan, "PPid"), std::to_string(agent.pid()));

    int pidfd = pidfd_open(orphan);
    ASSERT_GE(pidfd, 0);
    ASSERT_EQ(::kill(orphan, SIGKILL), 0);
    ASSERT_TRUE(wait_pidfd(pidfd));
    ::close(pidfd);
    // The orphan is now at least a zombie. The agent reaps with waitpid(-1) until nothing is left,
    // so once it reaped this exec's process, it reaped the orphan too.
    auto barrier = exec_collect(io, conn, ExecRequest{.argv = {"true"}});
    ASSERT_TRUE(barrier.exit.has_value());
    EXPECT_FALSE(fs::exists("/proc/" + std::to_string(orphan)))
        << read_file("/proc/" + std::to_string(orphan) + "/stat");
}

// ---- PID 1 in a busybox root filesystem
// ----------------------------------------------------------------

// The agent as PID 1 of a new pid namespace, chrooted into a busybox image: /proc of the namespace
// and the host's /dev (every container runtime provides one) mounted in a private mount namespace.
class AgentMainPid1 : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        skip_reason = new std::string;
        if (::geteuid() != 0) {
            *skip_reason = "needs root for unshare --pid --mount and chroot";
        } else if (!agent_is_static()) {
            *skip_reason = "the agent of this build is not statically linked";
        } else if (!fs::exists(kUnshare)) {
            *skip_reason = std::string(kUnshare) + " is not installed";
        } else if (!fs::exists(kBusybox)) {
            *skip_reason = std::string(kBusybox) + " is not installed (busybox-static)";
        }
        if (!skip_reason->empty()) return;
        image = new TempDir;
        std::string root = (image->path() / "root").string();
        std::string command =
            "/bin/bash " + repo_root() + "/scripts/make-busybox-rootfs.sh " + root;
        if (std::system(command.c_str()) != 0) {
            *skip_reason = "make-busybox-rootfs.sh failed";
            return;
        }
        fs::copy_file(agent_binary(), fs::path(root) / "sockerless-agent");
        fs::permissions(fs::path(root) / "sockerless-agent", fs::perms(0755));
    }
    static void TearDownTestSuite() {
        delete image;
        image = nullptr;
        delete skip_reason;
        skip_reason = nullptr;
    }
    void SetUp() override {
        if (!skip_reason->empty()) GTEST_SKIP() << *skip_reason;
        std::error_code ec;
        fs::remove(root() / "tmp" / "agent.port", ec);  // the previous test's agent wrote one
    }

    static fs::path root() { return image->path() / "root"; }

    static AgentOptions options(std::vector<std::string> agent_args,
                                std::vector<std::string> command = {}) {
        AgentOptions o;
        o.agent_args = std::move(agent_args);
        o.command = std::move(command);
        o.wrapper = {kUnshare,       "--pid",         "--mount", "--fork",
                     "--kill-child", "--propagation", "private", "/bin/sh",
                     "-c",           kChrootScript,   "sh",      root().string()};
        o.agent_path = "/sockerless-agent";
        o.rootfs = root();
        return o;
    }

    static constexpr const char* kUnshare = "/usr/bin/unshare";
    static constexpr const char* kBusybox = "/bin/busybox";
    // Run by /bin/sh -c with the rootfs and the command as arguments: mounts /proc and /dev into
    // the rootfs, then runs the command chrooted there.
    static constexpr const char* kChrootScript =
        "root=$1; shift; mount -t proc proc \"$root/proc\" && mount --rbind /dev \"$root/dev\" && "
        "exec chroot \"$root\" \"$@\"";
    static inline std::string* skip_reason = nullptr;
    static inline TempDir* image = nullptr;
};

// The host pid of the process that is `ns_pid` in the pid namespace of `agent` (the only child of
// the unshare process the harness started).
pid_t host_pid_in_agent_namespace(const AgentProcess& agent, pid_t ns_pid) {
    std::string unshare = std::to_string(agent.pid());
    std::istringstream children(read_file("/proc/" + unshare + "/task/" + unshare + "/children"));
    pid_t init = 0;
    children >> init;
    if (init <= 0) return 0;
    std::error_code ec;
    auto ns = fs::read_symlink("/proc/" + std::to_string(init) + "/ns/pid", ec);
    if (ec) return 0;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        pid_t pid = std::stoi(name);
        std::error_code ec2;
        if (fs::read_symlink(entry.path() / "ns" / "pid", ec2) != ns || ec2) continue;
        std::string nspid = proc_status_field(pid, "NSpid");  // "host ... innermost"
        auto last = nspid.find_last_of(" \t");
        if (!nspid.empty() &&
            nspid.substr(last == std::string::npos ? 0 : last + 1) == std::to_string(ns_pid)) {
            return pid;
        }
    }
    return 0;
}

TEST_F(AgentMainPid1, AgentIsPid1AndExecRunsBusyboxShell) {
    AgentProcess agent(options({"--keep-alive"}));
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto comm = exec_collect(io, conn, ExecRequest{.argv = {"cat", "/proc/1/comm"}});
    EXPECT_EQ(comm.out, "sockerless-agen\n") << comm.err;
    ASSERT_TRUE(comm.exit.has_value());
    EXPECT_EQ(comm.exit->code, 0);

    auto shell = exec_collect(
        io, conn, sh("echo $$; readlink /bin/sh; test -e /lib/x86_64-linux-gnu || echo no-libc"));
    ASSERT_TRUE(shell.exit.has_value()) << (shell.error ? shell.error->message : "");
    EXPECT_EQ(shell.exit->code, 0) << shell.err;
    std::istringstream lines(shell.out);
    std::string pid, sh_target, libc;
    std::getline(lines, pid);
    std::getline(lines, sh_target);
    std::getline(lines, libc);
    EXPECT_GT(std::stoi(pid), 1);
    EXPECT_EQ(sh_target, "/bin/busybox");
    EXPECT_EQ(libc, "no-libc");
}

TEST_F(AgentMainPid1, MainExitCodeIsTheExitCodeOfTheWholeTask) {
    AgentProcess agent(options({}, {"/bin/sh", "-c", "echo from-busybox; exit 7"}));
    EXPECT_EQ(agent.wait_exit(), 7) << agent.stderr_log();
    EXPECT_EQ(agent.stdout_log(), "from-busybox\n");
}

TEST_F(AgentMainPid1, OrphanInsideTheNamespaceIsReapedByPid1) {
    AgentProcess agent(options({"--keep-alive"}));
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto spawn = exec_collect(io, conn, sh("sleep 1000 >/dev/null 2>&1 & echo $!"));
    ASSERT_TRUE(spawn.exit.has_value());
    ASSERT_EQ(spawn.exit->code, 0) << spawn.err;
    pid_t orphan = std::stoi(spawn.out);
    std::string proc_path = "/proc/" + std::to_string(orphan);
    auto status =
        exec_collect(io, conn, ExecRequest{.argv = {"grep", "^PPid:", proc_path + "/status"}});
    EXPECT_EQ(status.out, "PPid:\t1\n");

    pid_t host = host_pid_in_agent_namespace(agent, orphan);
    ASSERT_GT(host, 0) << "no host pid for namespace pid " << orphan;
    int pidfd = pidfd_open(host);
    ASSERT_GE(pidfd, 0);
    ASSERT_EQ(::kill(host, SIGKILL), 0);
    ASSERT_TRUE(wait_pidfd(pidfd));
    ::close(pidfd);
    auto barrier = exec_collect(io, conn, ExecRequest{.argv = {"true"}});
    ASSERT_TRUE(barrier.exit.has_value());

    auto inside = exec_collect(
        io, conn, sh("test -e " + proc_path + " && cat " + proc_path + "/stat || echo gone"));
    EXPECT_EQ(inside.out, "gone\n");
    EXPECT_FALSE(fs::exists("/proc/" + std::to_string(host)));
}

TEST_F(AgentMainPid1, TermFromInsideEndsAnIdleKeepAliveAgent) {
    AgentProcess agent(options({"--keep-alive"}));
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    // As PID 1 the agent gets only signals it handles; the exec may or may not see its own end
    // before the agent closes the connection.
    exec_collect(io, conn, ExecRequest{.argv = {"kill", "-TERM", "1"}});
    EXPECT_EQ(wait_exit_serving(io, agent), 143) << agent.stderr_log();
}

TEST_F(AgentMainPid1, TermFromInsideIsForwardedToTheMainProcess) {
    AgentProcess agent(
        options({}, {"/bin/sh", "-c", waiting_script("trap 'echo bye; exit 42' TERM; ")}));
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto session = conn->attach(attach_request(false, true));
    EXPECT_EQ(run_sync(io, read_until(session, "ready\n")), "ready\n");
    exec_collect(io, conn, ExecRequest{.argv = {"kill", "-TERM", "1"}});
    auto c = run_sync(io, collect(session));
    EXPECT_EQ(c.out, "bye\n");
    ASSERT_TRUE(c.exit.has_value());
    EXPECT_EQ(c.exit->code, 42);
    EXPECT_EQ(wait_exit_serving(io, agent), 42) << agent.stderr_log();
}

}  // namespace
}  // namespace sockerless::testing
