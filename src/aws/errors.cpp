#include "aws/errors.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <optional>
#include <utility>

#include <boost/json.hpp>

#include "aws/xml.h"

namespace sockerless::aws {
namespace {

using CodeClass = std::pair<std::string_view, Errc>;

// botocore's ThrottledRetryableChecker list, the union of every throttling code AWS services use.
constexpr std::array<std::string_view, 14> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

constexpr std::array<std::string_view, 3> kTransientCodes = {
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
};

// Codes whose meaning the patterns in classify_by_pattern() would get wrong or miss. Taken from
// the botocore models of ECS, CloudWatch Logs, EFS and S3 and from the EC2 and common-errors
// references (EC2 errors are not modelled).
constexpr auto kCodeClasses = std::to_array<CodeClass>({
    // Bad or missing credentials: the caller must fix them, not its permissions.
    {"UnrecognizedClientException", Errc::unauthorized},
    {"InvalidClientTokenId", Errc::unauthorized},
    {"SignatureDoesNotMatch", Errc::unauthorized},
    {"InvalidSignatureException", Errc::unauthorized},
    {"IncompleteSignature", Errc::unauthorized},
    {"IncompleteSignatureException", Errc::unauthorized},
    {"MissingAuthenticationToken", Errc::unauthorized},
    {"MissingAuthenticationTokenException", Errc::unauthorized},
    {"ExpiredToken", Errc::unauthorized},
    {"ExpiredTokenException", Errc::unauthorized},
    {"InvalidAccessKeyId", Errc::unauthorized},
    {"InvalidToken", Errc::unauthorized},
    {"InvalidSecurity", Errc::unauthorized},
    {"AuthFailure", Errc::unauthorized},
    {"RequestExpired", Errc::unauthorized},
    {"RequestTimeTooSkewed", Errc::unauthorized},
    // Valid credentials, action not allowed.
    {"AccessDenied", Errc::forbidden},
    {"AccessDeniedException", Errc::forbidden},
    {"UnauthorizedOperation", Errc::forbidden},
    {"OptInRequired", Errc::forbidden},
    {"Blocked", Errc::forbidden},
    {"BlockedException", Errc::forbidden},
    {"AccountProblem", Errc::forbidden},
    {"AllAccessDisabled", Errc::forbidden},
    // The request itself is wrong.
    {"InvalidParameterException", Errc::invalid_argument},
    {"InvalidParameterValue", Errc::invalid_argument},
    {"InvalidParameterCombination", Errc::invalid_argument},
    {"MissingParameter", Errc::invalid_argument},
    {"UnknownParameter", Errc::invalid_argument},
    {"ValidationException", Errc::invalid_argument},
    {"ValidationError", Errc::invalid_argument},
    {"ClientException", Errc::invalid_argument},
    {"SerializationException", Errc::invalid_argument},
    {"BadRequest", Errc::invalid_argument},
    {"BadRequestException", Errc::invalid_argument},
    {"PlatformUnknownException", Errc::invalid_argument},
    {"PlatformTaskDefinitionIncompatibilityException", Errc::invalid_argument},
    {"TooManyTagsException", Errc::invalid_argument},
    {"EntityTooLarge", Errc::invalid_argument},
    {"EntityTooSmall", Errc::invalid_argument},
    {"KeyTooLongError", Errc::invalid_argument},
    {"TooManyParts", Errc::invalid_argument},
    {"UnsupportedAvailabilityZone", Errc::invalid_argument},
    {"AvailabilityZonesMismatch", Errc::invalid_argument},
    // The object exists, or is in the wrong state for the request.
    {"ResourceInUseException", Errc::conflict},
    {"ConflictException", Errc::conflict},
    {"BucketAlreadyOwnedByYou", Errc::conflict},
    {"BucketNotEmpty", Errc::conflict},
    {"PreconditionFailed", Errc::conflict},
    {"ClusterContainsTasksException", Errc::conflict},
    {"ClusterContainsServicesException", Errc::conflict},
    {"ClusterContainsContainerInstancesException", Errc::conflict},
    {"ClusterContainsCapacityProviderException", Errc::conflict},
    {"UpdateInProgressException", Errc::conflict},
    {"ServiceNotActiveException", Errc::conflict},
    {"DaemonNotActiveException", Errc::conflict},
    {"NoUpdateAvailableException", Errc::conflict},
    {"OperationAbortedException", Errc::conflict},
    {"DataAlreadyAcceptedException", Errc::conflict},
    {"InvalidSequenceTokenException", Errc::conflict},
    {"InvalidObjectState", Errc::conflict},
    {"ObjectAlreadyInActiveTierError", Errc::conflict},
    {"ObjectNotInActiveTierError", Errc::conflict},
    {"IncorrectFileSystemLifeCycleState", Errc::conflict},
    {"IncorrectMountTargetState", Errc::conflict},
    {"IncorrectState", Errc::conflict},
    {"IncorrectInstanceState", Errc::conflict},
    {"DependencyViolation", Errc::conflict},
    {"IdempotentParameterMismatch", Errc::conflict},
    {"IdempotencyParameterMismatch", Errc::conflict},
    {"NotModified", Errc::not_modified},
    // AWS's side failed or is out of capacity: retrying later may help.
    {"ServerException", Errc::unavailable},
    {"ServiceUnavailable", Errc::unavailable},
    {"ServiceUnavailableException", Errc::unavailable},
    {"InternalError", Errc::unavailable},
    {"InternalFailure", Errc::unavailable},
    {"InternalServerError", Errc::unavailable},
    {"InternalServerException", Errc::unavailable},
    {"Unavailable", Errc::unavailable},
    {"TooManyRequests", Errc::unavailable},
    {"TargetNotConnectedException", Errc::unavailable},
    {"NoFreeAddressesInSubnet", Errc::unavailable},
    {"DependencyTimeout", Errc::unavailable},
    {"RequestTimeout", Errc::timeout},
    {"RequestTimeoutException", Errc::timeout},
    // Valid requests this account or API version does not support.
    {"NotImplemented", Errc::not_implemented},
    {"UnsupportedFeatureException", Errc::not_implemented},
    {"UnsupportedOperation", Errc::not_implemented},
    {"UnsupportedOperationException", Errc::not_implemented},
    {"UnknownOperationException", Errc::not_implemented},
    {"InvalidAction", Errc::not_implemented},
});

bool contains(std::string_view s, std::string_view part) {
    return s.find(part) != std::string_view::npos;
}

template <std::size_t N>
std::optional<Errc> lookup(const std::array<CodeClass, N>& table, std::string_view code) {
    const auto* it = std::find_if(table.begin(), table.end(),
                                  [&](const CodeClass& c) { return c.first == code; });
    if (it == table.end()) return std::nullopt;
    return it->second;
}

// Families of codes that share a naming convention across services, e.g. EC2's
// "InvalidSubnetID.NotFound" or EFS's "FileSystemAlreadyExists". Checked in this order, so
// "InvalidGroup.Duplicate" is a conflict before the "Invalid" prefix would call it a bad argument.
std::optional<Errc> classify_by_pattern(std::string_view code) {
    if (contains(code, "NotFound") || code.starts_with("NoSuch")) return Errc::not_found;
    if (code.starts_with("AccessDenied")) return Errc::forbidden;
    if (contains(code, "AlreadyExists") || code.ends_with(".Duplicate") ||
        contains(code, "InUse") || contains(code, "Conflict")) {
        return Errc::conflict;
    }
    // Account quotas (FileSystemLimitExceeded, NetworkInterfaceLimitExceeded, ...): the request is
    // fine but the account may not have more; waiting rarely helps, so not `unavailable`.
    if (contains(code, "LimitExceeded") || contains(code, "QuotaExceeded")) return Errc::forbidden;
    if (code.starts_with("Invalid") || code.starts_with("Malformed") ||
        contains(code, ".Malformed")) {
        return Errc::invalid_argument;
    }
    if (code.starts_with("Insufficient")) return Errc::unavailable;
    return std::nullopt;
}

std::optional<Errc> classify_by_status(int status) {
    switch (status) {
        case 304:
            return Errc::not_modified;
        case 401:
            return Errc::unauthorized;
        case 403:
            return Errc::forbidden;
        case 404:
            return Errc::not_found;
        case 409:
        case 412:
            return Errc::conflict;
        case 429:
            return Errc::unavailable;
        default:
            break;
    }
    if (status >= 500 && status <= 599) return Errc::unavailable;
    return std::nullopt;
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 409:
            return "Conflict";
        case 412:
            return "Precondition Failed";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "";
    }
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view kSpace = " \t\r\n";
    const std::size_t first = s.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

// What botocore reports when the body says nothing usable: the status as the code.
AwsError from_status(int status, std::string_view request_id) {
    return AwsError{status, std::to_string(status), std::string(reason_phrase(status)),
                    std::string(request_id)};
}

// A 5xx whose body is empty or HTML came from a proxy or load balancer, not from the service.
bool is_generic_error(const ResponseView& r) {
    if (r.status < 500) return false;
    const std::string_view body = trim(r.body);
    return body.empty() || body.starts_with("<html>");
}

// Error codes arrive as "Code", "prefix#Code" or "Code:http://internal.amazon.com/...".
std::string clean_code(std::string_view code) {
    code = code.substr(0, code.find(':'));
    const std::size_t hash = code.rfind('#');
    if (hash != std::string_view::npos) code = code.substr(hash + 1);
    return std::string(trim(code));
}

std::string_view string_member(const boost::json::object& obj, std::string_view key) {
    const boost::json::value* v = obj.if_contains(key);
    if (v == nullptr || !v->is_string()) return {};
    return v->get_string();
}

// The first of `keys` that the object has as a non-empty string.
std::string_view first_member(const boost::json::object& obj,
                              std::initializer_list<std::string_view> keys) {
    for (std::string_view key : keys) {
        const std::string_view value = string_member(obj, key);
        if (!value.empty()) return value;
    }
    return {};
}

// A body that is not a JSON object becomes the message, as botocore does.
AwsError parse_json_common(const ResponseView& r,
                           std::initializer_list<std::string_view> code_keys) {
    AwsError e{r.status, "", "", std::string(header_value(r.headers, "x-amzn-RequestId"))};
    if (trim(r.body).empty()) {
        e.code = std::to_string(r.status);
        e.message = reason_phrase(r.status);
        return e;
    }
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(r.body, ec);
    if (ec || !doc.is_object()) {
        e.code = std::to_string(r.status);
        e.message = std::string(r.body);
        return e;
    }
    const boost::json::object& obj = doc.get_object();
    e.code = clean_code(first_member(obj, code_keys));
    if (e.code.empty()) e.code = std::to_string(r.status);
    e.message = std::string(first_member(obj, {"message", "Message"}));
    return e;
}

std::string_view request_id_header(const ResponseView& r) {
    std::string_view id = header_value(r.headers, "x-amzn-RequestId");
    if (id.empty()) id = header_value(r.headers, "x-amz-request-id");
    return id;
}

AwsError from_xml_error(const ResponseView& r, const XmlElement& error,
                        std::string_view body_request_id) {
    AwsError e{r.status, clean_code(error.child_text("Code")),
               std::string(error.child_text("Message")), std::string(request_id_header(r))};
    if (e.request_id.empty()) e.request_id = trim(body_request_id);
    if (e.code.empty()) e.code = std::to_string(r.status);
    return e;
}

}  // namespace

std::string_view header_value(std::span<const NameValue> headers, std::string_view name) {
    for (const auto& [n, v] : headers) {
        if (iequals(n, name)) return v;
    }
    return {};
}

bool is_throttling_code(std::string_view code) {
    return std::find(kThrottlingCodes.begin(), kThrottlingCodes.end(), code) !=
           kThrottlingCodes.end();
}

bool is_transient_code(std::string_view code) {
    return std::find(kTransientCodes.begin(), kTransientCodes.end(), code) != kTransientCodes.end();
}

Errc classify(std::string_view code, int http_status) {
    if (is_throttling_code(code)) return Errc::unavailable;
    if (auto c = lookup(kCodeClasses, code)) return *c;
    if (auto c = classify_by_pattern(code)) return *c;
    if (auto c = classify_by_status(http_status)) return *c;
    return Errc::internal;
}

Error to_error(const AwsError& error, std::string_view service, std::string_view operation) {
    std::string msg;
    msg.append(service).append(" ").append(operation).append(": ");
    msg.append(error.code.empty() ? "HTTP " + std::to_string(error.http_status) : error.code);
    if (!error.message.empty()) msg.append(": ").append(error.message);
    if (!error.request_id.empty()) msg.append(" (request id ").append(error.request_id).append(")");
    return Error{classify(error.code, error.http_status), std::move(msg)};
}

AwsError parse_json_error(const ResponseView& response) {
    if (is_generic_error(response)) {
        return from_status(response.status, header_value(response.headers, "x-amzn-RequestId"));
    }
    return parse_json_common(response, {"__type"});
}

AwsError parse_rest_json_error(const ResponseView& response) {
    if (is_generic_error(response)) {
        return from_status(response.status, header_value(response.headers, "x-amzn-RequestId"));
    }
    AwsError e = parse_json_common(response, {"code", "Code", "ErrorCode", "__type"});
    const std::string code = clean_code(header_value(response.headers, "x-amzn-ErrorType"));
    if (!code.empty()) e.code = code;
    return e;
}

AwsError parse_rest_xml_error(const ResponseView& response) {
    if (is_generic_error(response) || trim(response.body).empty()) {
        return from_status(response.status, request_id_header(response));
    }
    Result<XmlElement> doc = parse_xml(response.body);
    if (!doc) return from_status(response.status, request_id_header(response));
    if (doc->name == "Error") return from_xml_error(response, *doc, doc->child_text("RequestId"));
    if (const XmlElement* error = doc->child("Error"); doc->name == "ErrorResponse" && error) {
        return from_xml_error(response, *error, doc->child_text("RequestId"));
    }
    return from_status(response.status, request_id_header(response));
}

AwsError parse_ec2_error(const ResponseView& response) {
    if (is_generic_error(response) || trim(response.body).empty()) {
        return from_status(response.status, request_id_header(response));
    }
    Result<XmlElement> doc = parse_xml(response.body);
    if (!doc) return from_status(response.status, request_id_header(response));
    const XmlElement* errors = doc->child("Errors");
    const XmlElement* error = errors != nullptr ? errors->child("Error") : nullptr;
    if (error == nullptr) return from_status(response.status, request_id_header(response));
    // EC2 spells it RequestID; accept the query protocol's RequestId too.
    std::string_view id = doc->child_text("RequestID");
    if (id.empty()) id = doc->child_text("RequestId");
    AwsError e = from_xml_error(response, *error, "");
    if (!trim(id).empty()) e.request_id = trim(id);
    return e;
}

}  // namespace sockerless::aws
