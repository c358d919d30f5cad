#include "http/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <span>
#include <stdexcept>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "http/server_test_support.h"

namespace sockerless::http {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using test::get;
using test::RawClient;
using test::Response;

constexpr std::string_view kRaw = "application/vnd.docker.raw-stream";

json::value echo_of(const Request& req) {
    json::array query;
    for (const auto& [k, v] : req.query)
        query.push_back(json::array{json::string(k), json::string(v)});
    json::object params;
    for (const auto& [k, v] : req.params)
        params[k] = v;
    json::object out;
    out["method"] = req.method;
    out["path"] = req.path;
    out["target"] = req.target;
    out["version"] = req.version ? json::value(req.version->str()) : json::value(nullptr);
    out["api_version"] = req.api_version().str();
    out["query"] = std::move(query);
    out["params"] = std::move(params);
    out["body"] = req.body;
    out["user_agent"] = req.header("user-agent");
    return out;
}

// Docker's headers on every answer.
void expect_docker_headers(const Response& res) {
    EXPECT_EQ(res.header("Api-Version"), "1.44");
    EXPECT_EQ(res.header("Docker-Experimental"), "false");
    EXPECT_EQ(res.header("Ostype"), "linux");
    EXPECT_EQ(res.header("Server"), "Docker/test (linux)");
}

json::value body_json(const Response& res) {
    return json::parse(res.body);
}

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override { add_routes(host.router()); }
    // Handlers use the gate and the promise: the server's thread ends before they go.
    void TearDown() override { host.shutdown(); }

    // Starts on a unix socket in the temp dir and on tcp://127.0.0.1:0.
    void start(ServerOptions options = {}) {
        socket_path = dir.path() + "/docker.sock";
        options.hosts = {"unix://" + socket_path, "tcp://127.0.0.1:0"};
        options.server_header = "Docker/test (linux)";
        bound = host.start(std::move(options));
        ASSERT_EQ(bound.size(), 2u);
        port = test::port_of(bound[1]);
    }

    RawClient unix_client() const { return RawClient::unix_socket(socket_path); }
    RawClient tcp_client() const { return RawClient::tcp(port); }

    Response roundtrip(const std::string& request) {
        RawClient c = unix_client();
        c.send(request);
        return c.read_response();
    }

