#pragma once
// What every simulated AWS service implements, and what the router hands it.
//
// The router (simulator.cpp) verifies SigV4, resolves the caller's identity and picks the service
// by the credential scope's service name; the service decodes its wire protocol, runs the
// operation and renders the reply, errors included, in that protocol. Services are synchronous
// and run on the simulator's single strand: no locking inside a service.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api_error.h"
#include "sigv4_verify.h"

namespace sockerless::awssim {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// Who signed a request. For the account's long-term key the ARN is the account root; for
// credentials the simulator issued to a task it is the assumed-role session of the task role.
struct Identity {
    std::string access_key;
    std::string account_id;
    std::string arn;      // "arn:aws:iam::000000000000:root" or "arn:aws:sts::...:assumed-role/R/S"
    std::string user_id;  // GetCallerIdentity's UserId
    std::string role_arn;  // "arn:aws:iam::...:role/R" for a role session; "" for the root
};

struct Call {
    const Request& request;
    const SigV4Scope& scope;
    const Identity& identity;
    std::string_view request_id;
    // Whether the request came over TLS (aws:SecureTransport); the listener is plain HTTP.
    bool secure = false;
};

class Service {
public:
    virtual ~Service() = default;

    // The operation name of `request` as AWS names it ("RunTask", "PutObject"), for fault
    // injection and logs; "" when it cannot be told.
    [[nodiscard]] virtual std::string operation(const Request& request) const = 0;

    virtual Response handle(const Call& call) = 0;

    // Renders `error` in this service's protocol. Authentication failures found before the
    // service is called reach it with the JSON services' codes
    // (MissingAuthenticationTokenException, UnrecognizedClientException, InvalidSignatureException,
    // IncompleteSignatureException); a service whose AWS counterpart uses other codes (S3's
    // SignatureDoesNotMatch, EC2's AuthFailure) translates them here.
    [[nodiscard]] virtual Response error(const Request& request, const ApiError& error,
                                         std::string_view request_id) const = 0;
};

// A version-4-shaped UUID, as AWS's request ids are.
std::string new_request_id();

// A response with the simulator's Server header and the request's HTTP version and keep-alive.
Response make_response(const Request& request, int status, std::string_view content_type,
                       std::string body);

}  // namespace sockerless::awssim
