#pragma once
// Fetching the launch payload of a pointer launch: task-role credentials from the ECS
// container-credentials endpoint (src/aws's provider, over the agent's own HTTP client), a
// SigV4-signed S3 GetObject, then the checks that must pass before anything of it is used:
// length, SHA-256, and the payload's own format.
//
// Every way this can fail has its own exit code (docs/agent-protocol.md, "Launch"), so a task
// that stopped before its process ran says why in its exit code as well as in its log line.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "agent/http_get.h"
#include "agent/payload_pointer.h"
#include "agentproto/launch.h"
#include "aws/credentials.h"

namespace sockerless::agent {

enum class PayloadFailure : std::uint8_t {
    credentials = 90,  // no task-role credentials (variables missing, endpoint failed)
    missing = 91,      // S3 404: no such key or bucket
    denied = 92,       // S3 403: the task role may not read it, or the signature was refused
    length = 93,       // the object's length is not the pointer's, or the body was cut short
    digest = 94,       // the SHA-256 of the body is not the pointer's
    network = 95,      // DNS, connection, TLS, timeout, or an answer S3 should not give
    malformed = 96,    // bad pointer variables, or a payload that is not a launch payload
};

struct PayloadError {
    PayloadFailure failure = PayloadFailure::network;
    std::string message;  // one line; names the URI, never a credential, token or env value

    [[nodiscard]] int exit_code() const noexcept { return static_cast<int>(failure); }
};

// Needed by boost::system::result; reaching it is a bug (results are read with has_value()).
[[noreturn]] void throw_exception_from_error(const PayloadError& e,
                                             const boost::source_location& loc);

template <class T>
using PayloadResult = boost::system::result<T, PayloadError>;

// ---- Pure parts ---------------------------------------------------------------------------------

// The payload bytes from S3's answer to GetObject, after the length and digest checks.
PayloadResult<std::string> check_object_response(const HttpGetResponse& response,
                                                 const PayloadPointer& pointer);

// An S3 error document's <Code>, or "" when there is none.
std::string s3_error_code(std::string_view body);

// ---- The fetch ----------------------------------------------------------------------------------

struct PayloadFetchOptions {
    std::chrono::milliseconds timeout{30'000};  // the whole fetch, credentials included
    std::chrono::milliseconds connect_timeout{10'000};
    std::string ca_pem;  // trusted for https (ca_bundle.h)
    aws::Environment environment = aws::process_environment();
};

// Credentials, GetObject, checks, then agentproto::parse_launch_payload.
PayloadResult<agentproto::LaunchSpec> fetch_launch_payload(const PayloadPointer& pointer,
                                                           const PayloadFetchOptions& options);

}  // namespace sockerless::agent
