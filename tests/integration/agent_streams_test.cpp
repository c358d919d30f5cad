// Streams through the real agent, driven by the real client (and, where the client would refuse to
// send something, by a raw WebSocket): large output checked end to end with and without a tight
// flow-control window, stdout and stderr kept apart, many concurrent sessions without cross-talk,
// malformed input that closes only what it concerns, protocol-version refusal, terminals, users
// and signals. Every wait is bounded by run_sync's timeout; nothing sleeps to synchronise.

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "agent_harness.h"

namespace sockerless::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using agentproto::ExecRequest;
using agentproto::Stream;

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
// One step of a raw exchange (a frame, an HTTP answer) must not take longer than this.
constexpr std::chrono::seconds kStep{20};

tcp::endpoint loopback(std::uint16_t port) {
    return {asio::ip::make_address("127.0.0.1"), port};
}

// Requests are built here, outside coroutines: GCC 12 miscompiles braced lists of strings in them.
ExecRequest sh(std::string script) {
    ExecRequest r;
    r.argv = {"/bin/sh", "-c", std::move(script)};
    return r;
}

class AgentStreams : public ::testing::Test {
protected:
    AgentProcess agent{AgentOptions{.agent_args = {"--keep-alive"}}};
    asio::io_context io;
};

// ---- 100 MiB with a checksum -----------------------------------------------------------------

class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
            throw std::runtime_error("SHA-256 initialisation failed");
        }
    }
    void update(const void* data, std::size_t size) {
        if (EVP_DigestUpdate(ctx_.get(), data, size) != 1)
            throw std::runtime_error("SHA-256 update failed");
    }
    std::string hex() {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        if (EVP_DigestFinal_ex(ctx_.get(), digest, &length) != 1)
            throw std::runtime_error("SHA-256 final failed");
        static constexpr char kDigits[] = "0123456789abcdef";
        std::string out;
        for (unsigned int i = 0; i < length; ++i) {
            out.push_back(kDigits[digest[i] >> 4]);
            out.push_back(kDigits[digest[i] & 0xf]);
        }
        return out;
    }

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

struct Digest {
    std::string sha256;
    std::uint64_t bytes = 0;
};

// Writes `size` pseudo-random bytes (splitmix64) and returns their digest.
Digest write_random_file(const fs::path& path, std::uint64_t size, std::uint64_t seed) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    Sha256 sha;
    std::vector<unsigned char> block(1u << 20);
    std::uint64_t state = seed;
    std::uint64_t written = 0;
    while (written < size) {
        for (std::size_t i = 0; i < block.size(); i += 8) {
            state += 0x9e3779b97f4a7c15ULL;
            std::uint64_t z = state;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            z ^= z >> 31;
            std::memcpy(block.data() + i, &z, 8);
        }
        std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), size - written));
        out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
        sha.update(block.data(), n);
        written += n;
    }
    out.close();
    if (!out) throw std::runtime_error("cannot write " + path.string());
    return {sha.hex(), written};
}

struct StreamedDigest {
    Digest out;
    std::uint64_t err_bytes = 0;
    std::size_t largest_piece = 0;
    std::optional<agentproto::Exit> exit;
    std::optional<Error> error;
};

// Runs the exec and hashes its stdout as it arrives, holding one piece at a time.
asio::awaitable<StreamedDigest> hash_stdout(std::shared_ptr<agentclient::Connection> conn,
                                            ExecRequest request) {
    StreamedDigest d;
    auto session = co_await conn->exec(std::move(request));
    if (!session) {
        d.error = session.error();
        co_return d;
    }
    Sha256 sha;
    while (true) {
        auto piece = co_await (*session)->read();
        if (!piece) {
            d.error = piece.error();
            break;
        }
        if (!*piece) break;
        const auto& output = **piece;
        d.largest_piece = std::max(d.largest_piece, output.data.size());
        if (output.stream == Stream::out) {
            sha.update(output.data.data(), output.data.size());
            d.out.bytes += output.data.size();
        } else {
            d.err_bytes += output.data.size();
        }
    }
    d.out.sha256 = sha.hex();
    d.exit = (*session)->exit_status();
    if (!d.error) d.error = (*session)->error();
    co_return d;
}

ExecRequest cat_file(const fs::path& path, std::uint32_t window) {
    ExecRequest r;
    r.argv = {"cat", path.string()};
    r.window = window;
    return r;
}

