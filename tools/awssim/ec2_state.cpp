#include "ec2_state.h"

#include <algorithm>

#include "sigv4_verify.h"

namespace sockerless::awssim {
namespace {

constexpr std::string_view kSeed = "sockerless-awssim";
constexpr std::string_view kDefaultVpcCidr = "172.31.0.0/16";
// A /20 holds 4096 addresses; AWS reserves five in every subnet.
constexpr long kSubnetUsableAddresses = 4096 - 5;

// "us-east-1" -> "use1", "eu-central-1" -> "euc1": the prefix AWS's zone ids use.
std::string zone_id_prefix(std::string_view region) {
    std::vector<std::string_view> parts;
    while (true) {
        std::size_t dash = region.find('-');
        parts.push_back(region.substr(0, dash));
        if (dash == std::string_view::npos) break;
        region.remove_prefix(dash + 1);
    }
    if (parts.size() < 3) return std::string(parts.front());
    std::string out(parts.front());
    for (std::size_t i = 1; i + 1 < parts.size(); ++i)
        out.push_back(parts[i].empty() ? 'x' : parts[i].front());
    out += parts.back();
    return out;
}

std::string subnet_cidr(std::size_t index) {
    return "172.31." + std::to_string(index * 16) + ".0/20";
}

}  // namespace

std::string deterministic_ec2_id(std::string_view prefix, std::string_view seed) {
    return std::string(prefix) + "-" +
           sha256_hex(std::string(kSeed) + "/" + std::string(seed)).substr(0, 17);
}

std::string default_vpc_id(std::string_view region) {
    return deterministic_ec2_id("vpc", std::string(region) + "/default-vpc");
}

std::string default_security_group_id(std::string_view region) {
    return deterministic_ec2_id("sg", std::string(region) + "/default-vpc/default-sg");
}

std::string default_subnet_id(std::string_view region, std::string_view availability_zone) {
    return deterministic_ec2_id(
        "subnet", std::string(region) + "/default-vpc/" + std::string(availability_zone));
}

std::vector<AvailabilityZone> region_zones(std::string_view region) {
    std::size_t count = region == "us-east-1" ? 6 : 3;
    std::string prefix = zone_id_prefix(region);
    std::vector<AvailabilityZone> out;
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(AvailabilityZone{std::string(region) + static_cast<char>('a' + i),
                                       prefix + "-az" + std::to_string(i + 1)});
    }
    return out;
}

Ec2State::Ec2State(std::string region) : region_(std::move(region)), zones_(region_zones(region_)) {
    Vpc vpc;
    vpc.id = default_vpc_id(region_);
    vpc.cidr = std::string(kDefaultVpcCidr);
    vpc.cidr_association_id = deterministic_ec2_id("vpc-cidr-assoc", region_ + "/default-vpc");
    vpc.dhcp_options_id = deterministic_ec2_id("dopt", region_ + "/default");
    vpc.is_default = true;
    vpcs_.push_back(vpc);

    for (std::size_t i = 0; i < zones_.size(); ++i) {
        Subnet subnet;
        subnet.id = default_subnet_id(region_, zones_[i].name);
        subnet.vpc_id = vpc.id;
        subnet.cidr = subnet_cidr(i);
        subnet.availability_zone = zones_[i].name;
        subnet.availability_zone_id = zones_[i].zone_id;
        subnet.default_for_az = true;
        subnet.map_public_ip_on_launch = true;
        subnet.available_ip_address_count = kSubnetUsableAddresses;
        subnets_.push_back(std::move(subnet));
    }

    // The default group admits all traffic from its own members and lets everything out.
    SecurityGroup group;
    group.id = default_security_group_id(region_);
    group.name = "default";
    group.description = "default VPC security group";
    group.vpc_id = vpc.id;
    group.ingress.push_back(IpPermission{"-1", std::nullopt, std::nullopt, {group.id}, {}});
    group.egress.push_back(IpPermission{"-1", std::nullopt, std::nullopt, {}, {"0.0.0.0/0"}});
    groups_.push_back(std::move(group));
}

const Vpc* Ec2State::find_vpc(std::string_view id) const {
    auto it = std::ranges::find(vpcs_, id, &Vpc::id);
    return it == vpcs_.end() ? nullptr : &*it;
}

const Subnet* Ec2State::find_subnet(std::string_view id) const {
    auto it = std::ranges::find(subnets_, id, &Subnet::id);
    return it == subnets_.end() ? nullptr : &*it;
}

const SecurityGroup* Ec2State::find_security_group(std::string_view id) const {
    auto it = std::ranges::find(groups_, id, &SecurityGroup::id);
    return it == groups_.end() ? nullptr : &*it;
}

const NetworkInterface* Ec2State::find_network_interface(std::string_view id) const {
    auto it = std::ranges::find(enis_, id, &NetworkInterface::id);
    return it == enis_.end() ? nullptr : &*it;
}

Ec2Tags* Ec2State::tags_of(std::string_view resource_id) {
    if (auto it = std::ranges::find(vpcs_, resource_id, &Vpc::id); it != vpcs_.end())
        return &it->tags;
    if (auto it = std::ranges::find(subnets_, resource_id, &Subnet::id); it != subnets_.end())
        return &it->tags;
    if (auto it = std::ranges::find(groups_, resource_id, &SecurityGroup::id); it != groups_.end())
        return &it->tags;
    if (auto it = std::ranges::find(enis_, resource_id, &NetworkInterface::id); it != enis_.end())
        return &it->tags;
    return nullptr;
}

ApiResult<NetworkInterface> Ec2State::create_network_interface(std::string_view subnet_id,
                                                               std::string private_ip,
                                                               std::vector<std::string> group_ids,
                                                               std::string description) {
    const Subnet* subnet = find_subnet(subnet_id);
    if (!subnet) {
        return ApiError{400, "InvalidSubnetID.NotFound",
                        "The subnet ID '" + std::string(subnet_id) + "' does not exist"};
    }
    std::string seed = region_ + "/eni/" + std::to_string(++eni_counter_);
    NetworkInterface eni;
    eni.id = deterministic_ec2_id("eni", seed);
    eni.subnet_id = subnet->id;
    eni.vpc_id = subnet->vpc_id;
    eni.availability_zone = subnet->availability_zone;
    eni.private_ip = std::move(private_ip);
    // A locally administered unicast MAC, as AWS's interfaces have.
    std::string hex = sha256_hex(seed);
    eni.mac_address = "02";
    for (std::size_t i = 0; i < 10; i += 2)
        eni.mac_address += ":" + hex.substr(i, 2);
    eni.description = std::move(description);
    eni.group_ids = std::move(group_ids);
    enis_.push_back(eni);
    return eni;
}

void Ec2State::delete_network_interface(std::string_view id) {
    std::erase_if(enis_, [&](const NetworkInterface& e) { return e.id == id; });
}

}  // namespace sockerless::awssim