    void add_routes(Router& router) {
        router.add("GET", "/_ping", [](Request&, Exchange& ex) -> asio::awaitable<void> {
            co_await ex.reply(200, "OK", "text/plain; charset=utf-8");
        });
        router.add("HEAD", "/_ping", [](Request&, Exchange& ex) -> asio::awaitable<void> {
            co_await ex.reply(200, "OK", "text/plain; charset=utf-8");
        });
        auto echo = [](Request& req, Exchange& ex) -> asio::awaitable<void> {
            ex.add_header("X-Echo", "1");
            co_await ex.reply_json(200, echo_of(req));
        };
        router.add("GET", "/echo", echo);
        router.add("POST", "/echo", echo);
        router.add("GET", "/containers/{id}/json", echo);
        router.add("GET", "/images/{name*}", echo);
        router.add("GET", "/silent",
                   [](Request&, Exchange&) -> asio::awaitable<void> { co_return; });
        router.add("GET", "/throws", [](Request&, Exchange&) -> asio::awaitable<void> {
            throw std::runtime_error("boom");
            co_return;
        });
        router.add("POST", "/containers/{id}/start",
                   [](Request&, Exchange& ex) -> asio::awaitable<void> {
                       co_await ex.reply_error(make_error(Errc::not_modified, "already started"));
                   });
        router.add("DELETE", "/containers/{id}",
                   [](Request&, Exchange& ex) -> asio::awaitable<void> {
                       co_await ex.reply_error(make_error(Errc::conflict, "container is running"));
                   });
        router.add(
            "POST", "/containers/{id}/wait",
            [](Request&, Exchange& ex) -> asio::awaitable<void> { co_await ex.reply_empty(204); });

        // Two chunks with the test thread in between: each must arrive on its own.
        router.add("GET", "/stream", [this](Request&, Exchange& ex) -> asio::awaitable<void> {
            auto stream = co_await ex.begin_stream(200, "application/json");
            if (!stream) co_return;
            auto first = co_await (*stream)->write("one");
            EXPECT_TRUE(first.has_value());
            co_await gate->wait();
            auto second = co_await (*stream)->write("two");
            EXPECT_TRUE(second.has_value());
            auto finished = co_await (*stream)->finish();
            EXPECT_TRUE(finished.has_value());
        });
        // Follows until the client goes, then reports what the stream said.
        router.add("GET", "/follow", [this](Request&, Exchange& ex) -> asio::awaitable<void> {
            auto stream = co_await ex.begin_stream(200, "application/json");
            if (!stream) co_return;
            co_await (*stream)->write("hello");
            const bool before = (*stream)->is_closed();
            co_await (*stream)->closed();
            const bool after = (*stream)->is_closed();
            auto late = co_await (*stream)->write("late");
            follow_result.set_value({!before && after, !late.has_value()});
        });
        // Reads stdin to EOF, answers with what it got (and the body), half-closes its side,
        // then holds the connection open until the test opens the gate.
        auto attach = [this](Request& req, Exchange& ex) -> asio::awaitable<void> {
            auto stream = co_await ex.hijack(kRaw);
            if (!stream) co_return;
            std::string input;
            std::array<unsigned char, 7> buf{};  // small: several reads, the buffered ones first
            for (int i = 0; i < 10000; ++i) {
                auto n = co_await (*stream)->read_some(buf);
                if (!n || *n == 0) break;
                input.append(reinterpret_cast<const char*>(buf.data()), *n);
            }
            const std::string reply = "body=" + req.body + " stdin=" + input;
            // Fails only when shutdown() closed the connection first; the client checks the bytes.
            co_await (*stream)->write(
                std::span(reinterpret_cast<const unsigned char*>(reply.data()), reply.size()));
            (*stream)->shutdown_send();
            co_await gate->wait();
            (*stream)->close();
        };
        router.add("POST", "/containers/{id}/attach", attach);
        router.add("POST", "/exec/{id}/start", attach);
        router.add("GET", "/raw", [](Request&, Exchange& ex) -> asio::awaitable<void> {
            auto stream = co_await ex.hijack(kRaw);
            if (!stream) co_return;
            const std::string out = "raw output";
            co_await (*stream)->write(
                std::span(reinterpret_cast<const unsigned char*>(out.data()), out.size()));
            (*stream)->close();
        });
    }

    test::TempDir dir;
    test::ServerHost host;
    std::unique_ptr<test::Gate> gate = std::make_unique<test::Gate>(host.context());
    std::promise<std::pair<bool, bool>> follow_result;
    std::string socket_path;
    std::vector<std::string> bound;
    std::uint16_t port = 0;
};

TEST_F(ServerTest, ListenReportsWhatItBound) {
    start();
    EXPECT_EQ(bound[0], "unix://" + socket_path);
    EXPECT_TRUE(bound[1].starts_with("tcp://127.0.0.1:"));
    EXPECT_NE(port, 0);
}

TEST_F(ServerTest, PingOnBothListeners) {
    start();
    std::vector<RawClient> clients;
    clients.push_back(unix_client());
    clients.push_back(tcp_client());
    for (RawClient& c : clients) {
        c.send(get("/_ping"));
        Response res = c.read_response();
        EXPECT_EQ(res.status, 200);
        EXPECT_EQ(res.body, "OK");
        EXPECT_EQ(res.header("Content-Length"), "2");
        EXPECT_EQ(res.header("Content-Type"), "text/plain; charset=utf-8");
        expect_docker_headers(res);
    }
}

TEST_F(ServerTest, VersionPrefixes) {
    start();
    struct Case {
        const char* target;
        json::value version;
        const char* api_version;
    };
    for (const Case& c :
         {Case{"/echo", nullptr, "1.44"}, Case{"/v1.24/echo", "1.24", "1.24"},
          Case{"/v1.44/echo", "1.44", "1.44"}, Case{"/v1.45/echo", "1.45", "1.45"}}) {
        Response res = roundtrip(get(c.target));
        ASSERT_EQ(res.status, 200) << c.target << " " << res.body;
        auto body = body_json(res);
        EXPECT_EQ(body.at("path"), "/echo") << c.target;
        EXPECT_EQ(body.at("target"), c.target);
        EXPECT_EQ(body.at("version"), c.version) << c.target;
        EXPECT_EQ(body.at("api_version"), c.api_version) << c.target;
    }
}

