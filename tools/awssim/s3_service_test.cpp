// S3, STS and the sessions admin route through the Simulator's router, with requests signed the
// way SigV4 clients sign them (using the verifier's own building blocks).

#include "s3_service.h"

#include <algorithm>

#include <gtest/gtest.h>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "s3_checksum.h"
#include "s3_xml.h"
#include "simulator.h"

namespace sockerless::awssim {
namespace {
namespace http = boost::beast::http;
namespace json = boost::json;

constexpr std::string_view kRole = "arn:aws:iam::000000000000:role/task";

struct Signer {
    std::string key = "test";
    std::string secret = "test";
    std::string token;
};

class S3ServiceTest : public ::testing::Test {
protected:
    TimePoint now_ = *parse_amz_date("20240102T030405Z");
    Simulator sim_{SimulatorConfig{}, [this] { return now_; }};
    Signer root_;

    [[nodiscard]] std::string amz_date() const { return format_amz_date(now_); }
    [[nodiscard]] std::string scope_date() const { return amz_date().substr(0, 8); }

    // A request signed for `service` with the headers given plus host, x-amz-date and (for S3)
    // x-amz-content-sha256 of the body.
    Simulator::Request sign(http::verb method, const std::string& target, std::string body,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const Signer& who, std::string_view service = "s3",
                            const std::string& host = "127.0.0.1:1") {
        Simulator::Request req{method, target, 11};
        req.set(http::field::host, host);
        req.set("X-Amz-Date", amz_date());
        if (service == "s3" && !std::any_of(headers.begin(), headers.end(), [](const auto& h) {
                return h.first == "x-amz-content-sha256";
            }))
            req.set("x-amz-content-sha256", sha256_hex(body));
        if (!who.token.empty()) req.set("X-Amz-Security-Token", who.token);
        for (const auto& [name, value] : headers)
            req.set(name, value);
        req.body() = std::move(body);
        req.prepare_payload();
        std::vector<std::string> names;
        SigV4Request sr{std::string(req.method_string()), target, {}, req.body()};
        for (const auto& f : req) {
            std::string name(f.name_string());
            std::transform(name.begin(), name.end(), name.begin(), ::tolower);
            if (name != "content-length") names.push_back(name);
            sr.headers.emplace_back(f.name_string(), f.value());
        }
        std::sort(names.begin(), names.end());
        AuthorizationHeader scope{who.key, scope_date(), "us-east-1", std::string(service), names,
                                  ""};
        std::string sig = signing_signature(who.secret, scope, amz_date(),
                                            canonical_request(sr, names, service != "s3"));
        std::string joined;
        for (const auto& n : names)
            joined += (joined.empty() ? "" : ";") + n;
        req.set(http::field::authorization,
                "AWS4-HMAC-SHA256 Credential=" + who.key + "/" + scope_date() + "/us-east-1/" +
                    std::string(service) + "/aws4_request, SignedHeaders=" + joined +
                    ", Signature=" + sig);
        return req;
    }

    Simulator::Response s3(http::verb method, const std::string& target, std::string body = "",
                           const std::vector<std::pair<std::string, std::string>>& headers = {},
                           const Signer* who = nullptr) {
        return sim_.handle(sign(method, target, std::move(body), headers, who ? *who : root_));
    }

    Signer role_session(std::string_view role = kRole) {
        auto creds =
            sim_.identities().issue_session(std::string(role), "t-1", now_, std::chrono::hours(1));
        return Signer{creds.access_key, creds.secret_key, creds.session_token};
    }

    static std::string code(const Simulator::Response& res) {
        auto doc = parse_xml(res.body());
        if (!doc) return "(no XML: " + res.body() + ")";
        return doc->child_text("Code").value_or("(no code)");
    }

    static std::string text(const Simulator::Response& res, std::string_view name) {
        auto doc = parse_xml(res.body());
        return doc ? doc->child_text(name).value_or("") : "";
    }

    void make_bucket(const std::string& name) {
        auto res = s3(http::verb::put, "/" + name);
        ASSERT_EQ(res.result_int(), 200u) << res.body();
    }

    void put(const std::string& target, std::string body) {
        auto res = s3(http::verb::put, target, std::move(body));
        ASSERT_EQ(res.result_int(), 200u) << res.body();
    }

