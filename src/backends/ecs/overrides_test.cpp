#include "backends/ecs/overrides.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "aws/ecs_client.h"
#include "aws/sigv4.h"

namespace sockerless::ecs {
namespace {

namespace json = boost::json;
using agentproto::LaunchSpec;

constexpr std::string_view kId = "4f1e9c2b7d3a5e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";
const std::string kToken(64, 'a');

LaunchSpec small_spec() {
    LaunchSpec s;
    s.entrypoint = {"/docker-entrypoint.sh"};
    s.cmd = {"nginx", "-g", "daemon off;"};
    s.env = {"PATH=/usr/bin:/bin", "A=b=c", "EMPTY=", "BARE"};
    s.token = kToken;
    return s;
}

PayloadTarget target() {
    return PayloadTarget{"sockerless-payloads-test", "sockerless-payloads", "http://127.0.0.1:4566",
                         "us-east-1"};
}

NonceSource fixed_nonce(std::string nonce = "00112233445566778899aabbccddeeff") {
    return [nonce] { return Result<std::string>(nonce); };
}

TEST(InlineOverrides, Golden) {
    LaunchSpec s = small_spec();
    s.workdir = "/srv";
    s.user = "1000:1000";
    s.tty = true;
    s.stdin_once = true;
    const std::string golden =
        R"({"containerOverrides":[{"name":"main",)"
        R"("command":["/docker-entrypoint.sh","nginx","-g","daemon off;"],)"
        R"("environment":[)"
        R"({"name":"PATH","value":"/usr/bin:/bin"},)"
        R"({"name":"A","value":"b=c"},)"
        R"({"name":"EMPTY","value":""},)"
        R"({"name":"BARE","value":""},)"
        R"({"name":"SOCKERLESS_AGENT_TOKEN","value":")" +
        kToken +
        R"("},)"
        R"({"name":"SOCKERLESS_ORIGINAL_ENTRYPOINT","value":"[\"/docker-entrypoint.sh\"]"},)"
        R"({"name":"SOCKERLESS_ORIGINAL_CMD","value":"[\"nginx\",\"-g\",\"daemon off;\"]"},)"
        R"({"name":"SOCKERLESS_AGENT_WORKDIR","value":"/srv"},)"
        R"({"name":"SOCKERLESS_AGENT_USER","value":"1000:1000"},)"
        R"({"name":"SOCKERLESS_AGENT_TTY","value":"1"},)"
        R"({"name":"SOCKERLESS_AGENT_STDIN_ONCE","value":"1"}]}]})";
    const json::object o = inline_overrides(s);
    EXPECT_EQ(json::serialize(o), golden);
    EXPECT_EQ(overrides_size(o), golden.size());
}

TEST(InlineOverrides, KeepAliveHasNoCommand) {
    LaunchSpec s = small_spec();
    s.env.clear();
    s.entrypoint.clear();
    s.cmd = {"tail", "-f", "/dev/null"};
    s.keep_alive = true;
    s.open_stdin = true;
    EXPECT_EQ(json::serialize(inline_overrides(s)),
              R"({"containerOverrides":[{"name":"main","environment":[)"
              R"({"name":"SOCKERLESS_AGENT_TOKEN","value":")" +
                  kToken +
                  R"("},)"
                  R"({"name":"SOCKERLESS_ORIGINAL_ENTRYPOINT","value":"[]"},)"
                  R"({"name":"SOCKERLESS_ORIGINAL_CMD","value":"[\"tail\",\"-f\",\"/dev/null\"]"},)"
                  R"({"name":"SOCKERLESS_AGENT_OPEN_STDIN","value":"1"},)"
                  R"({"name":"SOCKERLESS_AGENT_KEEP_ALIVE","value":"1"}]}]})");
}

TEST(OverridesSize, IsTheClientsSerialization) {
    // run_task_input embeds the object unchanged; the client sends json::serialize of the input.
    aws::RunTaskRequest r;
    r.task_definition = "sockerless-0123456789abcdef";
    r.overrides = inline_overrides(small_spec());
    const std::string sent = json::serialize(aws::run_task_input(r));
    const std::string overrides = json::serialize(r.overrides);
    EXPECT_NE(sent.find("\"overrides\":" + overrides), std::string::npos);
    EXPECT_EQ(overrides_size(r.overrides), overrides.size());
}

