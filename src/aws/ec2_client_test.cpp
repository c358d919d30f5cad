#include "aws/ec2_client.h"

#include <gtest/gtest.h>

// Requests are what botocore 1.43's ec2 serializer produces for the same input; responses
// follow the EC2 API reference's DescribeSubnets and DescribeSecurityGroups examples (the
// element names are the model's locationName values).

namespace sockerless::aws {
namespace {

TEST(Ec2Requests, IdsAndFilters) {
    const std::vector<NameValue> params = ec2_list_params(
        "SubnetId", {"subnet-1", "subnet-2"}, {Ec2Filter{"vpc-id", {"vpc-1", "vpc-2"}}});
    const std::vector<NameValue> expected = {
        {"SubnetId.1", "subnet-1"},    {"SubnetId.2", "subnet-2"},    {"Filter.1.Name", "vpc-id"},
        {"Filter.1.Value.1", "vpc-1"}, {"Filter.1.Value.2", "vpc-2"},
    };
    EXPECT_EQ(params, expected);
}

TEST(Ec2Parse, Subnets) {
    auto doc = parse_xml(R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
    <subnetSet>
        <item>
            <subnetId>subnet-0a1b2c3d4e5f6a7b8</subnetId>
            <subnetArn>arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0a1b2c3d4e5f6a7b8</subnetArn>
            <state>available</state>
            <ownerId>111122223333</ownerId>
            <vpcId>vpc-0a60eb65b4EXAMPLE</vpcId>
            <cidrBlock>10.0.1.0/24</cidrBlock>
            <ipv6CidrBlockAssociationSet/>
            <availableIpAddressCount>250</availableIpAddressCount>
            <availabilityZone>us-east-1a</availabilityZone>
            <availabilityZoneId>use1-az4</availabilityZoneId>
            <defaultForAz>false</defaultForAz>
            <mapPublicIpOnLaunch>false</mapPublicIpOnLaunch>
            <tagSet><item><key>Name</key><value>private-a</value></item></tagSet>
        </item>
    </subnetSet>
</DescribeSubnetsResponse>)");
    ASSERT_TRUE(doc.has_value());
    const std::vector<Subnet> subnets = parse_subnets(*doc);
    ASSERT_EQ(subnets.size(), 1U);
    EXPECT_EQ(subnets[0].subnet_id, "subnet-0a1b2c3d4e5f6a7b8");
    EXPECT_EQ(subnets[0].vpc_id, "vpc-0a60eb65b4EXAMPLE");
    EXPECT_EQ(subnets[0].availability_zone, "us-east-1a");
    EXPECT_EQ(subnets[0].cidr_block, "10.0.1.0/24");
    EXPECT_EQ(subnets[0].state, "available");
    EXPECT_EQ(subnets[0].available_ip_address_count, 250);
    EXPECT_FALSE(subnets[0].map_public_ip_on_launch);
}

TEST(Ec2Parse, SecurityGroups) {
    auto doc = parse_xml(
        R"(<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
   <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
   <securityGroupInfo>
      <item>
         <ownerId>111122223333</ownerId>
         <groupId>sg-1a2b3c4d</groupId>
         <groupName>sockerless-tasks</groupName>
         <groupDescription>agent port from the daemon</groupDescription>
         <vpcId>vpc-1a2b3c4d</vpcId>
         <ipPermissions>
            <item>
               <ipProtocol>tcp</ipProtocol>
               <fromPort>9111</fromPort>
               <toPort>9111</toPort>
               <groups>
                  <item><userId>111122223333</userId><groupId>sg-99999999</groupId></item>
               </groups>
               <ipRanges><item><cidrIp>10.0.0.0/16</cidrIp></item></ipRanges>
               <ipv6Ranges/>
               <prefixListIds/>
            </item>
         </ipPermissions>
         <ipPermissionsEgress>
            <item>
               <ipProtocol>-1</ipProtocol>
               <groups/>
               <ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges>
               <ipv6Ranges><item><cidrIpv6>::/0</cidrIpv6></item></ipv6Ranges>
            </item>
         </ipPermissionsEgress>
      </item>
   </securityGroupInfo>
</DescribeSecurityGroupsResponse>)");
    ASSERT_TRUE(doc.has_value());
    const std::vector<SecurityGroup> groups = parse_security_groups(*doc);
    ASSERT_EQ(groups.size(), 1U);
    const SecurityGroup& g = groups[0];
    EXPECT_EQ(g.group_id, "sg-1a2b3c4d");
    EXPECT_EQ(g.group_name, "sockerless-tasks");
    EXPECT_EQ(g.description, "agent port from the daemon");
    EXPECT_EQ(g.vpc_id, "vpc-1a2b3c4d");
    ASSERT_EQ(g.ingress.size(), 1U);
    EXPECT_EQ(g.ingress[0].ip_protocol, "tcp");
    EXPECT_EQ(g.ingress[0].from_port, 9111);
    EXPECT_EQ(g.ingress[0].to_port, 9111);
    EXPECT_EQ(g.ingress[0].cidr_ipv4, std::vector<std::string>{"10.0.0.0/16"});
    EXPECT_EQ(g.ingress[0].source_group_ids, std::vector<std::string>{"sg-99999999"});
    ASSERT_EQ(g.egress.size(), 1U);
    EXPECT_EQ(g.egress[0].ip_protocol, "-1");
    EXPECT_EQ(g.egress[0].from_port, -1);
    EXPECT_EQ(g.egress[0].cidr_ipv6, std::vector<std::string>{"::/0"});
}

}  // namespace
}  // namespace sockerless::aws