constexpr std::uint64_t k100MiB = 100ull << 20;

TEST_F(AgentStreams, HundredMiBThroughStdoutArrivesIntactWithDefaultWindow) {
    fs::path file = agent.dir().path() / "random.bin";
    Digest expected = write_random_file(file, k100MiB, 0x5eed0001);
    auto conn = connect_or_fail(io, agent.endpoint());
    auto got = run_sync(io, hash_stdout(conn, cat_file(file, agentproto::kDefaultWindow)),
                        std::chrono::seconds(100));
    ASSERT_FALSE(got.error.has_value()) << got.error->message;
    ASSERT_TRUE(got.exit.has_value());
    EXPECT_EQ(got.exit->code, 0);
    EXPECT_EQ(got.out.bytes, expected.bytes);
    EXPECT_EQ(got.out.sha256, expected.sha256);
    EXPECT_EQ(got.err_bytes, 0u);
    EXPECT_LE(got.largest_piece, agentproto::kMaxDataPayload);
}

TEST_F(AgentStreams, HundredMiBThroughStdoutArrivesIntactWithSmallWindow) {
    constexpr std::uint32_t kWindow = 64u << 10;
    fs::path file = agent.dir().path() / "random.bin";
    Digest expected = write_random_file(file, k100MiB, 0x5eed0002);
    auto conn = connect_or_fail(io, agent.endpoint());
    auto got = run_sync(io, hash_stdout(conn, cat_file(file, kWindow)), std::chrono::seconds(100));
    ASSERT_FALSE(got.error.has_value()) << got.error->message;
    ASSERT_TRUE(got.exit.has_value());
    EXPECT_EQ(got.exit->code, 0);
    EXPECT_EQ(got.out.bytes, expected.bytes);
    EXPECT_EQ(got.out.sha256, expected.sha256);
    EXPECT_EQ(got.err_bytes, 0u);
    // The agent never sends more than the client granted, so no single frame exceeds the window.
    EXPECT_LE(got.largest_piece, kWindow);
}

// ---- stdout and stderr apart ------------------------------------------------------------------

TEST_F(AgentStreams, StdoutAndStderrStayApartUnderVolume) {
    constexpr int kLines = 30000;
    const std::string pad(100, 'x');
    auto conn = connect_or_fail(io, agent.endpoint());
    auto c =
        exec_collect(io, conn,
                     sh("pad=" + pad + "; i=0; while [ $i -lt " + std::to_string(kLines) +
                        " ]; do echo \"out-$i $pad\"; echo \"err-$i $pad\" >&2; i=$((i+1)); done"));
    std::string expected_out, expected_err;
    for (int i = 0; i < kLines; ++i) {
        expected_out += "out-" + std::to_string(i) + " " + pad + "\n";
        expected_err += "err-" + std::to_string(i) + " " + pad + "\n";
    }
    ASSERT_FALSE(c.error.has_value()) << c.error->message;
    ASSERT_TRUE(c.exit.has_value());
    EXPECT_EQ(c.exit->code, 0);
    EXPECT_EQ(c.out.size(), expected_out.size());
    EXPECT_EQ(c.err.size(), expected_err.size());
    EXPECT_TRUE(c.out == expected_out) << "stdout differs from the expected " << kLines << " lines";
    EXPECT_TRUE(c.err == expected_err) << "stderr differs from the expected " << kLines << " lines";
}

// ---- concurrent sessions ----------------------------------------------------------------------

// Runs all tasks at once and returns their results in order.
template <class T>
asio::awaitable<std::vector<T>> all_of(std::vector<asio::awaitable<T>> tasks) {
    struct State {
        explicit State(const asio::any_io_executor& executor, std::size_t n)
            : results(n), wake(executor) {}
        std::vector<std::optional<T>> results;
        std::exception_ptr error;
        std::size_t done = 0;
        agentclient::Wakeup wake;
    };
    auto executor = co_await asio::this_coro::executor;
    auto state = std::make_shared<State>(executor, tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        asio::co_spawn(executor, std::move(tasks[i]),
                       [state, i](const std::exception_ptr& e, T value) {
                           if (e) {
                               state->error = e;
                           } else {
                               state->results[i].emplace(std::move(value));
                           }
                           ++state->done;
                           state->wake.notify();
                       });
    }
    while (state->done < state->results.size())
        co_await state->wake.wait();
    if (state->error) std::rethrow_exception(state->error);
    std::vector<T> out;
    for (auto& r : state->results)
        out.push_back(std::move(*r));
    co_return out;
}

