#pragma once
// A pointer launch (docs/agent-protocol.md, "Launch"): the task's overrides carry only where the
// launch payload is in S3 and what it must be (length, SHA-256); this reads and checks those
// variables and works out which URL to GET. Pure: the environment comes in as a function.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "agent/url.h"
#include "base/error.h"

namespace sockerless::agent {

struct S3Object {
    std::string bucket;
    std::string key;  // as stored, not URI-encoded
};

// "s3://bucket/key/with/slashes" -> {bucket, key}; invalid_argument when the scheme, bucket or
// key is missing.
Result<S3Object> parse_s3_uri(std::string_view uri);

struct PayloadPointer {
    std::string uri;  // as given, for messages
    S3Object object;
    std::string sha256;        // 64 lowercase hex digits
    std::uint64_t length = 0;  // at most agentproto::kMaxLaunchPayload
    std::string endpoint;      // "" for AWS's own S3 endpoint
    std::string region;
};

// The variable's value; empty counts as unset.
using GetEnv = std::function<std::optional<std::string>(std::string_view name)>;

// nullopt when no SOCKERLESS_PAYLOAD_* variable is set (an inline launch). invalid_argument,
// naming the variable, when SOCKERLESS_PAYLOAD_URI is missing while another is set, or when any is
// malformed. The region is SOCKERLESS_PAYLOAD_REGION, else AWS_REGION, else AWS_DEFAULT_REGION,
// else us-east-1.
Result<std::optional<PayloadPointer>> read_payload_pointer(const GetEnv& getenv);

// The GetObject request for the pointer, unsigned.
struct ObjectRequest {
    Url url;               // what to connect to; url.target is the encoded path
    std::string raw_path;  // the same path before URI encoding, as SigV4 takes it
};

// With an endpoint: path style, <endpoint>[/base]/<bucket>/<key>. On AWS: virtual-host style,
// https://<bucket>.s3.<region>.amazonaws.com/<key> (.amazonaws.com.cn in cn-* regions), except
// for bucket names with dots, which a wildcard certificate cannot cover: those go path style to
// https://s3.<region>.amazonaws.com/<bucket>/<key>, as the AWS SDKs do.
Result<ObjectRequest> object_request(const PayloadPointer& pointer);

}  // namespace sockerless::agent
