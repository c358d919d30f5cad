#pragma once
// The executor every service client sends through: it signs each attempt, retries in the SDKs'
// standard mode, and turns a non-2xx answer into the project's Error through errors.h's one
// mapping, so the AWS code, message and request id reach the user.
//
// Contract:
//   - One AwsClient per service endpoint; its RetryPolicy (and so its retry quota) is shared by
//     every call made through it. Calls may run concurrently on any executor.
//   - Each attempt asks the credentials provider again (a CachingProvider answers from its cache)
//     and is signed anew with the clock's time, so a retry never reuses a stale signature.
//   - A retryable failure (throttling, transient codes, 500/502/503/504, no response) waits the
//     policy's delay on an Asio timer and tries again; anything else returns at once.
//   - ExpiredToken: when the provider is a CachingProvider it is invalidated and the call tried
//     once more with fresh credentials, outside the retry budget.
//   - Errors read "<service> <Operation>: <Code>: <message> (request id <id>)"; a retryable
//     failure given up on says after how many attempts (and when the retry quota ran out).
//   - Cancelling the call while it waits to retry ends it with the last attempt's error.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "aws/credentials.h"
#include "aws/errors.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "aws/transport.h"
#include "aws/xml.h"
#include "base/error.h"

namespace sockerless::aws {

// Which wire protocol an operation speaks; it decides how an error body is read.
enum class Protocol {
    json,       // JSON 1.1 with X-Amz-Target (ECS, CloudWatch Logs)
    rest_json,  // EFS
    rest_xml,   // S3
    query,      // STS, IAM: <ErrorResponse><Error>...
    ec2_query,  // EC2: <Response><Errors><Error>...
};

// Reads an error response in `protocol`'s shape.
AwsError parse_error(Protocol protocol, const HttpResponse& response);

// "a=1&b=x%20y": pairs URI-encoded, in the order given; the body of a query-protocol request.
std::string form_encode(const std::vector<NameValue>& params);

// The request a JSON 1.1 call sends: POST / with X-Amz-Target "<prefix>.<operation>".
HttpRequest json_request(std::string_view target_prefix, std::string_view operation,
                         const boost::json::object& input);

// The request a query-protocol call sends: POST / with Action, Version, then `params`.
HttpRequest query_request(std::string_view operation, std::string_view version,
                          const std::vector<NameValue>& params);

class AwsClient {
public:
    using Clock = std::function<SystemClock::time_point()>;

    // `transport` and `credentials` must outlive the client. An empty `clock` is the system clock.
    AwsClient(Transport& transport, CredentialsProvider& credentials, ServiceId service,
              std::string region, Endpoint endpoint, RetryOptions retry = {}, Clock clock = {});

    AwsClient(const AwsClient&) = delete;
    AwsClient& operator=(const AwsClient&) = delete;

    // Sends `req` to the client's endpoint. req.host is set from the endpoint and the endpoint's
    // base path is prepended to req.path. A 2xx response is returned; anything else is an Error.
    boost::asio::awaitable<Result<HttpResponse>> send(HttpRequest req, std::string operation,
                                                      Protocol protocol);

    // The same to another endpoint of this service (S3's virtual-hosted bucket addresses).
    boost::asio::awaitable<Result<HttpResponse>> send_to(Endpoint endpoint, HttpRequest req,
                                                         std::string operation, Protocol protocol);

    // A JSON 1.1 call; the response body parsed as an object ({} when empty).
    boost::asio::awaitable<Result<boost::json::object>> call_json(std::string target_prefix,
                                                                  std::string operation,
                                                                  boost::json::object input);

    // A query-protocol call (form-encoded Action and Version); the response document's root.
    boost::asio::awaitable<Result<XmlElement>> call_query(std::string operation,
                                                          std::string version,
                                                          std::vector<NameValue> params,
                                                          Protocol protocol = Protocol::query);

    // A REST-JSON call; `body` is sent as JSON unless it is null. The response parsed as an
    // object ({} when the body is empty, as for 204).
    boost::asio::awaitable<Result<boost::json::object>> call_rest_json(std::string method,
                                                                       std::string path,
                                                                       std::vector<NameValue> query,
                                                                       boost::json::value body,
                                                                       std::string operation);

    [[nodiscard]] const ServiceId& service() const { return service_; }
    [[nodiscard]] const std::string& region() const { return region_; }
    [[nodiscard]] const Endpoint& endpoint() const { return endpoint_; }
    [[nodiscard]] RetryPolicy& retry_policy() { return policy_; }

private:
    [[nodiscard]] SignOptions sign_options(Protocol protocol) const;
    [[nodiscard]] std::string_view error_service() const;

    Transport& transport_;
    CredentialsProvider& credentials_;
    ServiceId service_;
    std::string region_;
    Endpoint endpoint_;
    RetryPolicy policy_;
    Clock clock_;
};

}  // namespace sockerless::aws
