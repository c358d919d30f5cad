#include <gtest/gtest.h>

#include "http/server.h"

namespace sockerless::http {
namespace {

// Matching never runs a handler: routes are told apart by the address match() returns.
Handler tagged(int tag) {
    return [tag](Request&, Exchange&) -> boost::asio::awaitable<void> {
        static_cast<void>(tag);
        co_return;
    };
}

struct Match {
    const Handler* handler = nullptr;
    bool method_mismatch = false;
    Request request;
};

Match match(const Router& router, std::string method, std::string path) {
    Match m;
    m.request.method = std::move(method);
    m.request.path = std::move(path);
    m.handler = router.match(m.request, m.method_mismatch);
    return m;
}

class RouterTest : public ::testing::Test {
protected:
    RouterTest() {
        router.add("GET", "/_ping", tagged(1));
        router.add("HEAD", "/_ping", tagged(2));
        router.add("GET", "/containers/json", tagged(3));
        router.add("GET", "/containers/{id}/json", tagged(4));
        router.add("POST", "/containers/{id}/start", tagged(5));
        router.add("GET", "/images/{name*}", tagged(6));
        router.add("GET", "/containers/{id}/{what}", tagged(7));
        router.add("GET", "/", tagged(8));
    }
    Router router;
};

TEST_F(RouterTest, LiteralPaths) {
    auto m = match(router, "GET", "/_ping");
    ASSERT_NE(m.handler, nullptr);
    EXPECT_TRUE(m.request.params.empty());
    EXPECT_FALSE(m.method_mismatch);
    EXPECT_NE(match(router, "HEAD", "/_ping").handler, m.handler);
    EXPECT_NE(match(router, "GET", "/").handler, nullptr);
}

TEST_F(RouterTest, FirstRegisteredWins) {
    // "/containers/abc/json" matches both "/containers/{id}/json" and "/containers/{id}/{what}":
    // the one registered first serves it.
    auto literal = match(router, "GET", "/containers/json");
    auto param = match(router, "GET", "/containers/abc/json");
    ASSERT_NE(literal.handler, nullptr);
    ASSERT_NE(param.handler, nullptr);
    EXPECT_NE(literal.handler, param.handler);
    EXPECT_EQ(param.request.params,
              (std::vector<std::pair<std::string, std::string>>{{"id", "abc"}}));

    auto later = match(router, "GET", "/containers/abc/logs");
    ASSERT_NE(later.handler, nullptr);
    EXPECT_EQ(later.request.params,
              (std::vector<std::pair<std::string, std::string>>{{"id", "abc"}, {"what", "logs"}}));
}

TEST_F(RouterTest, ParameterIsOneNonEmptySegment) {
    EXPECT_EQ(match(router, "GET", "/containers//json").handler, nullptr);
    EXPECT_EQ(match(router, "GET", "/containers/a/b/json").handler, nullptr);
    EXPECT_EQ(match(router, "GET", "/containers/abc/json/").handler, nullptr);
    EXPECT_EQ(match(router, "GET", "/containers/abc").handler, nullptr);
}

TEST_F(RouterTest, GreedyTail) {
    auto m = match(router, "GET", "/images/docker.io/library/busybox:latest/json");
    ASSERT_NE(m.handler, nullptr);
    EXPECT_EQ(m.request.param("name"), "docker.io/library/busybox:latest/json");
    EXPECT_EQ(match(router, "GET", "/images/x").request.param("name"), "x");
    EXPECT_EQ(match(router, "GET", "/images/").handler, nullptr);
    EXPECT_EQ(match(router, "GET", "/images").handler, nullptr);
}

TEST_F(RouterTest, OtherMethodIsReported) {
    auto m = match(router, "POST", "/_ping");
    EXPECT_EQ(m.handler, nullptr);
    EXPECT_TRUE(m.method_mismatch);

    auto unknown = match(router, "GET", "/nothing/here");
    EXPECT_EQ(unknown.handler, nullptr);
    EXPECT_FALSE(unknown.method_mismatch);

    auto start = match(router, "POST", "/containers/abc/start");
    ASSERT_NE(start.handler, nullptr);
    EXPECT_FALSE(start.method_mismatch);
}

TEST(Router, SuffixRoutesBeforeTheTail) {
    Router router;
    router.add("GET", "/images/{name}/json", tagged(1));
    router.add("GET", "/images/{name*}", tagged(2));
    Request req;
    req.method = "GET";
    req.path = "/images/busybox/json";
    bool mismatch = false;
    const Handler* h = router.match(req, mismatch);
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(req.param("name"), "busybox");
    req.path = "/images/library/busybox";
    const Handler* tail = router.match(req, mismatch);
    ASSERT_NE(tail, nullptr);
    EXPECT_NE(tail, h);
    EXPECT_EQ(req.param("name"), "library/busybox");
}

}  // namespace
}  // namespace sockerless::http