// A spec whose inline overrides take exactly `size` bytes: the value of PAD is `unit` repeated
// (each costing `unit_cost` bytes in the JSON text, escapes included) and 'a' for the rest.
LaunchSpec spec_of_size(std::size_t size, std::string_view unit, std::size_t unit_cost) {
    LaunchSpec s = small_spec();
    s.env.emplace_back("PAD=");
    const std::size_t base = overrides_size(inline_overrides(s));
    EXPECT_LE(base, size);
    std::size_t left = size - base;
    std::string value;
    for (; left >= unit_cost + 1; left -= unit_cost)
        value += unit;
    value.append(left, 'a');
    s.env.back() += value;
    return s;
}

struct Unit {
    std::string text;
    std::size_t cost;  // bytes in the JSON text
};

class Boundary : public ::testing::TestWithParam<Unit> {};

TEST_P(Boundary, ExactlyTheBudgetStaysInlineOneMoreByteGoesToThePayload) {
    const Unit& unit = GetParam();
    const LaunchSpec at = spec_of_size(kOverridesBudget, unit.text, unit.cost);
    ASSERT_EQ(overrides_size(inline_overrides(at)), kOverridesBudget);

    auto plan =
        plan_overrides(kId, at, PayloadMode::automatic, target(), kOverridesBudget, fixed_nonce());
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_EQ(plan->delivery, LaunchDelivery::inline_env);
    EXPECT_EQ(plan->size, kOverridesBudget);
    EXPECT_FALSE(plan->payload.has_value());
    ASSERT_TRUE(plan_overrides(kId, at, PayloadMode::never, target()).has_value());

    LaunchSpec over = at;
    over.env.back() += "a";
    auto bigger = plan_overrides(kId, over, PayloadMode::automatic, target(), kOverridesBudget,
                                 fixed_nonce());
    ASSERT_TRUE(bigger.has_value()) << bigger.error().message;
    EXPECT_EQ(bigger->delivery, LaunchDelivery::payload);
    EXPECT_EQ(bigger->inline_size, kOverridesBudget + 1);
    ASSERT_TRUE(bigger->payload.has_value());
    EXPECT_LT(bigger->size, 1024U);

    auto refused = plan_overrides(kId, over, PayloadMode::never, target());
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().message.find("8193 bytes"), std::string::npos)
        << refused.error().message;
}

INSTANTIATE_TEST_SUITE_P(Units, Boundary,
                         ::testing::Values(Unit{"a", 1}, Unit{"\xc3\xa9", 2},  // é
                                           Unit{"\xe2\x82\xac", 3},            // €
                                           Unit{"\xf0\x9f\x98\x80", 4},        // 😀
                                           Unit{"\"", 2}, Unit{"\\", 2}, Unit{"\n", 2},
                                           Unit{"\t", 2},
                                           Unit{std::string(1, '\x01'), 6},  // \u0001
                                           Unit{std::string(1, '\x1f'), 6}));

TEST(PlanOverrides, NeverRefusesWithSizesAndAdvice) {
    LaunchSpec s = small_spec();
    s.env.push_back("FOO=" + std::string(5000, 'x'));
    s.cmd = {"sh", "-c", std::string(2000, 'y')};
    const std::size_t size = overrides_size(inline_overrides(s));
    auto plan = plan_overrides(kId, s, PayloadMode::never, target());
    ASSERT_FALSE(plan.has_value());
    EXPECT_EQ(plan.error().code, Errc::invalid_argument);
    const std::string& m = plan.error().message;
    EXPECT_NE(m.find("container " + std::string(kId)), std::string::npos) << m;
    EXPECT_NE(m.find(std::to_string(size) + " bytes"), std::string::npos) << m;
    EXPECT_NE(m.find("limit of 8192"), std::string::npos) << m;
    // {"name":"FOO","value":"<5000>"} and its comma.
    EXPECT_NE(m.find("largest: env FOO: 5026 bytes, cmd: "), std::string::npos) << m;
    EXPECT_NE(m.find("payload_mode auto with a payload_bucket"), std::string::npos) << m;
    // cmd counts twice: in "command" and in SOCKERLESS_ORIGINAL_CMD.
    const std::size_t cmd_at = m.find("cmd: ") + 5;
    EXPECT_GT(std::stoul(m.substr(cmd_at)), 4000U) << m;
}

