#pragma once
// AWS error responses: the four body shapes the project's services answer with, and the one place
// where an AWS error code (and HTTP status) becomes the project's Errc.
//
// The parsers follow botocore's (botocore/parsers.py, 1.43): where a body cannot be read they fall
// back to the HTTP status as the code and its reason phrase as the message, so a proxy's HTML
// page or an empty 503 still yields a usable AwsError. They never fail.

#include <span>
#include <string>
#include <string_view>

#include "aws/sigv4.h"
#include "base/error.h"

namespace sockerless::aws {

struct AwsError {
    int http_status = 0;
    std::string code;        // e.g. "ClusterNotFoundException", "NoSuchKey", "404"
    std::string message;     // as AWS sent it; may be empty
    std::string request_id;  // may be empty
};

// What the parsers read from an HTTP response. Header names match case-insensitively.
struct ResponseView {
    int status = 0;
    std::span<const NameValue> headers;
    std::string_view body;
};

// JSON 1.1 with X-Amz-Target (ECS, CloudWatch Logs): {"__type": "[prefix#]Code", "message": ...},
// request id from x-amzn-RequestId.
AwsError parse_json_error(const ResponseView& response);

// REST-JSON (EFS): the code from the x-amzn-ErrorType header (":suffix" dropped), else from the
// body's ErrorCode / code / Code / __type; message from Message / message.
AwsError parse_rest_json_error(const ResponseView& response);

// REST-XML (S3): <Error><Code/><Message/><RequestId/></Error>; also the <ErrorResponse> wrapper
// other REST-XML services use. Request id from x-amz-request-id when the body has none.
AwsError parse_rest_xml_error(const ResponseView& response);

// EC2 query: <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.
AwsError parse_ec2_error(const ResponseView& response);

// The code/status → Errc mapping. The code decides when it is known; otherwise the status does
// (304, 401, 403, 404, 409, 412, 429, 5xx); anything else is internal, since an error the client
// cannot name usually means the request it built was wrong.
Errc classify(std::string_view code, int http_status);

// "ecs RunTask: InvalidParameterException: Container Overrides length must be at most 8192
// (request id abc)", classified by classify().
Error to_error(const AwsError& error, std::string_view service, std::string_view operation);

// The codes the SDKs' standard retry mode treats as throttling, and as transient.
bool is_throttling_code(std::string_view code);
bool is_transient_code(std::string_view code);

// The header's value, matched case-insensitively; "" when absent.
std::string_view header_value(std::span<const NameValue> headers, std::string_view name);

}  // namespace sockerless::aws