    void set_policy(const std::string& bucket, const std::string& policy) {
        auto res = s3(http::verb::put, "/" + bucket + "?policy", policy);
        ASSERT_EQ(res.result_int(), 204u) << res.body();
    }
};

TEST_F(S3ServiceTest, BucketAndObjectLifecycle) {
    make_bucket("bkt1");
    auto head = s3(http::verb::head, "/bkt1");
    EXPECT_EQ(head.result_int(), 200u);
    EXPECT_EQ(head["x-amz-bucket-region"], "us-east-1");
    EXPECT_EQ(head["x-amz-request-id"].size(), 16u);
    EXPECT_FALSE(head["x-amz-id-2"].empty());

    auto put = s3(http::verb::put, "/bkt1/dir/a.txt", "hello", {{"x-amz-meta-Color", "blue"}});
    ASSERT_EQ(put.result_int(), 200u) << put.body();
    EXPECT_EQ(put[http::field::etag], "\"5d41402abc4b2a76b9719d911017c592\"");
    EXPECT_EQ(put["x-amz-server-side-encryption"], "AES256");

    auto get = s3(http::verb::get, "/bkt1/dir/a.txt");
    ASSERT_EQ(get.result_int(), 200u);
    EXPECT_EQ(get.body(), "hello");
    EXPECT_EQ(get["x-amz-meta-color"], "blue");
    EXPECT_EQ(get[http::field::content_type], "binary/octet-stream");
    EXPECT_EQ(get[http::field::last_modified], "Tue, 02 Jan 2024 03:04:05 GMT");

    auto head_object = s3(http::verb::head, "/bkt1/dir/a.txt");
    EXPECT_EQ(head_object.result_int(), 200u);
    EXPECT_EQ(head_object[http::field::content_length], "5");
    EXPECT_TRUE(head_object.body().empty());

    auto list = s3(http::verb::get, "/bkt1?list-type=2");
    ASSERT_EQ(list.result_int(), 200u);
    EXPECT_EQ(text(list, "KeyCount"), "1");
    auto buckets = s3(http::verb::get, "/");
    EXPECT_NE(buckets.body().find("<Name>bkt1</Name>"), std::string::npos);

    auto not_empty = s3(http::verb::delete_, "/bkt1");
    EXPECT_EQ(not_empty.result_int(), 409u);
    EXPECT_EQ(code(not_empty), "BucketNotEmpty");
    EXPECT_EQ(s3(http::verb::delete_, "/bkt1/dir/a.txt").result_int(), 204u);
    EXPECT_EQ(s3(http::verb::delete_, "/bkt1/dir/a.txt").result_int(), 204u);
    EXPECT_EQ(s3(http::verb::delete_, "/bkt1").result_int(), 204u);
    auto gone = s3(http::verb::get, "/bkt1/x");
    EXPECT_EQ(gone.result_int(), 404u);
    EXPECT_EQ(code(gone), "NoSuchBucket");
    EXPECT_EQ(text(gone, "BucketName"), "bkt1");
    auto head_gone = s3(http::verb::head, "/bkt1");
    EXPECT_EQ(head_gone.result_int(), 404u);
    EXPECT_TRUE(head_gone.body().empty());
}

TEST_F(S3ServiceTest, CreateBucketRules) {
    EXPECT_EQ(code(s3(http::verb::put, "/Bad_Name")), "InvalidBucketName");
    auto constraint = [](std::string_view region) {
        return "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
               "<LocationConstraint>" +
               std::string(region) + "</LocationConstraint></CreateBucketConfiguration>";
    };
    auto east = s3(http::verb::put, "/cbk1", constraint("us-east-1"));
    EXPECT_EQ(east.result_int(), 400u);
    EXPECT_EQ(code(east), "InvalidLocationConstraint");
    auto west = s3(http::verb::put, "/cbk1", constraint("eu-west-1"));
    EXPECT_EQ(code(west), "IllegalLocationConstraintException");
    EXPECT_EQ(text(west, "Message"),
              "The eu-west-1 location constraint is incompatible for the region specific "
              "endpoint this request was sent to.");
    EXPECT_EQ(code(s3(http::verb::put, "/cbk1", "<nope")), "MalformedXML");
    make_bucket("cbk1");
    // us-east-1 keeps S3's legacy answer to the owner creating its bucket again.
    EXPECT_EQ(s3(http::verb::put, "/cbk1").result_int(), 200u);
}

TEST_F(S3ServiceTest, HeadlineTaskRoleReadsOnlyUnderThePrefix) {
    make_bucket("payload-bucket");
    put("/payload-bucket/payloads/x", "secret payload");
    put("/payload-bucket/other/y", "other");
    set_policy("payload-bucket", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::000000000000:role/task"},"Action":"s3:GetObject",
        "Resource":"arn:aws:s3:::payload-bucket/payloads/*"}]})");
    Signer task = role_session();

    auto get = s3(http::verb::get, "/payload-bucket/payloads/x", "", {}, &task);
    ASSERT_EQ(get.result_int(), 200u) << get.body();
    EXPECT_EQ(get.body(), "secret payload");
    for (const auto& res : {s3(http::verb::get, "/payload-bucket?list-type=2", "", {}, &task),
                            s3(http::verb::put, "/payload-bucket/payloads/z", "x", {}, &task),
                            s3(http::verb::get, "/payload-bucket/other/y", "", {}, &task),
                            s3(http::verb::get, "/payload-bucket/payloads/missing", "", {}, &task),
                            s3(http::verb::delete_, "/payload-bucket/payloads/x", "", {}, &task),
                            s3(http::verb::get, "/payload-bucket?policy", "", {}, &task)}) {
        EXPECT_EQ(res.result_int(), 403u) << res.body();
        EXPECT_EQ(code(res), "AccessDenied");
        EXPECT_EQ(text(res, "Message"), "Access Denied");
    }
    Signer other = role_session("arn:aws:iam::000000000000:role/other");
    EXPECT_EQ(s3(http::verb::get, "/payload-bucket/payloads/x", "", {}, &other).result_int(), 403u);

    EXPECT_EQ(s3(http::verb::get, "/payload-bucket?list-type=2").result_int(), 200u);
    EXPECT_EQ(s3(http::verb::get, "/payload-bucket/other/y").result_int(), 200u);
    EXPECT_EQ(code(s3(http::verb::get, "/payload-bucket/payloads/missing")), "NoSuchKey");
}