TEST_F(ServerTest, TooOldVersionIsRefused) {
    start();
    Response res = roundtrip(get("/v1.23/echo"));
    EXPECT_EQ(res.status, 400);
    EXPECT_EQ(res.header("Content-Type"), "application/json");
    EXPECT_EQ(res.body,
              "{\"message\":\"client version 1.23 is too old. Minimum supported API version is "
              "1.24, please upgrade your client to a newer version\"}\n");
    expect_docker_headers(res);
}

TEST_F(ServerTest, TooNewVersionRefusedWhenStrict) {
    ServerOptions options;
    options.strict_versions = true;
    start(options);
    Response res = roundtrip(get("/v1.45/echo"));
    EXPECT_EQ(res.status, 400);
    EXPECT_EQ(res.body,
              "{\"message\":\"client version 1.45 is too new. Maximum supported API version is "
              "1.44\"}\n");
    EXPECT_EQ(roundtrip(get("/v1.44/echo")).status, 200);
}

TEST_F(ServerTest, UnknownPathsAndMethods) {
    start();
    for (const std::string& request :
         {get("/nothing"), get("/vfoo/_ping"), get("/v1.44/nothing"), get("/v1.23/nothing"),
          std::string("POST /_ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")}) {
        Response res = roundtrip(request);
        EXPECT_EQ(res.status, 404) << request;
        EXPECT_EQ(res.body, "{\"message\":\"page not found\"}\n") << request;
        EXPECT_EQ(res.header("Content-Type"), "application/json");
        expect_docker_headers(res);
    }
}

TEST_F(ServerTest, QueryAndPathParameters) {
    start();
    Response res = roundtrip(get("/v1.44/echo?a=1&b=x+y&a=2&c=%2F%26&flag"));
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(res.header("X-Echo"), "1");
    EXPECT_EQ(res.header("Content-Type"), "application/json");
    auto body = body_json(res);
    EXPECT_EQ(body.at("query"),
              json::parse(R"([["a","1"],["b","x y"],["a","2"],["c","/&"],["flag",""]])"));

    auto params = body_json(roundtrip(get("/containers/abc%20d/json"))).at("params");
    EXPECT_EQ(params, json::parse(R"({"id":"abc d"})"));
    auto tail = body_json(roundtrip(get("/v1.41/images/docker.io%2Flibrary%2Fbusybox:1")));
    EXPECT_EQ(tail.at("params"), json::parse(R"({"name":"docker.io/library/busybox:1"})"));
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
    start();
    RawClient c = tcp_client();
    c.send(get("/_ping"));
    EXPECT_EQ(c.read_response().body, "OK");
    c.send(get("/echo?n=2"));
    Response second = c.read_response();
    EXPECT_EQ(body_json(second).at("query"), json::parse(R"([["n","2"]])"));
    // Pipelined: both requests in one write.
    c.send(get("/_ping") + get("/nothing"));
    EXPECT_EQ(c.read_response().status, 200);
    EXPECT_EQ(c.read_response().status, 404);
    // Connection: close is honoured.
    c.send(get("/_ping", "Connection: close\r\n"));
    Response last = c.read_response();
    EXPECT_EQ(last.header("Connection"), "close");
    EXPECT_TRUE(c.at_eof());
}

TEST_F(ServerTest, RequestBodyReachesTheHandler) {
    start();
    Response res = roundtrip(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
        "11\r\n\r\n{\"a\":\"b\"}\r\n");
    EXPECT_EQ(body_json(res).at("body"), "{\"a\":\"b\"}\r\n");
    Response chunked = roundtrip(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
        "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n"
        "0\r\n\r\n");
    EXPECT_EQ(body_json(chunked).at("body"), "abcde");
}