asio::awaitable<Collected> exec_and_collect(std::shared_ptr<agentclient::Connection> conn,
                                            ExecRequest request) {
    auto session = co_await conn->exec(std::move(request));
    if (!session) {
        Collected c;
        c.error = session.error();
        co_return c;
    }
    co_return co_await collect(*session);
}

constexpr int kLinesPerSession = 2000;

ExecRequest numbered_session(int k) {
    return sh("i=0; while [ $i -lt " + std::to_string(kLinesPerSession) + " ]; do echo \"session-" +
              std::to_string(k) + " line-$i\"; i=$((i+1)); done; exit " + std::to_string(k % 256));
}

std::string numbered_output(int k) {
    std::string out;
    for (int i = 0; i < kLinesPerSession; ++i)
        out += "session-" + std::to_string(k) + " line-" + std::to_string(i) + "\n";
    return out;
}

// Runs session K = first_k + i on connections[i % connections.size()], all at once, and checks
// that each got exactly its own output and exit code.
void run_numbered_sessions(asio::io_context& io,
                           const std::vector<std::shared_ptr<agentclient::Connection>>& connections,
                           int first_k, int count) {
    std::vector<asio::awaitable<Collected>> tasks;
    tasks.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        tasks.push_back(
            exec_and_collect(connections[static_cast<std::size_t>(i) % connections.size()],
                             numbered_session(first_k + i)));
    }
    auto results = run_sync(io, all_of(std::move(tasks)), std::chrono::seconds(90));
    ASSERT_EQ(results.size(), static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        int k = first_k + i;
        const Collected& c = results[static_cast<std::size_t>(i)];
        SCOPED_TRACE("session-" + std::to_string(k));
        ASSERT_FALSE(c.error.has_value()) << c.error->message;
        ASSERT_TRUE(c.exit.has_value());
        EXPECT_EQ(c.exit->code, k % 256);
        EXPECT_EQ(c.err, "");
        EXPECT_EQ(c.out.size(), numbered_output(k).size());
        EXPECT_TRUE(c.out == numbered_output(k))
            << "output of session-" << k << " is not exactly its own";
    }
}

TEST_F(AgentStreams, TwentyConcurrentSessionsOnOneConnectionDoNotCrossTalk) {
    auto conn = connect_or_fail(io, agent.endpoint());
    run_numbered_sessions(io, {conn}, 1, 20);
    // The connection is still good for more.
    auto after = exec_collect(io, conn, sh("echo still-serving"));
    EXPECT_EQ(after.out, "still-serving\n");
}

TEST_F(AgentStreams, TwentyConcurrentSessionsOverSeveralConnectionsDoNotCrossTalk) {
    std::vector<std::shared_ptr<agentclient::Connection>> connections;
    connections.reserve(5);
    for (int i = 0; i < 5; ++i)
        connections.push_back(connect_or_fail(io, agent.endpoint()));
    // K from 250: the exit codes wrap past 255 to 0.
    run_numbered_sessions(io, connections, 250, 20);
}

struct StalledRun {
    Collected bystander;
    std::uint64_t flood_bytes = 0;
    std::optional<agentproto::Exit> flood_exit;
    std::optional<Error> error;
};

// Starts `flood` and leaves it unread while `bystander` runs to its end on the same connection;
// then kills the flood and counts what it had produced.
asio::awaitable<StalledRun> stall_one_run_another(std::shared_ptr<agentclient::Connection> conn,
                                                  ExecRequest flood, ExecRequest bystander) {
    StalledRun run;
    auto flooding = co_await conn->exec(std::move(flood));
    if (!flooding) {
        run.error = flooding.error();
        co_return run;
    }
    run.bystander = co_await exec_and_collect(conn, std::move(bystander));
    (*flooding)->signal(SIGKILL);
    while (true) {
        auto piece = co_await (*flooding)->read();
        if (!piece) {
            run.error = piece.error();
            break;
        }
        if (!*piece) break;
        run.flood_bytes += (*piece)->data.size();
    }
    run.flood_exit = (*flooding)->exit_status();
    co_return run;
}