TEST_F(S3ServiceTest, TlsOnlyDenyBindsTheRootButNotThePolicyApis) {
    make_bucket("tls");
    put("/tls/k", "v");
    set_policy("tls", R"({"Statement":[{"Sid":"TlsOnly","Effect":"Deny","Principal":"*",
        "Action":"s3:*","Resource":["arn:aws:s3:::tls","arn:aws:s3:::tls/*"],
        "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]})");
    for (const auto& res : {s3(http::verb::get, "/tls/k"), s3(http::verb::put, "/tls/k2", "v"),
                            s3(http::verb::get, "/tls?list-type=2")}) {
        EXPECT_EQ(res.result_int(), 403u);
        EXPECT_EQ(code(res), "AccessDenied");
    }
    auto policy = s3(http::verb::get, "/tls?policy");
    EXPECT_EQ(policy.result_int(), 200u);
    EXPECT_NE(policy.body().find("TlsOnly"), std::string::npos);
    EXPECT_EQ(s3(http::verb::delete_, "/tls?policy").result_int(), 204u);
    EXPECT_EQ(s3(http::verb::get, "/tls/k").result_int(), 200u);
    EXPECT_EQ(code(s3(http::verb::get, "/tls?policy")), "NoSuchBucketPolicy");
}

TEST_F(S3ServiceTest, PolicyValidationAndPublicAccessBlock) {
    make_bucket("pol");
    auto bad = s3(http::verb::put, "/pol?policy", "{not json");
    EXPECT_EQ(bad.result_int(), 400u);
    EXPECT_EQ(code(bad), "MalformedPolicy");
    std::string open = R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
        "Resource":"arn:aws:s3:::pol/*"}})";
    auto blocked = s3(http::verb::put, "/pol?policy", open);
    EXPECT_EQ(blocked.result_int(), 403u);
    EXPECT_EQ(code(blocked), "AccessDenied");
    auto pab = s3(http::verb::get, "/pol?publicAccessBlock");
    EXPECT_EQ(text(pab, "BlockPublicPolicy"), "true");
    EXPECT_EQ(s3(http::verb::delete_, "/pol?publicAccessBlock").result_int(), 204u);
    EXPECT_EQ(code(s3(http::verb::get, "/pol?publicAccessBlock")),
              "NoSuchPublicAccessBlockConfiguration");
    EXPECT_EQ(s3(http::verb::put, "/pol?policy", open).result_int(), 204u);
    auto none = s3(http::verb::put, "/pol?publicAccessBlock", "<PublicAccessBlockConfiguration/>");
    EXPECT_EQ(code(none), "InvalidRequest");
}

