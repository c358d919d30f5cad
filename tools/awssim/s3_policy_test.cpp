#include "s3_policy.h"

#include <gtest/gtest.h>

namespace sockerless::awssim {
namespace {

constexpr std::string_view kAccount = "000000000000";
constexpr std::string_view kRole = "arn:aws:iam::000000000000:role/task";
constexpr std::string_view kSession = "arn:aws:sts::000000000000:assumed-role/task/t-1";

BucketPolicy policy(std::string_view json) {
    auto parsed = parse_bucket_policy(json, "b");
    EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().message) << "\n" << json;
    return parsed ? *parsed : BucketPolicy{};
}

std::string malformed(std::string_view json) {
    auto parsed = parse_bucket_policy(json, "b");
    if (parsed) return "(accepted)";
    EXPECT_EQ(parsed.error().code, "MalformedPolicy");
    EXPECT_EQ(parsed.error().status, 400);
    return parsed.error().message;
}

AccessRequest root(std::string action, std::string resource) {
    AccessRequest r{std::move(action),
                    std::move(resource),
                    std::string(kAccount),
                    "arn:aws:iam::000000000000:root",
                    "",
                    {}};
    r.context["aws:securetransport"] = "false";
    r.context["aws:principalarn"] = r.principal_arn;
    r.context["aws:userid"] = std::string(kAccount);
    return r;
}

AccessRequest role(std::string action, std::string resource) {
    AccessRequest r{std::move(action),     std::move(resource), std::string(kAccount),
                    std::string(kSession), std::string(kRole),  {}};
    r.context["aws:securetransport"] = "false";
    r.context["aws:principalarn"] = std::string(kRole);
    r.context["aws:userid"] = "AROAEXAMPLE:t-1";
    return r;
}

// The payload bucket of DESIGN.md §6: the task role may only read under the prefix; nobody may
// use plain HTTP.
constexpr std::string_view kPayloadPolicy = R"({
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "TaskReadsPayloads", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::000000000000:role/task"},
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/payloads/*"},
    {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
  ]})";

TEST(S3Policy, WildcardMatch) {
    EXPECT_TRUE(iam_wildcard_match("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y"));
    EXPECT_TRUE(iam_wildcard_match("arn:aws:s3:::b/*", "arn:aws:s3:::b/"));
    EXPECT_FALSE(iam_wildcard_match("arn:aws:s3:::b/*", "arn:aws:s3:::b"));
    EXPECT_TRUE(iam_wildcard_match("a?c*", "abcdef"));
    EXPECT_FALSE(iam_wildcard_match("a?c", "ac"));
    EXPECT_TRUE(iam_wildcard_match("*a*b*", "xxaxxbxx"));
    EXPECT_FALSE(iam_wildcard_match("*a*b", "xxaxxbxx"));
    EXPECT_TRUE(iam_wildcard_match("s3:get*", "S3:GetObject", true));
    EXPECT_FALSE(iam_wildcard_match("s3:get*", "S3:GetObject", false));
    EXPECT_TRUE(iam_wildcard_match("", ""));
    EXPECT_TRUE(iam_wildcard_match("***", ""));
}

TEST(S3Policy, HeadlineTaskRoleReadsOnlyUnderThePrefix) {
    auto allow_only = policy(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::000000000000:role/task"},"Action":"s3:GetObject",
        "Resource":"arn:aws:s3:::b/payloads/*"}]})");
    EXPECT_TRUE(authorize(&allow_only, role("s3:GetObject", "arn:aws:s3:::b/payloads/x")));
    EXPECT_FALSE(authorize(&allow_only, role("s3:GetObject", "arn:aws:s3:::b/other/x")));
    EXPECT_FALSE(authorize(&allow_only, role("s3:PutObject", "arn:aws:s3:::b/payloads/x")));
    EXPECT_FALSE(authorize(&allow_only, role("s3:ListBucket", "arn:aws:s3:::b")));
    EXPECT_FALSE(authorize(&allow_only, role("s3:DeleteObject", "arn:aws:s3:::b/payloads/x")));
    for (auto action : {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"})
        EXPECT_TRUE(authorize(&allow_only, root(action, "arn:aws:s3:::b/other/x")));
    EXPECT_TRUE(authorize(&allow_only, root("s3:ListBucket", "arn:aws:s3:::b")));
}

TEST(S3Policy, TlsOnlyDenyBindsTheRootOverPlainHttp) {
    auto p = policy(kPayloadPolicy);
    EXPECT_FALSE(authorize(&p, root("s3:GetObject", "arn:aws:s3:::b/payloads/x")));
    EXPECT_FALSE(authorize(&p, root("s3:ListBucket", "arn:aws:s3:::b")));
    EXPECT_FALSE(authorize(&p, role("s3:GetObject", "arn:aws:s3:::b/payloads/x")));
    auto secure = role("s3:GetObject", "arn:aws:s3:::b/payloads/x");
    secure.context["aws:securetransport"] = "true";
    EXPECT_TRUE(authorize(&p, secure));
    auto secure_root = root("s3:PutObject", "arn:aws:s3:::b/payloads/x");
    secure_root.context["aws:securetransport"] = "true";
    EXPECT_TRUE(authorize(&p, secure_root));
    EXPECT_EQ(evaluate_policy(p, secure_root), PolicyEffect::none);
}

TEST(S3Policy, NoPolicyAllowsOnlyTheRoot) {
    EXPECT_TRUE(authorize(nullptr, root("s3:GetObject", "arn:aws:s3:::b/k")));
    EXPECT_FALSE(authorize(nullptr, role("s3:GetObject", "arn:aws:s3:::b/k")));
}

TEST(S3Policy, PrincipalForms) {
    auto allow = [](std::string_view principal) {
        return policy(R"({"Statement":{"Effect":"Allow","Principal":)" + std::string(principal) +
                      R"(,"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}})");
    };
    auto request = role("s3:GetObject", "arn:aws:s3:::b/k");
    auto p = allow(R"("*")");
    EXPECT_TRUE(authorize(&p, request));
    p = allow(R"({"AWS":"*"})");
    EXPECT_TRUE(authorize(&p, request));
    p = allow(
        R"({"AWS":["arn:aws:iam::000000000000:role/other","arn:aws:iam::000000000000:role/task"]})");
    EXPECT_TRUE(authorize(&p, request));
    p = allow(R"({"AWS":"arn:aws:sts::000000000000:assumed-role/task/t-1"})");
    EXPECT_TRUE(authorize(&p, request));
    p = allow(R"({"AWS":"arn:aws:sts::000000000000:assumed-role/task/t-2"})");
    EXPECT_FALSE(authorize(&p, request));
    p = allow(R"({"AWS":"arn:aws:iam::000000000000:role/other"})");
    EXPECT_FALSE(authorize(&p, request));
    // The account principal delegates to identity policies, which a simulated role has none of.
    p = allow(R"({"AWS":"000000000000"})");
    EXPECT_FALSE(authorize(&p, request));
    p = allow(R"({"AWS":"arn:aws:iam::000000000000:root"})");
    EXPECT_FALSE(authorize(&p, request));
    p = allow(R"({"Service":"ecs-tasks.amazonaws.com"})");
    EXPECT_FALSE(authorize(&p, request));
}

TEST(S3Policy, DenyNamingTheAccountCoversItsRoles) {
    auto p = policy(R"({"Statement":[
        {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
        {"Effect":"Deny","Principal":{"AWS":"000000000000"},"Action":"s3:DeleteObject",
         "Resource":"arn:aws:s3:::b/*"}]})");
    EXPECT_FALSE(authorize(&p, role("s3:DeleteObject", "arn:aws:s3:::b/k")));
    EXPECT_FALSE(authorize(&p, root("s3:DeleteObject", "arn:aws:s3:::b/k")));
    EXPECT_TRUE(authorize(&p, role("s3:PutObject", "arn:aws:s3:::b/k")));
}

TEST(S3Policy, NotPrincipalNotActionNotResource) {
    auto p = policy(R"({"Statement":[
        {"Effect":"Allow","Principal":"*","NotAction":"s3:DeleteObject",
         "NotResource":"arn:aws:s3:::b/secret/*"},
        {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::000000000000:role/task"},
         "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/mine/*"}]})");
    EXPECT_TRUE(authorize(&p, role("s3:GetObject", "arn:aws:s3:::b/open/k")));
    EXPECT_TRUE(authorize(&p, role("s3:ListBucket", "arn:aws:s3:::b")));
    EXPECT_FALSE(authorize(&p, role("s3:DeleteObject", "arn:aws:s3:::b/open/k")));
    EXPECT_FALSE(authorize(&p, role("s3:GetObject", "arn:aws:s3:::b/secret/k")));
    EXPECT_TRUE(authorize(&p, role("s3:GetObject", "arn:aws:s3:::b/mine/k")));
    EXPECT_FALSE(authorize(&p, root("s3:GetObject", "arn:aws:s3:::b/mine/k")));
}

TEST(S3Policy, ActionWildcardsAreCaseInsensitive) {
    auto p = policy(
        R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:role/task"},
        "Action":["S3:Get*","s3:List*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}})");
    EXPECT_TRUE(authorize(&p, role("s3:GetObject", "arn:aws:s3:::b/k")));
    EXPECT_TRUE(authorize(&p, role("s3:GetBucketPolicy", "arn:aws:s3:::b")));
    EXPECT_TRUE(authorize(&p, role("s3:ListBucket", "arn:aws:s3:::b")));
    EXPECT_FALSE(authorize(&p, role("s3:PutObject", "arn:aws:s3:::b/k")));
    auto all = policy(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*",
        "Resource":"*"}})");
    EXPECT_TRUE(authorize(&all, role("s3:PutObject", "arn:aws:s3:::b/k")));
}

TEST(S3Policy, StringConditionsOnPrefix) {
    auto p = policy(
        R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:role/task"},
        "Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
        "Condition":{"StringLike":{"s3:prefix":["home/*","shared/"]}}}})");
    auto list = [&](std::optional<std::string> prefix) {
        auto r = role("s3:ListBucket", "arn:aws:s3:::b");
        if (prefix) r.context["s3:prefix"] = *prefix;
        return authorize(&p, r);
    };
    EXPECT_TRUE(list("home/alice/"));
    EXPECT_TRUE(list("shared/"));
    EXPECT_FALSE(list("shared/x"));
    EXPECT_FALSE(list(std::nullopt));

    auto equals = policy(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket",
        "Resource":"arn:aws:s3:::b","Condition":{"StringEquals":{"s3:prefix":"a/"}}}})");
    auto r = role("s3:ListBucket", "arn:aws:s3:::b");
    r.context["s3:prefix"] = "a/";
    EXPECT_TRUE(authorize(&equals, r));
    r.context["s3:prefix"] = "A/";
    EXPECT_FALSE(authorize(&equals, r));
}

TEST(S3Policy, NegatedConditionsHoldWhenTheKeyIsAbsent) {
    auto p = policy(R"({"Statement":[
        {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
        {"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*",
         "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}}]})");
    auto put = role("s3:PutObject", "arn:aws:s3:::b/k");
    EXPECT_FALSE(authorize(&p, put));
    put.context["s3:x-amz-server-side-encryption"] = "aws:kms";
    EXPECT_FALSE(authorize(&p, put));
    put.context["s3:x-amz-server-side-encryption"] = "AES256";
    EXPECT_TRUE(authorize(&p, put));
}

TEST(S3Policy, PrincipalArnUserIdAndArnConditions) {
    auto p = policy(R"({"Statement":[
        {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
         "Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:role/t*"},
                      "StringLike":{"aws:userid":"AROA*:t-?"}}}]})");
    EXPECT_TRUE(authorize(&p, role("s3:GetObject", "arn:aws:s3:::b/k")));
    auto other = role("s3:GetObject", "arn:aws:s3:::b/k");
    other.context["aws:userid"] = "AROAEXAMPLE:t-10";
    EXPECT_FALSE(authorize(&p, other));

    auto arn_equals = policy(R"({"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*",
        "Resource":"arn:aws:s3:::b/*",
        "Condition":{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::000000000000:role/task"}}}})");
    EXPECT_EQ(evaluate_policy(arn_equals, role("s3:GetObject", "arn:aws:s3:::b/k")),
              PolicyEffect::none);
    EXPECT_EQ(evaluate_policy(arn_equals, root("s3:GetObject", "arn:aws:s3:::b/k")),
              PolicyEffect::deny);
}

TEST(S3Policy, IfExistsNullAndNumericConditions) {
    auto p = policy(R"({"Statement":[
        {"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
         "Condition":{"NumericLessThanEquals":{"s3:max-keys":"10"}}},
        {"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
         "Condition":{"StringEqualsIfExists":{"s3:delimiter":"|"}}},
        {"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
         "Condition":{"Null":{"s3:prefix":"true"}}}]})");
    auto list = role("s3:ListBucket", "arn:aws:s3:::b");
    list.context["s3:prefix"] = "";
    EXPECT_FALSE(authorize(&p, list));  // no max-keys: the Allow's condition does not hold
    list.context["s3:max-keys"] = "10";
    EXPECT_FALSE(authorize(&p, list));  // StringEqualsIfExists holds when the key is absent
    list.context["s3:delimiter"] = "/";
    EXPECT_TRUE(authorize(&p, list));
    list.context["s3:max-keys"] = "11";
    EXPECT_FALSE(authorize(&p, list));
    list.context["s3:max-keys"] = "5";
    list.context.erase("s3:prefix");
    EXPECT_FALSE(authorize(&p, list));  // Null: s3:prefix absent -> deny
}

TEST(S3Policy, UnknownOperatorMakesTheStatementNotApply) {
    auto p = policy(R"({"Statement":[
        {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*",
         "Condition":{"StringEqualsSometimes":{"aws:userid":"x"}}},
        {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
         "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]})");
    EXPECT_EQ(evaluate_policy(p, root("s3:GetObject", "arn:aws:s3:::b/k")), PolicyEffect::none);
    EXPECT_TRUE(authorize(&p, root("s3:GetObject", "arn:aws:s3:::b/k")));
    EXPECT_FALSE(authorize(&p, role("s3:GetObject", "arn:aws:s3:::b/k")));
}

TEST(S3Policy, MultipleValuesAreOrKeysAndOperatorsAreAnd) {
    auto p = policy(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket",
        "Resource":"arn:aws:s3:::b","Condition":{
          "StringEquals":{"s3:prefix":["a/","b/"],"s3:delimiter":"/"},
          "Bool":{"aws:SecureTransport":false}}}})");
    auto list = role("s3:ListBucket", "arn:aws:s3:::b");
    list.context["s3:prefix"] = "b/";
    EXPECT_FALSE(authorize(&p, list));
    list.context["s3:delimiter"] = "/";
    EXPECT_TRUE(authorize(&p, list));
    list.context["aws:securetransport"] = "true";
    EXPECT_FALSE(authorize(&p, list));
}

TEST(S3Policy, MalformedPolicies) {
    EXPECT_EQ(malformed(""), "Policies must be valid JSON and the first byte must be '{'");
    EXPECT_EQ(malformed("[1]"), "Policies must be valid JSON and the first byte must be '{'");
    EXPECT_EQ(malformed(R"({"Version":"2012-10-17"})"), "Missing required field Statement");
    EXPECT_EQ(malformed(R"({"Version":"2013-01-01","Statement":[]})"),
              "The policy must contain a valid version string");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Allow","Action":"s3:GetObject",
        "Resource":"arn:aws:s3:::b/*"}]})"),
              "Missing required field Principal");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Maybe","Principal":"*",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]})"),
              "Invalid effect: Maybe");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Allow","Principal":"*",
        "Resource":"arn:aws:s3:::b/*"}]})"),
              "Missing required field Action");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"s3:GetObject"}]})"),
              "Missing required field Resource");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"s3:GetObjekt","Resource":"arn:aws:s3:::b/*"}]})"),
              "Policy has invalid action");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"sqs:SendMessage","Resource":"arn:aws:s3:::b/*"}]})"),
              "Policy has invalid action");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]})"),
              "Policy has invalid resource");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]})"),
              "Invalid principal in policy");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Allow","Principal":"bob",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]})"),
              "Invalid principal in policy");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"s3:ListBucket","Resource":"arn:aws:s3:::b/*"}]})"),
              "Action does not apply to any resource(s) in statement");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}]})"),
              "Action does not apply to any resource(s) in statement");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"x:y":"1"}}}]})"),
              "Policy has an invalid condition key");
    EXPECT_EQ(malformed(R"({"Statement":[{"Effect":"Allow","Principal":"*","Shrug":1,
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]})"),
              "Unknown field Shrug");
    EXPECT_EQ(malformed("{\"Statement\":[{\"Sid\":\"" + std::string(21000, 'x') + "\"}]}"),
              "Policy exceeds the maximum allowed document size.");
}

TEST(S3Policy, AcceptsWildcardResourcesAndListsOfStatements) {
    auto p = policy(R"({"Id":"x","Version":"2008-10-17","Statement":[
        {"Sid":"1","Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b*"},
        {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::*/k"}]})");
    ASSERT_EQ(p.statements.size(), 2u);
    EXPECT_EQ(p.statements[0].sid, "1");
    EXPECT_TRUE(authorize(&p, role("s3:GetObject", "arn:aws:s3:::b/k")));
}

TEST(S3Policy, PublicPolicies) {
    EXPECT_TRUE(is_public_policy(policy(R"({"Statement":{"Effect":"Allow","Principal":"*",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}})")));
    EXPECT_FALSE(is_public_policy(policy(kPayloadPolicy)));
    EXPECT_FALSE(is_public_policy(policy(R"({"Statement":{"Effect":"Allow","Principal":"*",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
        "Condition":{"StringEquals":{"aws:PrincipalAccount":"000000000000"}}}})")));
}

}  // namespace
}  // namespace sockerless::awssim
