#include "aws/ec2_client.h"

#include <charconv>
#include <utility>

namespace sockerless::aws {
namespace {

namespace asio = boost::asio;

int to_int(std::string_view s, int fallback) {
    int v = fallback;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() ? v : fallback;
}

// The <item> children of `parent`'s `set_name` child: EC2's list encoding.
std::vector<const XmlElement*> items(const XmlElement& parent, std::string_view set_name) {
    std::vector<const XmlElement*> out;
    const XmlElement* set = parent.child(set_name);
    if (set == nullptr) return out;
    for (const XmlElement& c : set->children) {
        if (c.name == "item") out.push_back(&c);
    }
    return out;
}

std::vector<std::string> item_texts(const XmlElement& parent, std::string_view set_name,
                                    std::string_view field) {
    std::vector<std::string> out;
    for (const XmlElement* item : items(parent, set_name))
        out.emplace_back(item->child_text(field));
    return out;
}

IpPermission parse_permission(const XmlElement& p) {
    IpPermission out;
    out.ip_protocol = p.child_text("ipProtocol");
    out.from_port = to_int(p.child_text("fromPort"), -1);
    out.to_port = to_int(p.child_text("toPort"), -1);
    out.cidr_ipv4 = item_texts(p, "ipRanges", "cidrIp");
    out.cidr_ipv6 = item_texts(p, "ipv6Ranges", "cidrIpv6");
    out.source_group_ids = item_texts(p, "groups", "groupId");
    return out;
}

std::vector<IpPermission> parse_permissions(const XmlElement& group, std::string_view set_name) {
    std::vector<IpPermission> out;
    for (const XmlElement* p : items(group, set_name))
        out.push_back(parse_permission(*p));
    return out;
}

}  // namespace

ServiceId ec2_service_id() {
    return ServiceId{"EC2", "ec2", "ec2"};
}

std::vector<NameValue> ec2_list_params(std::string_view id_prefix,
                                       const std::vector<std::string>& ids,
                                       const std::vector<Ec2Filter>& filters) {
    std::vector<NameValue> out;
    for (std::size_t i = 0; i < ids.size(); ++i)
        out.emplace_back(std::string(id_prefix) + "." + std::to_string(i + 1), ids[i]);
    for (std::size_t i = 0; i < filters.size(); ++i) {
        const std::string prefix = "Filter." + std::to_string(i + 1);
        out.emplace_back(prefix + ".Name", filters[i].name);
        for (std::size_t j = 0; j < filters[i].values.size(); ++j) {
            out.emplace_back(prefix + ".Value." + std::to_string(j + 1), filters[i].values[j]);
        }
    }
    return out;
}

std::vector<Subnet> parse_subnets(const XmlElement& response) {
    std::vector<Subnet> out;
    for (const XmlElement* s : items(response, "subnetSet")) {
        Subnet subnet;
        subnet.subnet_id = s->child_text("subnetId");
        subnet.vpc_id = s->child_text("vpcId");
        subnet.availability_zone = s->child_text("availabilityZone");
        subnet.cidr_block = s->child_text("cidrBlock");
        subnet.state = s->child_text("state");
        subnet.available_ip_address_count = to_int(s->child_text("availableIpAddressCount"), 0);
        subnet.map_public_ip_on_launch = s->child_text("mapPublicIpOnLaunch") == "true";
        out.push_back(std::move(subnet));
    }
    return out;
}

std::vector<SecurityGroup> parse_security_groups(const XmlElement& response) {
    std::vector<SecurityGroup> out;
    for (const XmlElement* g : items(response, "securityGroupInfo")) {
        SecurityGroup group;
        group.group_id = g->child_text("groupId");
        group.group_name = g->child_text("groupName");
        group.description = g->child_text("groupDescription");
        group.vpc_id = g->child_text("vpcId");
        group.ingress = parse_permissions(*g, "ipPermissions");
        group.egress = parse_permissions(*g, "ipPermissionsEgress");
        out.push_back(std::move(group));
    }
    return out;
}

asio::awaitable<Result<std::vector<XmlElement>>> Ec2Client::pages(std::string operation,
                                                                  std::vector<NameValue> params) {
    std::vector<XmlElement> out;
    std::string token;
    do {
        std::vector<NameValue> page_params = params;
        if (!token.empty()) page_params.emplace_back("NextToken", token);
        Result<XmlElement> doc = co_await client_.call_query(
            operation, std::string(kEc2ApiVersion), std::move(page_params), Protocol::ec2_query);
        if (!doc) co_return doc.error();
        token = doc->child_text("nextToken");
        out.push_back(std::move(*doc));
    } while (!token.empty());
    co_return out;
}

asio::awaitable<Result<std::vector<Subnet>>> Ec2Client::describe_subnets(
    std::vector<std::string> subnet_ids, std::vector<Ec2Filter> filters) {
    Result<std::vector<XmlElement>> docs =
        co_await pages("DescribeSubnets", ec2_list_params("SubnetId", subnet_ids, filters));
    if (!docs) co_return docs.error();
    std::vector<Subnet> out;
    for (const XmlElement& doc : *docs) {
        std::vector<Subnet> page = parse_subnets(doc);
        std::move(page.begin(), page.end(), std::back_inserter(out));
    }
    co_return out;
}

asio::awaitable<Result<std::vector<SecurityGroup>>> Ec2Client::describe_security_groups(
    std::vector<std::string> group_ids, std::vector<Ec2Filter> filters) {
    Result<std::vector<XmlElement>> docs =
        co_await pages("DescribeSecurityGroups", ec2_list_params("GroupId", group_ids, filters));
    if (!docs) co_return docs.error();
    std::vector<SecurityGroup> out;
    for (const XmlElement& doc : *docs) {
        std::vector<SecurityGroup> page = parse_security_groups(doc);
        std::move(page.begin(), page.end(), std::back_inserter(out));
    }
    co_return out;
}

}  // namespace sockerless::aws
