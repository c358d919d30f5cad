// The transport's TLS (verification against a CA made at run time, SNI and name checks) and its
// proxies (absolute-form, CONNECT tunnels, NO_PROXY), against real sockets on 127.0.0.1.

#include <gtest/gtest.h>

#include <chrono>

#include "aws/transport.h"
#include "aws/transport_test_support.h"

namespace sockerless::aws {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

// ---- TLS ----------------------------------------------------------------------------------------

class TransportTls : public ::testing::Test {
protected:
    TempDir dir_;
    Pki pki_ = make_pki(dir_.path());
};

TEST_F(TransportTls, VerifiedWithTheGivenCaByAddressAndByName) {
    TestServer server(echo_connection(), pki_.server);
    TransportOptions options;
    options.ca_file = pki_.ca_file;
    TransportHost host(options);
    for (int i = 1; i <= 2; ++i) {
        Result<HttpResponse> res =
            send(host, local(server.port(), "https", "127.0.0.1"), request("GET", "/"));
        ASSERT_TRUE(res) << res.error().message;
        EXPECT_EQ(res->body, "1/" + std::to_string(i));
    }
    Result<HttpResponse> by_name =
        send(host, local(server.port(), "https", "localhost"), request("GET", "/"));
    ASSERT_TRUE(by_name) << by_name.error().message;
    EXPECT_EQ(by_name->body, "2/1");
    EXPECT_EQ(server.accepted(), 2U);
    EXPECT_EQ(server.seen().at(2).header("Host"), "localhost:" + std::to_string(server.port()));
}

TEST_F(TransportTls, WrongCaFailsWithTheReason) {
    TestServer server(echo_connection(), pki_.server);
    TransportOptions options;
    options.ca_file = pki_.other_ca_file;
    TransportHost host(options);
    Result<HttpResponse> res =
        send(host, local(server.port(), "https", "127.0.0.1"), request("GET", "/"));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::unavailable);
    EXPECT_TRUE(contains(res.error().message, "certificate verification failed"))
        << res.error().message;
    EXPECT_TRUE(contains(res.error().message, "https://127.0.0.1:")) << res.error().message;
    EXPECT_TRUE(server.seen().empty());
}

TEST_F(TransportTls, SystemTrustStoreDoesNotKnowTheTestCa) {
    TestServer server(echo_connection(), pki_.server);
    TransportHost host;
    Result<HttpResponse> res =
        send(host, local(server.port(), "https", "localhost"), request("GET", "/"));
    ASSERT_FALSE(res);
    EXPECT_TRUE(contains(res.error().message, "certificate verification failed"))
        << res.error().message;
}

TEST_F(TransportTls, NameMismatchFails) {
    TestServer server(echo_connection(), pki_.wrong_name);
    TransportOptions options;
    options.ca_file = pki_.ca_file;
    TransportHost host(options);
    for (const char* name : {"127.0.0.1", "localhost"}) {
        Result<HttpResponse> res =
            send(host, local(server.port(), "https", name), request("GET", "/"));
        ASSERT_FALSE(res) << name;
        EXPECT_EQ(res.error().code, Errc::unavailable);
        EXPECT_TRUE(contains(res.error().message, "mismatch")) << res.error().message;
    }
    EXPECT_TRUE(server.seen().empty());
}

TEST_F(TransportTls, UnreadableCaFileIsReported) {
    TestServer server(echo_connection(), pki_.server);
    TransportOptions options;
    options.ca_file = dir_.path() + "/missing.pem";
    TransportHost host(options);
    Result<HttpResponse> res =
        send(host, local(server.port(), "https", "127.0.0.1"), request("GET", "/"));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::invalid_argument);
    EXPECT_TRUE(contains(res.error().message, "missing.pem")) << res.error().message;
}

TEST_F(TransportTls, IdleConnectionClosedByTheServerIsReplaced) {
    TestServer server(
        [](const Seen& seen) {
            Reply r = answer(std::to_string(seen.connection));
            r.mode = Reply::Mode::answer_then_close;
            return r;
        },
        pki_.server);
    TransportOptions options;
    options.ca_file = pki_.ca_file;
    TransportHost host(options);
    ASSERT_TRUE(send(host, local(server.port(), "https"), request("GET", "/")));
    Result<HttpResponse> res = send(host, local(server.port(), "https"), request("GET", "/"));
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->body, "2");
}

TEST_F(TransportTls, HandshakeTimeout) {
    SilentListener silent;  // connects, then never answers the ClientHello
    TransportOptions options;
    options.ca_file = pki_.ca_file;
    options.connect_timeout = 300ms;
    TransportHost host(options);
    Result<HttpResponse> res = send(host, local(silent.port(), "https"), request("GET", "/"));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::timeout) << res.error().message;
    EXPECT_TRUE(contains(res.error().message, "TLS handshake: timed out after 300 ms"))
        << res.error().message;
}

