#pragma once
// S3's Signature Version 2 query-string authentication (presigned URLs carrying AWSAccessKeyId,
// Expires and Signature), which boto3 still produces by default for S3 presigned URLs in the
// regions that accept it (us-east-1 among them). Only S3 accepts it, so a verified request is
// scoped to service "s3" in the configured region.
//
// StringToSign = VERB \n Content-MD5 \n Content-Type \n Expires \n CanonicalizedAmzHeaders
// CanonicalizedResource; Signature = base64(HMAC-SHA1(secret, StringToSign)).

#include <chrono>
#include <string>
#include <string_view>

#include "sigv4_verify.h"

namespace sockerless::awssim {

// Whether the request-target carries SigV2 query authentication.
bool is_sigv2_presigned(std::string_view target);

// Verifies it; errors use the codes verify_sigv4 uses (RequestExpired when past Expires).
ApiResult<SigV4Scope> verify_sigv2_query(const SigV4Request& request, const SigV4Config& config,
                                         std::chrono::system_clock::time_point now);

// The string a SigV2 query signature covers, exposed for tests.
std::string sigv2_string_to_sign(const SigV4Request& request, std::string_view expires);

}  // namespace sockerless::awssim
