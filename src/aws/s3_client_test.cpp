#include "aws/s3_client.h"

#include <gtest/gtest.h>

#include "aws/client_test_support.h"
#include "aws/credentials_test_support.h"

// Bodies follow botocore 1.43's S3 model (s3/2006-03-01/service-2.json) and the S3 API
// reference's examples; request targets are what botocore sends with path-style addressing.

namespace sockerless::aws {
namespace {

using test_support::kNow;
using test_support::run;
using test_support::ScriptedServer;

TEST(S3Addressing, VirtualHostOnlyOnAwsForDnsNames) {
    Endpoint aws;
    aws.host = "s3.eu-west-1.amazonaws.com";
    Endpoint local;
    local.scheme = "http";
    local.host = "127.0.0.1";
    local.port = 4566;
    EXPECT_TRUE(use_virtual_host(aws, "sockerless-payloads"));
    EXPECT_FALSE(use_virtual_host(aws, "with.dots"));
    EXPECT_FALSE(use_virtual_host(aws, "Upper"));
    EXPECT_FALSE(use_virtual_host(aws, "ab"));
    EXPECT_FALSE(use_virtual_host(local, "sockerless-payloads"));
}

TEST(S3Bodies, ContentMd5IsBase64) {
    // RFC 1321's test vector for "", in base64.
    EXPECT_EQ(content_md5(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
    EXPECT_EQ(content_md5("abc"), "kAFQmDzST7DWlj99KOF/cg==");
}

TEST(S3Bodies, CreateBucketConfigurationOutsideUsEast1) {
    EXPECT_EQ(create_bucket_body("us-east-1"), "");
    EXPECT_EQ(create_bucket_body("eu-west-1"),
              "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
              "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
}

TEST(S3Bodies, Lifecycle) {
    LifecycleRule rule;
    rule.id = "expire <payloads>";
    rule.prefix = "payloads/";
    rule.expiration_days = 1;
    rule.abort_incomplete_multipart_days = 1;
    EXPECT_EQ(lifecycle_body({rule}),
              "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule>"
              "<ID>expire &lt;payloads&gt;</ID><Filter><Prefix>payloads/</Prefix></Filter>"
              "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"
              "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
              "</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>");
}

TEST(S3Bodies, EncryptionAndPublicAccessBlock) {
    EXPECT_EQ(encryption_body("aws:kms", "key-1", true),
              "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/"
              "\"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>"
              "<KMSMasterKeyID>key-1</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"
              "<BucketKeyEnabled>true</BucketKeyEnabled></Rule>"
              "</ServerSideEncryptionConfiguration>");
    PublicAccessBlock block;
    block.ignore_public_acls = false;
    EXPECT_EQ(public_access_block_body(block),
              "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
              "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls>"
              "<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true"
              "</RestrictPublicBuckets></PublicAccessBlockConfiguration>");
}

TEST(S3Parse, ListObjectsV2Truncated) {
    const auto page = parse_list_objects(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix>payloads%2F</Prefix>
  <KeyCount>2</KeyCount>
  <MaxKeys>2</MaxKeys>
  <EncodingType>url</EncodingType>
  <IsTruncated>true</IsTruncated>
  <Contents>
    <Key>payloads/c1/n1/payload.json</Key>
    <LastModified>2024-05-01T12:00:00.000Z</LastModified>
    <ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag>
    <Size>857</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>payloads/a+b%25c</Key>
    <LastModified>2024-05-01T12:00:01.000Z</LastModified>
    <ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>
    <Size>0</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)");
    ASSERT_TRUE(page.has_value()) << page.error().message;
    ASSERT_EQ(page->objects.size(), 2U);
    EXPECT_EQ(page->objects[0].key, "payloads/c1/n1/payload.json");
    EXPECT_EQ(page->objects[0].size, 857U);
    EXPECT_EQ(page->objects[0].etag, "\"599bab3ed2c697f1d26842727561fd94\"");
    EXPECT_EQ(page->objects[0].last_modified, "2024-05-01T12:00:00.000Z");
    EXPECT_EQ(page->objects[1].key, "payloads/a b%c");
    EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(S3Parse, ListObjectsV2LastPageAndMalformed) {
    const auto page = parse_list_objects(
        "<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount>"
        "</ListBucketResult>");
    ASSERT_TRUE(page.has_value());
    EXPECT_TRUE(page->objects.empty());
    EXPECT_EQ(page->next_continuation_token, "");
    EXPECT_FALSE(parse_list_objects("<Error><Code>x</Code></Error>").has_value());
    EXPECT_FALSE(parse_list_objects("not xml").has_value());
}

TEST(S3Parse, LifecycleRules) {
    auto rules = parse_lifecycle(
        "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Rule><ID>a</ID><Filter><Prefix>payloads/</Prefix></Filter><Status>Enabled</Status>"
        "<Expiration><Days>1</Days></Expiration><AbortIncompleteMultipartUpload>"
        "<DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
        "<Rule><ID>b</ID><Filter><And><Prefix>logs/</Prefix><Tag><Key>k</Key><Value>v</Value>"
        "</Tag></And></Filter><Status>Disabled</Status><Transition><Days>30</Days>"
        "<StorageClass>GLACIER</StorageClass></Transition></Rule>"
        "<Rule><ID>c</ID><Prefix>old/</Prefix><Status>Enabled</Status>"
        "<Expiration><Days>7</Days></Expiration></Rule></LifecycleConfiguration>");
    ASSERT_TRUE(rules.has_value()) << rules.error().message;
    ASSERT_EQ(rules->size(), 3U);
    EXPECT_EQ((*rules)[0].id, "a");
    EXPECT_EQ((*rules)[0].prefix, "payloads/");
    EXPECT_TRUE((*rules)[0].enabled);
    EXPECT_EQ((*rules)[0].expiration_days, 1);
    EXPECT_EQ((*rules)[0].abort_incomplete_multipart_days, 2);
    EXPECT_EQ((*rules)[1].prefix, "logs/");
    EXPECT_FALSE((*rules)[1].enabled);
    EXPECT_EQ((*rules)[1].expiration_days, 0);
    EXPECT_EQ((*rules)[1].abort_incomplete_multipart_days, 0);
    EXPECT_EQ((*rules)[2].prefix, "old/");
    EXPECT_EQ((*rules)[2].expiration_days, 7);
    EXPECT_FALSE(parse_lifecycle("<Error/>").has_value());
}

TEST(S3Parse, EncryptionAndPublicAccessBlock) {
    auto enc = parse_encryption(
        "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>"
        "<KMSMasterKeyID>key-1</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"
        "<BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>");
    ASSERT_TRUE(enc.has_value()) << enc.error().message;
    EXPECT_EQ(enc->algorithm, "aws:kms");
    EXPECT_EQ(enc->kms_key_id, "key-1");
    EXPECT_TRUE(enc->bucket_key_enabled);
    EXPECT_FALSE(parse_encryption("<ServerSideEncryptionConfiguration/>").has_value());

    auto block = parse_public_access_block(
        "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls>"
        "<BlockPublicPolicy>true</BlockPublicPolicy></PublicAccessBlockConfiguration>");
    ASSERT_TRUE(block.has_value()) << block.error().message;
    EXPECT_TRUE(block->block_public_acls);
    EXPECT_FALSE(block->ignore_public_acls);
    EXPECT_TRUE(block->block_public_policy);
    EXPECT_FALSE(block->restrict_public_buckets);  // absent reads as off
}

class S3ClientTest : public ::testing::Test {
protected:
    static ProvidedCredentials creds() {
        ProvidedCredentials c;
        c.credentials = {"AKIDEXAMPLE", "secret", ""};
        return c;
    }

    boost::asio::io_context io_;
    Transport transport_{io_.get_executor(), TransportOptions{}};
    StaticProvider provider_{creds()};
    ScriptedServer server_{io_};
    AwsClient aws_{transport_,         provider_,      s3_service_id(),    "eu-west-1",
                   server_.endpoint(), RetryOptions{}, [] { return kNow; }};
    S3Client s3_{aws_};
};

TEST_F(S3ClientTest, PutObjectPathStyleWithConditionalAndSseHeaders) {
    server_.answer(200, "", {{"ETag", "\"abc\""}, {"x-amz-server-side-encryption", "AES256"}});
    PutObjectOptions options;
    options.if_none_match = true;
    options.server_side_encryption = "AES256";
    options.content_type = "application/json";
    auto out = run(io_, s3_.put_object("payloads", "p/c 1/payload.json", "{}", options));
    ASSERT_TRUE(out && out->has_value()) << (out ? out->error().message : "timeout");
    EXPECT_EQ((**out).etag, "\"abc\"");
    EXPECT_EQ((**out).server_side_encryption, "AES256");
    ASSERT_EQ(server_.requests.size(), 1U);
    const auto& req = server_.requests[0];
    EXPECT_EQ(req.method, "PUT");
    EXPECT_EQ(req.target, "/payloads/p/c%201/payload.json");
    EXPECT_EQ(req.header("If-None-Match"), "*");
    EXPECT_EQ(req.header("x-amz-server-side-encryption"), "AES256");
    EXPECT_EQ(req.header("x-amz-content-sha256"),
              "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    EXPECT_NE(req.header("Authorization").find("/eu-west-1/s3/aws4_request"), std::string::npos);
    EXPECT_EQ(req.body, "{}");
}

TEST_F(S3ClientTest, PreconditionFailedIsAConflict) {
    server_.answer(412,
                   "<Error><Code>PreconditionFailed</Code><Message>At least one of the "
                   "pre-conditions you specified did not hold</Message><Condition>If-None-Match"
                   "</Condition><RequestId>R1</RequestId></Error>");
    PutObjectOptions options;
    options.if_none_match = true;
    auto out = run(io_, s3_.put_object("b", "k", "x", options));
    ASSERT_TRUE(out && !out->has_value());
    EXPECT_EQ(out->error().code, Errc::conflict);
    EXPECT_EQ(out->error().message,
              "s3 PutObject: PreconditionFailed: At least one of the pre-conditions you "
              "specified did not hold (request id R1)");
}

TEST_F(S3ClientTest, HeadOfMissingObjectIsNotFound) {
    server_.answer(404, "", {{"x-amz-request-id", "R2"}});
    auto out = run(io_, s3_.head_object("b", "missing"));
    ASSERT_TRUE(out && !out->has_value());
    EXPECT_EQ(out->error().code, Errc::not_found);
    EXPECT_EQ(server_.requests[0].method, "HEAD");
}

TEST_F(S3ClientTest, CreateBucketCarriesTheRegion) {
    server_.answer(200, "");
    auto out = run(io_, s3_.create_bucket("payloads"));
    ASSERT_TRUE(out && out->has_value());
    EXPECT_EQ(server_.requests[0].target, "/payloads");
    EXPECT_EQ(server_.requests[0].body, create_bucket_body("eu-west-1"));
}

TEST_F(S3ClientTest, SubresourcesCarryContentMd5) {
    server_.answer(200, "");
    auto out = run(io_, s3_.put_public_access_block("payloads", PublicAccessBlock{}));
    ASSERT_TRUE(out && out->has_value());
    const auto& req = server_.requests[0];
    EXPECT_EQ(req.target, "/payloads?publicAccessBlock=");
    EXPECT_EQ(req.header("Content-MD5"), content_md5(req.body));
}

TEST_F(S3ClientTest, BucketConfigurationReadsAndMissingOnes) {
    server_.answer(200,
                   "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>"
                   "</PublicAccessBlockConfiguration>");
    server_.answer(404,
                   "<Error><Code>NoSuchLifecycleConfiguration</Code><Message>The lifecycle "
                   "configuration does not exist</Message><RequestId>R3</RequestId></Error>");
    auto block = run(io_, s3_.get_public_access_block("payloads"));
    ASSERT_TRUE(block && block->has_value()) << (block ? block->error().message : "timeout");
    EXPECT_TRUE((**block).block_public_acls);
    EXPECT_FALSE((**block).restrict_public_buckets);
    auto rules = run(io_, s3_.get_bucket_lifecycle_configuration("payloads"));
    ASSERT_TRUE(rules && !rules->has_value());
    EXPECT_EQ(rules->error().code, Errc::not_found);
    ASSERT_EQ(server_.requests.size(), 2U);
    EXPECT_EQ(server_.requests[0].method, "GET");
    EXPECT_EQ(server_.requests[0].target, "/payloads?publicAccessBlock=");
    EXPECT_EQ(server_.requests[1].target, "/payloads?lifecycle=");
}

TEST_F(S3ClientTest, ListObjectsFollowsContinuationTokens) {
    server_.answer(200,
                   "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a</Key>"
                   "<Size>1</Size></Contents><NextContinuationToken>t/2=</NextContinuationToken>"
                   "</ListBucketResult>");
    server_.answer(200,
                   "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>b</Key>"
                   "<Size>2</Size></Contents></ListBucketResult>");
    auto out = run(io_, s3_.list_objects_v2("payloads", "p/", 1));
    ASSERT_TRUE(out && out->has_value());
    ASSERT_EQ((**out).size(), 2U);
    EXPECT_EQ((**out)[1].key, "b");
    ASSERT_EQ(server_.requests.size(), 2U);
    EXPECT_EQ(server_.requests[0].target,
              "/payloads?encoding-type=url&list-type=2&max-keys=1&prefix=p%2F");
    EXPECT_EQ(server_.requests[1].target,
              "/payloads?continuation-token=t%2F2%3D&encoding-type=url&list-type=2&max-keys=1&"
              "prefix=p%2F");
}

}  // namespace
}  // namespace sockerless::aws
