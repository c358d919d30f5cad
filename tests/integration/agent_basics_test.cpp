// The agent as a real process, driven through the real client: health, authentication, exec
// exit codes, stdio, and the main process's exit status.

#include <sys/wait.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "agent_harness.h"

namespace sockerless::testing {
namespace {

namespace asio = boost::asio;
using agentproto::ExecRequest;

ExecRequest sh(std::string script) {
    ExecRequest r;
    r.argv = {"/bin/sh", "-c", std::move(script)};
    return r;
}

TEST(AgentBasics, HealthAnswersWithoutTokenAndDescribesMainProcess) {
    // Stdin stays open and unwritten, so the main process is certainly still running when asked.
    AgentProcess agent({.agent_args = {"--open-stdin"}, .command = {"/bin/sh", "-c", "read x"}});
    asio::io_context io;
    auto health = run_sync(io, agentclient::check_health(io.get_executor(), "127.0.0.1",
                                                         agent.port(), std::chrono::seconds(2)));
    ASSERT_TRUE(health.has_value()) << health.error().message;
    EXPECT_TRUE(health->ready);
    EXPECT_EQ(health->protocol, agentproto::kProtocolVersion);
    EXPECT_TRUE(health->main_running);
    EXPECT_GT(health->main_pid, 0);
    EXPECT_FALSE(health->exit_code.has_value());
    EXPECT_EQ(health->runs, 1);
}

TEST(AgentBasics, WrongOrMissingTokenIsRefused) {
    AgentProcess agent({.agent_args = {"--keep-alive"}});
    asio::io_context io;
    auto wrong = agent.endpoint();
    wrong.token = std::string(64, 'a');
    auto refused = run_sync(io, agentclient::Connection::connect(io.get_executor(), wrong));
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, Errc::unauthorized);
    EXPECT_NE(refused.error().message.find("401"), std::string::npos);

    auto none = agent.endpoint();
    none.token.clear();
    auto refused_empty = run_sync(io, agentclient::Connection::connect(io.get_executor(), none));
    ASSERT_FALSE(refused_empty.has_value());
    EXPECT_EQ(refused_empty.error().code, Errc::unauthorized);

    auto good = run_sync(io, agentclient::Connection::connect(io.get_executor(), agent.endpoint()));
    ASSERT_TRUE(good.has_value()) << good.error().message;
    EXPECT_EQ((*good)->hello().protocol, agentproto::kProtocolVersion);
}

TEST(AgentBasics, AgentWithoutTokenRefusesExec) {
    AgentProcess agent({.agent_args = {"--keep-alive"}, .with_token = false});
    asio::io_context io;
    auto ep = agent.endpoint();
    ep.token = "anything";
    auto refused = run_sync(io, agentclient::Connection::connect(io.get_executor(), ep));
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().message.find("no token configured"), std::string::npos);
}

