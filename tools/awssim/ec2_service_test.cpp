#include "ec2_service.h"

#include <gtest/gtest.h>
#include <boost/beast/http.hpp>

#include "s3_xml.h"

namespace sockerless::awssim {
namespace {
namespace http = boost::beast::http;

TEST(Ec2ErrorDocumentTest, Shape) {
    EXPECT_EQ(ec2_error_document(ApiError{400, "InvalidSubnetID.NotFound", "a <b> & 'c'"}, "rid"),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<Response><Errors><Error><Code>InvalidSubnetID.NotFound</Code>"
              "<Message>a &lt;b&gt; &amp; &apos;c&apos;</Message></Error></Errors>"
              "<RequestID>rid</RequestID></Response>");
}

class Ec2ServiceTest : public ::testing::Test {
protected:
    Ec2State state_{"us-east-1"};
    Ec2Service service_{state_};

    // Runs `form` and parses the response document; fails the test on an error.
    XmlNode ok(std::string_view form) {
        auto params = parse_form(form);
        auto body = service_.call(params.at("Action"), params, "req-1");
        EXPECT_TRUE(body.has_value())
            << (body ? "" : body.error().code + ": " + body.error().message);
        auto doc = parse_xml(body ? *body : std::string());
        EXPECT_TRUE(doc.has_value());
        return doc.value_or(XmlNode{});
    }

    ApiError fails(std::string_view form) {
        auto params = parse_form(form);
        auto body = service_.call(params.at("Action"), params, "req-1");
        EXPECT_FALSE(body.has_value());
        return body ? ApiError{} : body.error();
    }

