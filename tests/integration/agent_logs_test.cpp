// Logs sessions (docs/agent-protocol.md section 17) with the real agent binary and the real
// client: both streams with their times and in the order read, since/until/tail, following live
// output, logs across restarts of the main process, and the bounded buffer. The main process is
// paced through its stdin and observed through an attach session, so every wait is on an event.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent_harness.h"

namespace sockerless::testing {
namespace {

namespace asio = boost::asio;
using agentclient::Output;
using agentproto::AttachRequest;
using agentproto::LogsRequest;
using agentproto::StartRequest;
using agentproto::Stream;

struct Logged {
    std::vector<Output> entries;
    std::string out, err;
    std::optional<agentproto::LogsEnd> end;
    std::optional<Error> error;

    std::string text(std::size_t i) const {
        return {entries[i].data.begin(), entries[i].data.end()};
    }
};

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void add(Logged& logged, Output piece) {
    std::string& target = piece.stream == Stream::err ? logged.err : logged.out;
    target.append(piece.data.begin(), piece.data.end());
    logged.entries.push_back(std::move(piece));
}

// Reads a logs session to its end.
asio::awaitable<Logged> collect_logs(std::shared_ptr<agentclient::Session> session) {
    Logged logged;
    while (true) {
        auto next = co_await session->read();
        if (!next) {
            logged.error = next.error();
            break;
        }
        if (!*next) break;
        add(logged, std::move(**next));
    }
    logged.end = session->logs_end();
    co_return logged;
}

// Reads a session until its stdout holds `needle`, into `logged`.
asio::awaitable<std::string> read_until(std::shared_ptr<agentclient::Session> session,
                                        Logged* logged, std::string needle) {
    while (logged->out.find(needle) == std::string::npos) {
        auto next = co_await session->read();
        if (!next) co_return next.error().message;
        if (!*next)
            co_return "session ended before \"" + needle + "\"; got \"" + logged->out + "\"";
        add(*logged, std::move(**next));
    }
    co_return std::string();
}

Logged logs_of(asio::io_context& io, const std::shared_ptr<agentclient::Connection>& conn,
               LogsRequest request) {
    auto session = conn->logs(request);
    if (!session) throw std::runtime_error("logs: " + session.error().message);
    return run_sync(io, collect_logs(*session));
}

AttachRequest attach_with_stdin() {
    AttachRequest r;
    r.stdin = true;
    return r;
}

// Writes a line to the main process and waits for what it prints next (on stdout or stderr).
void step(asio::io_context& io, const std::shared_ptr<agentclient::Session>& attached, Logged& seen,
          const std::string& expect_out, const std::string& expect_err = {}) {
    std::string line = "\n";
    auto st = run_sync(io, attached->write_stdin(std::span<const unsigned char>(
                               reinterpret_cast<const unsigned char*>(line.data()), 1)));
    ASSERT_TRUE(st.has_value()) << st.error().message;
    while (seen.out.find(expect_out) == std::string::npos ||
           seen.err.find(expect_err) == std::string::npos) {
        auto next = run_sync(io, attached->read());
        ASSERT_TRUE(next.has_value()) << next.error().message;
        ASSERT_TRUE(next->has_value()) << "attach ended; out \"" << seen.out << "\"";
        add(seen, std::move(**next));
    }
}

// A held main process that prints one thing per line of input: o1, e1 (stderr), "o2\npartial",
// e2 (stderr), then waits for a last line before it exits.
struct PacedAgent {
    AgentProcess agent{
        {.agent_args = {"--hold", "--open-stdin"},
         .command = {"/bin/sh", "-c",
                     "echo o1; read a; echo e1 >&2; read b; printf 'o2\\npartial'; read c; "
                     "echo e2 >&2; read d"}}};
    asio::io_context io;
    std::shared_ptr<agentclient::Connection> conn = connect_or_fail(io, agent.endpoint());
    std::shared_ptr<agentclient::Session> attached = conn->attach(attach_with_stdin());
    Logged seen;
    std::int64_t started_at = now_ns();

