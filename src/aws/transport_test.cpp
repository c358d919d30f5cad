// The transport over plain HTTP against real sockets: a scripted server, a listener that never
// completes a handshake and a port that refuses (transport_test_support.h); and the blocking
// fetcher. The transport runs on its own io_context thread and every call comes from another
// thread's io_context, as the daemon's executors will call it.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "aws/transport.h"
#include "aws/transport_test_support.h"

namespace sockerless::aws {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

// ---- What goes on the wire ----------------------------------------------------------------------

TEST(Transport, SendsExactlyTheSignedRequest) {
    TestServer server([](const Seen&) {
        Reply r = answer(R"({"clusterArns":[]})", 201);
        r.headers = {{"x-amzn-RequestId", "b7c1"}, {"Content-Type", "application/x-amz-json-1.1"}};
        return r;
    });
    TransportHost host;
    HttpRequest req = request("POST", "/a b/c");
    req.host = "127.0.0.1:" + std::to_string(server.port());
    req.query = {{"y", "a/b"}, {"x", "1"}};
    req.headers = {{"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"},
                   {"Content-Type", "application/x-amz-json-1.1"},
                   {"X-Amz-Date", "20240501T120000Z"},
                   {"Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKID/20240501/us-east-1/ecs/"
                    "aws4_request, SignedHeaders=host;x-amz-date, Signature=ab"}};
    req.body = "{}";

    Result<HttpResponse> res = send(host, local(server.port()), req);
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 201);
    EXPECT_EQ(res->body, R"({"clusterArns":[]})");
    EXPECT_EQ(res->header("X-AMZN-REQUESTID"), "b7c1");
    EXPECT_EQ(res->header("content-type"), "application/x-amz-json-1.1");
    EXPECT_EQ(res->header("x-missing"), "");

    std::vector<Seen> seen = server.seen();
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_EQ(seen[0].request_line, "POST /a%20b/c?x=1&y=a%2Fb HTTP/1.1");
    const std::vector<NameValue> expected{
        {"Host", "127.0.0.1:" + std::to_string(server.port())},
        req.headers[0],
        req.headers[1],
        req.headers[2],
        req.headers[3],
        {"Content-Length", "2"},
    };
    EXPECT_EQ(seen[0].headers, expected);
    EXPECT_EQ(seen[0].body, "{}");
}

TEST(Transport, HostComesFromTheEndpointOrTheRequestsOwnHeader) {
    TestServer server(always(answer("ok")));
    TransportHost host;
    ASSERT_TRUE(send(host, local(server.port()), request("GET", "")));
    HttpRequest custom = request("GET", "/x");
    custom.headers = {{"host", "bucket.s3.example"}};
    ASSERT_TRUE(send(host, local(server.port()), custom));

    std::vector<Seen> seen = server.seen();
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen[0].request_line, "GET / HTTP/1.1");
    EXPECT_EQ(seen[0].header("Host"), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_FALSE(seen[0].header("Content-Length"));  // no body, no length for GET
    const std::vector<NameValue> only_given{{"host", "bucket.s3.example"}};
    EXPECT_EQ(seen[1].headers, only_given);
}

TEST(Transport, EmptyPutCarriesContentLengthZero) {
    TestServer server(always(answer("")));
    TransportHost host;
    ASSERT_TRUE(send(host, local(server.port()), request("PUT", "/bucket/key")));
    EXPECT_EQ(server.seen().at(0).header("Content-Length"), "0");
}

TEST(Transport, RejectsWhatCannotBeSentFaithfully) {
    TestServer server(always(answer("ok")));
    TransportHost host;
    HttpRequest smuggle = request("GET", "/");
    smuggle.headers = {{"X-Amz-Meta-A", "v\r\nX-Injected: 1"}};
    HttpRequest bad_name = request("GET", "/");
    bad_name.headers = {{"Bad Name", "v"}};
    HttpRequest bad_method = request("GE T", "/");
    HttpRequest wrong_length = request("PUT", "/");
    wrong_length.body = "abc";
    wrong_length.headers = {{"Content-Length", "4"}};
    HttpRequest chunked = request("PUT", "/");
    chunked.headers = {{"Transfer-Encoding", "chunked"}};
    for (const HttpRequest& req : {smuggle, bad_name, bad_method, wrong_length, chunked}) {
        Result<HttpResponse> res = send(host, local(server.port()), req);
        ASSERT_FALSE(res);
        EXPECT_EQ(res.error().code, Errc::invalid_argument) << res.error().message;
        EXPECT_TRUE(contains(res.error().message, "http://127.0.0.1:")) << res.error().message;
    }
    Result<HttpResponse> ftp = send(host, local(server.port(), "ftp"), request("GET", "/"));
    ASSERT_FALSE(ftp);
    EXPECT_EQ(ftp.error().code, Errc::invalid_argument);
    EXPECT_EQ(server.accepted(), 0U);
}