TEST(PlanOverrides, AutoWithoutBucketRefusesSayingSo) {
    LaunchSpec s = small_spec();
    s.env.push_back("BIG=" + std::string(9000, 'x'));
    PayloadTarget none = target();
    none.bucket.clear();
    auto plan = plan_overrides(kId, s, PayloadMode::automatic, none);
    ASSERT_FALSE(plan.has_value());
    EXPECT_EQ(plan.error().code, Errc::invalid_argument);
    EXPECT_NE(plan.error().message.find("no payload_bucket is configured"), std::string::npos)
        << plan.error().message;
    EXPECT_NE(plan.error().message.find("env BIG: 9026 bytes"), std::string::npos);
    // Small launches need no bucket.
    auto small = plan_overrides(kId, small_spec(), PayloadMode::automatic, none);
    ASSERT_TRUE(small.has_value());
    EXPECT_EQ(small->delivery, LaunchDelivery::inline_env);
}

TEST(PlanOverrides, AlwaysCarriesOnlyThePointer) {
    LaunchSpec s = small_spec();
    s.env.push_back("SECRET=hunter2-very-secret");
    auto plan =
        plan_overrides(kId, s, PayloadMode::always, target(), kOverridesBudget, fixed_nonce());
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    ASSERT_EQ(plan->delivery, LaunchDelivery::payload);
    ASSERT_TRUE(plan->payload.has_value());
    const PayloadObject& p = *plan->payload;
    const std::string key = "sockerless-payloads/" + std::string(kId) +
                            "/00112233445566778899aabbccddeeff/payload.json";
    EXPECT_EQ(p.bucket, "sockerless-payloads-test");
    EXPECT_EQ(p.key, key);
    EXPECT_EQ(p.uri, "s3://sockerless-payloads-test/" + key);
    EXPECT_EQ(p.body, agentproto::serialize_launch_payload(s));
    EXPECT_EQ(p.sha256, aws::sha256_hex(p.body));
    auto back = agentproto::parse_launch_payload(p.body);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, s);

    const std::string sent = json::serialize(plan->overrides);
    EXPECT_EQ(plan->size, sent.size());
    EXPECT_EQ(sent,
              R"({"containerOverrides":[{"name":"main","environment":[)"
              R"({"name":"SOCKERLESS_PAYLOAD_URI","value":")" +
                  p.uri + R"("},{"name":"SOCKERLESS_PAYLOAD_SHA256","value":")" + p.sha256 +
                  R"("},{"name":"SOCKERLESS_PAYLOAD_LENGTH","value":")" +
                  std::to_string(p.body.size()) +
                  R"("},{"name":"SOCKERLESS_PAYLOAD_ENDPOINT","value":"http://127.0.0.1:4566"},)"
                  R"({"name":"SOCKERLESS_PAYLOAD_REGION","value":"us-east-1"}]}]})");
    for (std::string_view secret :
         {std::string_view(kToken), std::string_view("hunter2"), std::string_view("/usr/bin:/bin"),
          std::string_view("nginx"), std::string_view("SOCKERLESS_AGENT_TOKEN")}) {
        EXPECT_EQ(sent.find(secret), std::string::npos) << secret;
    }
}

TEST(PlanOverrides, PointerWithoutEndpointOrRegionOrPrefix) {
    PayloadTarget t{"bucket-1", "", "", ""};
    auto plan = plan_overrides(kId, small_spec(), PayloadMode::always, t, kOverridesBudget,
                               fixed_nonce("ab"));
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_EQ(plan->payload->key, std::string(kId) + "/ab/payload.json");
    const std::string sent = json::serialize(plan->overrides);
    EXPECT_EQ(sent.find("SOCKERLESS_PAYLOAD_ENDPOINT"), std::string::npos);
    EXPECT_EQ(sent.find("SOCKERLESS_PAYLOAD_REGION"), std::string::npos);
}

