#pragma once
// Amazon S3 (REST-XML, signing name "s3"): buckets, objects and bucket configuration, with bucket
// policies enforced against the caller. Shapes follow botocore's s3/2006-03-01 model; errors are
// S3's <Error> documents with x-amz-request-id and x-amz-id-2 (bodiless for HEAD).
//
// Requests address a bucket path-style (/bucket/key) or virtual-host style (Host
// bucket.s3.amazonaws.com, bucket.s3.REGION.amazonaws.com, bucket.s3.localhost, bucket.localhost).
// Payloads are checked against x-amz-content-sha256 (a hex digest, UNSIGNED-PAYLOAD, or
// STREAMING-UNSIGNED-PAYLOAD-TRAILER with an aws-chunked body), Content-MD5 and the flexible
// checksums (x-amz-checksum-*, as header or trailer).
//
// Operations are split by what they act on: s3_service.cpp (routing, payload checks,
// authorization, errors), s3_bucket_ops.cpp (buckets and their configuration), s3_object_ops.cpp
// (objects and listings).

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "s3_store.h"
#include "s3_wire.h"
#include "service.h"

namespace sockerless::awssim {

class S3Service final : public Service {
public:
    using Clock = std::function<TimePoint()>;

    // Objects live under <state_dir>/s3 when state_dir is set, in memory otherwise.
    S3Service(const std::string& state_dir, std::string region, Clock clock);

    [[nodiscard]] std::string operation(const Request& request) const override;
    Response handle(const Call& call) override;
    [[nodiscard]] Response error(const Request& request, const ApiError& error,
                                 std::string_view request_id) const override;

    S3Store& store() { return store_; }

private:
    // One request as the operations see it.
    struct Context {
        const Call& call;
        S3Target target;
        std::string operation;
        std::string payload;  // the body, with any aws-chunked encoding removed
        std::vector<std::pair<std::string, std::string>> trailers;  // aws-chunked trailers
        Bucket* bucket = nullptr;
        TimePoint now;

        [[nodiscard]] const Request& request() const { return call.request; }
        [[nodiscard]] bool head() const;
    };

    // A response carrying S3's request-id headers.
    Response reply(const Context& c, int status, std::string_view content_type,
                   std::string body) const;
    // The error document for `e` (no body for HEAD).
    Response fail(const Context& c, const S3Error& e) const;
    Response render(const Request& request, std::string_view request_id, const S3Error& e) const;

    std::optional<S3Error> decode_payload(Context& c) const;
    // A flexible checksum the writer sent (header or aws-chunked trailer).
    struct PayloadChecksum {
        std::string algorithm;  // "CRC32"
        std::string value;      // base64
    };
    // Checks Content-MD5 and the x-amz-checksum-* header or trailer against the payload; with
    // `required`, one of them must be present (S3's rule for DeleteObjects and lifecycle).
    std::optional<S3Error> verify_integrity(const Context& c, bool required,
                                            std::optional<PayloadChecksum>& found) const;
    // Whether the caller may perform `action` on `resource` under the bucket's policy.
    [[nodiscard]] bool allowed(const Context& c, std::string_view action,
                               std::string_view resource) const;
    Response dispatch(Context& c);

    // s3_bucket_ops.cpp
    Response list_buckets(Context& c);
    Response create_bucket(Context& c);
    Response delete_bucket(Context& c);
    Response head_bucket(Context& c);
    Response get_bucket_location(Context& c);
    Response put_bucket_policy(Context& c);
    Response get_bucket_policy(Context& c);
    Response delete_bucket_policy(Context& c);
    Response put_bucket_lifecycle(Context& c);
    Response get_bucket_lifecycle(Context& c);
    Response delete_bucket_lifecycle(Context& c);
    Response put_bucket_encryption(Context& c);
    Response get_bucket_encryption(Context& c);
    Response delete_bucket_encryption(Context& c);
    Response put_public_access_block(Context& c);
    Response get_public_access_block(Context& c);
    Response delete_public_access_block(Context& c);
    // Saves the bucket's settings; an I/O failure is S3's InternalError.
    std::optional<S3Error> save(const Bucket& bucket);

    // s3_object_ops.cpp
    Response list_objects(Context& c, bool v2);
    Response put_object(Context& c);
    Response get_object(Context& c);
    Response delete_object(Context& c);
    Response delete_objects(Context& c);

    S3Store store_;
    std::string region_;
    Clock clock_;
};

// The S3 operation a request is for and the IAM action it needs, or the error S3 answers for a
// method or subresource it does not serve. Exposed for tests.
struct S3Route {
    std::string operation;  // "GetObject"
    std::string action;     // "s3:GetObject"
};
std::variant<S3Route, S3Error> route_s3(std::string_view method, const S3Target& target);

// Common S3 errors.
S3Error s3_access_denied();
S3Error s3_no_such_bucket(std::string_view bucket);
S3Error s3_malformed_xml();
S3Error s3_internal_error(std::string_view detail);
S3Error s3_invalid_argument(std::string message, std::string_view name = {},
                            std::string_view value = {});

// The canonical user id of the simulated account, as S3 names owners.
std::string s3_owner_id();

}  // namespace sockerless::awssim