TEST(Transport, AnyStatusIsAValue) {
    TestServer server(always(answer(R"({"__type":"ThrottlingException"})", 400)));
    TransportHost host;
    Result<HttpResponse> res = send(host, local(server.port()), request("POST", "/"));
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 400);
    EXPECT_EQ(res->body, R"({"__type":"ThrottlingException"})");
}

TEST(Transport, HeadResponseHasNoBodyAndKeepsTheConnection) {
    TestServer server([](const Seen& seen) {
        Reply r = answer(std::string(1234, 'x'));
        r.headers = {{"ETag", "\"abc\""}};
        r.head = seen.request_line.starts_with("HEAD");
        return r;
    });
    TransportHost host;
    Result<HttpResponse> head = send(host, local(server.port()), request("HEAD", "/b/k"));
    ASSERT_TRUE(head) << head.error().message;
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->header("Content-Length"), "1234");
    EXPECT_EQ(head->header("ETag"), "\"abc\"");
    EXPECT_EQ(head->body, "");
    Result<HttpResponse> get = send(host, local(server.port()), request("GET", "/b/k"));
    ASSERT_TRUE(get) << get.error().message;
    EXPECT_EQ(get->body.size(), 1234U);
    EXPECT_EQ(server.accepted(), 1U);
}

TEST(Transport, InterimContinueIsSkipped) {
    TestServer server([](const Seen&) {
        Reply r = answer("stored");
        r.interim_continue = true;
        return r;
    });
    TransportHost host;
    HttpRequest req = request("PUT", "/b/k");
    req.headers = {{"Expect", "100-continue"}};
    req.body = "payload";
    Result<HttpResponse> res = send(host, local(server.port()), req);
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "stored");
    ASSERT_TRUE(send(host, local(server.port()), request("GET", "/")));
    EXPECT_EQ(server.accepted(), 1U);
}

TEST(Transport, ResolvesNames) {
    TestServer server(always(answer("by name")));
    TransportHost host;
    Result<HttpResponse> res =
        send(host, local(server.port(), "http", "localhost"), request("GET", "/"));
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->body, "by name");
    EXPECT_EQ(server.seen().at(0).header("Host"), "localhost:" + std::to_string(server.port()));
}

// ---- Connection reuse ---------------------------------------------------------------------------

TEST(Transport, ReusesOneConnectionForSequentialRequests) {
    TestServer server(echo_connection());
    TransportHost host;
    for (int i = 1; i <= 5; ++i) {
        Result<HttpResponse> res = send(host, local(server.port()), request("POST", "/"));
        ASSERT_TRUE(res) << res.error().message;
        EXPECT_EQ(res->body, "1/" + std::to_string(i));
    }
    EXPECT_EQ(server.accepted(), 1U);
}

TEST(Transport, ConnectionCloseIsHonoured) {
    TestServer server([](const Seen& seen) {
        Reply r = answer(std::to_string(seen.connection));
        r.headers = {{"Connection", "close"}};
        return r;
    });
    TransportHost host;
    for (int i = 1; i <= 3; ++i) {
        Result<HttpResponse> res = send(host, local(server.port()), request("GET", "/"));
        ASSERT_TRUE(res) << res.error().message;
        EXPECT_EQ(res->body, std::to_string(i));
    }
    EXPECT_EQ(server.accepted(), 3U);
}

TEST(Transport, IdlePooledConnectionClosedByTheServerIsReplaced) {
    TestServer server([](const Seen& seen) {
        Reply r =
            answer(std::to_string(seen.connection) + "/" + std::to_string(seen.on_connection));
        r.mode = Reply::Mode::answer_then_close;  // no "Connection: close": the client pools it
        return r;
    });
    TransportHost host;
    ASSERT_TRUE(send(host, local(server.port()), request("GET", "/")));
    Result<HttpResponse> second = send(host, local(server.port()), request("GET", "/"));
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->body, "2/1");
    EXPECT_EQ(server.accepted(), 2U);
}

