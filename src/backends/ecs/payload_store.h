#pragma once
// The launch-payload bucket (DESIGN §6, docs/payload-bucket.md): writing and deleting payloads,
// sweeping orphans, and setting up and checking the bucket the payloads live in.
//
// Layout: <prefix>/<container id>/<nonce>/payload.json. The container id in the key is what
// lets the sweeper tell live payloads from orphans without any other state.
//
// The bucket's protections are: all public access blocked, a policy that denies every request
// not made over TLS, default encryption, and a lifecycle rule that expires payloads after a day
// (the backstop when the daemon dies between a put and its delete). The task role may only
// GetObject under the prefix; it can neither list keys nor write.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "aws/s3_client.h"
#include "base/error.h"

namespace sockerless::ecs {

// The id of the lifecycle rule setup_bucket writes.
inline constexpr std::string_view kPayloadLifecycleRuleId = "sockerless-payloads";
// The Sid of the TLS-only statement setup_bucket adds to the bucket policy.
inline constexpr std::string_view kTlsOnlySid = "SockerlessDenyInsecureTransport";

// PutObject with If-None-Match: * (a nonce collision or a replayed put is refused with
// Errc::conflict instead of replacing a payload a task may be reading), SSE-S3 (AES256) and
// Content-Type application/json.
boost::asio::awaitable<Result<aws::PutObjectResult>> put_payload(aws::S3Client& s3,
                                                                 std::string bucket,
                                                                 std::string key, std::string body);

// Succeeds when the key does not exist.
boost::asio::awaitable<Status> delete_payload(aws::S3Client& s3, std::string bucket,
                                              std::string key);

// Deletes every object <prefix>/<id>/... whose <id> is not in `live_container_ids`, and returns
// the keys it deleted. Objects directly under the prefix (no <id>/ level) are left alone. Run it
// before launches start (at startup), or include the containers being launched in the live set:
// a payload written after the listing for a container not in the set would be deleted.
boost::asio::awaitable<Result<std::vector<std::string>>> sweep_payloads(
    aws::S3Client& s3, std::string bucket, std::string prefix,
    std::set<std::string> live_container_ids);

struct BucketSetup {
    bool create = false;      // CreateBucket first (an existing bucket of ours is fine)
    bool require_tls = true;  // the TLS-only policy statement (plain-HTTP test endpoints: false)
    std::string partition = "aws";  // for ARNs: "aws", "aws-cn", "aws-us-gov"
};

// Brings the bucket to the setup check_bucket expects: public access block all on, the TLS-only
// statement added to the bucket policy (other statements are kept), default encryption AES256
// unless some default encryption is already set, and the lifecycle rule for the prefix (expire
// after 1 day, abort incomplete multipart uploads after 1 day). Refuses (Errc::conflict) to
// replace a lifecycle configuration that holds rules of someone else; such a bucket is not
// dedicated to payloads, and the message says which rule to add.
boost::asio::awaitable<Status> setup_bucket(aws::S3Client& s3, std::string bucket,
                                            std::string prefix, BucketSetup setup = {});

// One message per protection that is missing or different; empty when the bucket is set up.
// Errors are for what prevents checking (no such bucket, access denied).
boost::asio::awaitable<Result<std::vector<std::string>>> check_bucket(aws::S3Client& s3,
                                                                      std::string bucket,
                                                                      std::string prefix,
                                                                      BucketSetup setup = {});

// ---- Pure: what the checks and the policies are made of -------------------------------------

// A bucket's protections as read back; nullopt where the bucket has no such configuration.
struct BucketSettings {
    std::optional<aws::PublicAccessBlock> public_access_block;
    std::optional<std::string> policy;  // the bucket policy's JSON text
    std::optional<aws::BucketEncryption> encryption;
    std::optional<std::vector<aws::LifecycleRule>> lifecycle;
};

// check_bucket's verdict on settings already read: one message per problem.
std::vector<std::string> bucket_problems(const BucketSettings& settings, std::string_view bucket,
                                         std::string_view prefix, bool require_tls = true);

// `existing` (nullopt: no policy yet) with the TLS-only statement added; an older statement with
// the same Sid is replaced, every other one kept. invalid_argument when `existing` is not JSON.
Result<std::string> policy_with_tls_only(const std::optional<std::string>& existing,
                                         std::string_view bucket,
                                         std::string_view partition = "aws");

struct IamPolicies {
    std::string task_role;  // s3:GetObject on <prefix>/* only
    std::string daemon;     // objects under the prefix, ListBucket on the prefix, bucket setup
};

// The identity policies to attach to the task role and to the daemon's role, as JSON.
IamPolicies iam_policies(std::string_view bucket, std::string_view prefix,
                         std::string_view partition = "aws");

}  // namespace sockerless::ecs