TEST_F(AgentStreams, UnreadSessionStallsAloneAndHoldsBackItsProcess) {
    auto conn = connect_or_fail(io, agent.endpoint());
    ExecRequest flood;
    flood.argv = {"yes", "flood"};
    flood.window = 64u << 10;
    auto run = run_sync(io, stall_one_run_another(conn, flood, numbered_session(7)));
    ASSERT_FALSE(run.error.has_value()) << run.error->message;
    ASSERT_FALSE(run.bystander.error.has_value()) << run.bystander.error->message;
    ASSERT_TRUE(run.bystander.exit.has_value());
    EXPECT_EQ(run.bystander.exit->code, 7);
    EXPECT_TRUE(run.bystander.out == numbered_output(7))
        << "the bystander's output is not exactly its own";
    ASSERT_TRUE(run.flood_exit.has_value());
    EXPECT_EQ(run.flood_exit->code, 137);
    // Unthrottled, `yes` writes gigabytes a second. Held back, it can only have filled the window,
    // the agent's bounded queue and the pipe: a few MiB.
    EXPECT_LT(run.flood_bytes, 8u << 20);
}

// ---- malformed input, through a raw WebSocket ---------------------------------------------------

using RawWebSocket = websocket::stream<beast::tcp_stream>;

struct RawFrame {
    boost::system::error_code ec;
    bool text = false;
    std::string data;
};

asio::awaitable<boost::system::error_code> raw_handshake(RawWebSocket* ws, std::uint16_t port,
                                                         std::string token) {
    auto& layer = beast::get_lowest_layer(*ws);
    layer.expires_after(kStep);
    auto [cec] = co_await layer.async_connect(loopback(port), kUse);
    if (cec) co_return cec;
    ws->set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
        req.set(http::field::authorization, "Bearer " + token);
        req.set(http::field::sec_websocket_protocol, agentproto::kSubprotocol);
    }));
    auto [hec] = co_await ws->async_handshake("127.0.0.1:" + std::to_string(port), "/", kUse);
    layer.expires_never();
    co_return hec;
}

asio::awaitable<RawFrame> raw_read(RawWebSocket* ws) {
    RawFrame f;
    beast::flat_buffer buffer;
    auto [ec, n] = co_await ws->async_read(buffer, kUse);
    f.ec = ec;
    if (!ec) {
        f.text = ws->got_text();
        f.data = beast::buffers_to_string(buffer.cdata());
    }
    co_return f;
}

asio::awaitable<boost::system::error_code> raw_write(RawWebSocket* ws, bool text,
                                                     std::string payload) {
    ws->text(text);
    auto [ec, n] = co_await ws->async_write(asio::buffer(payload), kUse);
    co_return ec;
}

// A WebSocket to the agent that sends whatever it is told to, for input the client never sends.
class RawAgentSocket {
public:
    RawAgentSocket(asio::io_context& io, const AgentProcess& agent) : io_(io), ws_(io) {
        auto ec = run_sync(io_, raw_handshake(&ws_, agent.port(), agent.token()), kStep);
        if (ec) throw std::runtime_error("raw WebSocket handshake failed: " + ec.message());
        auto hello = next_message();
        if (!std::holds_alternative<agentproto::Hello>(hello))
            throw std::runtime_error("agent sent no hello");
    }

    void send(const agentproto::ClientMessage& message) {
        send_text(agentproto::serialize(message));
    }
    void send_text(std::string text) { write(true, std::move(text)); }
    void send_binary(std::string frame) { write(false, std::move(frame)); }
    void send_data(std::uint32_t session, unsigned char stream, const std::string& payload) {
        std::string frame = {static_cast<char>(session >> 24), static_cast<char>(session >> 16),
                             static_cast<char>(session >> 8), static_cast<char>(session),
                             static_cast<char>(stream)};
        send_binary(frame + payload);
    }

    // The next control message other than a stdin window update; data frames on the way are
    // recorded per session and stream.
    agentproto::AgentMessage next_message() {
        for (int frames = 0; frames < 10000; ++frames) {
            if (auto m = read_frame()) return std::move(*m);
        }
        throw std::runtime_error("no control message within 10000 frames");
    }

    // Messages up to and including the first for which `done` is true.
    template <class Pred>
    std::vector<agentproto::AgentMessage> read_until(Pred done) {
        std::vector<agentproto::AgentMessage> seen;
        for (int i = 0; i < 1000; ++i) {
            seen.push_back(next_message());
            if (done(seen.back())) return seen;
        }
        throw std::runtime_error("awaited message did not arrive within 1000 messages");
    }

