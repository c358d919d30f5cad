#pragma once
// S3 bucket policies: parsing with S3's validation (MalformedPolicy) and evaluation against a
// caller as IAM does for a principal of the bucket owner's account that has no identity-based
// policies. Pure: no I/O, no clock.
//
// Evaluation contract (authorize):
//   1. a matching Deny statement denies, whoever the caller is;
//   2. otherwise the account root is allowed;
//   3. otherwise (a role session) a matching Allow statement that names the caller (its role ARN,
//      its assumed-role session ARN, or "*") allows;
//   4. otherwise the request is denied (the implicit deny).
// Naming the account ("123456789012" or "arn:aws:iam::123456789012:root") in an Allow delegates
// to identity policies, which the simulator has none of, so it grants a role session nothing; in
// a Deny it matches every principal of the account.
//
// A statement matches when its principal, action and resource match and every condition holds.
// A condition whose operator is not supported (unknown, or Date*/IpAddress/Binary*) makes its
// statement not apply: neither allow nor deny.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api_error.h"

namespace sockerless::awssim {

struct PolicyCondition {
    std::string op;   // as written: "StringLike", "ForAnyValue:StringEquals", "BoolIfExists"
    std::string key;  // lowercase: "aws:securetransport", "s3:prefix"
    std::vector<std::string> values;
};

struct PolicyStatement {
    std::string sid;
    bool allow = false;
    bool not_principal = false;
    std::vector<std::string> principals;  // AWS principals; "*" for everyone
    bool not_action = false;
    std::vector<std::string> actions;  // lowercase: "s3:getobject", "s3:get*", "*"
    bool not_resource = false;
    std::vector<std::string> resources;
    std::vector<PolicyCondition> conditions;
};

struct BucketPolicy {
    std::string version;
    std::vector<PolicyStatement> statements;
};

// Parses and validates `document` as a policy for bucket `bucket`; errors are S3's 400
// MalformedPolicy with S3's message.
ApiResult<BucketPolicy> parse_bucket_policy(std::string_view document, std::string_view bucket);

// The request being authorized, in IAM's terms.
struct AccessRequest {
    std::string action;         // "s3:GetObject"
    std::string resource;       // "arn:aws:s3:::bucket" or "arn:aws:s3:::bucket/key"
    std::string account_id;     // the caller's account
    std::string principal_arn;  // the caller: the root ARN or the assumed-role session ARN
    std::string role_arn;       // the session's role ARN; "" for the account root
    // Condition keys of the request context (lowercase names) and their values.
    std::map<std::string, std::string> context;
};

enum class PolicyEffect { none, allow, deny };

// What the policy's statements say about `request`: deny when a Deny statement matches, allow
// when an Allow statement matches and names the caller, none otherwise.
PolicyEffect evaluate_policy(const BucketPolicy& policy, const AccessRequest& request);

// The whole decision (see the contract above); `policy` may be null (no bucket policy).
bool authorize(const BucketPolicy* policy, const AccessRequest& request);

// IAM's wildcard match: '*' any run of characters (including none), '?' any one character.
bool iam_wildcard_match(std::string_view pattern, std::string_view text, bool ignore_case = false);

// Whether an Allow statement with this principal grants access to everyone (S3's notion of a
// public policy, for BlockPublicPolicy): Principal "*" with no condition.
bool is_public_policy(const BucketPolicy& policy);

}  // namespace sockerless::awssim
