#pragma once
// The EC2 networking a new AWS account has in a region: the default VPC (172.31.0.0/16), one
// default /20 subnet per availability zone and the VPC's "default" security group, plus the
// network interfaces the task runner attaches to tasks (awsvpc ENIs) and resource tags.
//
// Ids are deterministic: "vpc-", "subnet-", "sg-"... followed by 17 hex digits of a SHA-256 of a
// fixed seed, the region and the resource's role, so tests and the daemon's configuration can name
// them before the simulator starts (default_vpc_id("us-east-1") etc.). Not thread-safe: the
// simulator serves every request from one strand.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api_error.h"

namespace sockerless::awssim {

using Ec2Tags = std::vector<std::pair<std::string, std::string>>;  // in insertion order

struct AvailabilityZone {
    std::string name;     // "us-east-1a"
    std::string zone_id;  // "use1-az1"
};

struct Vpc {
    std::string id;
    std::string cidr;
    std::string cidr_association_id;
    std::string dhcp_options_id;
    bool is_default = false;
    Ec2Tags tags;
};

struct Subnet {
    std::string id;
    std::string vpc_id;
    std::string cidr;
    std::string availability_zone;
    std::string availability_zone_id;
    bool default_for_az = false;
    bool map_public_ip_on_launch = false;
    long available_ip_address_count = 0;
    Ec2Tags tags;
};

// One rule. protocol "-1" is all traffic (no ports).
struct IpPermission {
    std::string protocol = "-1";
    std::optional<int> from_port, to_port;
    std::vector<std::string> group_ids;  // sources/destinations that are security groups
    std::vector<std::string> cidrs;      // IPv4 ranges
};

struct SecurityGroup {
    std::string id;
    std::string name;
    std::string description;
    std::string vpc_id;
    std::vector<IpPermission> ingress, egress;
    Ec2Tags tags;
};

struct NetworkInterface {
    std::string id;
    std::string subnet_id;
    std::string vpc_id;
    std::string availability_zone;
    std::string private_ip;
    std::string mac_address;
    std::string description;
    std::vector<std::string> group_ids;
    std::string status = "in-use";
    Ec2Tags tags;
};

// "<prefix>-" followed by 17 hex digits derived from `seed`; the same seed always gives the same
// id.
std::string deterministic_ec2_id(std::string_view prefix, std::string_view seed);

// The ids of the default resources of `region`, as Ec2State creates them.
std::string default_vpc_id(std::string_view region);
std::string default_security_group_id(std::string_view region);
std::string default_subnet_id(std::string_view region, std::string_view availability_zone);

// The availability zones the simulator gives `region`: six for us-east-1 (a..f), three elsewhere.
std::vector<AvailabilityZone> region_zones(std::string_view region);

class Ec2State {
public:
    explicit Ec2State(std::string region);

    [[nodiscard]] const std::string& region() const { return region_; }
    [[nodiscard]] const std::vector<AvailabilityZone>& zones() const { return zones_; }
    [[nodiscard]] const std::vector<Vpc>& vpcs() const { return vpcs_; }
    [[nodiscard]] const std::vector<Subnet>& subnets() const { return subnets_; }
    [[nodiscard]] const std::vector<SecurityGroup>& security_groups() const { return groups_; }
    [[nodiscard]] const std::vector<NetworkInterface>& network_interfaces() const { return enis_; }
    [[nodiscard]] const Vpc& default_vpc() const { return vpcs_.front(); }

    [[nodiscard]] const Vpc* find_vpc(std::string_view id) const;
    [[nodiscard]] const Subnet* find_subnet(std::string_view id) const;
    [[nodiscard]] const SecurityGroup* find_security_group(std::string_view id) const;
    [[nodiscard]] const NetworkInterface* find_network_interface(std::string_view id) const;

    // The tags of any resource by id; nullptr when no resource has that id.
    Ec2Tags* tags_of(std::string_view resource_id);

    // Creates an in-use interface in `subnet_id` (which must exist: InvalidSubnetID.NotFound)
    // with `private_ip`, as ECS does for an awsvpc task. Its id and MAC address are derived from a
    // counter, so a fresh simulator hands out the same ids in the same order.
    ApiResult<NetworkInterface> create_network_interface(std::string_view subnet_id,
                                                         std::string private_ip,
                                                         std::vector<std::string> group_ids,
                                                         std::string description);
    // Forgets an interface (its task stopped); unknown ids are ignored.
    void delete_network_interface(std::string_view id);

private:
    std::string region_;
    std::vector<AvailabilityZone> zones_;
    std::vector<Vpc> vpcs_;
    std::vector<Subnet> subnets_;
    std::vector<SecurityGroup> groups_;
    std::vector<NetworkInterface> enis_;
    std::uint64_t eni_counter_ = 0;
};

}  // namespace sockerless::awssim
