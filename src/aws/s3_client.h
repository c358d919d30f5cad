#pragma once
// Amazon S3 (REST-XML): objects of the launch-payload bucket and the bucket's own setup.
//
// Addressing: virtual-hosted ("bucket.s3.region.amazonaws.com") on AWS's own endpoints for
// DNS-compatible bucket names without dots; path style ("host/bucket/key") otherwise, which is
// what custom endpoints (the simulator, moto, S3-compatible stores) expect.
// Operations whose API requires a body checksum carry Content-MD5.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "aws/client.h"
#include "base/error.h"

namespace sockerless::aws {

ServiceId s3_service_id();

struct PutObjectOptions {
    bool if_none_match = false;  // If-None-Match: * — refuse to overwrite (Errc::conflict)
    std::string server_side_encryption;  // "" (bucket default), "AES256" or "aws:kms"
    std::string sse_kms_key_id;          // with "aws:kms"; "" for the AWS-managed key
    std::string content_type;            // "" sends none
};

struct PutObjectResult {
    std::string etag;
    std::string server_side_encryption;
};

struct ObjectInfo {
    std::string etag;
    std::uint64_t content_length = 0;
    std::string content_type;
    std::string server_side_encryption;
};

struct GetObjectResult {
    ObjectInfo info;
    std::string body;
};

struct ObjectSummary {
    std::string key;
    std::uint64_t size = 0;
    std::string etag;
    std::string last_modified;  // ISO-8601, as S3 sends it
};

struct ListObjectsPage {
    std::vector<ObjectSummary> objects;
    std::string next_continuation_token;  // "" on the last page
};

struct LifecycleRule {
    std::string id;
    std::string prefix;  // "" applies to the whole bucket
    bool enabled = true;
    int expiration_days = 1;
    int abort_incomplete_multipart_days = 0;  // 0 leaves it out
};

struct PublicAccessBlock {
    bool block_public_acls = true;
    bool ignore_public_acls = true;
    bool block_public_policy = true;
    bool restrict_public_buckets = true;
};

struct BucketEncryption {
    std::string algorithm;  // "AES256", "aws:kms" or "aws:kms:dsse"
    std::string kms_key_id;
    bool bucket_key_enabled = false;
};

// ---- Pure request building and response parsing (unit-tested) ----------------------------------

// True for bucket names that can be a DNS label under s3's host (3-63 of a-z 0-9 -, no dots).
bool virtual_host_compatible(std::string_view bucket);

// Whether requests for `bucket` use virtual-hosted addressing at `endpoint`.
bool use_virtual_host(const Endpoint& endpoint, std::string_view bucket);

// Base64 of the body's MD5, for Content-MD5.
std::string content_md5(std::string_view body);

// XML bodies, in the S3 namespace.
std::string create_bucket_body(std::string_view region);  // "" for us-east-1
std::string lifecycle_body(const std::vector<LifecycleRule>& rules);
std::string encryption_body(std::string_view algorithm, std::string_view kms_key_id,
                            bool bucket_key_enabled);
std::string public_access_block_body(const PublicAccessBlock& block);

// A ListObjectsV2 (encoding-type=url) response: keys decoded.
Result<ListObjectsPage> parse_list_objects(std::string_view body);

// GetBucketLifecycleConfiguration's rules as far as LifecycleRule models them: the prefix from
// Filter/Prefix, Filter/And/Prefix or the legacy Prefix; expiration_days 0 when the rule has no
// Expiration/Days. Tag and size filters and transitions are not read.
Result<std::vector<LifecycleRule>> parse_lifecycle(std::string_view body);
// GetBucketEncryption's first rule.
Result<BucketEncryption> parse_encryption(std::string_view body);
Result<PublicAccessBlock> parse_public_access_block(std::string_view body);

// ---- The client
// -----------------------------------------------------------------------------------

class S3Client {
public:
    // `client` must be set up for s3_service_id() and outlive this object.
    explicit S3Client(AwsClient& client) : client_(client) {}

    boost::asio::awaitable<Result<PutObjectResult>> put_object(std::string bucket, std::string key,
                                                               std::string body,
                                                               PutObjectOptions options = {});
    boost::asio::awaitable<Result<GetObjectResult>> get_object(std::string bucket, std::string key);
    // Succeeds for a key that does not exist, as S3 does.
    boost::asio::awaitable<Status> delete_object(std::string bucket, std::string key);
    // Errc::not_found when the object does not exist.
    boost::asio::awaitable<Result<ObjectInfo>> head_object(std::string bucket, std::string key);
    // Every key under `prefix`, following continuation tokens; `page_size` 0 is S3's default.
    boost::asio::awaitable<Result<std::vector<ObjectSummary>>> list_objects_v2(std::string bucket,
                                                                               std::string prefix,
                                                                               int page_size = 0);

    // In the client's region (LocationConstraint outside us-east-1).
    boost::asio::awaitable<Status> create_bucket(std::string bucket);
    boost::asio::awaitable<Status> put_bucket_policy(std::string bucket, std::string policy_json);
    boost::asio::awaitable<Result<std::string>> get_bucket_policy(std::string bucket);
    boost::asio::awaitable<Status> put_bucket_lifecycle_configuration(
        std::string bucket, std::vector<LifecycleRule> rules);
    boost::asio::awaitable<Status> put_bucket_encryption(std::string bucket,
                                                         std::string algorithm = "AES256",
                                                         std::string kms_key_id = "",
                                                         bool bucket_key_enabled = false);
    boost::asio::awaitable<Status> put_public_access_block(std::string bucket,
                                                           PublicAccessBlock block = {});
    // Each is Errc::not_found when the bucket has no such configuration.
    boost::asio::awaitable<Result<std::vector<LifecycleRule>>> get_bucket_lifecycle_configuration(
        std::string bucket);
    boost::asio::awaitable<Result<BucketEncryption>> get_bucket_encryption(std::string bucket);
    boost::asio::awaitable<Result<PublicAccessBlock>> get_public_access_block(std::string bucket);

private:
    // Addresses `req` (path "/<key>" or "", relative to the bucket) and sends it.
    boost::asio::awaitable<Result<HttpResponse>> send(std::string bucket, HttpRequest req,
                                                      std::string operation);
    boost::asio::awaitable<Result<std::string>> get_bucket_subresource(std::string bucket,
                                                                       std::string subresource,
                                                                       std::string operation);
    boost::asio::awaitable<Status> put_bucket_subresource(std::string bucket,
                                                          std::string subresource, std::string body,
                                                          std::string content_type,
                                                          std::string operation);

    AwsClient& client_;
};

}  // namespace sockerless::aws
