#include "aws/xml.h"

#include <gtest/gtest.h>

namespace sockerless::aws {
namespace {

TEST(Xml, ElementsAndText) {
    auto doc = parse_xml(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
        "<Errors><Error><Code>InvalidSubnetID.NotFound</Code>"
        "<Message>The subnet ID 'subnet-1' does not exist</Message></Error></Errors>"
        "<RequestID>ba7f1e1c-5d6e-4f1b-9c31-7f2b4b0f0e11</RequestID></Response>");
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ(doc->name, "Response");
    const XmlElement* error = doc->child("Errors")->child("Error");
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->child_text("Code"), "InvalidSubnetID.NotFound");
    EXPECT_EQ(error->child_text("Message"), "The subnet ID 'subnet-1' does not exist");
    EXPECT_EQ(doc->child_text("RequestID"), "ba7f1e1c-5d6e-4f1b-9c31-7f2b4b0f0e11");
    EXPECT_EQ(doc->child_text("Missing"), "");
    EXPECT_EQ(doc->child("Missing"), nullptr);
}

TEST(Xml, EntitiesCdataAndPrefixes) {
    auto doc = parse_xml(
        "<s3:Error xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<s3:Message>a &lt; b &amp;&amp; &quot;c&quot;</s3:Message>"
        "<Key><![CDATA[dir/<odd>&name]]></Key></s3:Error>");
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ(doc->name, "Error");
    EXPECT_EQ(doc->child_text("Message"), "a < b && \"c\"");
    EXPECT_EQ(doc->child_text("Key"), "dir/<odd>&name");
}

TEST(Xml, FirstOfRepeatedChildren) {
    auto doc = parse_xml("<a><b>1</b><b>2</b></a>");
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->children.size(), 2U);
    EXPECT_EQ(doc->child_text("b"), "1");
}

TEST(Xml, MalformedIsInvalidArgument) {
    for (const char* bad : {"", "<a>", "<a></b>", "not xml", "<a/><b/>", "<html>502 Bad Gateway"}) {
        auto doc = parse_xml(bad);
        ASSERT_FALSE(doc) << bad;
        EXPECT_EQ(doc.error().code, Errc::invalid_argument);
    }
}

TEST(Xml, DepthIsBounded) {
    std::string deep;
    for (int i = 0; i < kMaxXmlDepth + 1; ++i)
        deep += "<a>";
    for (int i = 0; i < kMaxXmlDepth + 1; ++i)
        deep += "</a>";
    auto doc = parse_xml(deep);
    ASSERT_FALSE(doc);
    EXPECT_NE(doc.error().message.find("nesting"), std::string::npos);

    std::string ok;
    for (int i = 0; i < kMaxXmlDepth; ++i)
        ok += "<a>";
    for (int i = 0; i < kMaxXmlDepth; ++i)
        ok += "</a>";
    EXPECT_TRUE(parse_xml(ok));
}

}  // namespace
}  // namespace sockerless::aws
