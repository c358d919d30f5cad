#include "backends/ecs/bucket_command.h"

#include <random>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "backends/ecs/ecs_io_test_support.h"
#include "backends/ecs/payload_store.h"

// The payload-bucket command: its arguments, its configuration and endpoint, its messages, and
// setup and check against the real simulator (SOCKERLESS_AWSSIM; those tests skip without it).

namespace sockerless::ecs {
namespace {

namespace json = boost::json;
using Env = std::map<std::string, std::string>;
using Args = std::vector<std::string>;

// The least configuration the ECS backend accepts, and no way to reach anything but 127.0.0.1.
Env base_env() {
    return Env{
        {"AWS_REGION", "us-east-1"},
        {"SOCKERLESS_ECS_SUBNETS", "subnet-0123456789abcdef0"},
        {"SOCKERLESS_ECS_AGENT_IMAGE", "sockerless-agent:test"},
        {"AWS_EC2_METADATA_DISABLED", "true"},
        {"HOME", "/nonexistent"},
    };
}

BucketCommand parsed(const Args& args, Env env = base_env()) {
    auto out = parse_bucket_command(args, std::move(env));
    if (auto* o = std::get_if<CommandOutput>(&out)) {
        ADD_FAILURE() << "not parsed: " << o->err;
        return {};
    }
    return std::get<BucketCommand>(std::move(out));
}

CommandOutput not_parsed(const Args& args) {
    auto out = parse_bucket_command(args, base_env());
    if (auto* o = std::get_if<CommandOutput>(&out)) return *o;
    ADD_FAILURE() << "parsed";
    return {};
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        out.push_back(text.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

// ---- Arguments ---------------------------------------------------------------------------------

TEST(BucketCommandArgs, HelpNamesTheActions) {
    const CommandOutput out = not_parsed({"--help"});
    EXPECT_EQ(out.status, kAdminOk);
    for (const char* action : {"setup", "check", "policies"})
        EXPECT_NE(out.out.find(action), std::string::npos) << out.out;
}

TEST(BucketCommandArgs, AnActionsHelpListsEveryConfigurationKey) {
    const CommandOutput out = not_parsed({"check", "--help"});
    EXPECT_EQ(out.status, kAdminOk);
    EXPECT_NE(out.out.find("--no-require-tls"), std::string::npos) << out.out;
    EXPECT_NE(out.out.find("--config"), std::string::npos) << out.out;
    for (std::string_view key : ecs_config_keys())
        EXPECT_NE(out.out.find(flag_name(key)), std::string::npos) << key;
}

TEST(BucketCommandArgs, NoActionOrAnUnknownOptionIsAUsageError) {
    for (const Args& args :
         {Args{}, Args{"check", "--bogus"}, Args{"repair"}, Args{"policies", "--no-require-tls"},
          Args{"check", "--create"}, Args{"check", "--payload-bucket"}}) {
        const CommandOutput out = not_parsed(args);
        EXPECT_EQ(out.status, kAdminUsage) << ::testing::PrintToString(args);
        EXPECT_FALSE(out.err.empty()) << ::testing::PrintToString(args);
    }
}

TEST(BucketCommandArgs, FlagsAndTheFileBecomeConfigurationSources) {
    const BucketCommand c = parsed({"setup", "--create", "--no-require-tls", "--config",
                                    "/etc/sockerless/ecs.yaml", "--payload-bucket", "payloads",
                                    "--subnets=subnet-1,subnet-2", "--agent-port", "9000"});
    EXPECT_EQ(c.action, BucketAction::setup);
    EXPECT_TRUE(c.create);
    EXPECT_FALSE(c.require_tls);
    EXPECT_EQ(c.config.yaml_path, "/etc/sockerless/ecs.yaml");
    EXPECT_EQ(c.config.flags, (Env{{"payload_bucket", "payloads"},
                                   {"subnets", "subnet-1,subnet-2"},
                                   {"agent_port", "9000"}}));
    EXPECT_EQ(c.config.env, base_env());
}

TEST(BucketCommandArgs, DefaultsRequireTlsAndCreateNothing) {
    const BucketCommand check = parsed({"check"});
    EXPECT_EQ(check.action, BucketAction::check);
    EXPECT_TRUE(check.require_tls);
    EXPECT_FALSE(check.create);
    EXPECT_TRUE(check.config.flags.empty());
    EXPECT_EQ(parsed({"policies"}).action, BucketAction::policies);
}

// ---- Configuration and endpoint ----------------------------------------------------------------

Result<BucketTarget> target_of(const Args& args, const Env& env = base_env()) {
    const BucketCommand c = parsed(args, env);
    aws::Environment environment;
    environment.getenv = [env](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(std::string(name));
        if (it == env.end() || it->second.empty()) return std::nullopt;
        return it->second;
    };
    return resolve_bucket_target(c, environment);
}

TEST(BucketCommandTarget, NoBucketSaysWhereToSetOne) {
    auto t = target_of({"check"});
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().message,
              "no payload bucket is configured: set payload_bucket in the config file, "
              "SOCKERLESS_ECS_PAYLOAD_BUCKET or --payload-bucket");
}

TEST(BucketCommandTarget, AConfigurationTheDaemonWouldRefuseIsRefusedWithEveryProblem) {
    Env env = base_env();
    env.erase("SOCKERLESS_ECS_SUBNETS");
    auto t = target_of({"check", "--payload-bucket", "Not_A_Bucket"}, env);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, Errc::invalid_argument);
    EXPECT_NE(t.error().message.find("subnets:"), std::string::npos) << t.error().message;
    EXPECT_NE(t.error().message.find("payload_bucket: \"Not_A_Bucket\""), std::string::npos)
        << t.error().message;
}

TEST(BucketCommandTarget, BucketPrefixRegionAndPartitionFromTheConfiguration) {
    Env env = base_env();
    env["SOCKERLESS_ECS_PAYLOAD_PREFIX"] = "team/payloads";
    env["AWS_REGION"] = "cn-north-1";
    auto t = target_of({"check", "--payload-bucket", "payloads"}, env);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->bucket, "payloads");
    EXPECT_EQ(t->prefix, "team/payloads");
    EXPECT_EQ(t->region, "cn-north-1");
    EXPECT_EQ(t->partition, "aws-cn");
    EXPECT_EQ(t->endpoint.url(), "https://s3.cn-north-1.amazonaws.com.cn");
}

TEST(BucketCommandTarget, Partitions) {
    EXPECT_EQ(partition_of("us-east-1"), "aws");
    EXPECT_EQ(partition_of("eu-west-3"), "aws");
    EXPECT_EQ(partition_of("cn-northwest-1"), "aws-cn");
    EXPECT_EQ(partition_of("us-gov-west-1"), "aws-us-gov");
}

TEST(BucketCommandTarget, EndpointFromTheConfigurationThenTheEnvironmentThenAws) {
    Env env = base_env();
    env["SOCKERLESS_ECS_PAYLOAD_BUCKET"] = "payloads";
    auto aws = target_of({"check"}, env);
    ASSERT_TRUE(aws) << aws.error().message;
    EXPECT_EQ(aws->endpoint.url(), "https://s3.amazonaws.com");

    env["AWS_ENDPOINT_URL"] = "https://all.example:8443";
    auto all = target_of({"check"}, env);
    ASSERT_TRUE(all) << all.error().message;
    EXPECT_EQ(all->endpoint.url(), "https://all.example:8443");

    env["AWS_ENDPOINT_URL_S3"] = "https://s3.example";
    auto s3 = target_of({"check"}, env);
    ASSERT_TRUE(s3) << s3.error().message;
    EXPECT_EQ(s3->endpoint.url(), "https://s3.example");

    auto configured = target_of({"check", "--endpoint-url", "https://vpce.example/base"}, env);
    ASSERT_TRUE(configured) << configured.error().message;
    EXPECT_EQ(configured->endpoint.url(), "https://vpce.example/base");
}

TEST(BucketCommandTarget, SetupOverPlainHttpNeedsNoRequireTls) {
    Env env = base_env();
    env["SOCKERLESS_ECS_PAYLOAD_BUCKET"] = "payloads";
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
    auto refused = target_of({"setup"}, env);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message,
              "payload bucket payloads: the S3 endpoint http://127.0.0.1:4566 is plain HTTP, and "
              "the TLS-only bucket policy would refuse every request made through it, the "
              "daemon's included; use an https endpoint, or add --no-require-tls for a test "
              "endpoint such as sockerless-awssim");
    EXPECT_TRUE(target_of({"setup", "--no-require-tls"}, env));
    EXPECT_TRUE(target_of({"check"}, env));  // a check changes nothing: it reports
}

