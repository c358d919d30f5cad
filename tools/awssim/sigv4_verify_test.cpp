#include "sigv4_verify.h"

#include <gtest/gtest.h>

#include "sigv2_query.h"

namespace sockerless::awssim {
namespace {

constexpr std::string_view kAkid = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

SigV4Config config_with(std::string_view akid, std::string_view secret) {
    SigV4Config c;
    c.secret_for = [akid = std::string(akid), secret = std::string(secret)](
                       std::string_view key) -> std::optional<std::string> {
        if (key != akid) return std::nullopt;
        return secret;
    };
    c.region = "us-east-1";
    return c;
}

SigV4Config config() {
    return config_with(kAkid, kSecret);
}

std::chrono::system_clock::time_point at(std::string_view amz_date) {
    return *parse_amz_date(amz_date);
}

SigV4Request get_request(std::string target, std::string amz_date, std::string authorization) {
    SigV4Request r;
    r.method = "GET";
    r.target = std::move(target);
    r.headers = {{"Host", "example.amazonaws.com"},
                 {"X-Amz-Date", std::move(amz_date)},
                 {"Authorization", std::move(authorization)}};
    return r;
}

// The "get-vanilla" case of AWS's published SigV4 test suite.
SigV4Request vanilla() {
    return get_request(
        "/", "20150830T123600Z",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

// Signed by botocore 1.43 (SigV4Auth) with the example credentials.
SigV4Request botocore_post() {
    SigV4Request r;
    r.method = "POST";
    r.target = "/a%20b/c";
    r.body = "{}";
    r.headers = {{"Host", "127.0.0.1:4566"},
                 {"X-Amz-Target", "X.Y"},
                 {"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Date", "20261124T020044Z"},
                 {"Authorization",
                  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/ecs/aws4_request, "
                  "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                  "Signature=63b0e2c6f39ae7449397802dde2b3cee313abba12e7c45d19dac9417a9ec6256"}};
    return r;
}

TEST(SigV4Verify, AcceptsAwsTestSuiteGetVanilla) {
    auto scope = verify_sigv4(vanilla(), config(), at("20150830T123600Z"));
    ASSERT_TRUE(scope.has_value()) << scope.error().message;
    EXPECT_EQ(scope->access_key, "AKIDEXAMPLE");
    EXPECT_EQ(scope->service, "service");
    EXPECT_EQ(scope->date, "20150830");
}

TEST(SigV4Verify, SortsQueryParameters) {
    auto r = get_request("/?Param2=value2&Param1=value1", "20261124T020044Z",
                         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/service/"
                         "aws4_request, SignedHeaders=host;x-amz-date, Signature="
                         "5f8c757b2588d16f72bb5f1cbb439e320691baa14cbe5b465f35c491241b8f18");
    EXPECT_TRUE(verify_sigv4(r, config(), at("20261124T020044Z")).has_value());
}

TEST(SigV4Verify, DoubleEncodesPathForNonS3Services) {
    auto r = botocore_post();
    auto scope = verify_sigv4(r, config(), at("20261124T020100Z"));
    ASSERT_TRUE(scope.has_value()) << scope.error().message;
    auto canonical = canonical_request(r, {"host"}, true);
    EXPECT_EQ(canonical.substr(0, canonical.find('\n', 5)), "POST\n/a%2520b/c");
}

TEST(SigV4Verify, WrongSecretIsInvalidSignature) {
    auto c = config_with(kAkid, "wrong");
    auto result = verify_sigv4(vanilla(), c, at("20150830T123600Z"));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().status, 403);
    EXPECT_EQ(result.error().code, "InvalidSignatureException");
    EXPECT_EQ(result.error().message,
              "The request signature we calculated does not match the signature you provided. "
              "Check your AWS Secret Access Key and signing method. Consult the service "
              "documentation for details.");
}

TEST(SigV4Verify, TamperedBodyOrHeaderIsInvalidSignature) {
    auto body = botocore_post();
    body.body = "{\"a\":1}";
    EXPECT_EQ(verify_sigv4(body, config(), at("20261124T020044Z")).error().code,
              "InvalidSignatureException");
    auto header = botocore_post();
    header.headers[1].second = "X.Z";
    EXPECT_EQ(verify_sigv4(header, config(), at("20261124T020044Z")).error().code,
              "InvalidSignatureException");
}

TEST(SigV4Verify, UnknownAccessKeyIsUnrecognizedClient) {
    auto c = config_with("other", "x");
    auto result = verify_sigv4(vanilla(), c, at("20150830T123600Z"));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().status, 403);
    EXPECT_EQ(result.error().code, "UnrecognizedClientException");
    EXPECT_EQ(result.error().message, "The security token included in the request is invalid.");
}

TEST(SigV4Verify, MissingAuthorizationIsMissingToken) {
    auto r = vanilla();
    r.headers.pop_back();
    auto result = verify_sigv4(r, config(), at("20150830T123600Z"));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, "MissingAuthenticationTokenException");
    EXPECT_EQ(result.error().message, "Missing Authentication Token");
}

TEST(SigV4Verify, RejectsSignaturesOutsideFifteenMinutes) {
    auto late = verify_sigv4(vanilla(), config(), at("20150830T125101Z"));
    ASSERT_FALSE(late.has_value());
    EXPECT_EQ(late.error().code, "InvalidSignatureException");
    EXPECT_EQ(late.error().message,
              "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
              "(20150830T125101Z - 15 min.)");
    EXPECT_TRUE(verify_sigv4(vanilla(), config(), at("20150830T125100Z")).has_value());
    auto early = verify_sigv4(vanilla(), config(), at("20150830T122059Z"));
    ASSERT_FALSE(early.has_value());
    EXPECT_EQ(early.error().message.rfind("Signature not yet current: 20150830T123600Z", 0), 0u);
}

TEST(SigV4Verify, WrongRegionIsRejected) {
    auto c = config();
    c.region = "eu-west-1";
    EXPECT_EQ(verify_sigv4(vanilla(), c, at("20150830T123600Z")).error().code,
              "InvalidSignatureException");
}

TEST(SigV4Verify, MalformedAuthorizationIsIncompleteSignature) {
    for (const char* header :
         {"AWS4-HMAC-SHA256", "Bearer abc", "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request",
          "AWS4-HMAC-SHA256 Credential=AKID/2015/us-east-1/x, SignedHeaders=host, Signature=00"}) {
        auto parsed = parse_authorization(header);
        ASSERT_FALSE(parsed.has_value()) << header;
        EXPECT_EQ(parsed.error().code, "IncompleteSignatureException") << header;
        EXPECT_EQ(parsed.error().status, 403);
    }
}

TEST(SigV4Verify, ParsesAuthorizationWithoutSpaces) {
    auto parsed = parse_authorization(
        "AWS4-HMAC-SHA256 Credential=AK/20200101/r/s/aws4_request,SignedHeaders=Host;X-Amz-Date,"
        "Signature=ABCD");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->access_key, "AK");
    EXPECT_EQ(parsed->region, "r");
    EXPECT_EQ(parsed->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
    EXPECT_EQ(parsed->signature, "abcd");
}

TEST(SigV4Verify, UriEncodeAndDates) {
    EXPECT_EQ(uri_encode("a b/c~d-_.é", true), "a%20b/c~d-_.%C3%A9");
    EXPECT_EQ(uri_encode("a/b+c", false), "a%2Fb%2Bc");
    EXPECT_FALSE(parse_amz_date("2015-08-30T12:36:00Z").has_value());
    EXPECT_FALSE(parse_amz_date("20151330T123600Z").has_value());
    EXPECT_EQ(format_amz_date(at("20150830T123600Z")), "20150830T123600Z");
}

// Presigned by botocore 1.43 (generate_presigned_url, s3v4) at 20261124T020044Z for 600 s.
constexpr std::string_view kPresignedGet =
    "/bkt/dir/a%20b%2Bc.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F"
    "20261124%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261124T020044Z&X-Amz-Expires=600&"
    "X-Amz-SignedHeaders=host&X-Amz-Signature="
    "01e23b328dc8fd1d06c7e1a694ab3f5bebf5dfc33066b51d6655ba9e38fc60bd";

// The same with session credentials (token "tok/en+1"), for PUT, 60 s.
constexpr std::string_view kPresignedSessionPut =
    "/bkt/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20261124%2F"
    "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261124T020044Z&X-Amz-Expires=60&"
    "X-Amz-SignedHeaders=host&X-Amz-Security-Token=tok%2Fen%2B1&X-Amz-Signature="
    "b7ea7236c4cb04ea06e49aa7eac785b2dc1940eb51fd1b62a106029ee48f56d3";

SigV4Request presigned(std::string_view target, std::string method = "GET") {
    SigV4Request r;
    r.method = std::move(method);
    r.target = std::string(target);
    r.headers = {{"Host", "127.0.0.1:4566"}};
    return r;
}

std::string replace(std::string_view s, std::string_view from, std::string_view to) {
    std::string out(s);
    out.replace(out.find(from), from.size(), to);
    return out;
}

TEST(SigV4Presigned, AcceptsBotocorePresignedUrl) {
    EXPECT_TRUE(is_presigned(kPresignedGet));
    EXPECT_FALSE(is_presigned("/bkt/k?X-Amz-Date=1"));
    auto scope = verify_sigv4(presigned(kPresignedGet), config(), at("20261124T020500Z"));
    ASSERT_TRUE(scope.has_value()) << scope.error().message;
    EXPECT_TRUE(scope->presigned);
    EXPECT_EQ(scope->service, "s3");
    EXPECT_EQ(scope->access_key, "AKIDEXAMPLE");
    EXPECT_EQ(scope->session_token, "");
}

TEST(SigV4Presigned, CarriesTheSessionTokenFromTheQuery) {
    auto c = config_with("ASIAEXAMPLE", kSecret);
    auto scope = verify_sigv4(presigned(kPresignedSessionPut, "PUT"), c, at("20261124T020044Z"));
    ASSERT_TRUE(scope.has_value()) << scope.error().message;
    EXPECT_EQ(scope->session_token, "tok/en+1");
}

TEST(SigV4Presigned, ExpiresAfterXAmzExpires) {
    EXPECT_TRUE(verify_sigv4(presigned(kPresignedGet), config(), at("20261124T021044Z")));
    auto late = verify_sigv4(presigned(kPresignedGet), config(), at("20261124T021045Z"));
    ASSERT_FALSE(late.has_value());
    EXPECT_EQ(late.error().code, "RequestExpired");
    EXPECT_EQ(late.error().status, 403);
    EXPECT_EQ(late.error().message, "Request has expired");
    auto early = verify_sigv4(presigned(kPresignedGet), config(), at("20261124T014000Z"));
    ASSERT_FALSE(early.has_value());
    EXPECT_EQ(early.error().message, "Request is not yet valid");
}

TEST(SigV4Presigned, TamperingBreaksTheSignature) {
    for (const auto& target :
         {replace(kPresignedGet, "a%20b", "a%20c"),
          replace(kPresignedGet, "X-Amz-Expires=600", "X-Amz-Expires=900"),
          replace(kPresignedGet, "X-Amz-Signature=01", "X-Amz-Signature=02")}) {
        auto result = verify_sigv4(presigned(target), config(), at("20261124T020500Z"));
        ASSERT_FALSE(result.has_value()) << target;
        EXPECT_EQ(result.error().code, "InvalidSignatureException") << target;
    }
    auto other_method =
        verify_sigv4(presigned(kPresignedGet, "PUT"), config(), at("20261124T020500Z"));
    EXPECT_EQ(other_method.error().code, "InvalidSignatureException");
}

TEST(SigV4Presigned, MalformedQueryAuthIsIncomplete) {
    auto missing = verify_sigv4(presigned(replace(kPresignedGet, "X-Amz-Expires=600&", "")),
                                config(), at("20261124T020500Z"));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, "IncompleteSignatureException");
    auto week =
        verify_sigv4(presigned(replace(kPresignedGet, "X-Amz-Expires=600", "X-Amz-Expires=604801")),
                     config(), at("20261124T020500Z"));
    EXPECT_EQ(week.error().message,
              "X-Amz-Expires must be less than a week (in seconds) that is 604800");
    auto algorithm =
        verify_sigv4(presigned(replace(kPresignedGet, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1")),
                     config(), at("20261124T020500Z"));
    EXPECT_EQ(algorithm.error().code, "IncompleteSignatureException");
    auto unknown =
        verify_sigv4(presigned(kPresignedGet), config_with("other", "x"), at("20261124T020500Z"));
    EXPECT_EQ(unknown.error().code, "UnrecognizedClientException");
}

TEST(SigV4Presigned, DecodesQueryParameters) {
    auto params = decode_query("/p?a=1&b=x%2Fy&c&=d");
    ASSERT_EQ(params.size(), 4u);
    EXPECT_EQ(params[1], (std::pair<std::string, std::string>{"b", "x/y"}));
    EXPECT_EQ(params[2], (std::pair<std::string, std::string>{"c", ""}));
    EXPECT_EQ(params[3], (std::pair<std::string, std::string>{"", "d"}));
    EXPECT_TRUE(decode_query("/p").empty());
}

// Presigned by botocore 1.43's default S3 presigner (SigV2 query auth, HmacV1QueryAuth) with a
// session token, expiring at 1795500600.
constexpr std::string_view kSigV2Get =
    "/bkt/dir/a%20b%2Bc.txt?response-content-type=text%2Fplain&AWSAccessKeyId=AKIDEXAMPLE&"
    "Signature=sKrGif%2ByRjLNfX4VccVSe7TPbn4%3D&x-amz-security-token=tok%2Fen%2B1&"
    "Expires=1795500600";

TEST(SigV2Query, AcceptsBotocoreDefaultPresignedUrl) {
    EXPECT_TRUE(is_presigned(kSigV2Get));
    EXPECT_TRUE(is_sigv2_presigned(kSigV2Get));
    EXPECT_FALSE(is_sigv2_presigned(kPresignedGet));
    auto request = presigned(kSigV2Get);
    EXPECT_EQ(sigv2_string_to_sign(request, "1795500600"),
              "GET\n\n\n1795500600\nx-amz-security-token:tok/en+1\n"
              "/bkt/dir/a%20b%2Bc.txt?response-content-type=text/plain");
    auto now = std::chrono::system_clock::from_time_t(1795500000);
    auto scope = verify_sigv4(request, config(), now);
    ASSERT_TRUE(scope.has_value()) << scope.error().message;
    EXPECT_EQ(scope->service, "s3");
    EXPECT_EQ(scope->region, "us-east-1");
    EXPECT_EQ(scope->session_token, "tok/en+1");
    EXPECT_TRUE(scope->presigned);
}

TEST(SigV2Query, RejectsExpiredTamperedAndUnknown) {
    auto now = std::chrono::system_clock::from_time_t(1795500000);
    auto late = verify_sigv4(presigned(kSigV2Get), config(), now + std::chrono::seconds(601));
    EXPECT_EQ(late.error().code, "RequestExpired");
    auto tampered =
        verify_sigv4(presigned(replace(kSigV2Get, "text%2Fplain", "text%2Fhtml")), config(), now);
    EXPECT_EQ(tampered.error().code, "InvalidSignatureException");
    auto other_method = verify_sigv4(presigned(kSigV2Get, "PUT"), config(), now);
    EXPECT_EQ(other_method.error().code, "InvalidSignatureException");
    auto unknown = verify_sigv4(presigned(kSigV2Get), config_with("other", "x"), now);
    EXPECT_EQ(unknown.error().code, "UnrecognizedClientException");
    auto vhost = presigned(replace(kSigV2Get, "/bkt/dir", "/dir"));
    vhost.headers = {{"Host", "bkt.s3.localhost:4566"}};
    EXPECT_TRUE(verify_sigv4(vhost, config(), now).has_value());
}

}  // namespace
}  // namespace sockerless::awssim
