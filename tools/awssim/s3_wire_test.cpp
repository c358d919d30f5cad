#include "s3_wire.h"

#include <gtest/gtest.h>

#include "s3_checksum.h"
#include "s3_xml.h"
#include "sigv4_verify.h"

namespace sockerless::awssim {
namespace {

TEST(S3Xml, WritesEscapedDocuments) {
    XmlWriter xml;
    xml.open("A", "urn:x").element("B", "1 < 2 & \"q\" 'a'").open("C").text("t>").close();
    xml.element("D", "");
    EXPECT_EQ(xml.finish(),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<A xmlns=\"urn:x\"><B>1 &lt; 2 &amp; "
              "&quot;q&quot; &apos;a&apos;</B><C>t&gt;</C><D></D></A>");
}

TEST(S3Xml, ReadsElementsWithoutNamespaces) {
    auto doc = parse_xml(
        "<?xml version=\"1.0\"?>\n<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Object><Key>a &amp; b</Key></Object><Object><Key>c</Key></Object>"
        "<Quiet>true</Quiet></Delete>");
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(doc->name, "Delete");
    auto objects = doc->all("Object");
    ASSERT_EQ(objects.size(), 2u);
    EXPECT_EQ(objects[0]->child_text("Key"), "a & b");
    EXPECT_EQ(doc->child_text("Quiet"), "true");
    EXPECT_EQ(doc->child("Nope"), nullptr);
    EXPECT_FALSE(doc->child_text("Nope").has_value());
    auto prefixed = parse_xml("<s3:A xmlns:s3=\"urn:s3\"><s3:B>x</s3:B></s3:A>");
    ASSERT_TRUE(prefixed.has_value());
    EXPECT_EQ(prefixed->name, "A");
    EXPECT_EQ(prefixed->child_text("B"), "x");
}

TEST(S3Xml, RejectsMalformedAndDeepDocuments) {
    EXPECT_FALSE(parse_xml("").has_value());
    EXPECT_FALSE(parse_xml("<a><b></a>").has_value());
    EXPECT_FALSE(parse_xml("not xml").has_value());
    std::string deep;
    for (int i = 0; i < 40; ++i)
        deep += "<a>";
    for (int i = 0; i < 40; ++i)
        deep += "</a>";
    EXPECT_FALSE(parse_xml(deep).has_value());
}

TEST(S3Checksum, KnownDigests) {
    EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
    EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
    EXPECT_EQ(crc64nvme("123456789"), 0xAE8B14860A799888ull);
    const auto& algorithms = checksum_algorithms();
    auto by_name = [&](std::string_view name) {
        for (const auto& a : algorithms) {
            if (a.name == name) return a;
        }
        return ChecksumAlgorithm{};
    };
    EXPECT_EQ(checksum_base64(by_name("CRC32"), "hello world"), "DUoRhQ==");
    EXPECT_EQ(checksum_base64(by_name("SHA256"), "hello world"),
              "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
    EXPECT_EQ(checksum_base64(by_name("SHA1"), "hello world"), "Kq5sNclPz7QV2+lfQIuc6R7oRu0=");
    EXPECT_EQ(base64_encode(md5_raw("hello world")), "XrY7u+Ae7tCTyyK7j1rNww==");
    EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(S3Checksum, Base64RoundTripAndStrictness) {
    for (const std::string& s :
         std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)})
        EXPECT_EQ(base64_decode(base64_encode(s)), s);
    EXPECT_FALSE(base64_decode("abc").has_value());
    EXPECT_FALSE(base64_decode("ab=c").has_value());
    EXPECT_FALSE(base64_decode("a===").has_value());
    EXPECT_FALSE(base64_decode("ab c").has_value());
}

TEST(S3Checksum, DecodesAwsChunkedBodiesWithTrailers) {
    auto body = decode_aws_chunked(
        "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
    ASSERT_TRUE(body.has_value());
    EXPECT_EQ(body->payload, "hello world");
    ASSERT_EQ(body->trailers.size(), 1u);
    EXPECT_EQ(body->trailers[0].first, "x-amz-checksum-crc32");
    EXPECT_EQ(body->trailers[0].second, "DUoRhQ==");
    auto signed_chunks =
        decode_aws_chunked("3;chunk-signature=ab\r\nabc\r\n0;chunk-signature=cd\r\n\r\n");
    ASSERT_TRUE(signed_chunks.has_value());
    EXPECT_EQ(signed_chunks->payload, "abc");
    EXPECT_FALSE(decode_aws_chunked("5\r\nhell\r\n0\r\n\r\n").has_value());
    EXPECT_FALSE(decode_aws_chunked("5\r\nhello\r\n").has_value());
    EXPECT_FALSE(decode_aws_chunked("zz\r\n").has_value());
    EXPECT_FALSE(decode_aws_chunked("0\r\n\r\ntrailing").has_value());
}

TEST(S3Wire, VirtualHostBuckets) {
    EXPECT_EQ(virtual_host_bucket("b.s3.amazonaws.com"), "b");
    EXPECT_EQ(virtual_host_bucket("my.dotted.bucket.s3.amazonaws.com:443"), "my.dotted.bucket");
    EXPECT_EQ(virtual_host_bucket("b.s3.eu-west-1.amazonaws.com"), "b");
    EXPECT_EQ(virtual_host_bucket("B.S3.LOCALHOST:4566"), "b");
    EXPECT_EQ(virtual_host_bucket("b.localhost:4566"), "b");
    EXPECT_FALSE(virtual_host_bucket("s3.amazonaws.com").has_value());
    EXPECT_FALSE(virtual_host_bucket("s3.us-east-1.amazonaws.com").has_value());
    EXPECT_FALSE(virtual_host_bucket("s3.localhost:4566").has_value());
    EXPECT_FALSE(virtual_host_bucket("localhost:4566").has_value());
    EXPECT_FALSE(virtual_host_bucket("127.0.0.1:4566").has_value());
    EXPECT_FALSE(virtual_host_bucket("ecs.us-east-1.amazonaws.com").has_value());
    EXPECT_FALSE(virtual_host_bucket("b.s3.x.y.amazonaws.com").has_value());
}

TEST(S3Wire, ParsesTargetsInBothStyles) {
    auto path = parse_s3_target("127.0.0.1:1", "/bkt/dir/a%20b%2Bc.txt?x-id=GetObject&versionId");
    EXPECT_FALSE(path.virtual_host);
    EXPECT_EQ(path.bucket, "bkt");
    EXPECT_EQ(path.key, "dir/a b+c.txt");
    EXPECT_EQ(path.param("x-id"), "GetObject");
    EXPECT_TRUE(path.has_param("versionId"));
    EXPECT_FALSE(path.has_param("acl"));

    auto vhost = parse_s3_target("bkt.s3.localhost:1", "/dir//k?list-type=2");
    EXPECT_TRUE(vhost.virtual_host);
    EXPECT_EQ(vhost.bucket, "bkt");
    EXPECT_EQ(vhost.key, "dir//k");

    EXPECT_EQ(parse_s3_target("h", "/").bucket, "");
    auto bucket_only = parse_s3_target("h", "/bkt/?policy");
    EXPECT_EQ(bucket_only.bucket, "bkt");
    EXPECT_EQ(bucket_only.key, "");
    EXPECT_TRUE(bucket_only.has_param("policy"));
}

TEST(S3Wire, ErrorDocumentAndIds) {
    S3Error e{404, "NoSuchKey", "The specified key does not exist.", {{"Key", "a<b"}}};
    EXPECT_EQ(s3_error_document(e, "RID", "HID"),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
              "<Message>The specified key does not exist.</Message><Key>a&lt;b</Key>"
              "<RequestId>RID</RequestId><HostId>HID</HostId></Error>");
    EXPECT_EQ(s3_request_id("0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"), "0A1B2C3D4E5F4A7B");
    EXPECT_EQ(s3_host_id("x").size(), 44u);
}

TEST(S3Wire, Timestamps) {
    auto t = *parse_amz_date("20091012T175030Z") + std::chrono::milliseconds(7);
    EXPECT_EQ(iso8601_millis(t), "2009-10-12T17:50:30.007Z");
    EXPECT_EQ(http_date(t), "Mon, 12 Oct 2009 17:50:30 GMT");
    auto whole = *parse_amz_date("20091012T175030Z");
    EXPECT_EQ(parse_http_date("Mon, 12 Oct 2009 17:50:30 GMT"), whole);
    EXPECT_EQ(parse_http_date("Monday, 12-Oct-09 17:50:30 GMT"), whole);
    EXPECT_EQ(parse_http_date("Mon Oct 12 17:50:30 2009"), whole);
    EXPECT_FALSE(parse_http_date("2009-10-12").has_value());
}

TEST(S3Wire, EtagConditions) {
    std::string etag = "\"abc\"";
    EXPECT_TRUE(etag_matches("*", etag));
    EXPECT_TRUE(etag_matches("\"abc\"", etag));
    EXPECT_TRUE(etag_matches("abc", etag));
    EXPECT_TRUE(etag_matches("\"x\", W/\"abc\"", etag));
    EXPECT_FALSE(etag_matches("\"abcd\"", etag));
}

TEST(S3Wire, ByteRanges) {
    ByteRange r;
    EXPECT_EQ(parse_range("bytes=0-4", 10, r), RangeResult::partial);
    EXPECT_EQ(r.first, 0u);
    EXPECT_EQ(r.length, 5u);
    EXPECT_EQ(parse_range("bytes=5-", 10, r), RangeResult::partial);
    EXPECT_EQ(r.first, 5u);
    EXPECT_EQ(r.length, 5u);
    EXPECT_EQ(parse_range("bytes=-3", 10, r), RangeResult::partial);
    EXPECT_EQ(r.first, 7u);
    EXPECT_EQ(r.length, 3u);
    EXPECT_EQ(parse_range("bytes=8-100", 10, r), RangeResult::partial);
    EXPECT_EQ(r.length, 2u);
    EXPECT_EQ(parse_range("bytes=-30", 10, r), RangeResult::partial);
    EXPECT_EQ(r.first, 0u);
    EXPECT_EQ(parse_range("bytes=10-", 10, r), RangeResult::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=-0", 10, r), RangeResult::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=0-", 0, r), RangeResult::unsatisfiable);
    EXPECT_EQ(parse_range("bytes=5-2", 10, r), RangeResult::whole);
    EXPECT_EQ(parse_range("bytes=0-1,3-4", 10, r), RangeResult::whole);
    EXPECT_EQ(parse_range("items=0-1", 10, r), RangeResult::whole);
    EXPECT_EQ(parse_range("bytes=a-b", 10, r), RangeResult::whole);
}

TEST(S3Wire, BucketNames) {
    for (const char* ok : {"abc", "my-bucket.v2", "a1b", "1.2.3"})
        EXPECT_TRUE(valid_bucket_name(ok)) << ok;
    EXPECT_TRUE(valid_bucket_name(std::string(63, 'x')));
    EXPECT_FALSE(valid_bucket_name(std::string(64, 'x')));
    for (const char* bad : {"ab", "Abc", "-abc", "abc-", "a..b", "a_b", "192.168.5.4", "xn--abc",
                            "sthree-abc", "abc-s3alias", "abc--ol-s3", "bucket!"})
        EXPECT_FALSE(valid_bucket_name(bad)) << bad;
}

}  // namespace
}  // namespace sockerless::awssim
