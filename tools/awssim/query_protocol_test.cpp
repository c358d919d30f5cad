#include "query_protocol.h"

#include <gtest/gtest.h>

namespace sockerless::awssim {
namespace {

TEST(QueryProtocolTest, FormDecoding) {
    EXPECT_EQ(form_decode("a+b%20c"), "a b c");
    EXPECT_EQ(form_decode("100%25"), "100%");
    EXPECT_EQ(form_decode("bad%2"), "bad%2");
    EXPECT_EQ(form_decode("bad%zz"), "bad%zz");
    auto params = parse_form("Action=DescribeVpcs&Version=2016-11-15&Empty=&Bare&X=1&X=2");
    EXPECT_EQ(params.at("Action"), "DescribeVpcs");
    EXPECT_EQ(params.at("Empty"), "");
    EXPECT_EQ(params.at("Bare"), "");
    EXPECT_EQ(params.at("X"), "2");
}

TEST(QueryProtocolTest, ParamsComeFromQueryStringAndFormBody) {
    auto get = query_params("/?Action=DescribeSubnets&SubnetId.1=subnet-1", "", "");
    EXPECT_EQ(get.at("Action"), "DescribeSubnets");
    EXPECT_EQ(get.at("SubnetId.1"), "subnet-1");
    auto post = query_params("/", "application/x-www-form-urlencoded; charset=utf-8",
                             "Action=DescribeVpcs&Filter.1.Name=tag%3AName");
    EXPECT_EQ(post.at("Filter.1.Name"), "tag:Name");
    auto json = query_params("/", "application/json", "Action=Nope");
    EXPECT_FALSE(json.contains("Action"));
}

TEST(QueryProtocolTest, MemberListsAreOrderedByIndex) {
    auto params = parse_form("SubnetId.10=c&SubnetId.2=b&SubnetId.1=a&SubnetIdX=z");
    auto list = member_list(params, "SubnetId");
    ASSERT_TRUE(list.has_value());
    EXPECT_EQ(*list, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(member_list(params, "GroupId")->empty());
    auto bad = member_list(parse_form("SubnetId.x=a"), "SubnetId");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, "InvalidParameterValue");
}

TEST(QueryProtocolTest, Filters) {
    auto params = parse_form(
        "Filter.2.Name=vpc-id&Filter.2.Value.1=vpc-1&Filter.1.Name=default-for-az&"
        "Filter.1.Value.2=false&Filter.1.Value.1=true");
    auto filters = query_filters(params);
    ASSERT_TRUE(filters.has_value());
    ASSERT_EQ(filters->size(), 2u);
    EXPECT_EQ((*filters)[0].name, "default-for-az");
    EXPECT_EQ((*filters)[0].values, (std::vector<std::string>{"true", "false"}));
    EXPECT_EQ((*filters)[1].name, "vpc-id");

    auto nameless = query_filters(parse_form("Filter.1.Value.1=x"));
    ASSERT_FALSE(nameless.has_value());
    EXPECT_EQ(nameless.error().code, "MissingParameter");
    EXPECT_EQ(nameless.error().message, "The request must contain the parameter Filter.1.Name");
    EXPECT_FALSE(query_filters(parse_form("Filter.1.Bogus=x")).has_value());
}

TEST(QueryProtocolTest, ScalarParameters) {
    auto params = parse_form("MaxResults=10&Bad=ten&DryRun=TRUE&Off=false&Odd=yes");
    EXPECT_EQ(**query_int(params, "MaxResults"), 10);
    EXPECT_FALSE(query_int(params, "Missing")->has_value());
    EXPECT_FALSE(query_int(params, "Bad").has_value());
    EXPECT_TRUE(**query_bool(params, "DryRun"));
    EXPECT_FALSE(**query_bool(params, "Off"));
    EXPECT_FALSE(query_bool(params, "Odd").has_value());
}

TEST(QueryProtocolTest, WildcardMatch) {
    EXPECT_TRUE(wildcard_match("us-east-1*", "us-east-1a"));
    EXPECT_TRUE(wildcard_match("*", ""));
    EXPECT_TRUE(wildcard_match("us-?ast-1?", "us-east-1f"));
    EXPECT_TRUE(wildcard_match("*a*b*", "xxaxxbxx"));
    EXPECT_FALSE(wildcard_match("us-east-1", "us-east-1a"));
    EXPECT_FALSE(wildcard_match("?", ""));
    EXPECT_FALSE(wildcard_match("*a", "b"));
}

}  // namespace
}  // namespace sockerless::awssim
