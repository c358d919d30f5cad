#include "http/exchange.h"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

namespace sockerless::http {
namespace {

Request with_query(std::vector<std::pair<std::string, std::string>> query) {
    Request req;
    req.query = std::move(query);
    return req;
}

TEST(ApiVersion, ParsesMajorDotMinor) {
    EXPECT_EQ(parse_api_version("1.44"), (ApiVersion{1, 44}));
    EXPECT_EQ(parse_api_version("1.9"), (ApiVersion{1, 9}));
    EXPECT_EQ(parse_api_version("2.0"), (ApiVersion{2, 0}));
    EXPECT_FALSE(parse_api_version(""));
    EXPECT_FALSE(parse_api_version("1"));
    EXPECT_FALSE(parse_api_version("1."));
    EXPECT_FALSE(parse_api_version(".4"));
    EXPECT_FALSE(parse_api_version("1.4x"));
    EXPECT_FALSE(parse_api_version("1.2.3"));
    EXPECT_FALSE(parse_api_version("-1.2"));
    EXPECT_FALSE(parse_api_version("foo"));
    EXPECT_FALSE(parse_api_version("1.9999999999"));
}

TEST(ApiVersion, ComparesNumerically) {
    EXPECT_LT((ApiVersion{1, 9}), (ApiVersion{1, 24}));
    EXPECT_LT((ApiVersion{1, 44}), (ApiVersion{2, 0}));
    EXPECT_GT((ApiVersion{1, 45}), kApiVersion);
    EXPECT_EQ(kApiVersion.str(), "1.44");
    EXPECT_EQ(kMinApiVersion.str(), "1.24");
}

TEST(Request, HeaderIsCaseInsensitiveAndFirstWins) {
    Request req;
    req.headers = {{"Content-Type", "application/json"}, {"X-A", "1"}, {"x-a", "2"}};
    EXPECT_EQ(req.header("content-type"), "application/json");
    EXPECT_EQ(req.header("X-A"), "1");
    EXPECT_EQ(req.header("missing"), "");
}

TEST(Request, QueryValuesInOrder) {
    Request req = with_query({{"filters", "a"}, {"all", "1"}, {"filters", "b"}});
    EXPECT_EQ(req.query_value("filters"), "a");
    EXPECT_FALSE(req.query_value("nope"));
    EXPECT_EQ(req.query_values("filters"), (std::vector<std::string_view>{"a", "b"}));
    EXPECT_TRUE(req.query_values("nope").empty());
}

TEST(Request, ParamByName) {
    Request req;
    req.params = {{"id", "abc"}, {"name", "x/y"}};
    EXPECT_EQ(req.param("id"), "abc");
    EXPECT_EQ(req.param("name"), "x/y");
    EXPECT_EQ(req.param("other"), "");
}

TEST(Request, QueryBoolFollowsMoby) {
    EXPECT_FALSE(with_query({}).query_bool("all"));
    EXPECT_TRUE(with_query({}).query_bool("all", true));
    for (const char* no : {"", "0", "false", "False", "FALSE", "no", "NO", "none", " false "}) {
        EXPECT_FALSE(with_query({{"all", no}}).query_bool("all", true)) << '"' << no << '"';
    }
    for (const char* yes : {"1", "true", "True", "yes", "on", "anything"}) {
        EXPECT_TRUE(with_query({{"all", yes}}).query_bool("all")) << yes;
    }
}

TEST(Request, QueryInt) {
    auto absent = with_query({}).query_int("t");
    ASSERT_TRUE(absent.has_value());
    EXPECT_FALSE(absent->has_value());

    auto empty = with_query({{"t", ""}}).query_int("t");
    ASSERT_TRUE(empty.has_value());
    EXPECT_FALSE(empty->has_value());

    EXPECT_EQ(**with_query({{"t", "10"}}).query_int("t"), 10);
    EXPECT_EQ(**with_query({{"t", "-1"}}).query_int("t"), -1);
    EXPECT_EQ(**with_query({{"t", "+7"}}).query_int("t"), 7);
    EXPECT_EQ(**with_query({{"t", "9223372036854775807"}}).query_int("t"), INT64_MAX);

    auto bad = with_query({{"t", "abc"}}).query_int("t");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, Errc::invalid_argument);
    EXPECT_EQ(bad.error().message,
              "invalid value for query parameter 't': \"abc\" is not an integer");

