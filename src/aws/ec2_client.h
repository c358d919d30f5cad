#pragma once
// Amazon EC2 (query protocol, API version 2016-11-15, XML responses): looking up the subnets and
// security groups a task will run in, to check the configuration before the first RunTask.
// Both calls follow NextToken and return every match.

#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "aws/client.h"
#include "aws/xml.h"
#include "base/error.h"

namespace sockerless::aws {

inline constexpr std::string_view kEc2ApiVersion = "2016-11-15";

ServiceId ec2_service_id();

struct Ec2Filter {
    std::string name;  // e.g. "vpc-id", "tag:Name"
    std::vector<std::string> values;
};

struct Subnet {
    std::string subnet_id;
    std::string vpc_id;
    std::string availability_zone;
    std::string cidr_block;
    std::string state;
    int available_ip_address_count = 0;
    bool map_public_ip_on_launch = false;
};

struct IpPermission {
    std::string ip_protocol;  // "tcp", "udp", "icmp" or "-1" for all
    int from_port = -1;       // -1 when the rule covers every port
    int to_port = -1;
    std::vector<std::string> cidr_ipv4;
    std::vector<std::string> cidr_ipv6;
    std::vector<std::string> source_group_ids;
};

struct SecurityGroup {
    std::string group_id;
    std::string group_name;
    std::string description;
    std::string vpc_id;
    std::vector<IpPermission> ingress;
    std::vector<IpPermission> egress;
};

// ---- Pure request building and response parsing (unit-tested) ----------------------------------

// "<prefix>.1", "<prefix>.2", ... for the ids; Filter.N.Name and Filter.N.Value.M for filters.
std::vector<NameValue> ec2_list_params(std::string_view id_prefix,
                                       const std::vector<std::string>& ids,
                                       const std::vector<Ec2Filter>& filters);

std::vector<Subnet> parse_subnets(const XmlElement& response);
std::vector<SecurityGroup> parse_security_groups(const XmlElement& response);

// ---- The client
// -----------------------------------------------------------------------------------

class Ec2Client {
public:
    // `client` must be set up for ec2_service_id() and outlive this object.
    explicit Ec2Client(AwsClient& client) : client_(client) {}

    boost::asio::awaitable<Result<std::vector<Subnet>>> describe_subnets(
        std::vector<std::string> subnet_ids, std::vector<Ec2Filter> filters = {});
    boost::asio::awaitable<Result<std::vector<SecurityGroup>>> describe_security_groups(
        std::vector<std::string> group_ids, std::vector<Ec2Filter> filters = {});

private:
    // Every page of `operation`, following nextToken.
    boost::asio::awaitable<Result<std::vector<XmlElement>>> pages(std::string operation,
                                                                  std::vector<NameValue> params);

    AwsClient& client_;
};

}  // namespace sockerless::aws