TEST(BucketCommand, ConfigurationErrorsExitTwoBeforeAnyRequest) {
    // The endpoint is a closed port: reaching it would be a different error.
    Env env = base_env();
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1";
    const CommandOutput out = run_payload_bucket_command({"check"}, env);
    EXPECT_EQ(out.status, kAdminUsage);
    EXPECT_TRUE(out.out.empty());
    EXPECT_EQ(lines(out.err).size(), 1U) << out.err;
}

// ---- Policies ----------------------------------------------------------------------------------

TEST(BucketCommand, PoliciesAreOneLabelledJsonObject) {
    const CommandOutput out = run_payload_bucket_command(
        {"policies", "--payload-bucket", "payloads", "--payload-prefix", "p"}, base_env());
    ASSERT_EQ(out.status, kAdminOk) << out.err;
    EXPECT_TRUE(out.err.empty());
    const json::value doc = json::parse(out.out);
    const IamPolicies expected = iam_policies("payloads", "p");
    EXPECT_EQ(doc.at("task_role"), json::parse(expected.task_role));
    EXPECT_EQ(doc.at("daemon"), json::parse(expected.daemon));
    EXPECT_EQ(doc.as_object().size(), 2U);
    EXPECT_TRUE(out.out.starts_with("{\n  \"task_role\": {\n    \"Version\": \"2012-10-17\",\n"))
        << out.out;
}

