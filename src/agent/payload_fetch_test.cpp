#include "agent/payload_fetch.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "aws/sigv4.h"

namespace sockerless::agent {
namespace {
namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kPayload =
    R"({"version":1,"entrypoint":["sh","-c"],"cmd":["echo hi"],"env":["A=1"],"token":"t0k"})";

PayloadPointer pointer_for(std::string_view body) {
    PayloadPointer p;
    p.uri = "s3://payloads/c1/n1/payload.json";
    p.object = S3Object{"payloads", "c1/n1/payload.json"};
    p.sha256 = aws::sha256_hex(body);
    p.length = body.size();
    p.region = "us-east-1";
    return p;
}

HttpGetResponse answer(int status, std::string body) {
    HttpGetResponse r;
    r.status = status;
    r.content_length = body.size();
    r.body = std::move(body);
    return r;
}

TEST(CheckObjectResponse, AcceptsTheNamedBytes) {
    auto body = check_object_response(answer(200, std::string(kPayload)), pointer_for(kPayload));
    ASSERT_TRUE(body.has_value()) << body.error().message;
    EXPECT_EQ(*body, kPayload);
}

TEST(CheckObjectResponse, EachFailureHasItsOwnCode) {
    const PayloadPointer p = pointer_for(kPayload);
    auto failure_of = [&](const HttpGetResponse& r) {
        auto body = check_object_response(r, p);
        EXPECT_FALSE(body.has_value());
        if (body.has_value()) return PayloadError{};
        EXPECT_EQ(body.error().message.rfind(p.uri + ": ", 0), 0u) << body.error().message;
        EXPECT_EQ(body.error().message.find('\n'), std::string::npos);
        return body.error();
    };
    auto missing = failure_of(answer(404, "<Error><Code>NoSuchKey</Code></Error>"));
    EXPECT_EQ(missing.exit_code(), 91);
    EXPECT_NE(missing.message.find("HTTP 404 NoSuchKey"), std::string::npos);
    auto denied = failure_of(answer(403, "<Error><Code>AccessDenied</Code></Error>"));
    EXPECT_EQ(denied.exit_code(), 92);
    EXPECT_NE(denied.message.find("AccessDenied"), std::string::npos);
    EXPECT_EQ(failure_of(answer(503, "")).exit_code(), 95);
    EXPECT_EQ(failure_of(answer(301, "")).exit_code(), 95);

    std::string shorter(kPayload.substr(0, kPayload.size() - 1));
    EXPECT_EQ(failure_of(answer(200, shorter)).exit_code(), 93);
    auto cut = answer(200, shorter);
    cut.content_length = kPayload.size();
    cut.body_state = HttpGetResponse::Body::cut_short;
    cut.body_problem = "the connection ended early";
    EXPECT_EQ(failure_of(cut).exit_code(), 93);
    auto too_long = answer(200, "");
    too_long.content_length = kPayload.size() + 1;
    too_long.body_state = HttpGetResponse::Body::over_limit;
    EXPECT_EQ(failure_of(too_long).exit_code(), 93);
    auto no_length = answer(200, shorter);
    no_length.content_length.reset();
    EXPECT_EQ(failure_of(no_length).exit_code(), 93);

    std::string flipped(kPayload);
    flipped[10] ^= 0x01;
    auto digest = failure_of(answer(200, flipped));
    EXPECT_EQ(digest.exit_code(), 94);
}

TEST(S3ErrorCode, ReadsTheCodeElement) {
    EXPECT_EQ(s3_error_code("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>m"
                            "</Message></Error>"),
              "NoSuchKey");
    EXPECT_EQ(s3_error_code(""), "");
    EXPECT_EQ(s3_error_code("<Code>unterminated"), "");
}

// Answers each connection on 127.0.0.1 with the next canned response (raw HTTP), records the
// request heads, and closes the connection. Stops with the test.
class ScriptedServer {
public:
    explicit ScriptedServer(std::vector<std::string> responses)
        : acceptor_(io_, {asio::ip::make_address_v4("127.0.0.1"), 0}),
          responses_(responses.begin(), responses.end()) {
        asio::co_spawn(io_, serve(this), asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~ScriptedServer() {
        io_.stop();
        thread_.join();
    }
    ScriptedServer(const ScriptedServer&) = delete;
    ScriptedServer& operator=(const ScriptedServer&) = delete;

    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    }
    std::vector<std::string> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    static asio::awaitable<void> serve(ScriptedServer* self) {
        while (true) {
            boost::system::error_code ec;
            auto socket = co_await self->acceptor_.async_accept(
                asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            asio::streambuf head;
            co_await asio::async_read_until(socket, head, "\r\n\r\n",
                                            asio::redirect_error(asio::use_awaitable, ec));
            std::string response;
            {
                std::lock_guard lock(self->mutex_);
                self->requests_.emplace_back(asio::buffers_begin(head.data()),
                                             asio::buffers_end(head.data()));
                if (self->responses_.empty()) co_return;
                response = std::move(self->responses_.front());
                self->responses_.pop_front();
            }
            co_await asio::async_write(socket, asio::buffer(response),
                                       asio::redirect_error(asio::use_awaitable, ec));
        }
    }

    asio::io_context io_;
    asio::ip::tcp::acceptor acceptor_;
    std::mutex mutex_;
    std::deque<std::string> responses_;
    std::vector<std::string> requests_;
    std::thread thread_;
};

std::string http(int status, std::string_view body, std::string_view extra = "") {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + std::string(extra) +
           "Connection: close\r\n\r\n" + std::string(body);
}

HttpGetOptions plain_options(std::size_t limit = 1024) {
    HttpGetOptions o;
    o.body_limit = limit;
    o.backoff = std::chrono::milliseconds(1);
    return o;
}

SteadyClock::time_point soon() {
    return SteadyClock::now() + std::chrono::seconds(20);
}

TEST(HttpGetClient, RetriesServerErrorsButNotClientErrors) {
    ScriptedServer server({http(503, "busy"), http(200, "fine"), http(404, "gone")});
    HttpGetClient client(plain_options());
    auto r = client.get(server.url() + "/x", {{"X-Test", "1"}}, soon());
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "fine");
    auto gone = client.get(server.url() + "/y", {}, soon());
    ASSERT_TRUE(gone.has_value());
    EXPECT_EQ(gone->status, 404);
    auto seen = server.requests();
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].rfind("GET /x HTTP/1.1\r\n", 0), 0u);
    EXPECT_NE(seen[0].find("X-Test: 1\r\n"), std::string::npos);
    EXPECT_NE(seen[0].find("Host: 127.0.0.1:"), std::string::npos);
}

TEST(HttpGetClient, GivesUpAfterTheAttempts) {
    ScriptedServer server({http(500, "a"), http(502, "b"), http(503, "c"), http(200, "late")});
    HttpGetClient client(plain_options());
    auto r = client.get(server.url(), {}, soon());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(server.requests().size(), 3u);
}

TEST(HttpGetClient, DoesNotReadABodyOverTheLimit) {
    ScriptedServer server({http(200, std::string(100, 'x'))});
    HttpGetClient client(plain_options(99));
    auto r = client.get_once(server.url(), {}, soon());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->content_length, 100u);
    EXPECT_EQ(r->body_state, HttpGetResponse::Body::over_limit);
    EXPECT_TRUE(r->body.empty());
}