    for (const char* text : {"1.5", "12a", " 1", "+", "-", "99999999999999999999"}) {
        auto r = with_query({{"t", text}}).query_int("t");
        EXPECT_FALSE(r.has_value()) << text;
    }
}

TEST(Request, ApiVersionDefaultsToNewest) {
    Request req;
    EXPECT_EQ(req.api_version(), kApiVersion);
    req.version = ApiVersion{1, 30};
    EXPECT_EQ(req.api_version(), (ApiVersion{1, 30}));
}

TEST(HttpStatus, OneMapping) {
    EXPECT_EQ(http_status(Errc::invalid_argument), 400);
    EXPECT_EQ(http_status(Errc::not_found), 404);
    EXPECT_EQ(http_status(Errc::conflict), 409);
    EXPECT_EQ(http_status(Errc::not_modified), 304);
    EXPECT_EQ(http_status(Errc::unauthorized), 401);
    EXPECT_EQ(http_status(Errc::forbidden), 403);
    EXPECT_EQ(http_status(Errc::unavailable), 503);
    EXPECT_EQ(http_status(Errc::timeout), 504);
    EXPECT_EQ(http_status(Errc::not_implemented), 501);
    EXPECT_EQ(http_status(Errc::internal), 500);
}

TEST(ErrorBody, DockerShapeWithNewline) {
    EXPECT_EQ(error_body("page not found"), "{\"message\":\"page not found\"}\n");
    EXPECT_EQ(error_body("a \"quoted\"\nline"), "{\"message\":\"a \\\"quoted\\\"\\nline\"}\n");
}

// Records what the helpers send through the virtual interface.
class RecordingExchange : public Exchange {
public:
    int status = 0;
    std::string body;
    std::string content_type;
    bool empty = false;

    boost::asio::awaitable<void> reply(int s, std::string b, std::string_view ct) override {
        status = s;
        body = std::move(b);
        content_type = std::string(ct);
        co_return;
    }
    boost::asio::awaitable<void> reply_empty(int s) override {
        status = s;
        empty = true;
        co_return;
    }
    boost::asio::awaitable<Result<std::unique_ptr<ResponseStream>>> begin_stream(
        int, std::string_view) override {
        co_return make_error(Errc::not_implemented, "not here");
    }
    boost::asio::awaitable<Result<std::unique_ptr<Stream>>> hijack(std::string_view) override {
        co_return make_error(Errc::not_implemented, "not here");
    }
    void add_header(std::string, std::string) override {}
};

template <class F>
void run(F f) {
    boost::asio::io_context ctx;
    boost::asio::co_spawn(ctx, f(), boost::asio::detached);
    ctx.run();
}

TEST(ExchangeHelpers, ReplyErrorUsesTheMapping) {
    RecordingExchange ex;
    run([&]() -> boost::asio::awaitable<void> {
        co_await ex.reply_error(make_error(Errc::conflict, "container is running"));
    });
    EXPECT_EQ(ex.status, 409);
    EXPECT_EQ(ex.body, "{\"message\":\"container is running\"}\n");
    EXPECT_EQ(ex.content_type, "application/json");
    EXPECT_FALSE(ex.empty);
}

TEST(ExchangeHelpers, NotModifiedHasNoBody) {
    RecordingExchange ex;
    run([&]() -> boost::asio::awaitable<void> {
        co_await ex.reply_error(make_error(Errc::not_modified, "already started"));
    });
    EXPECT_EQ(ex.status, 304);
    EXPECT_TRUE(ex.empty);
    EXPECT_TRUE(ex.body.empty());
}

TEST(ExchangeHelpers, ReplyJsonSerializesWithNewline) {
    RecordingExchange ex;
    run([&]() -> boost::asio::awaitable<void> {
        boost::json::value v = {{"Id", "abc"}, {"Warnings", boost::json::array{}}};
        co_await ex.reply_json(201, v);
    });
    EXPECT_EQ(ex.status, 201);
    EXPECT_EQ(ex.content_type, "application/json");
    EXPECT_EQ(ex.body, "{\"Id\":\"abc\",\"Warnings\":[]}\n");
}

}  // namespace
}  // namespace sockerless::http