TEST(Transport, StalePooledConnectionIsRetriedOnceOnAFreshOne) {
    // The second request on the first connection is read, then the connection closes without a
    // byte of answer: the race of a server closing an idle connection as a request arrives.
    TestServer server([](const Seen& seen) {
        Reply r =
            answer(std::to_string(seen.connection) + "/" + std::to_string(seen.on_connection));
        if (seen.connection == 1 && seen.on_connection == 2) {
            r.mode = Reply::Mode::close_without_answer;
        }
        return r;
    });
    TransportHost host;
    ASSERT_TRUE(send(host, local(server.port()), request("POST", "/")));
    HttpRequest req = request("POST", "/");
    req.body = "again";
    Result<HttpResponse> res = send(host, local(server.port()), req);
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->body, "2/1");
    EXPECT_EQ(server.accepted(), 2U);
    std::vector<Seen> seen = server.seen();
    ASSERT_EQ(seen.size(), 3U);
    EXPECT_EQ(seen[1].body, "again");
    EXPECT_EQ(seen[2].body, "again");
}

// A server that answers 413 as soon as it has the request's header and closes without reading
// the body, as a server with a body limit does: the write of a large body fails, and the answer
// is what the caller gets, not EPIPE.
TEST(Transport, AnAnswerBeforeTheWholeBodyWasReadIsTheResult) {
    Reply refuse;
    refuse.status = 413;
    refuse.headers = {{"Connection", "close"}};
    refuse.body = "too big\n";
    TestServer server(always(refuse));
    server.answer_before_body();
    TransportHost host;
    HttpRequest req = request("PUT", "/big");
    req.body.assign(std::size_t{32} * 1024 * 1024, 'x');
    Result<HttpResponse> res = send(host, local(server.port()), req);
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 413);
    EXPECT_EQ(res->body, "too big\n");
    ASSERT_EQ(server.seen().size(), 1U);
    EXPECT_EQ(server.seen()[0].request_line, "PUT /big HTTP/1.1");
}

TEST(Transport, FreshConnectionClosedWithoutAnswerIsNotRetried) {
    Reply silent;
    silent.mode = Reply::Mode::close_without_answer;
    TestServer server(always(silent));
    TransportHost host;
    Result<HttpResponse> res = send(host, local(server.port()), request("POST", "/"));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::unavailable);
    EXPECT_TRUE(contains(res.error().message, "127.0.0.1:" + std::to_string(server.port())))
        << res.error().message;
    EXPECT_EQ(server.seen().size(), 1U);
    EXPECT_EQ(server.accepted(), 1U);
}

TEST(Transport, StaleRetryHappensOnlyOnce) {
    // Every request after the first on any connection is dropped: the retry's fresh connection
    // is dropped too (on its first request), and that failure is final.
    TestServer server([](const Seen& seen) {
        Reply r = answer("first");
        if (seen.connection > 1 || seen.on_connection > 1)
            r.mode = Reply::Mode::close_without_answer;
        return r;
    });
    TransportHost host;
    ASSERT_TRUE(send(host, local(server.port()), request("GET", "/")));
    Result<HttpResponse> res = send(host, local(server.port()), request("GET", "/"));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::unavailable);
    EXPECT_EQ(server.accepted(), 2U);
    EXPECT_EQ(server.seen().size(), 3U);
}

TEST(Transport, ZeroIdleTimeoutMeansNoReuse) {
    TestServer server(echo_connection());
    TransportOptions options;
    options.idle_timeout = 0s;
    TransportHost host(options);
    ASSERT_TRUE(send(host, local(server.port()), request("GET", "/")));
    ASSERT_TRUE(send(host, local(server.port()), request("GET", "/")));
    EXPECT_EQ(server.accepted(), 2U);
}

TEST(Transport, IdleConnectionsAreClosedAfterTheIdleTimeout) {
    TestServer server(echo_connection());
    TransportOptions options;
    options.idle_timeout = 1s;
    TransportHost host(options);
    ASSERT_TRUE(send(host, local(server.port()), request("GET", "/")));
    // Nothing else is sent: the pool's own timer closes the connection.
    EXPECT_TRUE(server.wait_closed(1, 10s));
    Result<HttpResponse> res = send(host, local(server.port()), request("GET", "/"));
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->body, "2/1");
}

