#include "aws/client.h"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sockerless::aws {
namespace {

namespace asio = boost::asio;

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

bool is_expired_token(std::string_view code) {
    return code == "ExpiredToken" || code == "ExpiredTokenException";
}

TransportFailure failure_kind(const Error& e) {
    return e.code == Errc::timeout ? TransportFailure::timeout : TransportFailure::connection;
}

// An attempt that got no response, in the executor's error format.
Error transport_error(const Error& e, std::string_view service, std::string_view operation) {
    std::string msg;
    msg.append(service).append(" ").append(operation).append(": ").append(e.message);
    return Error{e.code, std::move(msg)};
}

// Says why a retryable failure was given up on, so a user can tell a flaky service from a
// request that was never retried.
Error given_up(Error error, const RetryDecision& decision, int attempts) {
    if (decision.verdict == RetryDecision::Verdict::not_retryable) return error;
    if (attempts > 1) {
        error.message.append(" (after ").append(std::to_string(attempts)).append(" attempts)");
    }
    if (decision.verdict == RetryDecision::Verdict::quota_exhausted) {
        error.message.append(" (").append(verdict_name(decision.verdict)).append(")");
    }
    return error;
}

Result<boost::json::object> parse_object(std::string_view body, std::string_view service,
                                         std::string_view operation) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return boost::json::object{};
    }
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(body, ec);
    if (ec || !doc.is_object()) {
        return make_error(Errc::internal, std::string(service) + " " + std::string(operation) +
                                              ": response is not a JSON object");
    }
    return std::move(doc.get_object());
}

// True when the parser found no code and fell back to the HTTP status.
bool unnamed(const AwsError& e) {
    return e.code == std::to_string(e.http_status);
}

// The query protocol's <ErrorResponse><Error>, or the <ErrorResponse><Errors><Error> nesting that
// botocore's query parser also accepts (moto answers that way).
AwsError parse_query_error(const ResponseView& view) {
    AwsError e = parse_rest_xml_error(view);
    if (!unnamed(e)) return e;
    AwsError nested = parse_ec2_error(view);
    return unnamed(nested) ? e : nested;
}

// moto (and some proxies) answer JSON protocols' errors in XML: when the JSON reader found no
// code in a body that looks like XML, read the XML shapes.
AwsError with_xml_fallback(AwsError parsed, const ResponseView& view) {
    const std::size_t start = view.body.find_first_not_of(" \t\r\n");
    if (!unnamed(parsed) || start == std::string_view::npos || view.body[start] != '<') {
        return parsed;
    }
    AwsError xml = parse_query_error(view);
    if (unnamed(xml)) return parsed;
    if (xml.request_id.empty()) xml.request_id = parsed.request_id;
    return xml;
}

// False when the wait was cancelled: the call then ends instead of retrying.
asio::awaitable<bool> sleep_for(std::chrono::milliseconds delay) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(delay);
    auto [ec] = co_await timer.async_wait(kUse);
    co_return !ec;
}

}  // namespace

AwsError parse_error(Protocol protocol, const HttpResponse& response) {
    const ResponseView view{response.status, response.headers, response.body};
    switch (protocol) {
        case Protocol::json:
            return with_xml_fallback(parse_json_error(view), view);
        case Protocol::rest_json:
            return with_xml_fallback(parse_rest_json_error(view), view);
        case Protocol::rest_xml:
            return parse_rest_xml_error(view);
        case Protocol::query:
            return parse_query_error(view);
        case Protocol::ec2_query:
            return parse_ec2_error(view);
    }
    return parse_rest_xml_error(view);
}

std::string form_encode(const std::vector<NameValue>& params) {
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty()) out += '&';
        out.append(uri_encode(name, false)).append("=").append(uri_encode(value, false));
    }
    return out;
}

HttpRequest json_request(std::string_view target_prefix, std::string_view operation,
                         const boost::json::object& input) {
    HttpRequest req;
    req.method = "POST";
    req.path = "/";
    req.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
    req.headers.emplace_back("X-Amz-Target",
                             std::string(target_prefix) + "." + std::string(operation));
    req.body = boost::json::serialize(input);
    return req;
}

HttpRequest query_request(std::string_view operation, std::string_view version,
                          const std::vector<NameValue>& params) {
    std::vector<NameValue> all;
    all.reserve(params.size() + 2);
    all.emplace_back("Action", operation);
    all.emplace_back("Version", version);
    all.insert(all.end(), params.begin(), params.end());
    HttpRequest req;
    req.method = "POST";
    req.path = "/";
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    req.body = form_encode(all);
    return req;
}