TEST_F(S3ServiceTest, LifecycleConfigurationExpiresObjects) {
    make_bucket("life");
    std::string rules =
        "<LifecycleConfiguration><Rule><ID>tmp</ID><Filter><Prefix>tmp/</Prefix></Filter>"
        "<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"
        "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
        "</AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>";
    auto no_md5 = s3(http::verb::put, "/life?lifecycle", rules);
    EXPECT_EQ(code(no_md5), "InvalidRequest");
    auto set = s3(http::verb::put, "/life?lifecycle", rules,
                  {{"Content-MD5", base64_encode(md5_raw(rules))}});
    ASSERT_EQ(set.result_int(), 200u) << set.body();
    auto got = s3(http::verb::get, "/life?lifecycle");
    EXPECT_NE(got.body().find("<ID>tmp</ID><Filter><Prefix>tmp/</Prefix></Filter>"),
              std::string::npos)
        << got.body();

    auto written = s3(http::verb::put, "/life/tmp/a", "x");
    EXPECT_EQ(written["x-amz-expiration"],
              "expiry-date=\"Thu, 04 Jan 2024 00:00:00 GMT\", rule-id=\"tmp\"");
    now_ = *parse_amz_date("20240104T000000Z");
    EXPECT_EQ(code(s3(http::verb::get, "/life/tmp/a")), "NoSuchKey");

    std::string bad_days =
        "<LifecycleConfiguration><Rule><Status>Enabled</Status><Expiration><Days>0</Days>"
        "</Expiration></Rule></LifecycleConfiguration>";
    EXPECT_EQ(code(s3(http::verb::put, "/life?lifecycle", bad_days,
                      {{"Content-MD5", base64_encode(md5_raw(bad_days))}})),
              "InvalidArgument");
    EXPECT_EQ(s3(http::verb::delete_, "/life?lifecycle").result_int(), 204u);
    EXPECT_EQ(code(s3(http::verb::get, "/life?lifecycle")), "NoSuchLifecycleConfiguration");
}

TEST_F(S3ServiceTest, DefaultEncryptionAppliesToNewObjects) {
    make_bucket("enc");
    auto fresh = s3(http::verb::get, "/enc?encryption");
    EXPECT_NE(fresh.body().find("<SSEAlgorithm>AES256</SSEAlgorithm>"), std::string::npos);
    std::string kms =
        "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
        "<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>alias/k</KMSMasterKeyID>"
        "</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule>"
        "</ServerSideEncryptionConfiguration>";
    ASSERT_EQ(s3(http::verb::put, "/enc?encryption", kms).result_int(), 200u);
    auto put = s3(http::verb::put, "/enc/k", "v");
    EXPECT_EQ(put["x-amz-server-side-encryption"], "aws:kms");
    EXPECT_EQ(put["x-amz-server-side-encryption-aws-kms-key-id"], "alias/k");
    EXPECT_EQ(put["x-amz-server-side-encryption-bucket-key-enabled"], "true");
    auto explicit_aes =
        s3(http::verb::put, "/enc/k2", "v", {{"x-amz-server-side-encryption", "AES256"}});
    EXPECT_EQ(explicit_aes["x-amz-server-side-encryption"], "AES256");
    EXPECT_EQ(s3(http::verb::head, "/enc/k2")["x-amz-server-side-encryption"], "AES256");
    auto bad = s3(http::verb::put, "/enc/k3", "v", {{"x-amz-server-side-encryption", "ROT13"}});
    EXPECT_EQ(code(bad), "InvalidArgument");
    EXPECT_EQ(text(bad, "ArgumentName"), "x-amz-server-side-encryption");
}