TEST(Transport, CloseIdleClosesPooledConnections) {
    TestServer server(echo_connection());
    TransportHost host;
    ASSERT_TRUE(send(host, local(server.port()), request("GET", "/")));
    host.transport().close_idle();
    EXPECT_TRUE(server.wait_closed(1, 10s));
    ASSERT_TRUE(send(host, local(server.port()), request("GET", "/")));
    EXPECT_EQ(server.accepted(), 2U);
}

// Runs `count` sends at once, each from its own thread and io_context.
std::vector<Result<HttpResponse>> send_concurrently(TransportHost& host, const Endpoint& endpoint,
                                                    std::size_t count) {
    std::vector<std::optional<Result<HttpResponse>>> results(count);
    std::vector<std::thread> threads;
    threads.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        threads.emplace_back([&, i] { results[i] = send(host, endpoint, request("GET", "/")); });
    }
    for (std::thread& t : threads)
        t.join();
    std::vector<Result<HttpResponse>> out;
    out.reserve(count);
    for (auto& r : results)
        out.push_back(std::move(*r));
    return out;
}

TEST(Transport, KeepsAtMostMaxIdlePerHost) {
    TestServer server(echo_connection());
    server.hold_until(3);  // three requests in flight at once: three connections
    TransportOptions options;
    options.max_idle_per_host = 1;
    TransportHost host(options);
    for (const auto& res : send_concurrently(host, local(server.port()), 3))
        ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(server.accepted(), 3U);
    EXPECT_TRUE(server.wait_closed(2, 10s));  // two were not kept
    ASSERT_TRUE(send(host, local(server.port()), request("GET", "/")));
    EXPECT_EQ(server.accepted(), 3U);  // the kept one was reused
}

TEST(Transport, ConcurrentSendsFromSeveralThreads) {
    TestServer server([](const Seen& seen) { return answer(*seen.header("X-Id")); });
    TransportHost host;
    constexpr int kThreads = 4;
    constexpr int kEach = 25;
    std::vector<int> mismatches(kThreads, 0);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                HttpRequest req = request("POST", "/");
                const std::string id = std::to_string(t) + "-" + std::to_string(i);
                req.headers = {{"X-Id", id}};
                Result<HttpResponse> res = send(host, local(server.port()), req);
                if (!res || res->body != id) ++mismatches[t];
            }
        });
    }
    for (std::thread& t : threads)
        t.join();
    for (int t = 0; t < kThreads; ++t)
        EXPECT_EQ(mismatches[t], 0) << "thread " << t;
    EXPECT_EQ(server.seen().size(), static_cast<std::size_t>(kThreads * kEach));
    EXPECT_LE(server.accepted(), static_cast<std::size_t>(kThreads));
}

// ---- Failures -----------------------------------------------------------------------------------

TEST(Transport, RefusedIsUnavailable) {
    RefusingPort refusing;
    TransportHost host;
    Result<HttpResponse> res = send(host, local(refusing.port()), request("GET", "/"));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::unavailable);
    EXPECT_TRUE(contains(res.error().message,
                         "http://127.0.0.1:" + std::to_string(refusing.port()) + ": connect"))
        << res.error().message;
    EXPECT_TRUE(contains(res.error().message, "refused")) << res.error().message;
}

TEST(Transport, ConnectTimeout) {
    FullBacklogListener silent;
    TransportOptions options;
    options.connect_timeout = 300ms;
    TransportHost host(options);
    const auto start = std::chrono::steady_clock::now();
    Result<HttpResponse> res = send(host, local(silent.port()), request("GET", "/"));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::timeout) << res.error().message;
    EXPECT_TRUE(contains(res.error().message, "connect: timed out after 300 ms"))
        << res.error().message;
    EXPECT_LT(elapsed, 10s);
}

TEST(Transport, RequestTimeout) {
    Reply silent;
    silent.mode = Reply::Mode::never_answer;
    TestServer server(always(silent));
    TransportOptions options;
    options.request_timeout = 300ms;
    TransportHost host(options);
    const auto start = std::chrono::steady_clock::now();
    Result<HttpResponse> res = send(host, local(server.port()), request("GET", "/"));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::timeout) << res.error().message;
    EXPECT_TRUE(contains(res.error().message, "request: timed out after 300 ms"))
        << res.error().message;
    EXPECT_LT(elapsed, 10s);
    EXPECT_EQ(server.seen().size(), 1U);  // a timeout is never retried
}