TEST_F(ServerTest, ExpectContinueGetsAnInterimAnswer) {
    start();
    RawClient c = unix_client();
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    EXPECT_EQ(c.read_line(), "HTTP/1.1 100 Continue");
    EXPECT_EQ(c.read_line(), "");
    c.send("xyz");
    EXPECT_EQ(body_json(c.read_response()).at("body"), "xyz");
}

TEST_F(ServerTest, BodyOverTheLimitIs413AndTheServerGoesOn) {
    ServerOptions options;
    options.max_body_bytes = 1024;
    start(options);
    {
        RawClient c = unix_client();
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" +
               std::string(4096, 'a'));
        Response res = c.read_response();
        EXPECT_EQ(res.status, 413);
        EXPECT_EQ(res.header("Content-Type"), "application/json");
        EXPECT_NE(res.body.find("1024"), std::string::npos) << res.body;
        EXPECT_EQ(json::parse(res.body).at("message").as_string().empty(), false);
        EXPECT_EQ(res.header("Connection"), "close");
        expect_docker_headers(res);
        EXPECT_TRUE(c.at_eof());
    }
    {
        // Chunked: the limit is found while the body arrives.
        RawClient c = tcp_client();
        std::string chunk(600, 'b');
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" +
               chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
        Response res = c.read_response();
        EXPECT_EQ(res.status, 413);
        EXPECT_TRUE(c.at_eof());
    }
    Response ok = roundtrip("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n" +
                            std::string(1024, 'c'));
    EXPECT_EQ(ok.status, 200);
}

TEST_F(ServerTest, HeaderOverTheLimitIs431) {
    ServerOptions options;
    options.max_header_bytes = 2048;
    start(options);
    RawClient c = unix_client();
    c.send(get("/_ping", "X-Big: " + std::string(4000, 'h') + "\r\n"));
    Response res = c.read_response();
    EXPECT_EQ(res.status, 431);
    EXPECT_NE(res.body.find("2048"), std::string::npos) << res.body;
    EXPECT_TRUE(c.at_eof());
    EXPECT_EQ(roundtrip(get("/_ping", "X-Small: " + std::string(1000, 'h') + "\r\n")).status, 200);
}

