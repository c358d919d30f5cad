#include "aws/sigv4.h"

#include <gtest/gtest.h>

#include "base/hex.h"

// Expected values: the AWS-published examples (IAM ListUsers from the General Reference, the S3
// GET-object and presigned-URL examples from the S3 API reference) and edge cases, all derived by
// running botocore 1.43 (SigV4Auth, S3SigV4Auth, S3SigV4QueryAuth) with the clock fixed, not
// written from memory. tests/aws/sigv4_botocore_diff.py checks thousands more at random.

namespace sockerless::aws {
namespace {

using namespace std::chrono;

const Credentials iam_example{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const Credentials s3_example{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                             ""};
constexpr std::string_view kToken = "FwoGZXIvYXdzEXAMPLE/TOKEN+=";

constexpr system_clock::time_point at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

constexpr system_clock::time_point kIamTime = at(2015, 8, 30, 12, 36, 0);
constexpr system_clock::time_point kS3Time = at(2013, 5, 24, 0, 0, 0);
constexpr system_clock::time_point kLeapTime = at(2024, 2, 29, 23, 59, 59);

std::string header(const HttpRequest& req, std::string_view name) {
    for (const auto& [n, v] : req.headers) {
        if (n == name) return v;
    }
    return "<missing>";
}

std::string authorization(std::string_view creds_and_scope, std::string_view signed_headers,
                          std::string_view sig) {
    return "AWS4-HMAC-SHA256 Credential=" + std::string(creds_and_scope) +
           ", SignedHeaders=" + std::string(signed_headers) + ", Signature=" + std::string(sig);
}

HttpRequest iam_list_users() {
    return HttpRequest{
        .method = "GET",
        .host = "iam.amazonaws.com",
        .path = "/",
        .query = {{"Action", "ListUsers"}, {"Version", "2010-05-08"}},
        .headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
    };
}

// ---- Published examples ------------------------------------------------------------------------

TEST(SigV4, IamListUsersIntermediateSteps) {
    HttpRequest req = iam_list_users();
    req.headers.emplace_back("X-Amz-Date", amz_date(kIamTime));
    const std::string cr = canonical_request(req, "iam");
    EXPECT_EQ(cr,
              "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
              "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
              "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
              "content-type;host;x-amz-date\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const std::string scope = credential_scope("20150830", "us-east-1", "iam");
    EXPECT_EQ(scope, "20150830/us-east-1/iam/aws4_request");
    const std::string sts = string_to_sign("20150830T123600Z", scope, cr);
    EXPECT_EQ(sts,
              "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
              "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
    const std::string key =
        signing_key(iam_example.secret_access_key, "20150830", "us-east-1", "iam");
    ASSERT_EQ(key.size(), 32u);
    EXPECT_EQ(signature(key, sts),
              "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, SigningKeyMatchesPublishedDerivation) {
    const std::string key =
        signing_key(iam_example.secret_access_key, "20150830", "us-east-1", "iam");
    const auto* bytes = reinterpret_cast<const unsigned char*>(key.data());
    EXPECT_EQ(hex_encode(std::span<const unsigned char>(bytes, key.size())),
              "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST(SigV4, IamListUsersSignAddsDateAndAuthorization) {
    HttpRequest req = iam_list_users();
    sign(req, iam_example, "us-east-1", "iam", kIamTime);
    ASSERT_EQ(req.headers.size(), 3u);
    EXPECT_EQ(req.headers[1], (NameValue{"X-Amz-Date", "20150830T123600Z"}));
    EXPECT_EQ(req.headers[2],
              (NameValue{"Authorization",
                         authorization("AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
                                       "content-type;host;x-amz-date",
                                       "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b"
                                       "5924a6f2b5d7")}));
}

TEST(SigV4, S3GetObjectWithRange) {
    HttpRequest req{.method = "GET",
                    .host = "examplebucket.s3.amazonaws.com",
                    .path = "/test.txt",
                    .headers = {{"Range", "bytes=0-9"}}};
    sign(req, s3_example, "us-east-1", "s3", kS3Time);
    EXPECT_EQ(header(req, "X-Amz-Content-SHA256"),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(header(req, "Authorization"),
              authorization("AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
                            "host;range;x-amz-content-sha256;x-amz-date",
                            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
}

TEST(SigV4, S3PresignedGetObject) {
    HttpRequest req{.method = "GET", .host = "examplebucket.s3.amazonaws.com", .path = "/test.txt"};
    EXPECT_EQ(presign_url(req, s3_example, "us-east-1", "s3", kS3Time, {.expires = hours{24}}),
              "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
              "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
              "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
              "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

// ---- Edge cases --------------------------------------------------------------------------------

TEST(SigV4, SessionTokenIsAddedAndSigned) {
    HttpRequest req{
        .method = "POST",
        .host = "ecs.us-east-1.amazonaws.com",
        .path = "/",
        .headers = {{"Content-Type", "application/x-amz-json-1.1"},
                    {"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"}},
        .body = "{}"};
    const Credentials creds{iam_example.access_key_id, iam_example.secret_access_key,
                            std::string(kToken)};
    sign(req, creds, "us-east-1", "ecs", kLeapTime);
    EXPECT_EQ(header(req, "X-Amz-Date"), "20240229T235959Z");
    EXPECT_EQ(header(req, "X-Amz-Security-Token"), kToken);
    EXPECT_EQ(header(req, "X-Amz-Content-SHA256"), "<missing>");
    EXPECT_EQ(header(req, "Authorization"),
              authorization("AKIDEXAMPLE/20240229/us-east-1/ecs/aws4_request",
                            "content-type;host;x-amz-date;x-amz-security-token;x-amz-target",
                            "04bf6e922ca6d887f9a107c530faef1636b2a9857d53e56f9bd90787cb9533bd"));
}

TEST(SigV4, NonS3PathIsNormalisedAndEncodedTwice) {
    HttpRequest req{.method = "GET",
                    .host = "elasticfilesystem.us-east-1.amazonaws.com",
                    .path = "/2015-02-01/a b/\xc3\xbc/./x/../y//z/"};
    EXPECT_EQ(encoded_path(req), "/2015-02-01/a%20b/%C3%BC/./x/../y//z/");
    EXPECT_EQ(canonical_uri(req.path, true), "/2015-02-01/a%2520b/%25C3%25BC/y/z/");
    sign(req, iam_example, "us-east-1", "elasticfilesystem", kLeapTime);
    EXPECT_EQ(header(req, "Authorization"),
              authorization("AKIDEXAMPLE/20240229/us-east-1/elasticfilesystem/aws4_request",
                            "host;x-amz-date",
                            "ae2db21bc15195825d9ac2ee1f9e549638d9b437eec1a1ee31583251c1863f13"));
}

TEST(SigV4, S3PathIsSignedAsSentWithUnsignedPayload) {
    HttpRequest req{.method = "PUT",
                    .host = "bucket.s3.amazonaws.com",
                    .path = "/a b/\xc3\xbc/./x/../y//z",
                    .body = "hello"};
    EXPECT_EQ(canonical_uri(req.path, false), "/a%20b/%C3%BC/./x/../y//z");
    sign(req, iam_example, "us-east-1", "s3", kLeapTime,
         {.payload = PayloadSigning::unsigned_payload});
    EXPECT_EQ(header(req, "X-Amz-Content-SHA256"), "UNSIGNED-PAYLOAD");
    EXPECT_EQ(header(req, "Authorization"),
              authorization("AKIDEXAMPLE/20240229/us-east-1/s3/aws4_request",
                            "host;x-amz-content-sha256;x-amz-date",
                            "c07c836974bee18e9977cd53344dea2b18152fbe0401b285317c676901823ce1"));
}

TEST(SigV4, QueryEmptyValuesRepeatedKeysReservedAndUnicode) {
    HttpRequest req{.method = "GET",
                    .host = "ec2.us-east-1.amazonaws.com",
                    .path = "/",
                    .query = {{"b", ""},
                              {"a", "2"},
                              {"a", "1"},
                              {"a b", "x/y?z=&+"},
                              {"\xc3\xbc", "\xe2\x82\xac ~*"}}};
    EXPECT_EQ(canonical_query_string(req.query),
              "%C3%BC=%E2%82%AC%20~%2A&a=1&a=2&a%20b=x%2Fy%3Fz%3D%26%2B&b=");
    sign(req, iam_example, "us-east-1", "ec2", kLeapTime);
    EXPECT_EQ(header(req, "Authorization"),
              authorization("AKIDEXAMPLE/20240229/us-east-1/ec2/aws4_request", "host;x-amz-date",
                            "5f9a21d1f74eabec4554b6ee96bc50ab0709bb64183ffdecb26be83a6a192e6e"));
}

TEST(SigV4, HeadersAreTrimmedCollapsedJoinedAndFiltered) {
    HttpRequest req{.method = "GET",
                    .host = "logs.us-east-1.amazonaws.com",
                    .path = "/",
                    .headers = {{"X-Custom", "  a   b \t c  "},
                                {"x-custom", "second"},
                                {"X-CUSTOM", "third   one"},
                                {"User-Agent", "sockerless/0.1"},
                                {"Connection", "keep-alive"}}};
    const CanonicalHeaders ch = canonical_headers(req.headers, req.host);
    EXPECT_EQ(ch.block, "host:logs.us-east-1.amazonaws.com\nx-custom:a b c,second,third one\n");
    EXPECT_EQ(ch.signed_headers, "host;x-custom");
    sign(req, iam_example, "us-east-1", "logs", kLeapTime);
    EXPECT_EQ(header(req, "Authorization"),
              authorization("AKIDEXAMPLE/20240229/us-east-1/logs/aws4_request",
                            "host;x-amz-date;x-custom",
                            "ea059aa1fd299c7e3eeb41b032cf10f802720cf5846c18e0ea33ad0f95d48c2c"));
}

TEST(SigV4, PresignWithSessionTokenAndOperationParameters) {
    HttpRequest req{.method = "GET",
                    .host = "bucket.s3.amazonaws.com",
                    .path = "/dir/my file.txt",
                    .query = {{"response-content-disposition", "attachment; filename=\"a b.txt\""},
                              {"versionId", "v1"}}};
    const Credentials creds{iam_example.access_key_id, iam_example.secret_access_key,
                            std::string(kToken)};
    EXPECT_EQ(
        presign_url(req, creds, "us-east-1", "s3", kLeapTime, {.expires = seconds{300}}),
        "https://bucket.s3.amazonaws.com/dir/my%20file.txt"
        "?response-content-disposition=attachment%3B%20filename%3D%22a%20b.txt%22&versionId=v1"
        "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIDEXAMPLE%2F20240229%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20240229T235959Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host"
        "&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE%2FTOKEN%2B%3D"
        "&X-Amz-Signature=effe20c20f313d23001ee7d1aea37f8b3209570b0aa7768e64c227197f08bc1a");
}

TEST(SigV4, ResigningReplacesOwnedHeadersInsteadOfDuplicatingThem) {
    HttpRequest req = iam_list_users();
    req.headers.emplace_back("x-amz-date", "19990101T000000Z");
    req.headers.emplace_back("authorization", "stale");
    sign(req, iam_example, "us-east-1", "iam", kS3Time);
    sign(req, iam_example, "us-east-1", "iam", kIamTime);
    HttpRequest fresh = iam_list_users();
    sign(fresh, iam_example, "us-east-1", "iam", kIamTime);
    EXPECT_EQ(req.headers, fresh.headers);
}

TEST(SigV4, ContentSha256HeaderOnRequestForOtherServices) {
    HttpRequest req{.method = "POST", .host = "logs.us-east-1.amazonaws.com", .body = "x"};
    sign(req, iam_example, "us-east-1", "logs", kLeapTime, {.content_sha256_header = true});
    EXPECT_EQ(header(req, "X-Amz-Content-SHA256"), sha256_hex("x"));
    EXPECT_NE(header(req, "Authorization").find("host;x-amz-content-sha256;x-amz-date"),
              std::string::npos);
}

TEST(SigV4, ExplicitHostHeaderWinsOverRequestHost) {
    const CanonicalHeaders ch = canonical_headers({{"Host", "Example.com:8080"}}, "ignored");
    EXPECT_EQ(ch.block, "host:Example.com:8080\n");
}

// ---- Encoding pieces ---------------------------------------------------------------------------

TEST(SigV4Encoding, Sha256OfEmptyInput) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigV4Encoding, UriEncodeKeepsOnlyUnreservedAndOptionallySlash) {
    EXPECT_EQ(uri_encode("AZaz09-_.~", false), "AZaz09-_.~");
    EXPECT_EQ(uri_encode("a/b c+%*", false), "a%2Fb%20c%2B%25%2A");
    EXPECT_EQ(uri_encode("a/b c", true), "a/b%20c");
    EXPECT_EQ(uri_encode(std::string_view("\x00\xff", 2), false), "%00%FF");
    EXPECT_EQ(uri_encode("\xe2\x82\xac", true), "%E2%82%AC");
}

TEST(SigV4Encoding, RemoveDotSegments) {
    EXPECT_EQ(remove_dot_segments("/"), "/");
    EXPECT_EQ(remove_dot_segments("//"), "/");
    EXPECT_EQ(remove_dot_segments("/a/./b/../c/"), "/a/c/");
    EXPECT_EQ(remove_dot_segments("/../../a"), "/a");
    EXPECT_EQ(remove_dot_segments("/a/.."), "/");
    EXPECT_EQ(remove_dot_segments("/a//b"), "/a/b");
    EXPECT_EQ(remove_dot_segments("/a/..."), "/a/...");
}

TEST(SigV4Encoding, EmptyPathIsRoot) {
    EXPECT_EQ(canonical_uri("", true), "/");
    EXPECT_EQ(canonical_uri("", false), "/");
    EXPECT_EQ(encoded_path(HttpRequest{}), "/");
}

TEST(SigV4Encoding, AmzDateIsUtcSecondsPrecision) {
    EXPECT_EQ(amz_date(kLeapTime + milliseconds{999}), "20240229T235959Z");
    EXPECT_EQ(amz_date(system_clock::time_point{}), "19700101T000000Z");
}

TEST(SigV4Encoding, QueryEmptyAndSortedByEncodedName) {
    EXPECT_EQ(canonical_query_string({}), "");
    // Sorting is on the encoded bytes: '{' sorts after '0' raw but "%7B" sorts before it.
    EXPECT_EQ(canonical_query_string({{"a0", "1"}, {"a{", "2"}}), "a%7B=2&a0=1");
}

}  // namespace
}  // namespace sockerless::aws