TEST(BucketCommand, PoliciesUseTheRegionsPartition) {
    Env env = base_env();
    env["AWS_REGION"] = "us-gov-west-1";
    const CommandOutput out =
        run_payload_bucket_command({"policies", "--payload-bucket", "payloads"}, env);
    ASSERT_EQ(out.status, kAdminOk) << out.err;
    const json::value doc = json::parse(out.out);
    EXPECT_EQ(doc.at("task_role").at("Statement").at(0).at("Resource"),
              "arn:aws-us-gov:s3:::payloads/sockerless-payloads/*");
}

TEST(IndentJson, TwoSpacesPerLevelEmptyContainersInline) {
    EXPECT_EQ(indent_json(R"({"a":[1,{"b":"c\"d"}],"e":{},"f":[],"g":null})"),
              "{\n"
              "  \"a\": [\n"
              "    1,\n"
              "    {\n"
              "      \"b\": \"c\\\"d\"\n"
              "    }\n"
              "  ],\n"
              "  \"e\": {},\n"
              "  \"f\": [],\n"
              "  \"g\": null\n"
              "}");
    EXPECT_EQ(indent_json("\"x\""), "\"x\"");
}

// ---- Against the simulator ---------------------------------------------------------------------

class BucketCommandSimTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto binary = test::env_path("SOCKERLESS_AWSSIM");
        if (!binary) return;
        sim_ = test::Sim::start(*binary, start_error_).release();
    }
    static void TearDownTestSuite() {
        delete sim_;
        sim_ = nullptr;
    }

    void SetUp() override {
        if (!test::env_path("SOCKERLESS_AWSSIM"))
            GTEST_SKIP() << "SOCKERLESS_AWSSIM is not set (path to sockerless-awssim)";
        ASSERT_NE(sim_, nullptr) << start_error_;
        clients_ = std::make_unique<test::SimClients>(io_, sim_->endpoint());
        bucket_ = "admin-" + std::to_string(std::random_device{}() % 1'000'000'000);
    }

    Env env() const {
        Env e = base_env();
        e["AWS_ENDPOINT_URL"] = sim_->endpoint().url();
        e["AWS_ACCESS_KEY_ID"] = "test";
        e["AWS_SECRET_ACCESS_KEY"] = "test";
        e["SOCKERLESS_ECS_PAYLOAD_BUCKET"] = bucket_;
        return e;
    }

    CommandOutput admin(const Args& args) const { return run_payload_bucket_command(args, env()); }

    // A bucket as S3 makes it, without the public access block S3 gives new buckets. (Default
    // encryption cannot be removed: S3 falls back to SSE-S3, and so does the simulator.)
    void bare_bucket() {
        auto made = test::run(io_, clients_->s3.create_bucket(bucket_));
        ASSERT_TRUE(made && made->has_value());
        aws::HttpRequest req;
        req.method = "DELETE";
        req.path = "/" + bucket_;
        req.query.emplace_back("publicAccessBlock", "");
        auto out = test::run(io_, clients_->s3_aws.send(req, "Raw", aws::Protocol::rest_xml));
        ASSERT_TRUE(out && out->has_value());
    }

    static inline test::Sim* sim_ = nullptr;
    static inline std::string start_error_;
    boost::asio::io_context io_;
    std::unique_ptr<test::SimClients> clients_;
    std::string bucket_;
};

