#include "aws/errors.h"

#include <gtest/gtest.h>

#include <vector>

// Bodies and headers have the shapes the services send (botocore 1.43's parsers.py comments and
// service models under botocore/data, cross-checked against moto's error responses); each
// expected code, message and request id is what botocore's own parser extracts from the same
// response, except where a comment says otherwise and one general extension: when the body is
// unusable, the request id is still taken from the headers (botocore drops it there).

namespace sockerless::aws {
namespace {

struct Response {
    int status;
    std::vector<NameValue> headers;
    std::string body;

    [[nodiscard]] ResponseView view() const { return ResponseView{status, headers, body}; }
};

void expect_error(const AwsError& e, int status, std::string_view code, std::string_view message,
                  std::string_view request_id) {
    EXPECT_EQ(e.http_status, status);
    EXPECT_EQ(e.code, code);
    EXPECT_EQ(e.message, message);
    EXPECT_EQ(e.request_id, request_id);
}

// ---- JSON 1.1 (ECS, CloudWatch Logs) ------------------------------------------------------------

TEST(AwsErrorsJson, EcsRunTaskOverridesTooLong) {
    const Response r{400,
                     {{"x-amzn-RequestId", "6e1b9b1e-4a1f-4d5b-9b7e-2f3c1d0a9e84"},
                      {"Content-Type", "application/x-amz-json-1.1"}},
                     R"({"__type":"InvalidParameterException",)"
                     R"("message":"Container Overrides length must be at most 8192"})"};
    const AwsError e = parse_json_error(r.view());
    expect_error(e, 400, "InvalidParameterException",
                 "Container Overrides length must be at most 8192",
                 "6e1b9b1e-4a1f-4d5b-9b7e-2f3c1d0a9e84");
    const Error err = to_error(e, "ecs", "RunTask");
    EXPECT_EQ(err.code, Errc::invalid_argument);
    EXPECT_EQ(err.message,
              "ecs RunTask: InvalidParameterException: Container Overrides length must be at most "
              "8192 (request id 6e1b9b1e-4a1f-4d5b-9b7e-2f3c1d0a9e84)");
}

TEST(AwsErrorsJson, TypePrefixIsStripped) {
    const Response r{400,
                     {{"X-Amzn-RequestId", "QJ4F7Q6S8SUMEFRKBAL1ABCDEFVV4KQNSO5AEMVJF66Q9ASUAAJG"}},
                     R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",)"
                     R"("message":"Requested resource not found"})"};
    const AwsError e = parse_json_error(r.view());
    EXPECT_EQ(e.code, "ResourceNotFoundException");
    EXPECT_EQ(e.request_id, "QJ4F7Q6S8SUMEFRKBAL1ABCDEFVV4KQNSO5AEMVJF66Q9ASUAAJG");
    EXPECT_EQ(to_error(e, "logs", "GetLogEvents").code, Errc::not_found);
}

// The signing front door answers with "Message" (capital M) and a "prefix#Code:url" type.
TEST(AwsErrorsJson, CapitalMessageAndColonSuffix) {
    const Response r{403,
                     {{"x-amzn-requestid", "d0f1c8a2-1b7e-4c55-8e0a-3f9b2a7c6d11"}},
                     R"({"__type":"com.amazon.coral.service#UnrecognizedClientException:)"
                     R"(http://internal.amazon.com/coral/com.amazon.coral.service/",)"
                     R"("Message":"The security token included in the request is invalid."})"};
    const AwsError e = parse_json_error(r.view());
    expect_error(e, 403, "UnrecognizedClientException",
                 "The security token included in the request is invalid.",
                 "d0f1c8a2-1b7e-4c55-8e0a-3f9b2a7c6d11");
    EXPECT_EQ(to_error(e, "ecs", "ListTasks").code, Errc::unauthorized);
}

TEST(AwsErrorsJson, LowercaseMessageWinsWhenBothPresent) {
    const Response r{400,
                     {},
                     R"({"__type":"ClusterNotFoundException",)"
                     R"("message":"Cluster not found.","Message":"other"})"};
    EXPECT_EQ(parse_json_error(r.view()).message, "Cluster not found.");
}

TEST(AwsErrorsJson, ThrottlingFromLogs) {
    const Response r{400,
                     {{"x-amzn-RequestId", "b2c3d4e5-0000-1111-2222-333344445555"}},
                     R"({"__type":"ThrottlingException","message":"Rate exceeded"})"};
    const AwsError e = parse_json_error(r.view());
    EXPECT_EQ(e.code, "ThrottlingException");
    EXPECT_EQ(to_error(e, "logs", "PutLogEvents").code, Errc::unavailable);
}

TEST(AwsErrorsJson, NoTypeMeansStatusAsCode) {
    const Response r{400, {}, R"({"message":"something"})"};
    const AwsError e = parse_json_error(r.view());
    EXPECT_EQ(e.code, "400");
    EXPECT_EQ(e.message, "something");
}

TEST(AwsErrorsJson, NonJsonBodyBecomesTheMessage) {
    const Response r{400, {}, "Bad request: missing X-Amz-Target"};
    const AwsError e = parse_json_error(r.view());
    expect_error(e, 400, "400", "Bad request: missing X-Amz-Target", "");
}

TEST(AwsErrorsJson, ProxyErrorsAreGeneric) {
    const Response empty{503, {}, ""};
    expect_error(parse_json_error(empty.view()), 503, "503", "Service Unavailable", "");
    const Response html{502, {}, "<html>\r\n<head><title>502 Bad Gateway</title></head></html>"};
    expect_error(parse_json_error(html.view()), 502, "502", "Bad Gateway", "");
    EXPECT_EQ(to_error(parse_json_error(html.view()), "ecs", "RunTask").code, Errc::unavailable);
}

// ---- REST-JSON (EFS) ----------------------------------------------------------------------------

TEST(AwsErrorsRestJson, EfsCodeFromErrorTypeHeader) {
    const Response r{
        404,
        {{"x-amzn-RequestId", "8c4b1d2e-7f3a-4e6b-a9d0-1c2b3a4d5e6f"},
         {"x-amzn-ErrorType",
          "FileSystemNotFound:http://internal.amazon.com/coral/com.amazonaws.magnolia.v20150201/"},
         {"Content-Type", "application/json"}},
        R"({"ErrorCode":"FileSystemNotFound",)"
        R"("Message":"File system 'fs-01234567' does not exist."})"};
    const AwsError e = parse_rest_json_error(r.view());
    expect_error(e, 404, "FileSystemNotFound", "File system 'fs-01234567' does not exist.",
                 "8c4b1d2e-7f3a-4e6b-a9d0-1c2b3a4d5e6f");
    EXPECT_EQ(to_error(e, "efs", "DescribeFileSystems").code, Errc::not_found);
}

// botocore reads only the header, code and Code; EFS always sends the header, but a body-only
// answer (a proxy that strips headers, the simulator) still names the code through ErrorCode.
TEST(AwsErrorsRestJson, EfsCodeFromBodyWithoutHeader) {
    const Response r{409,
                     {},
                     R"({"ErrorCode":"AccessPointAlreadyExists",)"
                     R"("Message":"Access point already exists","AccessPointId":"fsap-1"})"};
    const AwsError e = parse_rest_json_error(r.view());
    EXPECT_EQ(e.code, "AccessPointAlreadyExists");
    EXPECT_EQ(to_error(e, "efs", "CreateAccessPoint").code, Errc::conflict);
}

TEST(AwsErrorsRestJson, HeaderWinsOverBody) {
    const Response r{400,
                     {{"X-Amzn-Errortype", "BadRequest"}},
                     R"({"__type":"Other","code":"AlsoOther","message":"m"})"};
    EXPECT_EQ(parse_rest_json_error(r.view()).code, "BadRequest");
}

TEST(AwsErrorsRestJson, ThrottlingAndQuota) {
    const Response throttled{429,
                             {{"x-amzn-ErrorType", "ThrottlingException"}},
                             R"({"ErrorCode":"ThrottlingException","Message":"Rate exceeded"})"};
    EXPECT_EQ(to_error(parse_rest_json_error(throttled.view()), "efs", "CreateFileSystem").code,
              Errc::unavailable);
    const Response quota{403,
                         {{"x-amzn-ErrorType", "AccessPointLimitExceeded"}},
                         R"({"ErrorCode":"AccessPointLimitExceeded","Message":"limit 1000"})"};
    EXPECT_EQ(to_error(parse_rest_json_error(quota.view()), "efs", "CreateAccessPoint").code,
              Errc::forbidden);
}

// ---- REST-XML (S3) ------------------------------------------------------------------------------

TEST(AwsErrorsRestXml, S3NoSuchKey) {
    const Response r{
        404,
        {{"x-amz-request-id", "4442587FB7D0A2F9"},
         {"x-amz-id-2",
          "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="},
         {"Content-Type", "application/xml"}},
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
        "<Key>payloads/3f2a/launch.json</Key><RequestId>4442587FB7D0A2F9</RequestId>"
        "<HostId>vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="
        "</HostId></Error>"};
    const AwsError e = parse_rest_xml_error(r.view());
    expect_error(e, 404, "NoSuchKey", "The specified key does not exist.", "4442587FB7D0A2F9");
    EXPECT_EQ(to_error(e, "s3", "GetObject").message,
              "s3 GetObject: NoSuchKey: The specified key does not exist. (request id "
              "4442587FB7D0A2F9)");
    EXPECT_EQ(to_error(e, "s3", "GetObject").code, Errc::not_found);
}

// botocore takes the id from the headers; a body-only answer still yields it.
TEST(AwsErrorsRestXml, RequestIdFromBodyWhenNoHeader) {
    const Response r{409,
                     {},
                     "<Error><Code>BucketAlreadyOwnedByYou</Code><Message>Your previous request "
                     "to create the named bucket succeeded and you already own it.</Message>"
                     "<BucketName>sockerless-payloads</BucketName>"
                     "<RequestId>K2H6N7ZGQT6WHCEG</RequestId></Error>"};
    const AwsError e = parse_rest_xml_error(r.view());
    EXPECT_EQ(e.code, "BucketAlreadyOwnedByYou");
    EXPECT_EQ(e.request_id, "K2H6N7ZGQT6WHCEG");
    EXPECT_EQ(to_error(e, "s3", "CreateBucket").code, Errc::conflict);
}

TEST(AwsErrorsRestXml, HeadHasNoBody) {
    const Response not_found{404, {{"x-amz-request-id", "0A49CE4060975EAC"}}, ""};
    const AwsError e = parse_rest_xml_error(not_found.view());
    expect_error(e, 404, "404", "Not Found", "0A49CE4060975EAC");
    EXPECT_EQ(to_error(e, "s3", "HeadObject").code, Errc::not_found);

    const Response not_modified{304, {}, ""};
    EXPECT_EQ(to_error(parse_rest_xml_error(not_modified.view()), "s3", "GetObject").code,
              Errc::not_modified);
    const Response forbidden{403, {}, ""};
    EXPECT_EQ(to_error(parse_rest_xml_error(forbidden.view()), "s3", "HeadBucket").code,
              Errc::forbidden);
}

TEST(AwsErrorsRestXml, PreconditionFailedAndSlowDown) {
    const Response precondition{
        412,
        {{"x-amz-request-id", "1D5H9EXAMPLE"}},
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PreconditionFailed</Code>"
        "<Message>At least one of the pre-conditions you specified did not hold</Message>"
        "<Condition>If-Match</Condition><RequestId>1D5H9EXAMPLE</RequestId></Error>"};
    EXPECT_EQ(to_error(parse_rest_xml_error(precondition.view()), "s3", "PutObject").code,
              Errc::conflict);
    const Response slow{503,
                        {{"x-amz-request-id", "2E6I0EXAMPLE"}},
                        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate."
                        "</Message><RequestId>2E6I0EXAMPLE</RequestId></Error>"};
    const AwsError e = parse_rest_xml_error(slow.view());
    EXPECT_EQ(e.code, "SlowDown");
    EXPECT_TRUE(is_throttling_code(e.code));
    EXPECT_EQ(to_error(e, "s3", "PutObject").code, Errc::unavailable);
}

TEST(AwsErrorsRestXml, SignatureMismatchIsUnauthorizedAccessDeniedForbidden) {
    const Response sig{403,
                       {},
                       "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature "
                       "we calculated does not match the signature you provided. Check your key "
                       "and signing method.</Message><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE"
                       "</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256...</StringToSign>"
                       "<RequestId>3F7J1EXAMPLE</RequestId></Error>"};
    EXPECT_EQ(to_error(parse_rest_xml_error(sig.view()), "s3", "PutObject").code,
              Errc::unauthorized);
    const Response denied{403,
                          {},
                          "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
                          "<RequestId>4G8K2EXAMPLE</RequestId></Error>"};
    EXPECT_EQ(to_error(parse_rest_xml_error(denied.view()), "s3", "PutObject").code,
              Errc::forbidden);
}

TEST(AwsErrorsRestXml, ErrorResponseWrapper) {
    const Response r{400,
                     {},
                     "<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
                     "<Error><Type>Sender</Type><Code>InvalidInput</Code>"
                     "<Message>Invalid resource type: foo</Message></Error>"
                     "<RequestId>5b8c1d2e-request-id</RequestId></ErrorResponse>"};
    const AwsError e = parse_rest_xml_error(r.view());
    expect_error(e, 400, "InvalidInput", "Invalid resource type: foo", "5b8c1d2e-request-id");
    EXPECT_EQ(classify(e.code, e.http_status), Errc::invalid_argument);
}

TEST(AwsErrorsRestXml, UnreadableBodiesFallBackToStatus) {
    for (const char* body : {"<Error><Code>Unclosed", "<html><body>Bad Gateway</body></html>",
                             "<Other><Code>X</Code></Other>", "plain text"}) {
        const Response r{502, {{"x-amz-request-id", "ABC"}}, body};
        expect_error(parse_rest_xml_error(r.view()), 502, "502", "Bad Gateway", "ABC");
    }
}

// ---- EC2 query ----------------------------------------------------------------------------------

TEST(AwsErrorsEc2, SubnetNotFound) {
    const Response r{400,
                     {{"x-amzn-requestid", "ba7f1e1c-5d6e-4f1b-9c31-7f2b4b0f0e11"}},
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<Response><Errors><Error><Code>InvalidSubnetID.NotFound</Code>"
                     "<Message>The subnet ID 'subnet-0a1b2c3d' does not exist</Message></Error>"
                     "</Errors><RequestID>ba7f1e1c-5d6e-4f1b-9c31-7f2b4b0f0e11</RequestID>"
                     "</Response>"};
    const AwsError e = parse_ec2_error(r.view());
    expect_error(e, 400, "InvalidSubnetID.NotFound",
                 "The subnet ID 'subnet-0a1b2c3d' does not exist",
                 "ba7f1e1c-5d6e-4f1b-9c31-7f2b4b0f0e11");
    EXPECT_EQ(to_error(e, "ec2", "DescribeSubnets").code, Errc::not_found);
}

TEST(AwsErrorsEc2, CodesAcrossTheFamilies) {
    struct Case {
        std::string_view code;
        int status;
        Errc want;
    };
    for (const Case& c : {Case{"AuthFailure", 401, Errc::unauthorized},
                          Case{"UnauthorizedOperation", 403, Errc::forbidden},
                          Case{"RequestLimitExceeded", 503, Errc::unavailable},
                          Case{"InvalidParameterValue", 400, Errc::invalid_argument},
                          Case{"InvalidGroup.Duplicate", 400, Errc::conflict},
                          Case{"InvalidNetworkInterface.InUse", 400, Errc::conflict},
                          Case{"InvalidNetworkInterfaceID.Malformed", 400, Errc::invalid_argument},
                          Case{"DependencyViolation", 400, Errc::conflict},
                          Case{"NetworkInterfaceLimitExceeded", 400, Errc::forbidden},
                          Case{"InsufficientFreeAddressesInSubnet", 400, Errc::unavailable},
                          Case{"Unavailable", 503, Errc::unavailable}}) {
        const std::string body =
            "<Response><Errors><Error><Code>" + std::string(c.code) +
            "</Code><Message>m</Message></Error></Errors><RequestID>id-1</RequestID></Response>";
        const Response r{c.status, {}, body};
        const AwsError e = parse_ec2_error(r.view());
        EXPECT_EQ(e.code, c.code);
        EXPECT_EQ(e.request_id, "id-1");
        EXPECT_EQ(to_error(e, "ec2", "CreateNetworkInterface").code, c.want) << c.code;
    }
}

TEST(AwsErrorsEc2, EncodedAuthorizationMessageIsKept) {
    const Response r{403,
                     {},
                     "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You "
                     "are not authorized to perform this operation. Encoded authorization failure "
                     "message: 4Gx9Kz_EXAMPLE</Message></Error></Errors>"
                     "<RequestID>7c1d2e3f-request</RequestID></Response>"};
    const Error err = to_error(parse_ec2_error(r.view()), "ec2", "CreateSecurityGroup");
    EXPECT_EQ(err.code, Errc::forbidden);
    EXPECT_EQ(err.message,
              "ec2 CreateSecurityGroup: UnauthorizedOperation: You are not authorized to perform "
              "this operation. Encoded authorization failure message: 4Gx9Kz_EXAMPLE (request id "
              "7c1d2e3f-request)");
}

TEST(AwsErrorsEc2, UnreadableBodiesFallBackToStatus) {
    const Response empty{503, {{"x-amzn-RequestId", "hdr-id"}}, ""};
    expect_error(parse_ec2_error(empty.view()), 503, "503", "Service Unavailable", "hdr-id");
    const Response odd{400, {}, "<Response><NoErrors/></Response>"};
    expect_error(parse_ec2_error(odd.view()), 400, "400", "Bad Request", "");
}

// ---- Classification -----------------------------------------------------------------------------

TEST(AwsErrorsClassify, TheIssueTable) {
    struct Case {
        std::string_view code;
        int status;
        Errc want;
    };
    const std::vector<Case> cases = {
        {"ResourceNotFoundException", 400, Errc::not_found},
        {"NoSuchKey", 404, Errc::not_found},
        {"NoSuchBucket", 404, Errc::not_found},
        {"ClusterNotFoundException", 400, Errc::not_found},
        {"ServiceNotFoundException", 400, Errc::not_found},
        {"MountTargetNotFound", 404, Errc::not_found},
        {"NoSuchUpload", 404, Errc::not_found},
        {"AccessDenied", 403, Errc::forbidden},
        {"AccessDeniedException", 400, Errc::forbidden},
        {"UnrecognizedClientException", 400, Errc::unauthorized},
        {"InvalidClientTokenId", 403, Errc::unauthorized},
        {"SignatureDoesNotMatch", 403, Errc::unauthorized},
        {"ExpiredToken", 400, Errc::unauthorized},
        {"ExpiredTokenException", 400, Errc::unauthorized},
        {"InvalidAccessKeyId", 403, Errc::unauthorized},
        {"RequestTimeTooSkewed", 403, Errc::unauthorized},
        {"InvalidParameterException", 400, Errc::invalid_argument},
        {"ValidationException", 400, Errc::invalid_argument},
        {"InvalidParameterValue", 400, Errc::invalid_argument},
        {"ClientException", 400, Errc::invalid_argument},
        {"MalformedPolicy", 400, Errc::invalid_argument},
        {"MalformedPolicyDocument", 400, Errc::invalid_argument},
        {"Throttling", 400, Errc::unavailable},
        {"ThrottlingException", 400, Errc::unavailable},
        {"TooManyRequestsException", 429, Errc::unavailable},
        {"LimitExceededException", 400, Errc::unavailable},  // botocore counts it as throttling
        {"SlowDown", 503, Errc::unavailable},
        {"ServiceUnavailable", 503, Errc::unavailable},
        {"ServerException", 500, Errc::unavailable},
        {"InternalError", 500, Errc::unavailable},
        {"ResourceInUseException", 400, Errc::conflict},
        {"ConflictException", 409, Errc::conflict},
        {"BucketAlreadyOwnedByYou", 409, Errc::conflict},
        {"BucketAlreadyExists", 409, Errc::conflict},
        {"ResourceAlreadyExistsException", 400, Errc::conflict},
        {"FileSystemAlreadyExists", 409, Errc::conflict},
        {"PreconditionFailed", 412, Errc::conflict},
        {"ClusterContainsTasksException", 400, Errc::conflict},
        {"InvalidSequenceTokenException", 400, Errc::conflict},  // state, not a bad argument
        {"IncorrectFileSystemLifeCycleState", 409, Errc::conflict},
        {"NotModified", 304, Errc::not_modified},
        {"UnsupportedFeatureException", 400, Errc::not_implemented},
        {"NotImplemented", 501, Errc::not_implemented},
        {"RequestTimeout", 400, Errc::timeout},
        {"TargetNotConnectedException", 400, Errc::unavailable},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(classify(c.code, c.status), c.want) << c.code;
    }
}

TEST(AwsErrorsClassify, UnknownCodesFallBackToStatusThenInternal) {
    EXPECT_EQ(classify("304", 304), Errc::not_modified);
    EXPECT_EQ(classify("SomethingNew", 401), Errc::unauthorized);
    EXPECT_EQ(classify("SomethingNew", 403), Errc::forbidden);
    EXPECT_EQ(classify("SomethingNew", 404), Errc::not_found);
    EXPECT_EQ(classify("SomethingNew", 409), Errc::conflict);
    EXPECT_EQ(classify("412", 412), Errc::conflict);
    EXPECT_EQ(classify("SomethingNew", 429), Errc::unavailable);
    EXPECT_EQ(classify("SomethingNew", 500), Errc::unavailable);
    EXPECT_EQ(classify("SomethingNew", 599), Errc::unavailable);
    EXPECT_EQ(classify("SomethingNew", 400), Errc::internal);
    EXPECT_EQ(classify("", 0), Errc::internal);
    // A known code decides even against its status.
    EXPECT_EQ(classify("ClusterNotFoundException", 400), Errc::not_found);
    EXPECT_EQ(classify("AccessDenied", 404), Errc::forbidden);
}

TEST(AwsErrorsClassify, RetryCodeLists) {
    for (std::string_view code :
         {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
          "TooManyRequestsException", "ProvisionedThroughputExceededException",
          "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
          "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
          "EC2ThrottledException"}) {
        EXPECT_TRUE(is_throttling_code(code)) << code;
        EXPECT_EQ(classify(code, 400), Errc::unavailable) << code;
    }
    EXPECT_FALSE(is_throttling_code("throttling"));  // codes are case-sensitive
    EXPECT_FALSE(is_throttling_code(""));
    for (std::string_view code :
         {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}) {
        EXPECT_TRUE(is_transient_code(code)) << code;
    }
    EXPECT_FALSE(is_transient_code("ServiceUnavailable"));
}

// ---- Formatting and headers ---------------------------------------------------------------------

TEST(AwsErrorsFormat, PartsAreOmittedWhenEmpty) {
    EXPECT_EQ(to_error(AwsError{404, "NoSuchBucket", "", ""}, "s3", "ListObjectsV2").message,
              "s3 ListObjectsV2: NoSuchBucket");
    EXPECT_EQ(to_error(AwsError{400, "ClientException", "bad", ""}, "ecs", "RegisterTaskDefinition")
                  .message,
              "ecs RegisterTaskDefinition: ClientException: bad");
    EXPECT_EQ(to_error(AwsError{500, "", "", "rid"}, "ecs", "DescribeTasks").message,
              "ecs DescribeTasks: HTTP 500 (request id rid)");
}

TEST(AwsErrorsFormat, HeaderLookupIgnoresCase) {
    const std::vector<NameValue> headers = {{"X-Amzn-RequestId", "a"}, {"x-amz-id-2", "b"}};
    EXPECT_EQ(header_value(headers, "x-amzn-requestid"), "a");
    EXPECT_EQ(header_value(headers, "X-AMZ-ID-2"), "b");
    EXPECT_EQ(header_value(headers, "x-amz-request-id"), "");
}

}  // namespace
}  // namespace sockerless::aws