TEST_F(S3ServiceTest, PayloadIntegrityChecks) {
    make_bucket("pay");
    auto mismatch =
        s3(http::verb::put, "/pay/k", "body", {{"x-amz-content-sha256", sha256_hex("other")}});
    EXPECT_EQ(mismatch.result_int(), 400u);
    EXPECT_EQ(code(mismatch), "XAmzContentSHA256Mismatch");
    auto md5 =
        s3(http::verb::put, "/pay/k", "body", {{"Content-MD5", base64_encode(md5_raw("x"))}});
    EXPECT_EQ(code(md5), "BadDigest");
    EXPECT_EQ(code(s3(http::verb::put, "/pay/k", "body", {{"Content-MD5", "zz"}})),
              "InvalidDigest");
    auto crc =
        s3(http::verb::put, "/pay/k", "hello world",
           {{"x-amz-checksum-crc32", "AAAAAA=="}, {"x-amz-sdk-checksum-algorithm", "CRC32"}});
    EXPECT_EQ(code(crc), "BadDigest");
    EXPECT_EQ(text(crc, "Message"),
              "The CRC32 you specified did not match the calculated checksum.");
    auto ok = s3(http::verb::put, "/pay/k", "hello world",
                 {{"x-amz-checksum-crc32", "DUoRhQ=="}, {"x-amz-sdk-checksum-algorithm", "CRC32"}});
    ASSERT_EQ(ok.result_int(), 200u) << ok.body();
    EXPECT_EQ(ok["x-amz-checksum-crc32"], "DUoRhQ==");
    auto with_mode = s3(http::verb::get, "/pay/k", "", {{"x-amz-checksum-mode", "ENABLED"}});
    EXPECT_EQ(with_mode["x-amz-checksum-crc32"], "DUoRhQ==");
    EXPECT_EQ(s3(http::verb::get, "/pay/k")["x-amz-checksum-crc32"], "");
}