TEST_F(BucketCommandSimTest, SetupCreatesThenCheckFindsNothing) {
    const CommandOutput setup = admin({"setup", "--create", "--no-require-tls"});
    EXPECT_EQ(setup.status, kAdminOk) << setup.err;
    EXPECT_EQ(setup.out, "payload bucket " + bucket_ + ": set up correctly\n");
    EXPECT_EQ(setup.err, "warning: payload bucket " + bucket_ +
                             ": --no-require-tls: requests without TLS are not refused; use it "
                             "only for plain-HTTP test endpoints\n");

    const CommandOutput check = admin({"check", "--no-require-tls"});
    EXPECT_EQ(check.status, kAdminOk) << check.err;
    EXPECT_EQ(check.out, "payload bucket " + bucket_ + ": set up correctly\n");

    // Running setup again changes nothing and is fine.
    EXPECT_EQ(admin({"setup", "--no-require-tls"}).status, kAdminOk);
}

TEST_F(BucketCommandSimTest, CheckOfABareBucketListsEveryMissingProtection) {
    bare_bucket();
    const CommandOutput out = admin({"check"});
    EXPECT_EQ(out.status, kAdminProblems);
    const std::string b = "payload bucket " + bucket_ + ": ";
    EXPECT_EQ(lines(out.out),
              (std::vector<std::string>{
                  b + "public access block: none (want all four settings on)",
                  b + "bucket policy: none (want a statement denying requests without TLS)",
                  b + "lifecycle: no enabled rule expires objects under sockerless-payloads/ "
                      "after 1 day",
                  b + "lifecycle: no enabled rule aborts incomplete multipart uploads under "
                      "sockerless-payloads/ after 1 day",
              }));
    const auto err = lines(out.err);
    ASSERT_EQ(err.size(), 2U) << out.err;
    EXPECT_TRUE(err[0].starts_with("note: " + b + "the S3 endpoint http://")) << err[0];
    EXPECT_EQ(err[1], b + "4 problems; `sockerless-admin payload-bucket setup` fixes them");

    // Without TLS required, the policy is not asked for; setup then fixes the rest.
    EXPECT_EQ(lines(admin({"check", "--no-require-tls"}).out).size(), 3U);
    EXPECT_EQ(admin({"setup", "--no-require-tls"}).status, kAdminOk);
    EXPECT_EQ(admin({"check", "--no-require-tls"}).status, kAdminOk);
}

TEST_F(BucketCommandSimTest, AMissingBucketIsOneLineSayingHowToCreateIt) {
    const CommandOutput check = admin({"check"});
    EXPECT_EQ(check.status, kAdminProblems);
    EXPECT_TRUE(check.out.empty());
    const auto err = lines(check.err);
    ASSERT_EQ(err.size(), 2U) << check.err;  // the plain-HTTP note, then the failure
    EXPECT_TRUE(err[1].starts_with("payload bucket " + bucket_ + ": check failed: s3 ")) << err[1];
    EXPECT_NE(err[1].find("NoSuchBucket"), std::string::npos) << err[1];
    EXPECT_TRUE(
        err[1].ends_with("; create it with `sockerless-admin payload-bucket setup "
                         "--create`"))
        << err[1];

    const CommandOutput setup = admin({"setup", "--no-require-tls"});
    EXPECT_EQ(setup.status, kAdminProblems);
    EXPECT_TRUE(lines(setup.err).back().ends_with("; add --create to create it")) << setup.err;
}

TEST_F(BucketCommandSimTest, RefusedCredentialsSayWhatToCheck) {
    Env e = env();
    e["AWS_SECRET_ACCESS_KEY"] = "wrong";
    const CommandOutput out = run_payload_bucket_command({"check", "--no-require-tls"}, e);
    EXPECT_EQ(out.status, kAdminProblems);
    const auto err = lines(out.err);
    EXPECT_NE(err.back().find("SignatureDoesNotMatch"), std::string::npos) << out.err;
    EXPECT_TRUE(
        err.back().ends_with("; check the AWS credentials in use (AWS_ACCESS_KEY_ID and "
                             "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role)"))
        << out.err;
}

TEST_F(BucketCommandSimTest, AnUnreachableEndpointIsNamed) {
    Env e = env();
    e["AWS_ENDPOINT_URL"] = "http://127.0.0.1:" + std::to_string(test::free_port());
    const CommandOutput out = run_payload_bucket_command({"check", "--no-require-tls"}, e);
    EXPECT_EQ(out.status, kAdminProblems);
    EXPECT_NE(
        out.err.find("; check that the S3 endpoint " + e["AWS_ENDPOINT_URL"] + " is reachable"),
        std::string::npos)
        << out.err;
}

}  // namespace
}  // namespace sockerless::ecs
