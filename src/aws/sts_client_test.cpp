#include "aws/sts_client.h"

#include <gtest/gtest.h>

// The response is the STS API reference's GetCallerIdentity example (query protocol).

namespace sockerless::aws {
namespace {

TEST(StsParse, CallerIdentity) {
    auto doc =
        parse_xml(R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
    <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>)");
    ASSERT_TRUE(doc.has_value());
    const auto id = parse_caller_identity(*doc);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(id->account, "123456789012");
    EXPECT_EQ(id->arn, "arn:aws:iam::123456789012:user/Alice");
    EXPECT_EQ(id->user_id, "AIDACKCEVSQ6C2EXAMPLE");
}

TEST(StsParse, MissingResultIsAnError) {
    auto doc = parse_xml("<Other/>");
    ASSERT_TRUE(doc.has_value());
    const auto id = parse_caller_identity(*doc);
    ASSERT_FALSE(id.has_value());
    EXPECT_EQ(id.error().code, Errc::internal);
}

}  // namespace
}  // namespace sockerless::aws
