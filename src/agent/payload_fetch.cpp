#include "agent/payload_fetch.h"

#include <openssl/crypto.h>

#include <stdexcept>

#include "aws/sigv4.h"
#include "base/hex.h"

namespace sockerless::agent {
namespace ap = agentproto;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kCredentialsBodyLimit = std::size_t{64} * 1024;

PayloadError failed(PayloadFailure failure, const PayloadPointer& pointer, std::string why) {
    return PayloadError{failure, pointer.uri + ": " + std::move(why)};
}

std::string status_text(const HttpGetResponse& response) {
    std::string code = s3_error_code(response.body);
    return "HTTP " + std::to_string(response.status) + (code.empty() ? "" : " " + code);
}

// The container-credentials endpoint through the agent's client. The endpoint is local (a link-
// local or loopback address), but it may not be up the instant the task starts: connection
// failures and 5xx are retried here, within the fetch's deadline.
class AgentCredentialFetcher final : public aws::CredentialFetcher {
public:
    AgentCredentialFetcher(HttpGetClient& http, SteadyClock::time_point deadline)
        : http_(http), deadline_(deadline) {}

    Result<aws::FetchResponse> fetch(const aws::FetchRequest& request) override {
        if (request.method != "GET")
            return make_error(Errc::not_implemented, request.method + " is not used by the agent");
        auto response = http_.get(request.url, request.headers, deadline_);
        if (!response) return response.error();
        if (response->body_state != HttpGetResponse::Body::whole)
            return make_error(Errc::unavailable, request.url + ": " + response->body_problem);
        return aws::FetchResponse{response->status, std::move(response->body)};
    }

private:
    HttpGetClient& http_;
    SteadyClock::time_point deadline_;
};

PayloadResult<aws::Credentials> task_role_credentials(const PayloadPointer& pointer,
                                                      const PayloadFetchOptions& options,
                                                      SteadyClock::time_point deadline) {
    HttpGetClient http(HttpGetOptions{.ca_pem = options.ca_pem,
                                      .connect_timeout = options.connect_timeout,
                                      .body_limit = kCredentialsBodyLimit});
    AgentCredentialFetcher fetcher(http, deadline);
    auto provided = aws::from_container_endpoint(options.environment, fetcher);
    if (!provided) {
        return failed(PayloadFailure::credentials, pointer,
                      "no task role credentials: " + provided.error().message);
    }
    return std::move(provided->credentials);
}

PayloadFailure failure_of_transport(const Error& error) {
    return error.code == Errc::invalid_argument ? PayloadFailure::malformed
                                                : PayloadFailure::network;
}

}  // namespace

void throw_exception_from_error(const PayloadError& e, const boost::source_location& /*loc*/) {
    throw std::logic_error("unchecked launch payload result: " + e.message);
}

std::string s3_error_code(std::string_view body) {
    constexpr std::string_view kOpen = "<Code>";
    constexpr std::string_view kClose = "</Code>";
    const std::size_t open = body.find(kOpen);
    if (open == std::string_view::npos) return {};
    const std::size_t start = open + kOpen.size();
    const std::size_t close = body.find(kClose, start);
    if (close == std::string_view::npos || close - start > 64) return {};
    return std::string(body.substr(start, close - start));
}

PayloadResult<std::string> check_object_response(const HttpGetResponse& response,
                                                 const PayloadPointer& pointer) {
    if (response.status == 404)
        return failed(PayloadFailure::missing, pointer,
                      "not found (" + status_text(response) + ")");
    if (response.status == 403) {
        return failed(PayloadFailure::denied, pointer,
                      "access denied to the task role (" + status_text(response) + ")");
    }
    if (response.status != 200)
        return failed(PayloadFailure::network, pointer, "S3 answered " + status_text(response));
    const std::string expected = std::to_string(pointer.length) + " bytes";
    if (response.content_length && *response.content_length != pointer.length) {
        return failed(PayloadFailure::length, pointer,
                      "length mismatch: the object has " +
                          std::to_string(*response.content_length) + " bytes, the pointer says " +
                          expected);
    }
    if (response.body_state != HttpGetResponse::Body::whole) {
        return failed(PayloadFailure::length, pointer,
                      "truncated: " + response.body_problem + "; the pointer says " + expected);
    }
    if (response.body.size() != pointer.length) {
        return failed(PayloadFailure::length, pointer,
                      "length mismatch: received " + std::to_string(response.body.size()) +
                          " bytes, the pointer says " + expected);
    }
    if (!constant_time_equal(aws::sha256_hex(response.body), pointer.sha256)) {
        return failed(PayloadFailure::digest, pointer,
                      "SHA-256 mismatch: the object is not the payload the pointer names");
    }
    return response.body;
}

PayloadResult<ap::LaunchSpec> fetch_launch_payload(const PayloadPointer& pointer,
                                                   const PayloadFetchOptions& options) {
    const auto deadline = SteadyClock::now() + options.timeout;
    // Before anything touches OpenSSL (SigV4's hashes do): the agent carries its trust and
    // settings with it, and an openssl.cnf in the image could ask for engines or providers that
    // a static binary cannot load.
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
    auto request = object_request(pointer);
    if (!request) return failed(PayloadFailure::malformed, pointer, request.error().message);

    auto credentials = task_role_credentials(pointer, options, deadline);
    if (!credentials) return credentials.error();

    aws::HttpRequest signed_request;
    signed_request.method = "GET";
    signed_request.host = request->url.host_header();
    signed_request.path = request->raw_path;
    aws::sign(signed_request, *credentials, pointer.region, "s3", std::chrono::system_clock::now());

    HttpGetClient http(HttpGetOptions{.ca_pem = options.ca_pem,
                                      .connect_timeout = options.connect_timeout,
                                      .body_limit = static_cast<std::size_t>(pointer.length)});
    auto response = http.get(request->url.text(), signed_request.headers, deadline);
    if (!response)
        return failed(failure_of_transport(response.error()), pointer, response.error().message);
    auto body = check_object_response(*response, pointer);
    if (!body) return body.error();
    auto spec = ap::parse_launch_payload(*body);
    if (!spec) return failed(PayloadFailure::malformed, pointer, spec.error().message);
    return std::move(*spec);
}

}  // namespace sockerless::agent