TEST(Transport, ResponseSizeLimit) {
    TestServer server(always(answer(std::string(5000, 'x'))));
    TransportOptions options;
    options.max_response_bytes = 1000;
    TransportHost host(options);
    Result<HttpResponse> res = send(host, local(server.port()), request("GET", "/"));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::unavailable);
    EXPECT_TRUE(contains(res.error().message, "size limit")) << res.error().message;
}

// ---- BlockingFetcher ----------------------------------------------------------------------------

TEST(BlockingFetcher, GetsWithHeadersAndKeepsThePathAsWritten) {
    TestServer server(always(answer("sockerless-host-role")));
    BlockingFetcher fetcher;
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    Result<FetchResponse> res = fetcher.fetch({"GET",
                                               base + "/latest/meta-data/iam/security-credentials/",
                                               {{"x-aws-ec2-metadata-token", "AQAE-token"}}});
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "sockerless-host-role");
    Seen seen = server.seen().at(0);
    EXPECT_EQ(seen.request_line, "GET /latest/meta-data/iam/security-credentials/ HTTP/1.1");
    EXPECT_EQ(seen.header("Host"), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(seen.header("x-aws-ec2-metadata-token"), "AQAE-token");
    EXPECT_EQ(seen.header("Connection"), "close");
}

TEST(BlockingFetcher, PutTokenAndQueryVerbatim) {
    TestServer server(always(answer("token")));
    BlockingFetcher fetcher;
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    ASSERT_TRUE(fetcher.fetch(
        {"PUT", base + "/latest/api/token", {{"x-aws-ec2-metadata-token-ttl-seconds", "21600"}}}));
    ASSERT_TRUE(fetcher.fetch({"GET", base + "/v2/credentials?id=a%2Fb&x=1", {}}));
    ASSERT_TRUE(fetcher.fetch({"GET", base, {}}));
    std::vector<Seen> seen = server.seen();
    ASSERT_EQ(seen.size(), 3U);
    EXPECT_EQ(seen[0].request_line, "PUT /latest/api/token HTTP/1.1");
    EXPECT_EQ(seen[0].header("Content-Length"), "0");
    EXPECT_EQ(seen[1].request_line, "GET /v2/credentials?id=a%2Fb&x=1 HTTP/1.1");
    EXPECT_EQ(seen[2].request_line, "GET / HTTP/1.1");
    EXPECT_EQ(server.accepted(), 3U);  // one connection per call
}

TEST(BlockingFetcher, StatusIsAValue) {
    TestServer server(always(answer("not here", 404)));
    BlockingFetcher fetcher;
    Result<FetchResponse> res =
        fetcher.fetch({"GET", "http://127.0.0.1:" + std::to_string(server.port()) + "/x", {}});
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->status, 404);
    EXPECT_EQ(res->body, "not here");
}

TEST(BlockingFetcher, RefusedAndTimeout) {
    RefusingPort refusing;
    BlockingFetcher fetcher(300ms);
    Result<FetchResponse> refused =
        fetcher.fetch({"GET", "http://127.0.0.1:" + std::to_string(refusing.port()) + "/", {}});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::unavailable) << refused.error().message;

    Reply silent;
    silent.mode = Reply::Mode::never_answer;
    TestServer server(always(silent));
    const auto start = std::chrono::steady_clock::now();
    Result<FetchResponse> slow =
        fetcher.fetch({"GET", "http://127.0.0.1:" + std::to_string(server.port()) + "/", {}});
    ASSERT_FALSE(slow);
    EXPECT_EQ(slow.error().code, Errc::timeout) << slow.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);

    FullBacklogListener backlog;
    Result<FetchResponse> unconnected =
        fetcher.fetch({"GET", "http://127.0.0.1:" + std::to_string(backlog.port()) + "/", {}});
    ASSERT_FALSE(unconnected);
    EXPECT_EQ(unconnected.error().code, Errc::timeout) << unconnected.error().message;
}

TEST(BlockingFetcher, MalformedUrl) {
    BlockingFetcher fetcher;
    for (const char* url : {"169.254.169.254/latest", "http://host:bad/", "gopher://x/"}) {
        Result<FetchResponse> res = fetcher.fetch({"GET", url, {}});
        ASSERT_FALSE(res) << url;
        EXPECT_EQ(res.error().code, Errc::invalid_argument) << url;
    }
}

}  // namespace
}  // namespace sockerless::aws