TEST_F(ServerTest, MalformedRequestIs400AndClose) {
    start();
    for (const char* garbage : {"GARBAGE\r\n\r\n", "GET /_ping HTTP/1.1\r\nNo colon here\r\n\r\n",
                                "POST /echo HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
        RawClient c = tcp_client();
        c.send(garbage);
        Response res = c.read_response();
        EXPECT_EQ(res.status, 400) << garbage;
        EXPECT_EQ(res.header("Content-Type"), "application/json");
        EXPECT_TRUE(json::parse(res.body).at("message").as_string().starts_with("malformed"));
        EXPECT_TRUE(c.at_eof());
    }
    EXPECT_EQ(roundtrip(get("/_ping")).status, 200);
}

TEST_F(ServerTest, HeadGetsHeadersOnly) {
    start();
    RawClient c = unix_client();
    c.send("HEAD /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
    Response res = c.read_response(/*head_request=*/true);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.header("Content-Length"), "2");
    expect_docker_headers(res);
    // The next answer starts right away: no body bytes were sent for HEAD.
    c.send(get("/_ping"));
    EXPECT_EQ(c.read_response().body, "OK");
}

TEST_F(ServerTest, ErrorsMapToStatuses) {
    start();
    RawClient c = unix_client();
    c.send("DELETE /containers/abc HTTP/1.1\r\nHost: x\r\n\r\n");
    Response conflict = c.read_response();
    EXPECT_EQ(conflict.status, 409);
    EXPECT_EQ(conflict.body, "{\"message\":\"container is running\"}\n");
    c.send("POST /containers/abc/start HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    Response not_modified = c.read_response();
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_FALSE(not_modified.header("Content-Length"));
    c.send("POST /containers/abc/wait HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    Response no_content = c.read_response();
    EXPECT_EQ(no_content.status, 204);
    expect_docker_headers(no_content);
    c.send(get("/_ping"));
    EXPECT_EQ(c.read_response().status, 200);
}

TEST_F(ServerTest, HandlerWithoutAnswerOrThrowingGets500) {
    start();
    Response silent = roundtrip(get("/silent"));
    EXPECT_EQ(silent.status, 500);
    EXPECT_EQ(silent.body, "{\"message\":\"internal error: handler sent no response\"}\n");
    Response thrown = roundtrip(get("/throws"));
    EXPECT_EQ(thrown.status, 500);
    EXPECT_EQ(thrown.body, "{\"message\":\"internal error: boom\"}\n");
    EXPECT_EQ(roundtrip(get("/_ping")).status, 200);
}

TEST_F(ServerTest, StreamChunksArriveBeforeFinish) {
    start();
    RawClient c = tcp_client();
    c.send(get("/stream"));
    Response head = c.read_head();
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(head.header("Content-Type"), "application/json");
    EXPECT_FALSE(head.header("Content-Length"));
    expect_docker_headers(head);
    // The handler is parked at the gate: the first chunk is already here on its own.
    EXPECT_EQ(c.read_chunk(), "one");
    gate->open();
    EXPECT_EQ(c.read_chunk(), "two");
    EXPECT_EQ(c.read_chunk(), "");
    // The connection is reused after the last chunk.
    c.send(get("/_ping"));
    EXPECT_EQ(c.read_response().body, "OK");
}

TEST_F(ServerTest, ClosedFiresWhenTheClientGoes) {
    start();
    auto result = follow_result.get_future();
    {
        RawClient c = unix_client();
        c.send(get("/follow"));
        EXPECT_EQ(c.read_head().status, 200);
        EXPECT_EQ(c.read_chunk(), "hello");
    }
    ASSERT_EQ(result.wait_for(test::kWait), std::future_status::ready);
    auto [closed_flipped, late_write_failed] = result.get();
    EXPECT_TRUE(closed_flipped);
    EXPECT_TRUE(late_write_failed);
}

TEST_F(ServerTest, HijackWithUpgradeReadsPipelinedStdinFirstAndHalfCloses) {
    start();
    RawClient c = unix_client();
    // Headers, body and stdin in one write, then the client half-closes: docker exec -i's shape.
    c.send(
        "POST /v1.44/exec/abc/start HTTP/1.1\r\nHost: api.moby.localhost\r\nConnection: "
        "Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: "
        "16\r\n\r\n{\"Detach\":false}"
        "stdin bytes that came early");
    c.shutdown_write();
    Response head = c.read_head();
    EXPECT_EQ(head.status, 101);
    EXPECT_EQ(head.reason, "UPGRADED");
    EXPECT_EQ(head.header("Content-Type"), kRaw);
    EXPECT_EQ(head.header("Connection"), "Upgrade");
    EXPECT_EQ(head.header("Upgrade"), "tcp");
    EXPECT_FALSE(head.header("Content-Length"));
    EXPECT_FALSE(head.header("Transfer-Encoding"));
    expect_docker_headers(head);
    // Written after the server read EOF; EOF here comes from shutdown_send(): the handler still
    // holds the connection at the gate.
    EXPECT_EQ(c.read_to_eof(), "body={\"Detach\":false} stdin=stdin bytes that came early");
    gate->open();
}

TEST_F(ServerTest, HijackWithoutUpgradeIsA200RawStream) {
    start();
    RawClient c = tcp_client();
    c.send(get("/raw"));
    Response head = c.read_head();
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("Content-Type"), kRaw);
    EXPECT_FALSE(head.header("Content-Length"));
    EXPECT_FALSE(head.header("Transfer-Encoding"));
    EXPECT_FALSE(head.header("Upgrade"));
    EXPECT_EQ(c.read_to_eof(), "raw output");
}

TEST_F(ServerTest, HijackStdinSentInPiecesAfterTheAnswer) {
    start();
    RawClient c = tcp_client();
    c.send(
        "POST /containers/abc/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: x\r\nConnection: "
        "Upgrade\r\nUpgrade: tcp\r\n\r\n");
    EXPECT_EQ(c.read_head().status, 101);
    c.send("part one, ");
    c.send("part two");
    c.shutdown_write();
    EXPECT_EQ(c.read_to_eof(), "body= stdin=part one, part two");
    gate->open();
}

TEST_F(ServerTest, IdleConnectionsAreClosed) {
    ServerOptions options;
    options.idle_timeout = std::chrono::milliseconds(100);
    start(options);
    RawClient c = unix_client();
    c.send(get("/_ping"));
    EXPECT_EQ(c.read_response().status, 200);
    // Nothing more is sent: the server lets the connection go (bounded by the client's wait).
    EXPECT_TRUE(c.at_eof());
}

TEST_F(ServerTest, UnixSocketModeAndRemoval) {
    // A stale socket file from an earlier run is replaced.
    const std::string path = dir.path() + "/docker.sock";
    {
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
        ::close(fd);
    }
    ServerOptions options;
    options.socket_mode = 0600;
    start(options);
    struct stat st {};
    ASSERT_EQ(::stat(socket_path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(roundtrip(get("/_ping")).status, 200);
    host.shutdown();
    EXPECT_FALSE(std::filesystem::exists(socket_path));
}

TEST_F(ServerTest, ShutdownWhileHandlersRun) {
    start();
    auto result = follow_result.get_future();
    RawClient follower = unix_client();
    follower.send(get("/follow"));
    EXPECT_EQ(follower.read_head().status, 200);
    EXPECT_EQ(follower.read_chunk(), "hello");
    RawClient attached = tcp_client();
    attached.send(
        "POST /containers/abc/attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: "
        "tcp\r\n\r\n");
    EXPECT_EQ(attached.read_head().status, 101);
    RawClient idle = tcp_client();
    // Returns once every connection ended: the follow handler saw closed(), the hijacked one
    // its EOF; the gate is opened so that handler can return.
    gate->open();
    host.shutdown();
    ASSERT_EQ(result.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    EXPECT_TRUE(follower.at_eof());
    EXPECT_TRUE(idle.at_eof());
    EXPECT_FALSE(std::filesystem::exists(socket_path));
    EXPECT_THROW(RawClient::tcp(port), std::runtime_error);
}

TEST(ServerListen, NonLoopbackTcpNeedsTls) {
    asio::io_context ctx;
    Router router;
    ServerOptions options;
    options.hosts = {"tcp://0.0.0.0:0"};
    Server server(ctx.get_executor(), router, options);
    auto bound = server.listen();
    ASSERT_FALSE(bound.has_value());
    EXPECT_EQ(bound.error().code, Errc::invalid_argument);
    EXPECT_NE(bound.error().message.find("TLS"), std::string::npos) << bound.error().message;
    EXPECT_NE(bound.error().message.find("client certificate"), std::string::npos);
}

TEST(ServerListen, BadHosts) {
    asio::io_context ctx;
    Router router;
    test::TempDir dir;
    for (const std::string& host :
         {std::string("http://127.0.0.1:80"), std::string("tcp://127.0.0.1:99999"),
          std::string("unix://"), std::string("fd://")}) {
        ServerOptions options;
        options.hosts = {host};
        Server server(ctx.get_executor(), router, options);
        auto bound = server.listen();
        ASSERT_FALSE(bound.has_value()) << host;
        EXPECT_EQ(bound.error().code, Errc::invalid_argument) << host;
    }
    // A regular file where the socket should go is not deleted.
    const std::string file = dir.path() + "/not-a-socket";
    { std::ofstream(file) << "data"; }
    ServerOptions options;
    options.hosts = {"tcp://127.0.0.1:0", "unix://" + file};
    Server server(ctx.get_executor(), router, options);
    auto bound = server.listen();
    ASSERT_FALSE(bound.has_value());
    EXPECT_TRUE(std::filesystem::is_regular_file(file));
}

TEST(ServerTls, ClientCertificatesAreVerified) {
    test::TempDir dir;
    test::Pki pki = test::make_pki(dir.path());
    test::ServerHost host;
    host.router().add("GET", "/_ping", [](Request&, Exchange& ex) -> asio::awaitable<void> {
        co_await ex.reply(200, "OK", "text/plain; charset=utf-8");
    });
    ServerOptions options;
    options.hosts = {"tcp://127.0.0.1:0"};
    options.tls = TlsOptions{pki.server.cert, pki.server.key, pki.ca_file, true};
    auto bound = host.start(options);
    ASSERT_EQ(bound.size(), 1u);
    const auto port = test::port_of(bound[0]);

    auto with_cert = test::tls_request(port, pki.ca_file, pki.client, "/v1.44/_ping");
    ASSERT_TRUE(with_cert.has_value());
    EXPECT_EQ(with_cert->status, 200);
    EXPECT_EQ(with_cert->body, "OK");
    EXPECT_EQ(with_cert->header("Api-Version"), "1.44");

    EXPECT_FALSE(test::tls_request(port, pki.ca_file, std::nullopt, "/_ping").has_value());
    EXPECT_FALSE(test::tls_request(port, pki.ca_file, pki.stranger, "/_ping").has_value());
    // Plain HTTP to the TLS port gets no HTTP answer.
    RawClient plain = RawClient::tcp(port);
    plain.send(test::get("/_ping"));
    std::string got = plain.read_to_eof();
    EXPECT_EQ(got.find("HTTP/1.1 200"), std::string::npos);
}

// The TLS stream under the chunked writer and the hijacked connection, bytes buffered with the
// request included.
TEST(ServerTls, StreamsAndHijackOverTls) {
    test::TempDir dir;
    test::Pki pki = test::make_pki(dir.path());
    test::ServerHost host;
    host.router().add("GET", "/chunks", [](Request&, Exchange& ex) -> asio::awaitable<void> {
        auto stream = co_await ex.begin_stream(200, "application/json");
        if (!stream) co_return;
        co_await (*stream)->write("one");
        co_await (*stream)->write("two");
        co_await (*stream)->finish();
    });
    host.router().add("POST", "/hijack", [](Request&, Exchange& ex) -> asio::awaitable<void> {
        auto stream = co_await ex.hijack(kRaw);
        if (!stream) co_return;
        std::string input;
        std::array<unsigned char, 3> buf{};
        for (int i = 0; i < 100 && input.size() < 5; ++i) {
            auto n = co_await (*stream)->read_some(buf);
            if (!n || *n == 0) break;
            input.append(reinterpret_cast<const char*>(buf.data()), *n);
        }
        const std::string out = "got:" + input;
        co_await (*stream)->write(
            std::span(reinterpret_cast<const unsigned char*>(out.data()), out.size()));
        (*stream)->close();
    });
    ServerOptions options;
    options.hosts = {"tcp://127.0.0.1:0"};
    options.tls = TlsOptions{pki.server.cert, pki.server.key, pki.ca_file, true};
    const auto port = test::port_of(host.start(options).at(0));

    auto chunks = test::tls_exchange(port, pki.ca_file, pki.client,
                                     test::get("/chunks", "Connection: close\r\n"));
    ASSERT_TRUE(chunks.has_value());
    EXPECT_TRUE(chunks->starts_with("HTTP/1.1 200 OK\r\n")) << *chunks;
    EXPECT_TRUE(chunks->ends_with("\r\n\r\n3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n")) << *chunks;

    auto hijacked = test::tls_exchange(
        port, pki.ca_file, pki.client,
        "POST /hijack HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nabcde");
    ASSERT_TRUE(hijacked.has_value());
    EXPECT_TRUE(hijacked->starts_with("HTTP/1.1 101 UPGRADED\r\n")) << *hijacked;
    EXPECT_TRUE(hijacked->ends_with("\r\n\r\ngot:abcde")) << *hijacked;
}

TEST(ServerTls, BadCertificateFilesFailListen) {
    test::TempDir dir;
    asio::io_context ctx;
    Router router;
    ServerOptions options;
    options.hosts = {"tcp://127.0.0.1:0"};
    options.tls = TlsOptions{dir.path() + "/missing.pem", dir.path() + "/missing-key.pem",
                             dir.path() + "/ca.pem", true};
    Server server(ctx.get_executor(), router, options);
    auto bound = server.listen();
    ASSERT_FALSE(bound.has_value());
    EXPECT_EQ(bound.error().code, Errc::invalid_argument);
    EXPECT_NE(bound.error().message.find("missing.pem"), std::string::npos);
}

}  // namespace
}  // namespace sockerless::http