    PacedAgent() {
        auto pid = run_sync(io, conn->start_main(StartRequest{}));
        if (!pid) throw std::runtime_error("start: " + pid.error().message);
        auto error = run_sync(io, read_until(attached, &seen, "o1\n"));
        if (!error.empty()) throw std::runtime_error(error);
    }
    void run_to_the_end() {
        step(io, attached, seen, "o1\n", "e1\n");
        step(io, attached, seen, "o2\npartial", "e1\n");
        step(io, attached, seen, "o2\npartial", "e1\ne2\n");
    }
};

TEST(AgentLogs, AgentAnnouncesLogsInItsHello) {
    AgentProcess agent({.agent_args = {"--keep-alive"}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    EXPECT_EQ(conn->hello().features, std::vector<std::string>{"logs"});
}

TEST(AgentLogs, BothStreamsArriveApartInTheOrderReadWithTheirTimes) {
    PacedAgent paced;
    paced.run_to_the_end();
    std::int64_t asked_at = now_ns();

    auto logged = logs_of(paced.io, paced.conn, LogsRequest{});
    ASSERT_FALSE(logged.error) << logged.error->message;
    ASSERT_TRUE(logged.end.has_value());
    EXPECT_EQ(logged.end->dropped, 0u);
    EXPECT_EQ(logged.out, "o1\no2\npartial");
    EXPECT_EQ(logged.err, "e1\ne2\n");
    // Each was printed only after the client saw the one before it: one entry each, in order.
    ASSERT_EQ(logged.entries.size(), 4u);
    const char* texts[] = {"o1\n", "e1\n", "o2\npartial", "e2\n"};
    const Stream streams[] = {Stream::out, Stream::err, Stream::out, Stream::err};
    for (std::size_t i = 0; i < logged.entries.size(); ++i) {
        EXPECT_EQ(logged.text(i), texts[i]);
        EXPECT_EQ(logged.entries[i].stream, streams[i]) << i;
        EXPECT_GE(logged.entries[i].time, paced.started_at) << i;
        EXPECT_LE(logged.entries[i].time, asked_at) << i;
        if (i > 0) {
            EXPECT_LT(logged.entries[i - 1].time, logged.entries[i].time) << i;
        }
    }

    // Only one stream.
    auto err_only = logs_of(paced.io, paced.conn, LogsRequest{.stdout = false});
    EXPECT_EQ(err_only.out, "");
    EXPECT_EQ(err_only.err, "e1\ne2\n");
}

TEST(AgentLogs, SinceUntilAndTailSelectWhatDockerWould) {
    PacedAgent paced;
    paced.run_to_the_end();
    auto all = logs_of(paced.io, paced.conn, LogsRequest{});
    ASSERT_GE(all.entries.size(), 3u);
    std::int64_t e1_time = all.entries[1].time;
    ASSERT_EQ(all.text(1), "e1\n");

    auto since = logs_of(paced.io, paced.conn, LogsRequest{.since = e1_time});
    EXPECT_EQ(since.out, "o2\npartial");
    EXPECT_EQ(since.err, "e1\ne2\n");
    auto until = logs_of(paced.io, paced.conn, LogsRequest{.until = e1_time});
    EXPECT_EQ(until.out, "o1\n");
    EXPECT_EQ(until.err, "e1\n");
    auto window = logs_of(paced.io, paced.conn, LogsRequest{.since = e1_time, .until = e1_time});
    EXPECT_EQ(window.out, "");
    EXPECT_EQ(window.err, "e1\n");

    // Lines, newest last: o1, e1, o2, "partial" (unterminated), e2.
    auto tail1 = logs_of(paced.io, paced.conn, LogsRequest{.tail = 1});
    EXPECT_EQ(tail1.out, "");
    EXPECT_EQ(tail1.err, "e2\n");
    auto tail2 = logs_of(paced.io, paced.conn, LogsRequest{.tail = 2});
    EXPECT_EQ(tail2.out, "partial");
    EXPECT_EQ(tail2.err, "e2\n");
    auto tail2_out = logs_of(paced.io, paced.conn, LogsRequest{.stderr = false, .tail = 2});
    EXPECT_EQ(tail2_out.out, "o2\npartial");
    auto tail_err = logs_of(paced.io, paced.conn, LogsRequest{.stdout = false, .tail = 1});
    EXPECT_EQ(tail_err.err, "e2\n");
    auto tail0 = logs_of(paced.io, paced.conn, LogsRequest{.tail = 0});
    EXPECT_TRUE(tail0.entries.empty());
    ASSERT_TRUE(tail0.end.has_value());
    auto tail_many = logs_of(paced.io, paced.conn, LogsRequest{.tail = 1000});
    EXPECT_EQ(tail_many.out, all.out);
    EXPECT_EQ(tail_many.err, all.err);
}

TEST(AgentLogs, FollowGivesTheBacklogThenLiveOutputUntilTheClientStops) {
    PacedAgent paced;
    auto follow = paced.conn->logs(LogsRequest{.stderr = false, .follow = true});
    ASSERT_TRUE(follow.has_value()) << follow.error().message;
    Logged followed;
    EXPECT_EQ(run_sync(paced.io, read_until(*follow, &followed, "o1\n")), "");
    paced.run_to_the_end();
    EXPECT_EQ(run_sync(paced.io, read_until(*follow, &followed, "partial")), "");
    (*follow)->stop_following();
    auto rest = run_sync(paced.io, collect_logs(*follow));
    ASSERT_FALSE(rest.error) << rest.error->message;
    ASSERT_TRUE(rest.end.has_value());
    EXPECT_EQ(followed.out + rest.out, "o1\no2\npartial");
    EXPECT_EQ(followed.err + rest.err, "");
}

TEST(AgentLogs, FollowEndsWhenTheMainProcessEndsTheAgent) {
    PacedAgent paced;
    auto follow = paced.conn->logs(LogsRequest{.follow = true});
    ASSERT_TRUE(follow.has_value()) << follow.error().message;
    paced.run_to_the_end();
    step(paced.io, paced.attached, paced.seen, "");  // the last read: the process exits
    auto logged = run_sync(paced.io, collect_logs(*follow));
    ASSERT_FALSE(logged.error) << logged.error->message;
    ASSERT_TRUE(logged.end.has_value());
    EXPECT_EQ(logged.out, "o1\no2\npartial");
    EXPECT_EQ(logged.err, "e1\ne2\n");
}

TEST(AgentLogs, LogsSpanRestartsOfTheMainProcess) {
    AgentProcess agent({.agent_args = {"--keep-alive", "--hold"},
                        .command = {"/bin/sh", "-c", "echo run-$RUN; echo err-$RUN >&2"}});
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto run = [&](const std::string& n) {
        auto attached = conn->attach(AttachRequest{});
        StartRequest start;
        start.env = {"RUN=" + n};
        auto pid = run_sync(io, conn->start_main(start));
        ASSERT_TRUE(pid.has_value()) << pid.error().message;
        auto c = run_sync(io, collect(attached));
        ASSERT_TRUE(c.exit.has_value());
    };
    run("1");
    auto follow = conn->logs(LogsRequest{.follow = true});
    ASSERT_TRUE(follow.has_value()) << follow.error().message;
    Logged followed;
    EXPECT_EQ(run_sync(io, read_until(*follow, &followed, "run-1\n")), "");
    run("2");

    auto logged = logs_of(io, conn, LogsRequest{});
    EXPECT_EQ(logged.out, "run-1\nrun-2\n");
    EXPECT_EQ(logged.err, "err-1\nerr-2\n");
    for (std::size_t i = 1; i < logged.entries.size(); ++i)
        EXPECT_GE(logged.entries[i].time, logged.entries[i - 1].time);
    auto last = logs_of(io, conn, LogsRequest{.stderr = false, .tail = 1});
    EXPECT_EQ(last.out, "run-2\n");

    // The follower outlived the first run's end and got the second run's output.
    EXPECT_EQ(run_sync(io, read_until(*follow, &followed, "run-2\n")), "");
    (*follow)->stop_following();
    auto rest = run_sync(io, collect_logs(*follow));
    ASSERT_TRUE(rest.end.has_value());
    EXPECT_EQ(followed.out + rest.out, "run-1\nrun-2\n");
}

TEST(AgentLogs, TheBufferIsBoundedAndKeepsTheNewestOutput) {
    AgentProcess agent({.agent_args = {"--hold", "--open-stdin"},
                        .command = {"/bin/sh", "-c", "seq 1 400000; echo done-marker; read x"}});
    std::string full;
    for (int i = 1; i <= 400000; ++i)
        full += std::to_string(i) + "\n";
    full += "done-marker\n";
    asio::io_context io;
    auto conn = connect_or_fail(io, agent.endpoint());
    auto attached = conn->attach(attach_with_stdin());
    ASSERT_TRUE(run_sync(io, conn->start_main(StartRequest{})).has_value());
    Logged seen;
    ASSERT_EQ(run_sync(io, read_until(attached, &seen, "done-marker\n")), "");
    ASSERT_EQ(seen.out, full);

    // A small window: entries are cut into frames that repeat their time.
    auto logged = logs_of(io, conn, LogsRequest{.window = 4096});
    ASSERT_FALSE(logged.error) << logged.error->message;
    ASSERT_TRUE(logged.end.has_value());
    EXPECT_LE(logged.out.size(), std::size_t{2} << 20);
    EXPECT_GT(logged.out.size(), std::size_t{3} << 19);
    ASSERT_LT(logged.out.size(), full.size());
    EXPECT_EQ(full.compare(full.size() - logged.out.size(), logged.out.size(), logged.out), 0);
    EXPECT_EQ(logged.end->dropped, full.size() - logged.out.size());
    for (const Output& piece : logged.entries)
        EXPECT_LE(piece.data.size(), 4096u);

    auto tail = logs_of(io, conn, LogsRequest{.tail = 3});
    EXPECT_EQ(tail.out, "399999\n400000\ndone-marker\n");
}

TEST(AgentLogs, ALogsSessionHasNoProcessToSignal) {
    PacedAgent paced;
    auto follow = paced.conn->logs(LogsRequest{.follow = true});
    ASSERT_TRUE(follow.has_value());
    (*follow)->signal(15);
    (*follow)->stop_following();
    auto logged = run_sync(paced.io, collect_logs(*follow));
    ASSERT_TRUE(logged.end.has_value());
    ASSERT_TRUE((*follow)->error().has_value());
    EXPECT_EQ((*follow)->error()->code, Errc::conflict);
    EXPECT_EQ(logged.out, "o1\n");
}

}  // namespace
}  // namespace sockerless::testing