    // Reads until at least `size` bytes of `stream` arrived for `session`; control messages on the
    // way are returned.
    std::vector<agentproto::AgentMessage> read_output_until(std::uint32_t session, Stream stream,
                                                            std::size_t size) {
        std::vector<agentproto::AgentMessage> seen;
        for (int frames = 0; frames < 10000 && output(session, stream).size() < size; ++frames) {
            if (auto m = read_frame()) seen.push_back(std::move(*m));
        }
        if (output(session, stream).size() < size)
            throw std::runtime_error("awaited output did not arrive");
        return seen;
    }

    std::string output(std::uint32_t session, Stream stream) const {
        auto it = output_.find({session, stream});
        return it == output_.end() ? std::string() : it->second;
    }

private:
    // One frame: data is recorded, a control message other than a window update is returned.
    std::optional<agentproto::AgentMessage> read_frame() {
        auto f = run_sync(io_, raw_read(&ws_), kStep);
        if (f.ec) throw std::runtime_error("raw WebSocket read failed: " + f.ec.message());
        if (!f.text) {
            auto data = agentproto::decode_data_frame(std::span<const unsigned char>(
                reinterpret_cast<const unsigned char*>(f.data.data()), f.data.size()));
            if (!data)
                throw std::runtime_error("agent sent a bad data frame: " + data.error().message);
            output_[{data->session, data->stream}].append(
                reinterpret_cast<const char*>(data->payload.data()), data->payload.size());
            return std::nullopt;
        }
        auto message = agentproto::parse_agent_message(f.data);
        if (!message) throw std::runtime_error("agent sent an unparsable message: " + f.data);
        if (std::holds_alternative<agentproto::Window>(*message)) return std::nullopt;
        return std::move(*message);
    }

    void write(bool text, std::string payload) {
        auto ec = run_sync(io_, raw_write(&ws_, text, std::move(payload)), kStep);
        if (ec) throw std::runtime_error("raw WebSocket write failed: " + ec.message());
    }

    asio::io_context& io_;
    RawWebSocket ws_;
    std::map<std::pair<std::uint32_t, Stream>, std::string> output_;
};

std::uint32_t session_of(const agentproto::AgentMessage& m) {
    return std::visit(
        [](const auto& v) -> std::uint32_t {
            if constexpr (requires { v.session; }) {
                return v.session;
            } else {
                return 0;
            }
        },
        m);
}

template <class T>
bool is(const agentproto::AgentMessage& m, std::uint32_t session) {
    return std::holds_alternative<T>(m) && std::get<T>(m).session == session;
}

std::string describe(const agentproto::AgentMessage& m) {
    return agentproto::serialize(m);
}

