#include "ec2_service.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>

#include <boost/beast/http.hpp>

#include "account.h"
#include "s3_xml.h"

namespace sockerless::awssim {
namespace http = boost::beast::http;
namespace {

constexpr std::string_view kXmlContentType = "text/xml;charset=UTF-8";
constexpr std::string_view kAuthFailure =
    "AWS was not able to validate the provided access credentials";
constexpr long kMinPageSize = 5;
constexpr long kMaxPageSize = 1000;
constexpr std::size_t kMaxTagsPerResource = 50;
constexpr std::string_view kTokenPrefix = "sim-page-";

// A filter's view of one resource: the values it has for a filter name, or nullopt when the
// resource type has no such filter.
using FieldValues = std::function<std::optional<std::vector<std::string>>(std::string_view)>;

// A plain decimal number; nullopt for anything else.
std::optional<std::size_t> parse_number(std::string_view s) {
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return value;
}

std::string bool_text(bool b) {
    return b ? "true" : "false";
}

std::vector<std::string> one(std::string value) {
    return {std::move(value)};
}

// tag:KEY, tag-key and tag-value, common to every taggable resource.
std::optional<std::vector<std::string>> tag_values(const Ec2Tags& tags, std::string_view name) {
    std::vector<std::string> out;
    if (name.starts_with("tag:")) {
        for (const auto& [k, v] : tags) {
            if (k == name.substr(4)) out.push_back(v);
        }
        return out;
    }
    if (name == "tag-key" || name == "tag-value") {
        for (const auto& [k, v] : tags)
            out.push_back(name == "tag-key" ? k : v);
        return out;
    }
    return std::nullopt;
}

// Every filter must match (AND); within one filter any value may match any field value (OR).
ApiResult<bool> matches(const std::vector<QueryFilter>& filters, const FieldValues& fields) {
    for (const auto& filter : filters) {
        auto values = fields(filter.name);
        if (!values)
            return ApiError{400, "InvalidParameterValue",
                            "The filter '" + filter.name + "' is invalid"};
        bool any = std::ranges::any_of(filter.values, [&](const std::string& pattern) {
            return std::ranges::any_of(
                *values, [&](const std::string& v) { return wildcard_match(pattern, v); });
        });
        if (!any) return ApiResult<bool>(boost::system::in_place_value, false);
    }
    return ApiResult<bool>(boost::system::in_place_value, true);
}

struct Page {
    std::size_t begin = 0, end = 0;
    std::optional<std::string> next_token;
};

ApiResult<Page> paginate(const QueryParams& params, std::size_t total) {
    auto max_results = query_int(params, "MaxResults");
    if (!max_results) return max_results.error();
    Page page{0, total, std::nullopt};
    if (auto it = params.find("NextToken"); it != params.end()) {
        std::string_view token = it->second;
        std::optional<std::size_t> offset;
        if (token.starts_with(kTokenPrefix))
            offset = parse_number(token.substr(kTokenPrefix.size()));
        if (!offset || *offset > total)
            return ApiError{400, "InvalidPaginationToken",
                            "The specified pagination token is not valid: " + it->second};
        page.begin = *offset;
    }
    if (*max_results) {
        long n = **max_results;
        if (n < kMinPageSize || n > kMaxPageSize) {
            return ApiError{400, "InvalidParameterValue",
                            "Value ( " + std::to_string(n) +
                                " ) for parameter maxResults is invalid. Expecting a value "
                                "between 5 and 1000."};
        }
        page.end = std::min(total, page.begin + static_cast<std::size_t>(n));
        if (page.end < total)
            page.next_token = std::string(kTokenPrefix) + std::to_string(page.end);
    }
    return page;
}

// True when `id` looks like one of ours: "<prefix>-" then hex digits.
bool well_formed_id(std::string_view id, std::string_view prefix) {
    if (!id.starts_with(prefix) || id.size() <= prefix.size() + 1 || id[prefix.size()] != '-')
        return false;
    return std::ranges::all_of(id.substr(prefix.size() + 1),
                               [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

ApiError malformed(std::string_view code, std::string_view id, std::string_view prefix) {
    return ApiError{
        400, std::string(code),
        "Invalid id: \"" + std::string(id) + "\" (expecting \"" + std::string(prefix) + "-...\")"};
}

XmlWriter response(std::string_view action, std::string_view request_id) {
    XmlWriter xml;
    xml.open(std::string(action) + "Response", kEc2Namespace);
    xml.element("requestId", request_id);
    return xml;
}

void write_tags(XmlWriter& xml, const Ec2Tags& tags) {
    if (tags.empty()) return;
    xml.open("tagSet");
    for (const auto& [k, v] : tags)
        xml.open("item").element("key", k).element("value", v).close();
    xml.close();
}

void write_next_token(XmlWriter& xml, const Page& page) {
    if (page.next_token) xml.element("nextToken", *page.next_token);
}

void write_vpc(XmlWriter& xml, const Vpc& vpc) {
    xml.open("item");
    xml.element("vpcId", vpc.id).element("ownerId", kAccountId).element("state", "available");
    xml.element("cidrBlock", vpc.cidr);
    xml.open("cidrBlockAssociationSet").open("item");
    xml.element("cidrBlock", vpc.cidr).element("associationId", vpc.cidr_association_id);
    xml.open("cidrBlockState").element("state", "associated").close();
    xml.close().close();
    xml.element("dhcpOptionsId", vpc.dhcp_options_id).element("instanceTenancy", "default");
    xml.element("isDefault", bool_text(vpc.is_default));
    xml.open("blockPublicAccessStates").element("internetGatewayBlockMode", "off").close();
    write_tags(xml, vpc.tags);
    xml.close();
}

std::optional<std::vector<std::string>> vpc_field(const Vpc& vpc, std::string_view name) {
    if (name == "vpc-id") return one(vpc.id);
    if (name == "cidr" || name == "cidr-block-association.cidr-block") return one(vpc.cidr);
    if (name == "cidr-block-association.association-id") return one(vpc.cidr_association_id);
    if (name == "cidr-block-association.state") return one("associated");
    if (name == "dhcp-options-id") return one(vpc.dhcp_options_id);
    if (name == "is-default" || name == "isDefault") return one(bool_text(vpc.is_default));
    if (name == "owner-id") return one(std::string(kAccountId));
    if (name == "state") return one("available");
    return tag_values(vpc.tags, name);
}

void write_subnet(XmlWriter& xml, const Subnet& s, std::string_view region) {
    xml.open("item");
    xml.element("subnetId", s.id)
        .element("subnetArn", "arn:aws:ec2:" + std::string(region) + ":" + std::string(kAccountId) +
                                  ":subnet/" + s.id);
    xml.element("state", "available").element("vpcId", s.vpc_id).element("cidrBlock", s.cidr);
    xml.element("availableIpAddressCount", std::to_string(s.available_ip_address_count));
    xml.element("availabilityZone", s.availability_zone);
    xml.element("availabilityZoneId", s.availability_zone_id);
    xml.element("defaultForAz", bool_text(s.default_for_az));
    xml.element("mapPublicIpOnLaunch", bool_text(s.map_public_ip_on_launch));
    xml.element("mapCustomerOwnedIpOnLaunch", "false");
    xml.element("ownerId", kAccountId).element("assignIpv6AddressOnCreation", "false");
    xml.element("enableDns64", "false").element("ipv6Native", "false");
    xml.open("privateDnsNameOptionsOnLaunch");
    xml.element("hostnameType", "ip-name").element("enableResourceNameDnsARecord", "false");
    xml.element("enableResourceNameDnsAAAARecord", "false").close();
    xml.open("blockPublicAccessStates").element("internetGatewayBlockMode", "off").close();
    write_tags(xml, s.tags);
    xml.close();
}

std::optional<std::vector<std::string>> subnet_field(const Subnet& s, std::string_view name,
                                                     std::string_view region) {
    if (name == "subnet-id" || name == "subnetId") return one(s.id);
    if (name == "subnet-arn")
        return one("arn:aws:ec2:" + std::string(region) + ":" + std::string(kAccountId) +
                   ":subnet/" + s.id);
    if (name == "vpc-id" || name == "vpcId") return one(s.vpc_id);
    if (name == "availability-zone" || name == "availabilityZone") return one(s.availability_zone);
    if (name == "availability-zone-id" || name == "availabilityZoneId")
        return one(s.availability_zone_id);
    if (name == "cidr-block" || name == "cidr" || name == "cidrBlock") return one(s.cidr);
    if (name == "default-for-az" || name == "defaultForAz") return one(bool_text(s.default_for_az));
    if (name == "map-public-ip-on-launch") return one(bool_text(s.map_public_ip_on_launch));
    if (name == "available-ip-address-count" || name == "availableIpAddressCount")
        return one(std::to_string(s.available_ip_address_count));
    if (name == "owner-id") return one(std::string(kAccountId));
    if (name == "state") return one("available");
    return tag_values(s.tags, name);
}

void write_permissions(XmlWriter& xml, std::string_view set_name,
                       const std::vector<IpPermission>& rules) {
    xml.open(set_name);
    for (const auto& rule : rules) {
        xml.open("item").element("ipProtocol", rule.protocol);
        if (rule.from_port) xml.element("fromPort", std::to_string(*rule.from_port));
        if (rule.to_port) xml.element("toPort", std::to_string(*rule.to_port));
        xml.open("groups");
        for (const auto& g : rule.group_ids)
            xml.open("item").element("userId", kAccountId).element("groupId", g).close();
        xml.close().open("ipRanges");
        for (const auto& c : rule.cidrs)
            xml.open("item").element("cidrIp", c).close();
        xml.close().open("ipv6Ranges").close().open("prefixListIds").close();
        xml.close();
    }
    xml.close();
}

void write_group(XmlWriter& xml, const SecurityGroup& g, std::string_view region) {
    xml.open("item");
    xml.element("ownerId", kAccountId).element("groupId", g.id).element("groupName", g.name);
    xml.element("groupDescription", g.description).element("vpcId", g.vpc_id);
    xml.element("securityGroupArn", "arn:aws:ec2:" + std::string(region) + ":" +
                                        std::string(kAccountId) + ":security-group/" + g.id);
    write_permissions(xml, "ipPermissions", g.ingress);
    write_permissions(xml, "ipPermissionsEgress", g.egress);
    write_tags(xml, g.tags);
    xml.close();
}

std::optional<std::vector<std::string>> group_field(const SecurityGroup& g, std::string_view name) {
    if (name == "group-id") return one(g.id);
    if (name == "group-name") return one(g.name);
    if (name == "description") return one(g.description);
    if (name == "vpc-id") return one(g.vpc_id);
    if (name == "owner-id") return one(std::string(kAccountId));
    auto rule_values = [](const std::vector<IpPermission>& rules, auto member) {
        std::vector<std::string> out;
        for (const auto& r : rules)
            member(r, out);
        return out;
    };
    auto cidrs = [](const IpPermission& r, std::vector<std::string>& out) {
        out.insert(out.end(), r.cidrs.begin(), r.cidrs.end());
    };
    auto groups = [](const IpPermission& r, std::vector<std::string>& out) {
        out.insert(out.end(), r.group_ids.begin(), r.group_ids.end());
    };
    auto protocols = [](const IpPermission& r, std::vector<std::string>& out) {
        out.push_back(r.protocol);
    };
    if (name == "ip-permission.cidr") return rule_values(g.ingress, cidrs);
    if (name == "ip-permission.group-id") return rule_values(g.ingress, groups);
    if (name == "ip-permission.protocol") return rule_values(g.ingress, protocols);
    if (name == "egress.ip-permission.cidr") return rule_values(g.egress, cidrs);
    if (name == "egress.ip-permission.group-id") return rule_values(g.egress, groups);
    if (name == "egress.ip-permission.protocol") return rule_values(g.egress, protocols);
    return tag_values(g.tags, name);
}

std::optional<std::vector<std::string>> zone_field(const AvailabilityZone& z, std::string_view name,
                                                   std::string_view region) {
    if (name == "zone-name") return one(z.name);
    if (name == "zone-id") return one(z.zone_id);
    if (name == "region-name" || name == "group-name" || name == "network-border-group")
        return one(std::string(region));
    if (name == "state") return one("available");
    if (name == "zone-type") return one("availability-zone");
    if (name == "opt-in-status") return one("opt-in-not-required");
    if (name == "message") return std::vector<std::string>{};
    return std::nullopt;
}

void write_zone(XmlWriter& xml, const AvailabilityZone& z, std::string_view region) {
    xml.open("item");
    xml.element("zoneName", z.name).element("zoneState", "available");
    xml.element("regionName", region).element("zoneId", z.zone_id);
    xml.element("zoneType", "availability-zone").element("optInStatus", "opt-in-not-required");
    xml.element("groupName", region).element("networkBorderGroup", region);
    xml.open("messageSet").close();
    xml.close();
}

std::optional<std::vector<std::string>> eni_field(const NetworkInterface& e,
                                                  std::string_view name) {
    if (name == "network-interface-id") return one(e.id);
    if (name == "subnet-id") return one(e.subnet_id);
    if (name == "vpc-id") return one(e.vpc_id);
    if (name == "availability-zone") return one(e.availability_zone);
    if (name == "private-ip-address" || name == "addresses.private-ip-address")
        return one(e.private_ip);
    if (name == "mac-address") return one(e.mac_address);
    if (name == "status") return one(e.status);
    if (name == "description") return one(e.description);
    if (name == "group-id") return e.group_ids;
    if (name == "owner-id") return one(std::string(kAccountId));
    if (name == "interface-type") return one("interface");
    if (name == "requester-managed") return one("true");
    return tag_values(e.tags, name);
}

void write_eni(XmlWriter& xml, const NetworkInterface& e, const Ec2State& state) {
    xml.open("item");
    xml.element("networkInterfaceId", e.id).element("subnetId", e.subnet_id);
    xml.element("vpcId", e.vpc_id).element("availabilityZone", e.availability_zone);
    xml.element("description", e.description).element("ownerId", kAccountId);
    xml.element("requesterId", kAccountId).element("requesterManaged", "true");
    xml.element("status", e.status).element("macAddress", e.mac_address);
    xml.element("privateIpAddress", e.private_ip).element("sourceDestCheck", "true");
    xml.element("interfaceType", "interface");
    xml.open("groupSet");
    for (const auto& id : e.group_ids) {
        const SecurityGroup* g = state.find_security_group(id);
        xml.open("item").element("groupId", id).element("groupName", g ? g->name : "").close();
    }
    xml.close();
    xml.open("privateIpAddressesSet").open("item");
    xml.element("privateIpAddress", e.private_ip).element("primary", "true");
    xml.close().close();
    xml.open("ipv6AddressesSet").close();
    write_tags(xml, e.tags);
    xml.close();
}

// Selects items by an id list (all of them when the list is empty), then by filters. An id that
// names nothing is the NotFound error made by `not_found`.
template <class T>
ApiResult<std::vector<const T*>> select(
    const std::vector<T>& items, std::string T::*id_member, const std::vector<std::string>& ids,
    const std::vector<QueryFilter>& filters,
    const std::function<ApiError(const std::string&)>& not_found,
    const std::function<FieldValues(const T&)>& fields) {
    std::vector<const T*> chosen;
    if (ids.empty()) {
        for (const auto& item : items)
            chosen.push_back(&item);
    } else {
        for (const auto& id : ids) {
            auto it = std::ranges::find(items, id, id_member);
            if (it == items.end()) return not_found(id);
            if (std::ranges::find(chosen, &*it) == chosen.end()) chosen.push_back(&*it);
        }
    }
    std::vector<const T*> out;
    for (const T* item : chosen) {
        auto ok = matches(filters, fields(*item));
        if (!ok) return ok.error();
        if (*ok) out.push_back(item);
    }
    return out;
}

// Validates ids that must look like "<prefix>-hex".
ApiResult<std::vector<std::string>> id_list(const QueryParams& params, std::string_view name,
                                            std::string_view prefix,
                                            std::string_view malformed_code) {
    auto ids = member_list(params, name);
    if (!ids) return ids.error();
    for (const auto& id : *ids) {
        if (!well_formed_id(id, prefix)) return malformed(malformed_code, id, prefix);
    }
    return ids;
}

struct TagArg {
    std::string key;
    std::optional<std::string> value;
};

// Tag.N.Key / Tag.N.Value in N order.
ApiResult<std::vector<TagArg>> tag_args(const QueryParams& params) {
    constexpr std::string_view kPrefix = "Tag.";
    std::map<std::size_t, TagArg> by_index;
    for (auto it = params.lower_bound(kPrefix); it != params.end(); ++it) {
        std::string_view key = it->first;
        if (!key.starts_with(kPrefix)) break;
        key.remove_prefix(kPrefix.size());
        std::size_t dot = key.find('.');
        auto index = parse_number(key.substr(0, dot));
        std::string_view member = dot == std::string_view::npos ? "" : key.substr(dot + 1);
        if (!index || (member != "Key" && member != "Value"))
            return ApiError{400, "InvalidParameterValue", "Invalid parameter name: " + it->first};
        if (member == "Key")
            by_index[*index].key = it->second;
        else
            by_index[*index].value = it->second;
    }
    std::vector<TagArg> out;
    out.reserve(by_index.size());
    for (auto& [index, tag] : by_index)
        out.push_back(std::move(tag));
    return out;
}

ApiError resource_not_found(const std::string& id) {
    struct Kind {
        std::string_view prefix, code, noun;
    };
    static constexpr Kind kKinds[] = {
        {"vpc-", "InvalidVpcID.NotFound", "vpc ID"},
        {"subnet-", "InvalidSubnetID.NotFound", "subnet ID"},
        {"sg-", "InvalidGroup.NotFound", "security group"},
        {"eni-", "InvalidNetworkInterfaceID.NotFound", "network interface ID"},
    };
    for (const auto& kind : kKinds) {
        if (id.starts_with(kind.prefix)) {
            return ApiError{400, std::string(kind.code),
                            "The " + std::string(kind.noun) + " '" + id + "' does not exist"};
        }
    }
    return ApiError{400, "InvalidID", "The ID '" + id + "' is not valid"};
}

}  // namespace

std::string ec2_error_document(const ApiError& error, std::string_view request_id) {
    XmlWriter xml;
    xml.open("Response").open("Errors").open("Error");
    xml.element("Code", error.code).element("Message", error.message);
    xml.close().close();
    xml.element("RequestID", request_id);
    return xml.finish();
}

std::string Ec2Service::operation(const Request& request) const {
    auto params =
        query_params(request.target(), request[http::field::content_type], request.body());
    auto it = params.find("Action");
    return it == params.end() ? "" : it->second;
}

Response Ec2Service::handle(const Call& call) {
    const auto& request = call.request;
    auto params =
        query_params(request.target(), request[http::field::content_type], request.body());
    auto action = params.find("Action");
    if (action == params.end()) {
        return error(
            request,
            ApiError{400, "MissingAction", "The request must contain the parameter Action"},
            call.request_id);
    }
    auto dry_run = query_bool(params, "DryRun");
    if (!dry_run) return error(request, dry_run.error(), call.request_id);
    // Every caller may run every simulated action, so a dry run always "would have succeeded".
    if (dry_run->value_or(false)) {
        return error(request,
                     ApiError{412, "DryRunOperation",
                              "Request would have succeeded, but DryRun flag is set."},
                     call.request_id);
    }
    auto body = this->call(action->second, params, call.request_id);
    if (!body) return error(request, body.error(), call.request_id);
    return make_response(request, 200, kXmlContentType, std::move(*body));
}

Response Ec2Service::error(const Request& request, const ApiError& error,
                           std::string_view request_id) const {
    ApiError out = error;
    if (error.code == "UnrecognizedClientException") {
        out = ApiError{401, "AuthFailure", std::string(kAuthFailure)};
    } else if (error.code == "InvalidSignatureException") {
        bool stale = error.message.starts_with("Signature expired") ||
                     error.message.starts_with("Signature not yet current");
        out = stale ? ApiError{400, "RequestExpired", "Request has expired."}
                    : ApiError{401, "AuthFailure", std::string(kAuthFailure)};
    } else if (error.code == "MissingAuthenticationTokenException") {
        out = ApiError{401, "MissingAuthenticationToken",
                       "The request must contain either a valid (registered) AWS access key ID "
                       "or X.509 certificate."};
    } else if (error.code == "IncompleteSignatureException") {
        out = ApiError{400, "IncompleteSignature", error.message};
    } else if (error.code == "UnknownOperationException") {
        out = ApiError{400, "InvalidAction", error.message};
    }
    return make_response(request, out.status, kXmlContentType, ec2_error_document(out, request_id));
}

ApiResult<std::string> Ec2Service::call(std::string_view action, const QueryParams& params,
                                        std::string_view request_id) {
    if (action == "DescribeVpcs") return describe_vpcs(params, request_id);
    if (action == "DescribeSubnets") return describe_subnets(params, request_id);
    if (action == "DescribeSecurityGroups") return describe_security_groups(params, request_id);
    if (action == "DescribeAvailabilityZones")
        return describe_availability_zones(params, request_id);
    if (action == "DescribeNetworkInterfaces")
        return describe_network_interfaces(params, request_id);
    if (action == "CreateTags") return create_tags(params, request_id);
    if (action == "DeleteTags") return delete_tags(params, request_id);
    return ApiError{400, "InvalidAction",
                    "The action " + std::string(action) + " is not valid for this web service."};
}

ApiResult<std::string> Ec2Service::describe_vpcs(const QueryParams& params,
                                                 std::string_view request_id) {
    auto ids = id_list(params, "VpcId", "vpc", "InvalidVpcID.Malformed");
    if (!ids) return ids.error();
    auto filters = query_filters(params);
    if (!filters) return filters.error();
    auto vpcs = select<Vpc>(
        state_.vpcs(), &Vpc::id, *ids, *filters, resource_not_found,
        [](const Vpc& v) -> FieldValues { return [&v](auto n) { return vpc_field(v, n); }; });
    if (!vpcs) return vpcs.error();
    auto page = paginate(params, vpcs->size());
    if (!page) return page.error();
    XmlWriter xml = response("DescribeVpcs", request_id);
    xml.open("vpcSet");
    for (std::size_t i = page->begin; i < page->end; ++i)
        write_vpc(xml, *(*vpcs)[i]);
    xml.close();
    write_next_token(xml, *page);
    return xml.finish();
}

ApiResult<std::string> Ec2Service::describe_subnets(const QueryParams& params,
                                                    std::string_view request_id) {
    auto ids = id_list(params, "SubnetId", "subnet", "InvalidSubnetID.Malformed");
    if (!ids) return ids.error();
    auto filters = query_filters(params);
    if (!filters) return filters.error();
    std::string region = state_.region();
    auto subnets =
        select<Subnet>(state_.subnets(), &Subnet::id, *ids, *filters, resource_not_found,
                       [&region](const Subnet& s) -> FieldValues {
                           return [&s, &region](auto n) { return subnet_field(s, n, region); };
                       });
    if (!subnets) return subnets.error();
    auto page = paginate(params, subnets->size());
    if (!page) return page.error();
    XmlWriter xml = response("DescribeSubnets", request_id);
    xml.open("subnetSet");
    for (std::size_t i = page->begin; i < page->end; ++i)
        write_subnet(xml, *(*subnets)[i], region);
    xml.close();
    write_next_token(xml, *page);
    return xml.finish();
}

ApiResult<std::string> Ec2Service::describe_security_groups(const QueryParams& params,
                                                            std::string_view request_id) {
    auto ids = id_list(params, "GroupId", "sg", "InvalidGroupId.Malformed");
    if (!ids) return ids.error();
    auto names = member_list(params, "GroupName");
    if (!names) return names.error();
    auto filters = query_filters(params);
    if (!filters) return filters.error();
    // Group names are looked up in the default VPC only, as EC2 does.
    const std::string& vpc_id = state_.default_vpc().id;
    for (const auto& name : *names) {
        auto it = std::ranges::find_if(state_.security_groups(), [&](const SecurityGroup& g) {
            return g.name == name && g.vpc_id == vpc_id;
        });
        if (it == state_.security_groups().end()) {
            std::string message = "The security group '" + name;
            message += "' does not exist in default VPC '" + vpc_id + "'";
            return ApiError{400, "InvalidGroup.NotFound", std::move(message)};
        }
        if (std::ranges::find(*ids, it->id) == ids->end()) ids->push_back(it->id);
    }
    auto groups =
        select<SecurityGroup>(state_.security_groups(), &SecurityGroup::id, *ids, *filters,
                              resource_not_found, [](const SecurityGroup& g) -> FieldValues {
                                  return [&g](auto n) { return group_field(g, n); };
                              });
    if (!groups) return groups.error();
    auto page = paginate(params, groups->size());
    if (!page) return page.error();
    XmlWriter xml = response("DescribeSecurityGroups", request_id);
    xml.open("securityGroupInfo");
    for (std::size_t i = page->begin; i < page->end; ++i)
        write_group(xml, *(*groups)[i], state_.region());
    xml.close();
    write_next_token(xml, *page);
    return xml.finish();
}

ApiResult<std::string> Ec2Service::describe_availability_zones(const QueryParams& params,
                                                               std::string_view request_id) {
    auto names = member_list(params, "ZoneName");
    if (!names) return names.error();
    auto zone_ids = member_list(params, "ZoneId");
    if (!zone_ids) return zone_ids.error();
    auto filters = query_filters(params);
    if (!filters) return filters.error();
    std::vector<const AvailabilityZone*> chosen;
    auto want = [&](const std::vector<std::string>& keys, std::string AvailabilityZone::*member) {
        for (const auto& key : keys) {
            auto it = std::ranges::find(state_.zones(), key, member);
            if (it == state_.zones().end()) return std::optional<std::string>(key);
            if (std::ranges::find(chosen, &*it) == chosen.end()) chosen.push_back(&*it);
        }
        return std::optional<std::string>();
    };
    for (const auto& [keys, member] : {std::pair{&*names, &AvailabilityZone::name},
                                       std::pair{&*zone_ids, &AvailabilityZone::zone_id}}) {
        if (auto missing = want(*keys, member)) {
            return ApiError{400, "InvalidParameterValue",
                            "Invalid availability zone: [" + *missing + "]"};
        }
    }
    if (names->empty() && zone_ids->empty()) {
        for (const auto& z : state_.zones())
            chosen.push_back(&z);
    }
    XmlWriter xml = response("DescribeAvailabilityZones", request_id);
    xml.open("availabilityZoneInfo");
    for (const AvailabilityZone* z : chosen) {
        auto ok = matches(*filters,
                          [&](std::string_view n) { return zone_field(*z, n, state_.region()); });
        if (!ok) return ok.error();
        if (*ok) write_zone(xml, *z, state_.region());
    }
    xml.close();
    return xml.finish();
}

ApiResult<std::string> Ec2Service::describe_network_interfaces(const QueryParams& params,
                                                               std::string_view request_id) {
    auto ids = id_list(params, "NetworkInterfaceId", "eni", "InvalidNetworkInterfaceID.Malformed");
    if (!ids) return ids.error();
    auto filters = query_filters(params);
    if (!filters) return filters.error();
    auto enis =
        select<NetworkInterface>(state_.network_interfaces(), &NetworkInterface::id, *ids, *filters,
                                 resource_not_found, [](const NetworkInterface& e) -> FieldValues {
                                     return [&e](auto n) { return eni_field(e, n); };
                                 });
    if (!enis) return enis.error();
    auto page = paginate(params, enis->size());
    if (!page) return page.error();
    XmlWriter xml = response("DescribeNetworkInterfaces", request_id);
    xml.open("networkInterfaceSet");
    for (std::size_t i = page->begin; i < page->end; ++i)
        write_eni(xml, *(*enis)[i], state_);
    xml.close();
    write_next_token(xml, *page);
    return xml.finish();
}

ApiResult<std::string> Ec2Service::create_tags(const QueryParams& params,
                                               std::string_view request_id) {
    auto resources = member_list(params, "ResourceId");
    if (!resources) return resources.error();
    auto tags = tag_args(params);
    if (!tags) return tags.error();
    if (resources->empty())
        return ApiError{400, "MissingParameter",
                        "The request must contain the parameter resourceIdSet"};
    if (tags->empty())
        return ApiError{400, "MissingParameter", "The request must contain the parameter tagSet"};
    for (const auto& tag : *tags) {
        if (tag.key.empty() || tag.key.size() > 128 || tag.value.value_or("").size() > 256) {
            return ApiError{
                400, "InvalidParameterValue",
                "Tag keys must be 1 to 128 characters and values at most 256: '" + tag.key + "'"};
        }
        std::string prefix = tag.key.substr(0, 4);
        std::ranges::transform(prefix, prefix.begin(),
                               [](unsigned char c) { return std::tolower(c); });
        if (prefix == "aws:") {
            return ApiError{400, "InvalidParameterValue",
                            "Tag keys starting with 'aws:' are reserved for internal use"};
        }
    }
    // Validate every resource before changing any, so a failed call changes nothing.
    std::vector<Ec2Tags*> targets;
    for (const auto& id : *resources) {
        Ec2Tags* existing = state_.tags_of(id);
        if (!existing) return resource_not_found(id);
        Ec2Tags merged = *existing;
        for (const auto& tag : *tags) {
            auto it =
                std::ranges::find(merged, tag.key, &std::pair<std::string, std::string>::first);
            if (it == merged.end()) merged.emplace_back(tag.key, tag.value.value_or(""));
        }
        if (merged.size() > kMaxTagsPerResource) {
            return ApiError{400, "TagLimitExceeded",
                            "The maximum number of tags for a resource has been reached."};
        }
        targets.push_back(existing);
    }
    for (Ec2Tags* target : targets) {
        for (const auto& tag : *tags) {
            auto it =
                std::ranges::find(*target, tag.key, &std::pair<std::string, std::string>::first);
            if (it == target->end())
                target->emplace_back(tag.key, tag.value.value_or(""));
            else
                it->second = tag.value.value_or("");
        }
    }
    XmlWriter xml = response("CreateTags", request_id);
    xml.element("return", "true");
    return xml.finish();
}

ApiResult<std::string> Ec2Service::delete_tags(const QueryParams& params,
                                               std::string_view request_id) {
    auto resources = member_list(params, "ResourceId");
    if (!resources) return resources.error();
    auto tags = tag_args(params);
    if (!tags) return tags.error();
    if (resources->empty())
        return ApiError{400, "MissingParameter",
                        "The request must contain the parameter resourceIdSet"};
    std::vector<Ec2Tags*> targets;
    for (const auto& id : *resources) {
        Ec2Tags* existing = state_.tags_of(id);
        if (!existing) return resource_not_found(id);
        targets.push_back(existing);
    }
    for (Ec2Tags* target : targets) {
        // No Tag parameters deletes every tag, as EC2 does.
        std::erase_if(*target, [&](const std::pair<std::string, std::string>& t) {
            if (tags->empty()) return true;
            return std::ranges::any_of(*tags, [&](const TagArg& arg) {
                return arg.key == t.first && (!arg.value || *arg.value == t.second);
            });
        });
    }
    XmlWriter xml = response("DeleteTags", request_id);
    xml.element("return", "true");
    return xml.finish();
}

}  // namespace sockerless::awssim