TEST(HttpGetClient, ReportsABodyCutShort) {
    ScriptedServer server({"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"});
    HttpGetClient client(plain_options());
    auto r = client.get_once(server.url(), {}, soon());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->body_state, HttpGetResponse::Body::cut_short);
    EXPECT_EQ(r->body, "abc");
    EXPECT_NE(r->body_problem.find("3 of 10 bytes"), std::string::npos) << r->body_problem;
}

TEST(HttpGetClient, NoListenerIsUnavailable) {
    std::string url;
    {
        ScriptedServer gone({});
        url = gone.url();
    }
    HttpGetClient client(plain_options());
    auto r = client.get_once(url, {}, soon());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::unavailable);
}

TEST(HttpGetClient, HttpsNeedsUsableCaCertificates) {
    HttpGetClient client(plain_options());  // no CA bundle
    auto r = client.get_once("https://127.0.0.1:1/", {}, soon());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

// The process's world as a map, for the credential provider.
aws::Environment environment_of(std::map<std::string, std::string, std::less<>> vars) {
    return aws::Environment{
        .getenv = [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
            auto it = vars.find(name);
            if (it == vars.end()) return std::nullopt;
            return it->second;
        },
        .read_file = [](const std::string&) -> std::optional<std::string> { return std::nullopt; },
        .now = [] { return std::chrono::system_clock::now(); },
    };
}

constexpr std::string_view kCredentials =
    R"({"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret","Token":"session-token",)"
    R"("Expiration":"2099-01-01T00:00:00Z"})";

TEST(FetchLaunchPayload, SignsWithTheTaskRoleAndVerifies) {
    ScriptedServer server({http(200, kCredentials), http(200, kPayload)});
    PayloadPointer pointer = pointer_for(kPayload);
    pointer.endpoint = server.url();
    PayloadFetchOptions options;
    options.environment = environment_of(
        {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/v2/credentials/abc"},
         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-token"}});
    auto spec = fetch_launch_payload(pointer, options);
    ASSERT_TRUE(spec.has_value()) << spec.error().message;
    EXPECT_EQ(spec->token, "t0k");
    EXPECT_EQ(spec->cmd, std::vector<std::string>{"echo hi"});

    auto seen = server.requests();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].rfind("GET /v2/credentials/abc HTTP/1.1\r\n", 0), 0u);
    EXPECT_NE(seen[0].find("Authorization: auth-token\r\n"), std::string::npos);
    EXPECT_EQ(seen[1].rfind("GET /payloads/c1/n1/payload.json HTTP/1.1\r\n", 0), 0u);
    EXPECT_NE(seen[1].find("Authorization: AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/"),
              std::string::npos);
    EXPECT_NE(seen[1].find("/us-east-1/s3/aws4_request"), std::string::npos);
    EXPECT_NE(seen[1].find("X-Amz-Security-Token: session-token\r\n"), std::string::npos);
}

TEST(FetchLaunchPayload, NoContainerCredentialsIsItsOwnFailure) {
    PayloadPointer pointer = pointer_for(kPayload);
    pointer.endpoint = "http://127.0.0.1:1";
    PayloadFetchOptions options;
    options.environment = environment_of({});
    auto spec = fetch_launch_payload(pointer, options);
    ASSERT_FALSE(spec.has_value());
    EXPECT_EQ(spec.error().exit_code(), 90);
    EXPECT_NE(spec.error().message.find("AWS_CONTAINER_CREDENTIALS"), std::string::npos);
}

TEST(FetchLaunchPayload, AMalformedPayloadIsRefusedAfterItsChecks) {
    constexpr std::string_view kNotJson = "{\"version\":1,";
    ScriptedServer server({http(200, kCredentials), http(200, kNotJson)});
    PayloadPointer pointer = pointer_for(kNotJson);
    pointer.endpoint = server.url();
    PayloadFetchOptions options;
    options.environment = environment_of(
        {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/v2/credentials/abc"}});
    auto spec = fetch_launch_payload(pointer, options);
    ASSERT_FALSE(spec.has_value());
    EXPECT_EQ(spec.error().exit_code(), 96);
    EXPECT_NE(spec.error().message.find("launch payload"), std::string::npos);
}

}  // namespace
}  // namespace sockerless::agent