TEST_F(AgentStreams, MalformedInputClosesOnlyItsSessionAndTheAgentKeepsServing) {
    RawAgentSocket raw(io, agent);

    ExecRequest victim;  // waits on stdin until the agent closes it
    victim.session = 1;
    victim.argv = {"cat"};
    victim.stdin = true;
    ExecRequest bystander = sh("read line; echo \"got $line\"; exit 5");
    bystander.session = 2;
    bystander.stdin = true;
    raw.send(victim);
    raw.send(bystander);
    std::set<std::uint32_t> started;
    for (int i = 0; i < 2; ++i) {
        auto m = raw.next_message();
        ASSERT_TRUE(std::holds_alternative<agentproto::Started>(m)) << describe(m);
        started.insert(std::get<agentproto::Started>(m).session);
    }
    ASSERT_EQ(started, (std::set<std::uint32_t>{1, 2}));

    auto expect_error = [&](std::uint32_t session, Errc code, bool closed,
                            const std::string& mentions) {
        auto m = raw.next_message();
        const auto* e = std::get_if<agentproto::ErrorMessage>(&m);
        ASSERT_NE(e, nullptr) << describe(m);
        EXPECT_EQ(e->session, session) << e->message;
        EXPECT_EQ(e->code, code) << e->message;
        EXPECT_EQ(e->closed, closed) << e->message;
        EXPECT_NE(e->message.find(mentions), std::string::npos) << e->message;
    };

    raw.send_text(R"({"type":"frobnicate","session":1})");
    expect_error(0, Errc::invalid_argument, false, "frobnicate");
    raw.send_text("{this is not json");
    expect_error(0, Errc::invalid_argument, false, "not valid JSON");
    raw.send_binary(std::string("\0\0\0", 3));
    expect_error(0, Errc::invalid_argument, false, "shorter than the 5-byte header");
    // Stream 1 is stdout, which only the agent may send: the session it names is dropped.
    raw.send_data(1, 1, "forged stdout");
    expect_error(1, Errc::invalid_argument, true, "stdin");

    // The other session on the connection carries on to a normal end.
    raw.send_data(2, 0, "hello\n");
    auto until_exit = raw.read_until([](const auto& m) { return is<agentproto::Exit>(m, 2); });
    EXPECT_EQ(std::get<agentproto::Exit>(until_exit.back()).code, 5);
    EXPECT_EQ(raw.output(2, Stream::out), "got hello\n");
    for (const auto& m : until_exit)
        EXPECT_NE(session_of(m), 1u) << "dropped session spoke: " << describe(m);

    // The dropped session is gone from the connection.
    raw.send(agentproto::CloseStdin{1});
    expect_error(1, Errc::not_found, false, "no session 1");

    // A new exec on the same connection works.
    ExecRequest after = sh("echo after");
    after.session = 3;
    raw.send(after);
    auto until_after = raw.read_until([](const auto& m) { return is<agentproto::Exit>(m, 3); });
    EXPECT_EQ(std::get<agentproto::Exit>(until_after.back()).code, 0);
    EXPECT_EQ(raw.output(3, Stream::out), "after\n");
    for (const auto& m : until_after)
        EXPECT_NE(session_of(m), 1u) << "dropped session spoke: " << describe(m);
    EXPECT_EQ(raw.output(1, Stream::out), "");
    EXPECT_EQ(raw.output(1, Stream::err), "");

    // And so does a new connection.
    auto conn = connect_or_fail(io, agent.endpoint());
    auto alive = exec_collect(io, conn, sh("echo alive"));
    EXPECT_EQ(alive.out, "alive\n");
}

TEST_F(AgentStreams, OutputStopsAtTheWindowUntilTheClientGrantsMore) {
    constexpr std::uint32_t kWindow = 64u << 10;
    constexpr std::uint32_t kGrant = 100000;
    fs::path file = agent.dir().path() / "random.bin";
    write_random_file(file, 1u << 20, 0x5eed0003);
    const std::string content = read_file(file);
    RawAgentSocket raw(io, agent);
    ExecRequest request = cat_file(file, kWindow);
    request.session = 1;
    raw.send(request);

    // Once the window is used up, a reply to a later message arrives with nothing more before it:
    // the agent is waiting for the client, not sending ahead.
    auto probe = [&](std::size_t expected_total) {
        raw.read_output_until(1, Stream::out, expected_total);
        raw.send(agentproto::Resize{1, 10,
                                    10});  // refused (no terminal), which makes a reply to wait for
        auto reply =
            raw.read_until([](const auto& m) { return is<agentproto::ErrorMessage>(m, 1); });
        EXPECT_EQ(std::get<agentproto::ErrorMessage>(reply.back()).code, Errc::conflict);
        EXPECT_EQ(raw.output(1, Stream::out).size(), expected_total);
    };
    probe(kWindow);
    raw.send(agentproto::Window{1, kGrant});
    probe(kWindow + kGrant);

    raw.send(agentproto::Window{1, static_cast<std::uint32_t>(content.size())});
    auto until_exit = raw.read_until([](const auto& m) { return is<agentproto::Exit>(m, 1); });
    EXPECT_EQ(std::get<agentproto::Exit>(until_exit.back()).code, 0);
    EXPECT_EQ(raw.output(1, Stream::out).size(), content.size());
    EXPECT_TRUE(raw.output(1, Stream::out) == content) << "output differs from the file";
}

// ---- HTTP answers and protocol version
// -----------------------------------------------------------

struct HttpAnswer {
    boost::system::error_code ec;
    http::response<http::string_body> response;
};

asio::awaitable<HttpAnswer> http_exchange(std::uint16_t port,
                                          http::request<http::string_body> request) {
    HttpAnswer a;
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    stream.expires_after(kStep);
    auto [cec] = co_await stream.async_connect(loopback(port), kUse);
    if (cec) {
        a.ec = cec;
        co_return a;
    }
    auto [wec, wn] = co_await http::async_write(stream, request, kUse);
    if (wec) {
        a.ec = wec;
        co_return a;
    }
    beast::flat_buffer buffer;
    auto [rec, rn] = co_await http::async_read(stream, buffer, a.response, kUse);
    a.ec = rec;
    co_return a;
}