TEST(PlanOverrides, AlwaysNeedsABucket) {
    PayloadTarget none = target();
    none.bucket.clear();
    auto plan = plan_overrides(kId, small_spec(), PayloadMode::always, none);
    ASSERT_FALSE(plan.has_value());
    EXPECT_NE(plan.error().message.find("payload_bucket"), std::string::npos);
}

TEST(PlanOverrides, RefusesBadInputs) {
    for (std::string_view id : {"", ".", "..", "a/b", "a b", "x\"y"}) {
        auto plan = plan_overrides(id, small_spec(), PayloadMode::automatic, target());
        ASSERT_FALSE(plan.has_value()) << id;
        EXPECT_EQ(plan.error().code, Errc::invalid_argument);
    }
    EXPECT_FALSE(
        plan_overrides(std::string(65, 'a'), small_spec(), PayloadMode::automatic, target())
            .has_value());
    LaunchSpec no_token = small_spec();
    no_token.token.clear();
    EXPECT_FALSE(plan_overrides(kId, no_token, PayloadMode::automatic, target()).has_value());
}

TEST(PlanOverrides, NonceProblemsSurface) {
    NonceSource failing = [] {
        return Result<std::string>(make_error(Errc::internal, "getrandom: no entropy"));
    };
    auto plan =
        plan_overrides(kId, small_spec(), PayloadMode::always, target(), kOverridesBudget, failing);
    ASSERT_FALSE(plan.has_value());
    EXPECT_EQ(plan.error().message, "getrandom: no entropy");
    for (const std::string& bad :
         std::vector<std::string>{"", "../x", std::string(33, 'a'), "ABCD"}) {
        EXPECT_FALSE(plan_overrides(kId, small_spec(), PayloadMode::always, target(),
                                    kOverridesBudget, fixed_nonce(bad))
                         .has_value())
            << bad;
    }
}

TEST(PlanOverrides, DefaultNoncesAreFreshHex) {
    auto a = plan_overrides(kId, small_spec(), PayloadMode::always, target());
    auto b = plan_overrides(kId, small_spec(), PayloadMode::always, target());
    ASSERT_TRUE(a.has_value() && b.has_value());
    EXPECT_NE(a->payload->key, b->payload->key);
    const std::string& key = a->payload->key;
    const std::size_t start = key.find(kId) + kId.size() + 1;
    const std::string nonce = key.substr(start, key.find('/', start) - start);
    EXPECT_EQ(nonce.size(), 32U);
    EXPECT_EQ(nonce.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(MaxPointerOverridesSize, BoundsEveryPointerAndFitsTheBudget) {
    EXPECT_LT(max_pointer_overrides_size(), kOverridesBudget);
    // The widest target validation allows, with the longest id and nonce.
    PayloadTarget widest{std::string(kMaxBucketLength, 'b'),
                         std::string(kMaxPayloadPrefixLength, 'p'),
                         "https://" + std::string(kMaxEndpointUrlLength - 8, 'e'),
                         std::string(kMaxRegionLength, 'r')};
    EXPECT_EQ(max_pointer_overrides_size(widest), max_pointer_overrides_size());
    LaunchSpec big = small_spec();
    big.env.push_back("BIG=" + std::string(100000, 'x'));
    auto plan = plan_overrides(std::string(kMaxContainerIdLength, 'z'), big, PayloadMode::automatic,
                               widest, kOverridesBudget, fixed_nonce());
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    ASSERT_EQ(plan->delivery, LaunchDelivery::payload);
    EXPECT_LE(plan->size, max_pointer_overrides_size(widest));
    // Only the payload length's digits separate the two (6 here against 20 at most).
    EXPECT_EQ(max_pointer_overrides_size(widest) - plan->size,
              20 - std::to_string(plan->payload->body.size()).size());
    EXPECT_LE(max_pointer_overrides_size(target()), max_pointer_overrides_size());
}

}  // namespace
}  // namespace sockerless::ecs