TEST_F(S3ServiceTest, AwsChunkedUploadWithTrailingChecksum) {
    make_bucket("chunk");
    std::string body = "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    auto put = s3(http::verb::put, "/chunk/k", body,
                  {{"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
                   {"Content-Encoding", "aws-chunked"},
                   {"x-amz-trailer", "x-amz-checksum-crc32"},
                   {"x-amz-decoded-content-length", "11"}});
    ASSERT_EQ(put.result_int(), 200u) << put.body();
    auto get = s3(http::verb::get, "/chunk/k");
    EXPECT_EQ(get.body(), "hello world");
    EXPECT_EQ(get[http::field::content_encoding], "");
    std::string wrong = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    auto bad = s3(http::verb::put, "/chunk/k2", wrong,
                  {{"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
                   {"x-amz-trailer", "x-amz-checksum-crc32"}});
    EXPECT_EQ(code(bad), "BadDigest");
}

TEST_F(S3ServiceTest, ConditionalAndRangedReads) {
    make_bucket("cond");
    auto put = s3(http::verb::put, "/cond/k", "0123456789");
    std::string etag(put[http::field::etag]);
    auto range = s3(http::verb::get, "/cond/k", "", {{"Range", "bytes=2-5"}});
    EXPECT_EQ(range.result_int(), 206u);
    EXPECT_EQ(range.body(), "2345");
    EXPECT_EQ(range[http::field::content_range], "bytes 2-5/10");
    auto beyond = s3(http::verb::get, "/cond/k", "", {{"Range", "bytes=10-"}});
    EXPECT_EQ(beyond.result_int(), 416u);
    EXPECT_EQ(code(beyond), "InvalidRange");
    EXPECT_EQ(s3(http::verb::get, "/cond/k", "", {{"If-None-Match", etag}}).result_int(), 304u);
    auto failed = s3(http::verb::get, "/cond/k", "", {{"If-Match", "\"nope\""}});
    EXPECT_EQ(failed.result_int(), 412u);
    EXPECT_EQ(text(failed, "Condition"), "If-Match");
    EXPECT_EQ(s3(http::verb::get, "/cond/k", "", {{"If-Match", etag}}).result_int(), 200u);
    EXPECT_EQ(
        s3(http::verb::get, "/cond/k", "", {{"If-Modified-Since", "Tue, 02 Jan 2024 03:04:05 GMT"}})
            .result_int(),
        304u);
    EXPECT_EQ(s3(http::verb::get, "/cond/k", "",
                 {{"If-Unmodified-Since", "Mon, 01 Jan 2024 00:00:00 GMT"}})
                  .result_int(),
              412u);
    auto exists = s3(http::verb::put, "/cond/k", "x", {{"If-None-Match", "*"}});
    EXPECT_EQ(exists.result_int(), 412u);
    EXPECT_EQ(code(exists), "PreconditionFailed");
    EXPECT_EQ(s3(http::verb::put, "/cond/new", "x", {{"If-None-Match", "*"}}).result_int(), 200u);
    auto head_failed = s3(http::verb::head, "/cond/k", "", {{"If-Match", "\"nope\""}});
    EXPECT_EQ(head_failed.result_int(), 412u);
    EXPECT_TRUE(head_failed.body().empty());
}

TEST_F(S3ServiceTest, ListObjectsV2PagesWithPrefixAndDelimiter) {
    make_bucket("list");
    for (const char* target : {"/list/a/1", "/list/a/2", "/list/b/1", "/list/c", "/list/d%2Be%20f"})
        put(target, "x");
    auto page = s3(http::verb::get, "/list?list-type=2&delimiter=%2F&max-keys=2");
    auto doc = parse_xml(page.body());
    ASSERT_TRUE(doc.has_value()) << page.body();
    EXPECT_EQ(doc->child_text("IsTruncated"), "true");
    ASSERT_EQ(doc->all("CommonPrefixes").size(), 2u);
    EXPECT_EQ(doc->all("CommonPrefixes")[0]->child_text("Prefix"), "a/");
    std::string token = *doc->child_text("NextContinuationToken");
    auto next =
        s3(http::verb::get, "/list?list-type=2&delimiter=%2F&max-keys=2&continuation-token=" +
                                uri_encode(token, false) + "&encoding-type=url");
    doc = parse_xml(next.body());
    ASSERT_TRUE(doc.has_value()) << next.body();
    EXPECT_EQ(doc->child_text("IsTruncated"), "false");
    ASSERT_EQ(doc->all("Contents").size(), 2u);
    EXPECT_EQ(doc->all("Contents")[0]->child_text("Key"), "c");
    EXPECT_EQ(doc->all("Contents")[1]->child_text("Key"), "d%2Be%20f");
    EXPECT_EQ(doc->child_text("KeyCount"), "2");

    auto prefixed = s3(http::verb::get, "/list?list-type=2&prefix=a%2F&start-after=a%2F1");
    doc = parse_xml(prefixed.body());
    ASSERT_EQ(doc->all("Contents").size(), 1u);
    EXPECT_EQ(doc->all("Contents")[0]->child_text("Key"), "a/2");
    EXPECT_EQ(code(s3(http::verb::get, "/list?list-type=2&max-keys=x")), "InvalidArgument");
    EXPECT_EQ(code(s3(http::verb::get, "/list?list-type=2&continuation-token=%21")),
              "InvalidArgument");
}

TEST_F(S3ServiceTest, DeleteObjectsReportsPerKeyResults) {
    make_bucket("multi");
    put("/multi/a", "x");
    put("/multi/b", "x");
    set_policy(
        "multi",
        R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:role/task"},
        "Action":"s3:DeleteObject","Resource":"arn:aws:s3:::multi/a"}]})");
    Signer task = role_session();
    std::string body =
        "<Delete><Object><Key>a</Key></Object><Object><Key>b</Key></Object></Delete>";
    auto res = s3(http::verb::post, "/multi?delete", body,
                  {{"Content-MD5", base64_encode(md5_raw(body))}}, &task);
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    auto doc = parse_xml(res.body());
    ASSERT_TRUE(doc.has_value());
    ASSERT_EQ(doc->all("Deleted").size(), 1u);
    EXPECT_EQ(doc->all("Deleted")[0]->child_text("Key"), "a");
    ASSERT_EQ(doc->all("Error").size(), 1u);
    EXPECT_EQ(doc->all("Error")[0]->child_text("Code"), "AccessDenied");
    EXPECT_EQ(code(s3(http::verb::get, "/multi/a")), "NoSuchKey");
    EXPECT_EQ(s3(http::verb::get, "/multi/b").result_int(), 200u);
}