TEST_F(TransportTls, RequestTimeout) {
    Reply silent;
    silent.mode = Reply::Mode::never_answer;
    TestServer server(always(silent), pki_.server);
    TransportOptions options;
    options.ca_file = pki_.ca_file;
    options.request_timeout = 300ms;
    TransportHost host(options);
    Result<HttpResponse> res = send(host, local(server.port(), "https"), request("GET", "/"));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::timeout) << res.error().message;
    EXPECT_TRUE(contains(res.error().message, "request: timed out after 300 ms"))
        << res.error().message;
}

// ---- Proxies ------------------------------------------------------------------------------------

constexpr std::string_view kAliceAuth = "Basic YWxpY2U6czNjcmV0";  // alice:s3cret

TEST(TransportProxy, PlainHttpGoesInAbsoluteFormWithCredentials) {
    TestProxy proxy{std::string(kAliceAuth)};
    RefusingPort origin;  // never reached directly
    TransportOptions options;
    options.proxies =
        proxies({{"HTTP_PROXY", "http://alice:s3cret@127.0.0.1:" + std::to_string(proxy.port())}});
    TransportHost host(options);
    HttpRequest req = request("GET", "/path");
    req.query = {{"q", "1"}};
    const std::string target = "http://127.0.0.1:" + std::to_string(origin.port()) + "/path?q=1";
    for (int i = 0; i < 2; ++i) {
        Result<HttpResponse> res = send(host, local(origin.port()), req);
        ASSERT_TRUE(res) << res.error().message;
        EXPECT_EQ(res->body, "proxied " + target);
    }
    std::vector<TestProxy::Asked> asked = proxy.asked();
    ASSERT_EQ(asked.size(), 2U);
    EXPECT_EQ(asked[0].request_line, "GET " + target + " HTTP/1.1");
    EXPECT_EQ(asked[0].proxy_authorization, kAliceAuth);
}

TEST(TransportProxy, HttpsGoesThroughAConnectTunnel) {
    TempDir dir;
    Pki pki = make_pki(dir.path());
    TestServer server(echo_connection(), pki.server);
    TestProxy proxy{std::string(kAliceAuth)};
    TransportOptions options;
    options.ca_file = pki.ca_file;
    options.proxies =
        proxies({{"HTTPS_PROXY", "http://alice:s3cret@127.0.0.1:" + std::to_string(proxy.port())}});
    TransportHost host(options);
    for (int i = 1; i <= 2; ++i) {
        Result<HttpResponse> res =
            send(host, local(server.port(), "https", "localhost"), request("GET", "/x"));
        ASSERT_TRUE(res) << res.error().message;
        EXPECT_EQ(res->body, "1/" + std::to_string(i));
    }
    std::vector<TestProxy::Asked> asked = proxy.asked();
    ASSERT_EQ(asked.size(), 1U);  // one tunnel, reused
    EXPECT_EQ(asked[0].request_line,
              "CONNECT localhost:" + std::to_string(server.port()) + " HTTP/1.1");
    EXPECT_EQ(asked[0].proxy_authorization, kAliceAuth);
    std::vector<Seen> seen = server.seen();
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen[0].request_line, "GET /x HTTP/1.1");
    EXPECT_FALSE(seen[0].header("Proxy-Authorization"));  // the proxy's secret stays with it
}

TEST(TransportProxy, RefusedConnectIsReported) {
    TestProxy proxy{std::string(kAliceAuth)};
    TransportOptions options;
    options.proxies = proxies({{"HTTPS_PROXY", "127.0.0.1:" + std::to_string(proxy.port())}});
    TransportHost host(options);
    Result<HttpResponse> res =
        send(host, local(443, "https", "ecs.us-east-1.amazonaws.com"), request("POST", "/"));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::unavailable);
    EXPECT_TRUE(contains(res.error().message, "407")) << res.error().message;
    EXPECT_TRUE(contains(res.error().message, "via proxy http://127.0.0.1:"))
        << res.error().message;
}

TEST(TransportProxy, NoProxyGoesDirect) {
    TestServer server(always(answer("direct")));
    TestProxy proxy;
    TransportOptions options;
    const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
    options.proxies = proxies({{"HTTP_PROXY", proxy_url}, {"NO_PROXY", "localhost,127.0.0.1"}});
    TransportHost host(options);
    Result<HttpResponse> res = send(host, local(server.port()), request("GET", "/"));
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->body, "direct");
    EXPECT_TRUE(proxy.asked().empty());
    EXPECT_EQ(server.seen().at(0).request_line, "GET / HTTP/1.1");
}

TEST(TransportProxy, HttpsProxyIsNotUsedForPlainHttp) {
    TestServer server(always(answer("direct")));
    TestProxy proxy;
    TransportOptions options;
    options.proxies =
        proxies({{"HTTPS_PROXY", "http://127.0.0.1:" + std::to_string(proxy.port())}});
    TransportHost host(options);
    Result<HttpResponse> res = send(host, local(server.port()), request("GET", "/"));
    ASSERT_TRUE(res) << res.error().message;
    EXPECT_EQ(res->body, "direct");
    EXPECT_TRUE(proxy.asked().empty());
}

}  // namespace
}  // namespace sockerless::aws