TEST(AgentBasics, ExecReportsExactExitCodes) {
    AgentProcess agent({.agent_args = {"--keep-alive"}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());

    auto seven = exec_collect(io, conn, sh("exit 7"));
    ASSERT_TRUE(seven.exit.has_value());
    EXPECT_EQ(seven.exit->code, 7);
    EXPECT_EQ(seven.exit->signal, 0);

    auto killed = exec_collect(io, conn, sh("kill -9 $$"));
    ASSERT_TRUE(killed.exit.has_value());
    EXPECT_EQ(killed.exit->code, 137);
    EXPECT_EQ(killed.exit->signal, SIGKILL);

    auto zero = exec_collect(io, conn, ExecRequest{.argv = {"true"}});
    ASSERT_TRUE(zero.exit.has_value());
    EXPECT_EQ(zero.exit->code, 0);
}

TEST(AgentBasics, ExecOfMissingCommandFailsWith127AndDockerMessage) {
    AgentProcess agent({.agent_args = {"--keep-alive"}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto result = run_sync(io, conn->exec(ExecRequest{.argv = {"no-such-command-xyz"}}));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, Errc::not_found);
    EXPECT_NE(result.error().message.find(
                  "exec: \"no-such-command-xyz\": executable file not found in $PATH"),
              std::string::npos)
        << result.error().message;
}

TEST(AgentBasics, StdoutAndStderrStayApart) {
    AgentProcess agent({.agent_args = {"--keep-alive"}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto c = exec_collect(io, conn, sh("echo to-out; echo to-err >&2; echo more-out"));
    EXPECT_EQ(c.out, "to-out\nmore-out\n");
    EXPECT_EQ(c.err, "to-err\n");
    ASSERT_TRUE(c.exit.has_value());
    EXPECT_EQ(c.exit->code, 0);
}

asio::awaitable<Collected> cat_through(std::shared_ptr<agentclient::Connection> conn,
                                       std::string input) {
    // Built outside any braced list: GCC 12 miscompiles initializer lists of strings in coroutines.
    ExecRequest request;
    request.argv.push_back("cat");
    request.stdin = true;
    auto session = co_await conn->exec(std::move(request));
    if (!session) throw std::runtime_error(session.error().message);
    auto reader = asio::co_spawn(conn->executor(), collect(*session), asio::use_awaitable);
    auto st = co_await (*session)->write_stdin(std::span<const unsigned char>(
        reinterpret_cast<const unsigned char*>(input.data()), input.size()));
    if (!st) throw std::runtime_error(st.error().message);
    (*session)->close_stdin();
    co_return co_await std::move(reader);
}

TEST(AgentBasics, StdinRoundTripAndCloseGivesEof) {
    AgentProcess agent({.agent_args = {"--keep-alive"}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    std::string input;
    for (int i = 0; i < 5000; ++i)
        input += "line " + std::to_string(i) + "\n";
    auto collected = run_sync(io, cat_through(conn, input));
    EXPECT_EQ(collected.out, input);
    ASSERT_TRUE(collected.exit.has_value());
    EXPECT_EQ(collected.exit->code, 0);
}

TEST(AgentBasics, ExecSeesEnvWorkdirAndNoAgentToken) {
    AgentProcess agent({.agent_args = {"--keep-alive"}, .env = {"FROM_IMAGE=image-value"}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto c =
        exec_collect(io, conn,
                     ExecRequest{.argv = {"/bin/sh", "-c", "echo $FROM_IMAGE $EXTRA; pwd; env"},
                                 .env = {"EXTRA=exec-value"},
                                 .workdir = "/tmp"});
    EXPECT_EQ(c.out.substr(0, c.out.find('\n')), "image-value exec-value");
    EXPECT_NE(c.out.find("\n/tmp\n"), std::string::npos);
    EXPECT_EQ(c.out.find("SOCKERLESS_AGENT_TOKEN"), std::string::npos);
    EXPECT_EQ(c.out.find(agent.token()), std::string::npos);
}

TEST(AgentBasics, MainProcessExitCodeBecomesAgentExitCode) {
    AgentProcess seven({.command = {"/bin/sh", "-c", "echo bye; exit 7"}});
    EXPECT_EQ(seven.wait_exit(), 7);
    EXPECT_EQ(seven.stdout_log(), "bye\n");

    AgentProcess killed({.command = {"/bin/sh", "-c", "kill -9 $$"}});
    EXPECT_EQ(killed.wait_exit(), 137);
}

TEST(AgentBasics, MainProcessThatCannotStartExits127) {
    AgentProcess missing({.command = {"/definitely/not/here"}});
    EXPECT_EQ(missing.wait_exit(), 127);
    EXPECT_NE(missing.stderr_log().find("/definitely/not/here"), std::string::npos);
}

TEST(AgentBasics, OriginalEntrypointAndCmdComeFromTheEnvironment) {
    AgentProcess agent(
        {.env = {R"(SOCKERLESS_ORIGINAL_ENTRYPOINT=["/bin/sh","-c"])",
                 R"(SOCKERLESS_ORIGINAL_CMD=["echo \"$0\" from-env; exit 6","arg0"])"}});
    EXPECT_EQ(agent.wait_exit(), 6);
    EXPECT_EQ(agent.stdout_log(), "arg0 from-env\n");
}

TEST(AgentBasics, MalformedOriginalCmdIsRefusedAtStart) {
    // The agent exits before listening, so run it directly rather than through the harness.
    TempDir dir;
    std::string command = "SOCKERLESS_ORIGINAL_CMD='not json' " + agent_binary() + " 2>" +
                          (dir.path() / "err").string();
    int status = std::system(command.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 125);
    EXPECT_NE(read_file(dir.path() / "err")
                  .find("SOCKERLESS_ORIGINAL_CMD must be a JSON array of strings"),
              std::string::npos);
}

TEST(AgentBasics, InstallCopiesTheBinaryForInitContainers) {
    TempDir dir;
    auto dest = dir.path() / "sockerless-agent";
    std::string command = agent_binary() + " install " + dest.string();
    ASSERT_EQ(std::system(command.c_str()), 0);
    EXPECT_EQ(read_file(dest), read_file(agent_binary()));
    EXPECT_EQ(std::filesystem::status(dest).permissions() & std::filesystem::perms::all,
              std::filesystem::perms(0755));
    // The copy runs: it is the same agent.
    AgentProcess copy({.command = {"/bin/sh", "-c", "exit 3"}, .agent_path = dest.string()});
    EXPECT_EQ(copy.wait_exit(), 3);

    std::string bad =
        agent_binary() + " install " + (dir.path() / "missing" / "x").string() + " 2>/dev/null";
    int status = std::system(bad.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 1);
}

}  // namespace
}  // namespace sockerless::testing