http::request<http::string_body> plain_request(http::verb verb, const std::string& target,
                                               std::uint16_t port) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    req.prepare_payload();
    return req;
}

http::request<http::string_body> upgrade_request(const std::string& target, std::uint16_t port,
                                                 const std::string& token,
                                                 std::string_view subprotocol) {
    auto req = plain_request(http::verb::get, target, port);
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
    req.set(http::field::authorization, "Bearer " + token);
    req.set(http::field::sec_websocket_protocol, subprotocol);
    return req;
}

TEST_F(AgentStreams, ProtocolVersionMismatchAndWrongRequestsGetClearHttpAnswers) {
    const std::uint16_t port = agent.port();
    auto exchange = [&](http::request<http::string_body> req) {
        auto a = run_sync(io, http_exchange(port, std::move(req)), kStep);
        EXPECT_FALSE(a.ec) << a.ec.message();
        EXPECT_EQ(a.response[agentproto::kVersionHeader], "1");
        return a.response;
    };

    auto v2 = exchange(upgrade_request("/", port, agent.token(), "sockerless-agent.v2"));
    EXPECT_EQ(v2.result(), http::status::bad_request);
    EXPECT_NE(v2.body().find("sockerless-agent.v2"), std::string::npos) << v2.body();
    EXPECT_NE(v2.body().find("sockerless-agent.v1"), std::string::npos) << v2.body();

    auto plain_get = exchange(plain_request(http::verb::get, "/", port));
    EXPECT_EQ(plain_get.result(), http::status::bad_request) << plain_get.body();

    auto nope = exchange(plain_request(http::verb::get, "/nope", port));
    EXPECT_EQ(nope.result(), http::status::not_found) << nope.body();

    auto post_health = exchange(plain_request(http::verb::post, "/health", port));
    EXPECT_EQ(post_health.result(), http::status::method_not_allowed) << post_health.body();

    auto elsewhere =
        exchange(upgrade_request("/elsewhere", port, agent.token(), agentproto::kSubprotocol));
    EXPECT_EQ(elsewhere.result(), http::status::not_found) << elsewhere.body();

    // A client offering both versions gets the one the agent speaks.
    auto both = exchange(
        upgrade_request("/", port, agent.token(), "sockerless-agent.v2, sockerless-agent.v1"));
    EXPECT_EQ(both.result(), http::status::switching_protocols) << both.body();
    EXPECT_EQ(both[http::field::sec_websocket_protocol], agentproto::kSubprotocol);

    // None of this disturbed the agent.
    auto conn = connect_or_fail(io, agent.endpoint());
    EXPECT_EQ(exec_collect(io, conn, sh("echo fine")).out, "fine\n");
}

// ---- terminals
// -----------------------------------------------------------------------------------

TEST_F(AgentStreams, TtyExecGetsATerminalOfTheRequestedSize) {
    auto conn = connect_or_fail(io, agent.endpoint());
    ExecRequest request = sh("tty; stty size");
    request.tty = true;
    request.rows = 30;
    request.cols = 100;
    auto c = exec_collect(io, conn, request);
    ASSERT_FALSE(c.error.has_value()) << c.error->message;
    ASSERT_TRUE(c.exit.has_value());
    EXPECT_EQ(c.exit->code, 0);
    EXPECT_TRUE(std::regex_match(c.out, std::regex("/dev/pts/[0-9]+\r\n30 100\r\n"))) << c.out;
    EXPECT_EQ(c.err, "");
}

asio::awaitable<Collected> resize_then_type(std::shared_ptr<agentclient::Connection> conn,
                                            ExecRequest request, std::string input) {
    auto session = co_await conn->exec(std::move(request));
    if (!session) {
        Collected c;
        c.error = session.error();
        co_return c;
    }
    (*session)->resize(40, 120);
    auto st = co_await (*session)->write_stdin(std::span<const unsigned char>(
        reinterpret_cast<const unsigned char*>(input.data()), input.size()));
    if (!st) {
        Collected c;
        c.error = st.error();
        co_return c;
    }
    co_return co_await collect(*session);
}