    static std::vector<std::string> texts(const XmlNode& set, std::string_view member) {
        std::vector<std::string> out;
        for (const XmlNode* item : set.all("item"))
            out.push_back(item->child_text(member).value_or("<none>"));
        return out;
    }
};

TEST_F(Ec2ServiceTest, DefaultIdsAreDeterministic) {
    EXPECT_EQ(default_vpc_id("us-east-1"), Ec2State("us-east-1").default_vpc().id);
    EXPECT_EQ(default_vpc_id("us-east-1"), default_vpc_id("us-east-1"));
    EXPECT_NE(default_vpc_id("us-east-1"), default_vpc_id("eu-west-1"));
    EXPECT_EQ(default_vpc_id("us-east-1").size(), std::string("vpc-").size() + 17);
    EXPECT_TRUE(default_subnet_id("us-east-1", "us-east-1a").starts_with("subnet-"));
    EXPECT_TRUE(default_security_group_id("us-east-1").starts_with("sg-"));
}

TEST_F(Ec2ServiceTest, DescribesTheDefaultVpc) {
    auto doc = ok("Action=DescribeVpcs");
    EXPECT_EQ(doc.name, "DescribeVpcsResponse");
    EXPECT_EQ(doc.child_text("requestId"), "req-1");
    const XmlNode* set = doc.child("vpcSet");
    ASSERT_NE(set, nullptr);
    ASSERT_EQ(set->all("item").size(), 1u);
    const XmlNode& vpc = *set->all("item")[0];
    EXPECT_EQ(vpc.child_text("vpcId"), default_vpc_id("us-east-1"));
    EXPECT_EQ(vpc.child_text("cidrBlock"), "172.31.0.0/16");
    EXPECT_EQ(vpc.child_text("isDefault"), "true");
    EXPECT_EQ(vpc.child_text("state"), "available");
    EXPECT_EQ(vpc.child_text("ownerId"), "000000000000");
    EXPECT_EQ(vpc.child("tagSet"), nullptr);

    EXPECT_EQ(ok("Action=DescribeVpcs&Filter.1.Name=isDefault&Filter.1.Value.1=false")
                  .child("vpcSet")
                  ->children.size(),
              0u);
    auto err = fails("Action=DescribeVpcs&VpcId.1=vpc-0123456789abcdef0");
    EXPECT_EQ(err.code, "InvalidVpcID.NotFound");
    EXPECT_EQ(err.message, "The vpc ID 'vpc-0123456789abcdef0' does not exist");
    EXPECT_EQ(fails("Action=DescribeVpcs&VpcId.1=nonsense").code, "InvalidVpcID.Malformed");
}

TEST_F(Ec2ServiceTest, OneDefaultSubnetPerZone) {
    auto doc = ok("Action=DescribeSubnets");
    const XmlNode* set = doc.child("subnetSet");
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(texts(*set, "availabilityZone"),
              (std::vector<std::string>{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d",
                                        "us-east-1e", "us-east-1f"}));
    EXPECT_EQ(texts(*set, "cidrBlock"),
              (std::vector<std::string>{"172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20",
                                        "172.31.48.0/20", "172.31.64.0/20", "172.31.80.0/20"}));
    EXPECT_EQ(texts(*set, "defaultForAz"), std::vector<std::string>(6, "true"));
    EXPECT_EQ(texts(*set, "vpcId"), std::vector<std::string>(6, default_vpc_id("us-east-1")));
    EXPECT_EQ(texts(*set, "availableIpAddressCount"), std::vector<std::string>(6, "4091"));
    EXPECT_EQ(texts(*set, "availabilityZoneId")[0], "use1-az1");
}

TEST_F(Ec2ServiceTest, SubnetFilters) {
    std::string vpc = default_vpc_id("us-east-1");
    auto doc = ok("Action=DescribeSubnets&Filter.1.Name=vpc-id&Filter.1.Value.1=" + vpc +
                  "&Filter.2.Name=default-for-az&Filter.2.Value.1=true"
                  "&Filter.3.Name=availability-zone&Filter.3.Value.1=us-east-1b"
                  "&Filter.3.Value.2=us-east-1c");
    EXPECT_EQ(texts(*doc.child("subnetSet"), "availabilityZone"),
              (std::vector<std::string>{"us-east-1b", "us-east-1c"}));
    auto wildcard =
        ok("Action=DescribeSubnets&Filter.1.Name=availability-zone&Filter.1.Value.1=*f");
    EXPECT_EQ(texts(*wildcard.child("subnetSet"), "subnetId"),
              (std::vector<std::string>{default_subnet_id("us-east-1", "us-east-1f")}));
    auto err = fails("Action=DescribeSubnets&Filter.1.Name=bogus&Filter.1.Value.1=x");
    EXPECT_EQ(err.code, "InvalidParameterValue");
    EXPECT_EQ(err.message, "The filter 'bogus' is invalid");
}

TEST_F(Ec2ServiceTest, SubnetIds) {
    std::string a = default_subnet_id("us-east-1", "us-east-1a");
    std::string d = default_subnet_id("us-east-1", "us-east-1d");
    auto doc = ok("Action=DescribeSubnets&SubnetId.1=" + d + "&SubnetId.2=" + a);
    EXPECT_EQ(texts(*doc.child("subnetSet"), "subnetId"), (std::vector<std::string>{d, a}));
    auto err =
        fails("Action=DescribeSubnets&SubnetId.1=" + a + "&SubnetId.2=subnet-00000000000000000");
    EXPECT_EQ(err.code, "InvalidSubnetID.NotFound");
    EXPECT_EQ(err.message, "The subnet ID 'subnet-00000000000000000' does not exist");
    EXPECT_EQ(fails("Action=DescribeSubnets&SubnetId.1=sg-1234").code, "InvalidSubnetID.Malformed");
}

TEST_F(Ec2ServiceTest, Pagination) {
    auto first = ok("Action=DescribeSubnets&MaxResults=5");
    EXPECT_EQ(first.child("subnetSet")->all("item").size(), 5u);
    auto token = first.child_text("nextToken");
    ASSERT_TRUE(token.has_value());
    auto second = ok("Action=DescribeSubnets&MaxResults=5&NextToken=" + *token);
    EXPECT_EQ(texts(*second.child("subnetSet"), "availabilityZone"),
              (std::vector<std::string>{"us-east-1f"}));
    EXPECT_FALSE(second.child_text("nextToken").has_value());
    EXPECT_EQ(fails("Action=DescribeSubnets&MaxResults=4").code, "InvalidParameterValue");
    EXPECT_EQ(fails("Action=DescribeSubnets&NextToken=garbage").code, "InvalidPaginationToken");
}

TEST_F(Ec2ServiceTest, DefaultSecurityGroup) {
    std::string sg = default_security_group_id("us-east-1");
    auto doc = ok("Action=DescribeSecurityGroups&GroupName.1=default");
    const XmlNode* set = doc.child("securityGroupInfo");
    ASSERT_EQ(set->all("item").size(), 1u);
    const XmlNode& group = *set->all("item")[0];
    EXPECT_EQ(group.child_text("groupId"), sg);
    EXPECT_EQ(group.child_text("groupDescription"), "default VPC security group");
    const XmlNode* ingress = group.child("ipPermissions")->child("item");
    EXPECT_EQ(ingress->child_text("ipProtocol"), "-1");
    EXPECT_EQ(ingress->child("groups")->child("item")->child_text("groupId"), sg);
    const XmlNode* egress = group.child("ipPermissionsEgress")->child("item");
    EXPECT_EQ(egress->child("ipRanges")->child("item")->child_text("cidrIp"), "0.0.0.0/0");

    EXPECT_EQ(ok("Action=DescribeSecurityGroups&Filter.1.Name=group-name&Filter.1.Value.1=default")
                  .child("securityGroupInfo")
                  ->all("item")
                  .size(),
              1u);
    auto by_name = fails("Action=DescribeSecurityGroups&GroupName.1=web");
    EXPECT_EQ(by_name.code, "InvalidGroup.NotFound");
    EXPECT_EQ(by_name.message, "The security group 'web' does not exist in default VPC '" +
                                   default_vpc_id("us-east-1") + "'");
    auto by_id = fails("Action=DescribeSecurityGroups&GroupId.1=sg-0000000000000000a");
    EXPECT_EQ(by_id.message, "The security group 'sg-0000000000000000a' does not exist");
    EXPECT_EQ(fails("Action=DescribeSecurityGroups&GroupId.1=default").code,
              "InvalidGroupId.Malformed");
}

TEST_F(Ec2ServiceTest, TagsAndTagFilters) {
    std::string b = default_subnet_id("us-east-1", "us-east-1b");
    ok("Action=CreateTags&ResourceId.1=" + b + "&Tag.1.Key=Name&Tag.1.Value=public-b");
    auto doc = ok("Action=DescribeSubnets&Filter.1.Name=tag:Name&Filter.1.Value.1=public-*");
    const XmlNode* set = doc.child("subnetSet");
    ASSERT_EQ(set->all("item").size(), 1u);
    const XmlNode* tag = set->all("item")[0]->child("tagSet")->child("item");
    EXPECT_EQ(tag->child_text("key"), "Name");
    EXPECT_EQ(tag->child_text("value"), "public-b");
    EXPECT_EQ(ok("Action=DescribeSubnets&Filter.1.Name=tag-key&Filter.1.Value.1=Name")
                  .child("subnetSet")
                  ->all("item")
                  .size(),
              1u);
    ok("Action=DeleteTags&ResourceId.1=" + b + "&Tag.1.Key=Name");
    EXPECT_TRUE(state_.find_subnet(b)->tags.empty());
    EXPECT_EQ(fails("Action=CreateTags&ResourceId.1=subnet-00000000000000000&Tag.1.Key=a").code,
              "InvalidSubnetID.NotFound");
    EXPECT_EQ(fails("Action=CreateTags&ResourceId.1=" + b + "&Tag.1.Key=aws:x").code,
              "InvalidParameterValue");
}

TEST_F(Ec2ServiceTest, AvailabilityZones) {
    auto doc = ok("Action=DescribeAvailabilityZones");
    EXPECT_EQ(texts(*doc.child("availabilityZoneInfo"), "zoneId"),
              (std::vector<std::string>{"use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az5",
                                        "use1-az6"}));
    auto one = ok("Action=DescribeAvailabilityZones&ZoneName.1=us-east-1c");
    EXPECT_EQ(texts(*one.child("availabilityZoneInfo"), "zoneState"),
              (std::vector<std::string>{"available"}));
    EXPECT_EQ(fails("Action=DescribeAvailabilityZones&ZoneName.1=us-east-1z").message,
              "Invalid availability zone: [us-east-1z]");
    EXPECT_EQ(region_zones("eu-west-1").size(), 3u);
    EXPECT_EQ(region_zones("eu-west-1")[1].zone_id, "euw1-az2");
}

TEST_F(Ec2ServiceTest, NetworkInterfacesOfTasks) {
    std::string a = default_subnet_id("us-east-1", "us-east-1a");
    auto eni = state_.create_network_interface(a, "127.0.10.2",
                                               {default_security_group_id("us-east-1")}, "task");
    ASSERT_TRUE(eni.has_value());
    EXPECT_TRUE(eni->id.starts_with("eni-"));
    EXPECT_EQ(Ec2State("us-east-1").create_network_interface(a, "x", {}, "")->id, eni->id);
    auto doc =
        ok("Action=DescribeNetworkInterfaces&Filter.1.Name=private-ip-address&"
           "Filter.1.Value.1=127.0.10.2");
    const XmlNode* set = doc.child("networkInterfaceSet");
    ASSERT_EQ(set->all("item").size(), 1u);
    EXPECT_EQ(set->all("item")[0]->child_text("subnetId"), a);
    EXPECT_EQ(set->all("item")[0]->child("groupSet")->child("item")->child_text("groupName"),
              "default");
    EXPECT_FALSE(state_.create_network_interface("subnet-00000000000000000", "x", {}, ""));
    state_.delete_network_interface(eni->id);
    EXPECT_EQ(fails("Action=DescribeNetworkInterfaces&NetworkInterfaceId.1=" + eni->id).code,
              "InvalidNetworkInterfaceID.NotFound");
}

TEST_F(Ec2ServiceTest, UnknownAction) {
    auto err = fails("Action=RunInstances");
    EXPECT_EQ(err.code, "InvalidAction");
    EXPECT_EQ(err.message, "The action RunInstances is not valid for this web service.");
}

TEST_F(Ec2ServiceTest, AuthenticationErrorsInEc2Terms) {
    Request req{http::verb::post, "/", 11};
    auto check = [&](const ApiError& in, unsigned status, std::string_view code) {
        auto res = service_.error(req, in, "rid");
        EXPECT_EQ(res.result_int(), status) << in.code;
        EXPECT_EQ(res[http::field::content_type], "text/xml;charset=UTF-8");
        auto doc = parse_xml(res.body());
        ASSERT_TRUE(doc.has_value());
        EXPECT_EQ(doc->child("Errors")->child("Error")->child_text("Code"), code);
        EXPECT_EQ(doc->child_text("RequestID"), "rid");
    };
    check(ApiError{403, "UnrecognizedClientException", "x"}, 401, "AuthFailure");
    check(ApiError{403, "InvalidSignatureException", "The request signature we calculated..."}, 401,
          "AuthFailure");
    check(ApiError{403, "InvalidSignatureException", "Signature expired: ..."}, 400,
          "RequestExpired");
    check(ApiError{403, "MissingAuthenticationTokenException", "x"}, 401,
          "MissingAuthenticationToken");
    check(ApiError{503, "RequestLimitExceeded", "Request limit exceeded."}, 503,
          "RequestLimitExceeded");
}

}  // namespace
}  // namespace sockerless::awssim
