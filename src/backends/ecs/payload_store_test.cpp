#include "backends/ecs/payload_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <boost/asio/io_context.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "backends/ecs/ecs_io_test_support.h"

// The payload store and the bucket setup against the real simulator (SOCKERLESS_AWSSIM), which
// enforces bucket policies against the caller: the daemon is the account's root, the task a
// role session made with POST /_awssim/sessions.

namespace sockerless::ecs {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using test::run;

constexpr std::string_view kPrefix = "sockerless-payloads";
constexpr std::string_view kTaskRole = "arn:aws:iam::000000000000:role/sockerless-task";

template <class T>
std::string why(const std::optional<T>& r) {
    if (!r) return "timeout";
    if (r->has_value()) return "ok";
    return r->error().message;
}

// ---- Pure: the policies ----------------------------------------------------------------------

TEST(IamPolicies, TaskRoleMayOnlyReadUnderThePrefix) {
    const IamPolicies p = iam_policies("payloads", "sockerless-payloads/");
    const json::value doc = json::parse(p.task_role);
    EXPECT_EQ(doc.at("Version"), "2012-10-17");
    const json::array& st = doc.at("Statement").as_array();
    ASSERT_EQ(st.size(), 1U);
    EXPECT_EQ(st[0].at("Effect"), "Allow");
    EXPECT_EQ(st[0].at("Action"), "s3:GetObject");
    EXPECT_EQ(st[0].at("Resource"), "arn:aws:s3:::payloads/sockerless-payloads/*");
    EXPECT_EQ(p.task_role.find("List"), std::string::npos);
    EXPECT_EQ(p.task_role.find("Put"), std::string::npos);
}

TEST(IamPolicies, DaemonWritesDeletesListsThePrefixAndSetsUpTheBucket) {
    const IamPolicies p = iam_policies("payloads", "sockerless-payloads", "aws-cn");
    const json::value doc = json::parse(p.daemon);
    const json::array& st = doc.at("Statement").as_array();
    ASSERT_EQ(st.size(), 3U);
    EXPECT_EQ(st[0].at("Action"), (json::array{"s3:PutObject", "s3:GetObject", "s3:DeleteObject"}));
    EXPECT_EQ(st[0].at("Resource"), "arn:aws-cn:s3:::payloads/sockerless-payloads/*");
    EXPECT_EQ(st[1].at("Action"), "s3:ListBucket");
    EXPECT_EQ(st[1].at("Resource"), "arn:aws-cn:s3:::payloads");
    EXPECT_EQ(st[1].at("Condition").at("StringLike").at("s3:prefix"),
              (json::array{"sockerless-payloads/", "sockerless-payloads/*"}));
    const json::array& setup = st[2].at("Action").as_array();
    for (const char* action : {"s3:CreateBucket", "s3:PutBucketPolicy", "s3:GetBucketPolicy",
                               "s3:PutBucketPublicAccessBlock", "s3:PutEncryptionConfiguration",
                               "s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"}) {
        EXPECT_NE(std::find(setup.begin(), setup.end(), json::value(action)), setup.end())
            << action;
    }
    EXPECT_EQ(st[2].at("Resource"), "arn:aws-cn:s3:::payloads");
}

TEST(BucketProblems, AFullySetUpBucketHasNone) {
    BucketSettings s;
    s.public_access_block = aws::PublicAccessBlock{};
    s.policy = *policy_with_tls_only(std::nullopt, "payloads");
    s.encryption = aws::BucketEncryption{"aws:kms", "key-1", true};
    aws::LifecycleRule all;  // a rule for the whole bucket covers the prefix too
    all.id = "everything";
    all.expiration_days = 1;
    all.abort_incomplete_multipart_days = 1;
    s.lifecycle = std::vector<aws::LifecycleRule>{all};
    EXPECT_EQ(bucket_problems(s, "payloads", "sockerless-payloads"), std::vector<std::string>{});
}

TEST(BucketProblems, NothingConfiguredIsOneMessagePerPiece) {
    const auto problems = bucket_problems(BucketSettings{}, "payloads", "p/");
    EXPECT_EQ(problems,
              (std::vector<std::string>{
                  "public access block: none (want all four settings on)",
                  "bucket policy: none (want a statement denying requests without TLS)",
                  "default encryption: none (want AES256 or aws:kms)",
                  "lifecycle: no enabled rule expires objects under p/ after 1 day",
                  "lifecycle: no enabled rule aborts incomplete multipart uploads under p/ after "
                  "1 day"}));
    EXPECT_EQ(bucket_problems(BucketSettings{}, "payloads", "p/", false).size(), 4U);
}

TEST(BucketProblems, TlsStatementInEveryFormIamAccepts) {
    auto policy_ok = [](const std::string& statement) {
        BucketSettings s;
        s.policy = R"({"Version":"2012-10-17","Statement":)" + statement + "}";
        for (const std::string& p : bucket_problems(s, "b", "p")) {
            if (p.starts_with("bucket policy")) return false;
        }
        return true;
    };
    const std::string resources = R"("Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"])";
    EXPECT_TRUE(policy_ok(R"({"Effect":"Deny","Principal":{"AWS":"*"},"Action":["*"],)" +
                          resources + R"(,"Condition":{"Bool":{"aws:SecureTransport":false}}})"));
    EXPECT_TRUE(policy_ok(R"([{"Effect":"Deny","Principal":"*","Action":"s3:*",)" + resources +
                          R"(,"Condition":{"Bool":{"aws:SecureTransport":["false"]}}}])"));
    // An Allow, a single resource, or the wrong condition do not protect the bucket.
    EXPECT_FALSE(policy_ok(R"({"Effect":"Allow","Principal":"*","Action":"s3:*",)" + resources +
                           R"(,"Condition":{"Bool":{"aws:SecureTransport":"false"}}})"));
    EXPECT_FALSE(policy_ok(R"({"Effect":"Deny","Principal":"*","Action":"s3:*",)"
                           R"("Resource":"arn:aws:s3:::b/*",)"
                           R"("Condition":{"Bool":{"aws:SecureTransport":"false"}}})"));
    EXPECT_FALSE(policy_ok(R"({"Effect":"Deny","Principal":"*","Action":"s3:*",)" + resources +
                           R"(,"Condition":{"Bool":{"aws:SecureTransport":"true"}}})"));
    EXPECT_FALSE(policy_ok(R"({"Effect":"Deny","Principal":"*","Action":"s3:GetObject",)" +
                           resources +
                           R"(,"Condition":{"Bool":{"aws:SecureTransport":"false"}}})"));
}

TEST(BucketProblems, LifecycleMustCoverThePrefixAndBeEnabled) {
    auto problems_with = [](aws::LifecycleRule rule) {
        BucketSettings s;
        s.lifecycle = std::vector<aws::LifecycleRule>{rule};
        std::vector<std::string> out;
        for (std::string& p : bucket_problems(s, "b", "payloads", false)) {
            if (p.starts_with("lifecycle")) out.push_back(std::move(p));
        }
        return out.size();
    };
    aws::LifecycleRule r;
    r.prefix = "payloads/";
    r.expiration_days = 1;
    r.abort_incomplete_multipart_days = 1;
    EXPECT_EQ(problems_with(r), 0U);
    aws::LifecycleRule other = r;
    other.prefix = "payloads/abc/";  // narrower than the prefix
    EXPECT_EQ(problems_with(other), 2U);
    aws::LifecycleRule off = r;
    off.enabled = false;
    EXPECT_EQ(problems_with(off), 2U);
    aws::LifecycleRule no_abort = r;
    no_abort.abort_incomplete_multipart_days = 0;
    EXPECT_EQ(problems_with(no_abort), 1U);
}

TEST(PolicyWithTlsOnly, KeepsOtherStatementsAndReplacesItsOwn) {
    const std::string existing =
        R"({"Version":"2008-10-17","Statement":{"Sid":"Other","Effect":"Allow",)"
        R"("Principal":{"AWS":"arn:aws:iam::1:role/r"},"Action":"s3:GetObject",)"
        R"("Resource":"arn:aws:s3:::b/*"}})";
    auto once = policy_with_tls_only(existing, "b", "aws-us-gov");
    ASSERT_TRUE(once.has_value()) << once.error().message;
    auto twice = policy_with_tls_only(*once, "b", "aws-us-gov");
    ASSERT_TRUE(twice.has_value());
    const json::value doc = json::parse(*twice);
    EXPECT_EQ(doc.at("Version"), "2008-10-17");
    const json::array& st = doc.at("Statement").as_array();
    ASSERT_EQ(st.size(), 2U);
    EXPECT_EQ(st[0].at("Sid"), "Other");
    EXPECT_EQ(st[1].at("Sid"), json::value(kTlsOnlySid));
    EXPECT_EQ(st[1].at("Resource"),
              (json::array{"arn:aws-us-gov:s3:::b", "arn:aws-us-gov:s3:::b/*"}));
    EXPECT_FALSE(policy_with_tls_only(std::string("not json"), "b").has_value());
}

// ---- Against the simulator -------------------------------------------------------------------

class PayloadStoreTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        const auto binary = test::env_path("SOCKERLESS_AWSSIM");
        if (!binary) return;
        std::string error;
        sim_ = test::Sim::start(*binary, error).release();
        if (sim_ == nullptr) start_error_ = error;
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
    }

    // A new bucket with S3's defaults for new buckets (public access blocked, SSE-S3).
    std::string new_bucket() {
        static std::mt19937 rng{std::random_device{}()};
        std::string name = "payloads-" + std::to_string(rng() % 1'000'000'000);
        auto out = run(io_, clients_->s3.create_bucket(name));
        EXPECT_TRUE(out && out->has_value()) << why(out);
        return name;
    }

    // What the user of a bucket that has been configured by hand may have done.
    Status raw_s3(std::string method, std::string bucket, std::string subresource) {
        aws::HttpRequest req;
        req.method = std::move(method);
        req.path = "/" + bucket;
        req.query.emplace_back(std::move(subresource), "");
        auto out = run(io_, clients_->s3_aws.send(req, "Raw", aws::Protocol::rest_xml));
        if (!out) return make_error(Errc::timeout, "raw S3 request did not end");
        if (!out->has_value()) return out->error();
        return ok();
    }

    std::vector<std::string> keys(const std::string& bucket) {
        auto out = run(io_, clients_->s3.list_objects_v2(bucket, ""));
        EXPECT_TRUE(out && out->has_value()) << why(out);
        std::vector<std::string> names;
        if (out && out->has_value()) {
            for (const auto& o : **out)
                names.push_back(o.key);
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    std::vector<std::string> check(const std::string& bucket, bool require_tls = true) {
        BucketSetup setup;
        setup.require_tls = require_tls;
        auto out = run(io_, check_bucket(clients_->s3, bucket, std::string(kPrefix), setup));
        EXPECT_TRUE(out && out->has_value()) << why(out);
        return out && out->has_value() ? **out : std::vector<std::string>{"check failed"};
    }

    static inline test::Sim* sim_ = nullptr;
    static inline std::string start_error_;
    asio::io_context io_;
    std::unique_ptr<test::SimClients> clients_;
};

TEST_F(PayloadStoreTest, PutIsEncryptedJsonAndNeverOverwrites) {
    const std::string bucket = new_bucket();
    const std::string key = std::string(kPrefix) + "/c1/n1/payload.json";
    auto first = run(io_, put_payload(clients_->s3, bucket, key, R"({"version":1})"));
    ASSERT_TRUE(first && first->has_value()) << why(first);
    EXPECT_EQ((**first).server_side_encryption, "AES256");

    auto second = run(io_, put_payload(clients_->s3, bucket, key, R"({"version":2})"));
    ASSERT_TRUE(second && !second->has_value());
    EXPECT_EQ(second->error().code, Errc::conflict);
    EXPECT_NE(second->error().message.find("s3://" + bucket + "/" + key), std::string::npos)
        << second->error().message;

    auto stored = run(io_, clients_->s3.get_object(bucket, key));
    ASSERT_TRUE(stored && stored->has_value()) << why(stored);
    EXPECT_EQ((**stored).body, R"({"version":1})");
    EXPECT_EQ((**stored).info.content_type, "application/json");
    EXPECT_EQ((**stored).info.server_side_encryption, "AES256");

    auto deleted = run(io_, delete_payload(clients_->s3, bucket, key));
    ASSERT_TRUE(deleted && deleted->has_value()) << why(deleted);
    auto again = run(io_, delete_payload(clients_->s3, bucket, key));
    EXPECT_TRUE(again && again->has_value()) << why(again);
    EXPECT_TRUE(keys(bucket).empty());
}

TEST_F(PayloadStoreTest, SweepDeletesOnlyOrphans) {
    const std::string bucket = new_bucket();
    const std::string p(kPrefix);
    const std::vector<std::string> all = {
        p + "/live-1/n1/payload.json",     p + "/live-2/n2/payload.json",
        p + "/dead-1/n3/payload.json",     p + "/dead-1/n4/payload.json",
        p + "/dead-2/n5/payload.json",     p + "/loose.json",
        "elsewhere/dead-1/n6/payload.json"};
    for (const std::string& key : all) {
        auto out = run(io_, put_payload(clients_->s3, bucket, key, "{}"));
        ASSERT_TRUE(out && out->has_value()) << why(out);
    }
    std::set<std::string> live = {"live-1", "live-2"};
    auto swept = run(io_, sweep_payloads(clients_->s3, bucket, p + "/", live));
    ASSERT_TRUE(swept && swept->has_value()) << why(swept);
    std::vector<std::string> deleted = **swept;
    std::sort(deleted.begin(), deleted.end());
    EXPECT_EQ(deleted, (std::vector<std::string>{p + "/dead-1/n3/payload.json",
                                                 p + "/dead-1/n4/payload.json",
                                                 p + "/dead-2/n5/payload.json"}));
    EXPECT_EQ(keys(bucket), (std::vector<std::string>{
                                "elsewhere/dead-1/n6/payload.json", p + "/live-1/n1/payload.json",
                                p + "/live-2/n2/payload.json", p + "/loose.json"}));
}

TEST_F(PayloadStoreTest, SetupThenCheckFindsNothing) {
    // Without the TLS-only statement: over the simulator's plain HTTP it would refuse the reads
    // the check makes (SetupWithTlsOnlyLocksOutPlainHttp covers it).
    const std::string bucket = "payloads-setup-" + std::to_string(std::random_device{}() % 100000);
    BucketSetup setup;
    setup.create = true;
    setup.require_tls = false;
    auto out = run(io_, setup_bucket(clients_->s3, bucket, std::string(kPrefix), setup));
    ASSERT_TRUE(out && out->has_value()) << why(out);
    EXPECT_EQ(check(bucket, false), std::vector<std::string>{});
    // Setting up again changes nothing and is fine.
    auto again = run(io_, setup_bucket(clients_->s3, bucket, std::string(kPrefix), setup));
    ASSERT_TRUE(again && again->has_value()) << why(again);
    EXPECT_EQ(check(bucket, false), std::vector<std::string>{});

    auto rules = run(io_, clients_->s3.get_bucket_lifecycle_configuration(bucket));
    ASSERT_TRUE(rules && rules->has_value()) << why(rules);
    ASSERT_EQ((**rules).size(), 1U);
    EXPECT_EQ((**rules)[0].id, kPayloadLifecycleRuleId);
    EXPECT_EQ((**rules)[0].prefix, std::string(kPrefix) + "/");
    EXPECT_EQ((**rules)[0].expiration_days, 1);
    EXPECT_EQ((**rules)[0].abort_incomplete_multipart_days, 1);
}

TEST_F(PayloadStoreTest, SetupWithTlsOnlyLocksOutPlainHttp) {
    const std::string bucket = new_bucket();
    ASSERT_TRUE(raw_s3("DELETE", bucket, "publicAccessBlock").has_value());
    BucketSetup setup;  // require_tls
    auto out = run(io_, setup_bucket(clients_->s3, bucket, std::string(kPrefix), setup));
    ASSERT_TRUE(out && out->has_value()) << why(out);
    // The owner may always read the policy; what it holds passes the check.
    auto policy = run(io_, clients_->s3.get_bucket_policy(bucket));
    ASSERT_TRUE(policy && policy->has_value()) << why(policy);
    BucketSettings settings;
    settings.policy = **policy;
    const auto problems = bucket_problems(settings, bucket, kPrefix);
    EXPECT_EQ(std::count_if(problems.begin(), problems.end(),
                            [](const std::string& p) { return p.starts_with("bucket policy"); }),
              0)
        << ::testing::PrintToString(problems);
    // The simulator's listener is plain HTTP: the policy refuses even the owner's object requests.
    auto put = run(
        io_, put_payload(clients_->s3, bucket, std::string(kPrefix) + "/c/n/payload.json", "{}"));
    ASSERT_TRUE(put && !put->has_value());
    EXPECT_EQ(put->error().code, Errc::forbidden) << put->error().message;
}

TEST_F(PayloadStoreTest, CheckOfABareBucketReportsEachMissingPiece) {
    const std::string bucket = new_bucket();
    ASSERT_TRUE(raw_s3("DELETE", bucket, "publicAccessBlock").has_value());
    const auto problems = check(bucket);
    ASSERT_EQ(problems.size(), 4U) << ::testing::PrintToString(problems);
    EXPECT_TRUE(problems[0].starts_with("public access block: none")) << problems[0];
    EXPECT_TRUE(problems[1].starts_with("bucket policy: none")) << problems[1];
    EXPECT_TRUE(problems[2].starts_with("lifecycle: no enabled rule expires objects under " +
                                        std::string(kPrefix) + "/"))
        << problems[2];
    EXPECT_TRUE(problems[3].starts_with("lifecycle: no enabled rule aborts incomplete multipart"))
        << problems[3];
}

TEST_F(PayloadStoreTest, CheckReportsWhatDiffers) {
    const std::string bucket = new_bucket();
    aws::PublicAccessBlock block;
    block.ignore_public_acls = false;
    block.restrict_public_buckets = false;
    ASSERT_TRUE(run(io_, clients_->s3.put_public_access_block(bucket, block))->has_value());
    aws::LifecycleRule week;
    week.id = kPayloadLifecycleRuleId;
    week.prefix = std::string(kPrefix) + "/";
    week.expiration_days = 7;
    week.abort_incomplete_multipart_days = 1;
    ASSERT_TRUE(
        run(io_, clients_->s3.put_bucket_lifecycle_configuration(bucket, {week}))->has_value());
    // A policy, but one that allows plain HTTP.
    const std::string policy =
        R"({"Version":"2012-10-17","Statement":[{"Sid":"Other","Effect":"Deny","Principal":"*",)"
        R"("Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::)" +
        bucket + R"("}]})";
    ASSERT_TRUE(run(io_, clients_->s3.put_bucket_policy(bucket, policy))->has_value());

    const auto problems = check(bucket);
    ASSERT_EQ(problems.size(), 4U) << ::testing::PrintToString(problems);
    EXPECT_EQ(problems[0], "public access block: IgnorePublicAcls is off");
    EXPECT_EQ(problems[1], "public access block: RestrictPublicBuckets is off");
    EXPECT_TRUE(
        problems[2].starts_with("bucket policy: no statement denies requests made without "
                                "TLS"))
        << problems[2];
    EXPECT_TRUE(problems[3].starts_with("lifecycle: no enabled rule expires objects"))
        << problems[3];

    // Setup repairs all of it. The TLS-only statement last: it locks out plain HTTP (above).
    BucketSetup plain;
    plain.require_tls = false;
    auto out = run(io_, setup_bucket(clients_->s3, bucket, std::string(kPrefix), plain));
    ASSERT_TRUE(out && out->has_value()) << why(out);
    EXPECT_EQ(check(bucket, false), std::vector<std::string>{});
    auto tls = run(io_, setup_bucket(clients_->s3, bucket, std::string(kPrefix)));
    ASSERT_TRUE(tls && tls->has_value()) << why(tls);
    auto text = run(io_, clients_->s3.get_bucket_policy(bucket));
    ASSERT_TRUE(text && text->has_value()) << why(text);
    EXPECT_NE((**text).find("\"Other\""), std::string::npos) << **text;
    EXPECT_NE((**text).find(kTlsOnlySid), std::string::npos) << **text;
}

TEST_F(PayloadStoreTest, SetupRefusesToReplaceSomeoneElsesLifecycleRules) {
    const std::string bucket = new_bucket();
    aws::LifecycleRule logs;
    logs.id = "expire-logs";
    logs.prefix = "logs/";
    logs.expiration_days = 30;
    ASSERT_TRUE(
        run(io_, clients_->s3.put_bucket_lifecycle_configuration(bucket, {logs}))->has_value());
    auto out = run(io_, setup_bucket(clients_->s3, bucket, std::string(kPrefix)));
    ASSERT_TRUE(out && !out->has_value());
    EXPECT_EQ(out->error().code, Errc::conflict);
    EXPECT_NE(out->error().message.find("expire-logs"), std::string::npos) << out->error().message;
    auto rules = run(io_, clients_->s3.get_bucket_lifecycle_configuration(bucket));
    ASSERT_TRUE(rules && rules->has_value());
    ASSERT_EQ((**rules).size(), 1U);
    EXPECT_EQ((**rules)[0].id, "expire-logs");
}

TEST_F(PayloadStoreTest, CheckOfAMissingBucketIsAnError) {
    auto out = run(io_, check_bucket(clients_->s3, "payloads-never-created", "p"));
    ASSERT_TRUE(out && !out->has_value());
    EXPECT_EQ(out->error().code, Errc::not_found);
    EXPECT_NE(out->error().message.find("NoSuchBucket"), std::string::npos) << out->error().message;
}

// The task-role policy, granted to the role as the bucket's policy (the simulator has no IAM
// policy store: resource policies are what limits a role session).
std::string as_bucket_policy(const std::string& identity_policy) {
    json::value doc = json::parse(identity_policy);
    for (json::value& st : doc.at("Statement").as_array())
        st.as_object()["Principal"] = json::object{{"AWS", kTaskRole}};
    return json::serialize(doc);
}

TEST_F(PayloadStoreTest, TaskRoleReadsItsPayloadAndNothingElse) {
    const std::string bucket = new_bucket();
    const std::string key = std::string(kPrefix) + "/c1/n1/payload.json";
    ASSERT_TRUE(run(io_, put_payload(clients_->s3, bucket, key, "{}"))->has_value());
    ASSERT_TRUE(
        run(io_, put_payload(clients_->s3, bucket, "outside/c1/payload.json", "{}"))->has_value());
    const IamPolicies policies = iam_policies(bucket, kPrefix);
    auto put_policy =
        run(io_, clients_->s3.put_bucket_policy(bucket, as_bucket_policy(policies.task_role)));
    ASSERT_TRUE(put_policy && put_policy->has_value()) << why(put_policy);

    auto session = run(io_, clients_->admin("POST", "/_awssim/sessions",
                                            R"({"role_arn":")" + std::string(kTaskRole) +
                                                R"(","session_name":"task-1"})"));
    ASSERT_TRUE(session && session->has_value()) << why(session);
    const json::value creds = json::parse(**session);
    test::SimClients task(io_, sim_->endpoint(),
                          aws::Credentials{std::string(creds.at("AccessKeyId").as_string()),
                                           std::string(creds.at("SecretAccessKey").as_string()),
                                           std::string(creds.at("Token").as_string())});

    auto read = run(io_, task.s3.get_object(bucket, key));
    ASSERT_TRUE(read && read->has_value()) << why(read);
    EXPECT_EQ((**read).body, "{}");

    auto list = run(io_, task.s3.list_objects_v2(bucket, std::string(kPrefix) + "/"));
    ASSERT_TRUE(list && !list->has_value());
    EXPECT_EQ(list->error().code, Errc::forbidden) << list->error().message;

    auto write =
        run(io_, put_payload(task.s3, bucket, std::string(kPrefix) + "/c1/n2/payload.json", "{}"));
    ASSERT_TRUE(write && !write->has_value());
    EXPECT_EQ(write->error().code, Errc::forbidden) << write->error().message;

    auto outside = run(io_, task.s3.get_object(bucket, "outside/c1/payload.json"));
    ASSERT_TRUE(outside && !outside->has_value());
    EXPECT_EQ(outside->error().code, Errc::forbidden) << outside->error().message;

    auto remove = run(io_, delete_payload(task.s3, bucket, key));
    ASSERT_TRUE(remove && !remove->has_value());
    EXPECT_EQ(remove->error().code, Errc::forbidden) << remove->error().message;
}

}  // namespace
}  // namespace sockerless::ecs