TEST_F(AgentStreams, TtyResizeReachesTheProcess) {
    auto conn = connect_or_fail(io, agent.endpoint());
    ExecRequest request;
    request.argv = {"/bin/sh"};
    request.tty = true;
    request.stdin = true;
    request.rows = 30;
    request.cols = 100;
    auto c = run_sync(io, resize_then_type(conn, request, "stty size; exit 3\n"));
    ASSERT_FALSE(c.error.has_value()) << c.error->message;
    ASSERT_TRUE(c.exit.has_value());
    EXPECT_EQ(c.exit->code, 3);
    EXPECT_NE(c.out.find("40 120\r\n"), std::string::npos) << c.out;
    EXPECT_EQ(c.out.find("30 100"), std::string::npos) << c.out;
}

// ---- users and working directories
// ------------------------------------------------------------------

ExecRequest as_user(std::string user, std::string script) {
    ExecRequest r = sh(std::move(script));
    r.user = std::move(user);
    return r;
}

TEST_F(AgentStreams, ExecRunsAsTheRequestedUser) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "switching users needs root; the tests run as uid " << ::geteuid();
    }
    auto conn = connect_or_fail(io, agent.endpoint());

    auto nobody = exec_collect(io, conn, as_user("nobody", "id -u"));
    ASSERT_FALSE(nobody.error.has_value()) << nobody.error->message;
    EXPECT_EQ(nobody.out, "65534\n");

    // Not in /etc/passwd: numeric ids are used as given, and no group of the agent's is kept.
    auto numeric = exec_collect(io, conn, as_user("1234:5678", "id -u; id -g; id -G"));
    ASSERT_FALSE(numeric.error.has_value()) << numeric.error->message;
    EXPECT_EQ(numeric.out, "1234\n5678\n5678\n");
    ASSERT_TRUE(numeric.exit.has_value());
    EXPECT_EQ(numeric.exit->code, 0);

    auto missing = run_sync(io, conn->exec(as_user("no-such-user", "id -u")));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, Errc::not_found);
    EXPECT_NE(missing.error().message.find("no-such-user"), std::string::npos)
        << missing.error().message;
}

TEST_F(AgentStreams, ExecInMissingWorkdirFailsNamingIt) {
    auto conn = connect_or_fail(io, agent.endpoint());
    ExecRequest request = sh("pwd");
    request.workdir = "/no/such/workdir-for-sockerless";
    auto result = run_sync(io, conn->exec(request));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, Errc::not_found);
    EXPECT_NE(result.error().message.find("/no/such/workdir-for-sockerless"), std::string::npos)
        << result.error().message;
    // The connection is unaffected.
    EXPECT_EQ(exec_collect(io, conn, sh("echo ok")).out, "ok\n");
}

// ---- signals
// -------------------------------------------------------------------------------------------

asio::awaitable<Collected> signal_when_ready(std::shared_ptr<agentclient::Connection> conn,
                                             ExecRequest request, int signal) {
    Collected c;
    auto session = co_await conn->exec(std::move(request));
    if (!session) {
        c.error = session.error();
        co_return c;
    }
    std::string seen;
    while (seen.find("ready\n") == std::string::npos) {
        auto piece = co_await (*session)->read();
        if (!piece || !*piece) {  // ended before it was ready
            co_return co_await collect(*session);
        }
        seen.append(reinterpret_cast<const char*>((*piece)->data.data()), (*piece)->data.size());
    }
    (*session)->signal(signal);
    c = co_await collect(*session);
    c.out = seen + c.out;
    co_return c;
}

ExecRequest trapping_loop() {
    return sh("trap \"exit 42\" USR1; echo ready; while :; do sleep 1 & wait $!; done");
}

TEST_F(AgentStreams, SignalsReachTheExecProcess) {
    auto conn = connect_or_fail(io, agent.endpoint());

    auto trapped = run_sync(io, signal_when_ready(conn, trapping_loop(), SIGUSR1));
    ASSERT_FALSE(trapped.error.has_value()) << trapped.error->message;
    ASSERT_TRUE(trapped.exit.has_value());
    EXPECT_EQ(trapped.out, "ready\n");
    EXPECT_EQ(trapped.exit->code, 42);
    EXPECT_EQ(trapped.exit->signal, 0);

    auto killed = run_sync(io, signal_when_ready(conn, trapping_loop(), SIGKILL));
    ASSERT_FALSE(killed.error.has_value()) << killed.error->message;
    ASSERT_TRUE(killed.exit.has_value());
    EXPECT_EQ(killed.exit->code, 137);
    EXPECT_EQ(killed.exit->signal, SIGKILL);
}

}  // namespace
}  // namespace sockerless::testing