TEST_F(S3ServiceTest, VirtualHostStyleAddressesTheBucketByHost) {
    make_bucket("vhb");
    auto put = sim_.handle(sign(http::verb::put, "/k", "v", {}, root_, "s3", "vhb.s3.localhost:9"));
    ASSERT_EQ(put.result_int(), 200u) << put.body();
    auto get = sim_.handle(sign(http::verb::get, "/vhb/k", "", {}, root_));
    EXPECT_EQ(get.body(), "v");
    auto aws_host = sim_.handle(
        sign(http::verb::get, "/k", "", {}, root_, "s3", "vhb.s3.us-east-1.amazonaws.com"));
    EXPECT_EQ(aws_host.body(), "v");
}

TEST_F(S3ServiceTest, AuthenticationFailuresInS3Terms) {
    make_bucket("auth");
    Signer wrong{"test", "wrong", ""};
    auto bad_sig = s3(http::verb::get, "/auth?list-type=2", "", {}, &wrong);
    EXPECT_EQ(bad_sig.result_int(), 403u);
    EXPECT_EQ(code(bad_sig), "SignatureDoesNotMatch");
    EXPECT_EQ(text(bad_sig, "Message"),
              "The request signature we calculated does not match the signature you provided. "
              "Check your key and signing method.");
    Signer unknown{"AKIANOTKNOWN", "x", ""};
    auto bad_key = s3(http::verb::get, "/auth?list-type=2", "", {}, &unknown);
    EXPECT_EQ(code(bad_key), "InvalidAccessKeyId");
    EXPECT_EQ(text(bad_key, "AWSAccessKeyId"), "AKIANOTKNOWN");

    Simulator::Request anonymous{http::verb::get, "/auth/k", 11};
    auto anon = sim_.handle(anonymous);
    EXPECT_EQ(anon.result_int(), 403u);
    EXPECT_EQ(code(anon), "AccessDenied");

    auto missing_sha = sign(http::verb::get, "/auth/k", "", {}, root_);
    missing_sha.erase("x-amz-content-sha256");
    EXPECT_EQ(sim_.handle(missing_sha).result_int(), 403u);  // no longer matches its signature
    auto no_header = s3(http::verb::get, "/auth?list-type=2", "", {{"x-amz-content-sha256", ""}});
    EXPECT_EQ(code(no_header), "InvalidRequest");

    auto head = s3(http::verb::head, "/auth/k", "", {}, &wrong);
    EXPECT_EQ(head.result_int(), 403u);
    EXPECT_TRUE(head.body().empty());
    EXPECT_FALSE(head["x-amz-request-id"].empty());
}

TEST_F(S3ServiceTest, PresignedUrlsWorkUntilTheyExpire) {
    make_bucket("pre");
    put("/pre/k", "presigned body");
    auto presign = [&](std::string_view expires) {
        std::string query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F" +
                            scope_date() +
                            "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=" + amz_date() +
                            "&X-Amz-Expires=" + std::string(expires) + "&X-Amz-SignedHeaders=host";
        SigV4Request sr{"GET", "/pre/k?" + query, {{"host", "127.0.0.1:1"}}, ""};
        AuthorizationHeader scope{"test", scope_date(), "us-east-1", "s3", {"host"}, ""};
        std::string sig = signing_signature(
            "test", scope, amz_date(), canonical_request(sr, {"host"}, false, "UNSIGNED-PAYLOAD"));
        Simulator::Request req{http::verb::get, "/pre/k?" + query + "&X-Amz-Signature=" + sig, 11};
        req.set(http::field::host, "127.0.0.1:1");
        return req;
    };
    auto req = presign("60");
    auto ok = sim_.handle(req);
    ASSERT_EQ(ok.result_int(), 200u) << ok.body();
    EXPECT_EQ(ok.body(), "presigned body");
    now_ += std::chrono::seconds(61);
    auto expired = sim_.handle(req);
    EXPECT_EQ(expired.result_int(), 403u);
    EXPECT_EQ(code(expired), "AccessDenied");
    EXPECT_EQ(text(expired, "Message"), "Request has expired");
}

TEST_F(S3ServiceTest, UnsupportedRequestsAreNamedSo) {
    make_bucket("uns");
    auto acl = s3(http::verb::get, "/uns?acl");
    EXPECT_EQ(acl.result_int(), 501u);
    EXPECT_EQ(code(acl), "NotImplemented");
    auto method = s3(http::verb::post, "/uns/k");
    EXPECT_EQ(method.result_int(), 405u);
    EXPECT_EQ(code(method), "MethodNotAllowed");
    auto copy = s3(http::verb::put, "/uns/k", "", {{"x-amz-copy-source", "/uns/j"}});
    EXPECT_EQ(copy.result_int(), 501u);
}