AwsClient::AwsClient(Transport& transport, CredentialsProvider& credentials, ServiceId service,
                     std::string region, Endpoint endpoint, RetryOptions retry, Clock clock)
    : transport_(transport),
      credentials_(credentials),
      service_(std::move(service)),
      region_(std::move(region)),
      endpoint_(std::move(endpoint)),
      policy_(retry),
      clock_(clock ? std::move(clock) : Clock([] { return SystemClock::now(); })) {}

SignOptions AwsClient::sign_options(Protocol protocol) const {
    SignOptions options;
    if (service_.signing_name == "s3") options.double_encode_path = false;
    // REST-JSON GETs carry their parameters in the query; a verifier that rebuilds the payload
    // from parsed parameters (moto does) hashes the wrong bytes unless the hash is sent signed.
    if (protocol == Protocol::rest_json) options.content_sha256_header = true;
    return options;
}

std::string_view AwsClient::error_service() const {
    return service_.endpoint_prefix;
}

asio::awaitable<Result<HttpResponse>> AwsClient::send(HttpRequest req, std::string operation,
                                                      Protocol protocol) {
    co_return co_await send_to(endpoint_, std::move(req), std::move(operation), protocol);
}

asio::awaitable<Result<HttpResponse>> AwsClient::send_to(Endpoint endpoint, HttpRequest req,
                                                         std::string operation, Protocol protocol) {
    const std::string_view service = error_service();
    req.host = endpoint.host_header();
    if (!endpoint.base_path.empty()) {
        req.path = endpoint.base_path + (req.path.empty() ? "/" : req.path);
    }
    RetryToken token;
    bool refreshed = false;
    for (int attempt = 1;; ++attempt) {
        Result<ProvidedCredentials> creds = credentials_.credentials();
        if (!creds) {
            co_return creds.error().wrap(std::string(service) + " " + operation + ": credentials");
        }
        sign(req, creds->credentials, region_, service_.signing_name, clock_(),
             sign_options(protocol));
        Result<HttpResponse> res = co_await transport_.send(endpoint, req);

        AttemptOutcome outcome;
        Error error;
        AwsError aws_error;
        if (!res) {
            outcome.transport = failure_kind(res.error());
            error = transport_error(res.error(), service, operation);
        } else if (res->status >= 200 && res->status < 300) {
            policy_.on_success(token);
            co_return res;
        } else {
            aws_error = parse_error(protocol, *res);
            if (is_expired_token(aws_error.code) && !refreshed) {
                if (auto* caching = dynamic_cast<CachingProvider*>(&credentials_)) {
                    caching->invalidate();
                    refreshed = true;
                    --attempt;
                    continue;
                }
            }
            outcome.http_status = res->status;
            outcome.error_code = aws_error.code;
            error = to_error(aws_error, service, operation);
        }
        const RetryDecision decision = policy_.on_failure(attempt, outcome, token);
        if (!decision.should_retry()) co_return given_up(std::move(error), decision, attempt);
        if (!co_await sleep_for(decision.delay)) co_return error;
    }
}

asio::awaitable<Result<boost::json::object>> AwsClient::call_json(std::string target_prefix,
                                                                  std::string operation,
                                                                  boost::json::object input) {
    HttpRequest req = json_request(target_prefix, operation, input);
    Result<HttpResponse> res = co_await send(std::move(req), operation, Protocol::json);
    if (!res) co_return res.error();
    co_return parse_object(res->body, error_service(), operation);
}

asio::awaitable<Result<XmlElement>> AwsClient::call_query(std::string operation,
                                                          std::string version,
                                                          std::vector<NameValue> params,
                                                          Protocol protocol) {
    HttpRequest req = query_request(operation, version, params);
    Result<HttpResponse> res = co_await send(std::move(req), operation, protocol);
    if (!res) co_return res.error();
    Result<XmlElement> doc = parse_xml(res->body);
    if (!doc) co_return doc.error().wrap(std::string(error_service()) + " " + operation);
    co_return doc;
}

asio::awaitable<Result<boost::json::object>> AwsClient::call_rest_json(std::string method,
                                                                       std::string path,
                                                                       std::vector<NameValue> query,
                                                                       boost::json::value body,
                                                                       std::string operation) {
    HttpRequest req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.query = std::move(query);
    if (!body.is_null()) {
        req.headers.emplace_back("Content-Type", "application/json");
        req.body = boost::json::serialize(body);
    }
    Result<HttpResponse> res = co_await send(std::move(req), operation, Protocol::rest_json);
    if (!res) co_return res.error();
    co_return parse_object(res->body, error_service(), operation);
}

}  // namespace sockerless::aws