TEST_F(S3ServiceTest, StsGetCallerIdentityForRootAndRoleSessions) {
    std::string form = "Action=GetCallerIdentity&Version=2011-06-15";
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    auto res = sim_.handle(sign(http::verb::post, "/", form, headers, root_, "sts"));
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    auto doc = parse_xml(res.body());
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(doc->name, "GetCallerIdentityResponse");
    const XmlNode* result = doc->child("GetCallerIdentityResult");
    ASSERT_NE(result, nullptr);
    EXPECT_EQ(result->child_text("Arn"), "arn:aws:iam::000000000000:root");
    EXPECT_EQ(result->child_text("Account"), "000000000000");
    EXPECT_EQ(result->child_text("UserId"), "000000000000");
    EXPECT_FALSE(doc->child("ResponseMetadata")->child_text("RequestId")->empty());

    Signer task = role_session();
    auto as_role = sim_.handle(sign(http::verb::post, "/", form, headers, task, "sts"));
    doc = parse_xml(as_role.body());
    result = doc->child("GetCallerIdentityResult");
    EXPECT_EQ(result->child_text("Arn"), "arn:aws:sts::000000000000:assumed-role/task/t-1");
    EXPECT_TRUE(result->child_text("UserId")->starts_with("AROA"));
    EXPECT_TRUE(result->child_text("UserId")->ends_with(":t-1"));

    Signer unknown{"AKIANOTKNOWN", "x", ""};
    auto bad_key = sim_.handle(sign(http::verb::post, "/", form, headers, unknown, "sts"));
    EXPECT_EQ(bad_key.result_int(), 403u);
    doc = parse_xml(bad_key.body());
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(doc->name, "ErrorResponse");
    EXPECT_EQ(doc->child("Error")->child_text("Code"), "InvalidClientTokenId");
    EXPECT_EQ(doc->child("Error")->child_text("Type"), "Sender");
    Signer wrong{"test", "wrong", ""};
    auto bad_sig = sim_.handle(sign(http::verb::post, "/", form, headers, wrong, "sts"));
    EXPECT_EQ(parse_xml(bad_sig.body())->child("Error")->child_text("Code"),
              "SignatureDoesNotMatch");
    auto unknown_action = sim_.handle(
        sign(http::verb::post, "/", "Action=AssumeRole&Version=2011-06-15", headers, root_, "sts"));
    EXPECT_EQ(unknown_action.result_int(), 400u);
    EXPECT_EQ(parse_xml(unknown_action.body())->child("Error")->child_text("Code"),
              "InvalidAction");
}

TEST_F(S3ServiceTest, SessionsAdminRouteIssuesUsableCredentials) {
    Simulator::Request req{http::verb::post, "/_awssim/sessions", 11};
    req.body() = R"({"role_arn":"arn:aws:iam::000000000000:role/task","session_name":"s-9"})";
    req.prepare_payload();
    auto res = sim_.handle(req);
    ASSERT_EQ(res.result_int(), 200u) << res.body();
    auto creds = json::parse(res.body()).as_object();
    EXPECT_TRUE(creds.at("AccessKeyId").as_string().starts_with("ASIA"));
    EXPECT_EQ(creds.at("Expiration").as_string(), "2024-01-02T04:04:05Z");
    Signer task{std::string(creds.at("AccessKeyId").as_string()),
                std::string(creds.at("SecretAccessKey").as_string()),
                std::string(creds.at("Token").as_string())};
    auto identity = sim_.identities().identify(task.key, task.token);
    ASSERT_TRUE(identity.has_value());
    EXPECT_EQ(identity->arn, "arn:aws:sts::000000000000:assumed-role/task/s-9");

    Simulator::Request bad{http::verb::post, "/_awssim/sessions", 11};
    bad.body() = R"({"role_arn":"nope"})";
    bad.prepare_payload();
    EXPECT_EQ(sim_.handle(bad).result_int(), 400u);
}

}  // namespace
}  // namespace sockerless::awssim
