#pragma once
// Amazon EC2 (query protocol, API version 2016-11-15), the networking subset ECS on Fargate needs:
// DescribeVpcs, DescribeSubnets, DescribeSecurityGroups, DescribeAvailabilityZones,
// DescribeNetworkInterfaces, CreateTags and DeleteTags over Ec2State. Shapes follow botocore's
// ec2/2016-11-15 model; responses are XML in EC2's namespace, errors EC2's <Response><Errors>.
//
// Authentication failures reach error() with the JSON services' codes and leave it as EC2's:
// a wrong signature or unknown key is 401 AuthFailure, a stale signature 400 RequestExpired.

#include <string>
#include <string_view>

#include "ec2_state.h"
#include "query_protocol.h"
#include "service.h"

namespace sockerless::awssim {

inline constexpr std::string_view kEc2ApiVersion = "2016-11-15";
inline constexpr std::string_view kEc2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/";

// EC2's error document: <Response><Errors><Error><Code/><Message/></Error></Errors>
// <RequestID/></Response>.
std::string ec2_error_document(const ApiError& error, std::string_view request_id);

class Ec2Service final : public Service {
public:
    explicit Ec2Service(Ec2State& state) : state_(state) {}

    [[nodiscard]] std::string operation(const Request& request) const override;
    Response handle(const Call& call) override;
    [[nodiscard]] Response error(const Request& request, const ApiError& error,
                                 std::string_view request_id) const override;

    // Runs one action on decoded parameters; the XML response document or the error.
    ApiResult<std::string> call(std::string_view action, const QueryParams& params,
                                std::string_view request_id);

private:
    ApiResult<std::string> describe_vpcs(const QueryParams& params, std::string_view request_id);
    ApiResult<std::string> describe_subnets(const QueryParams& params, std::string_view request_id);
    ApiResult<std::string> describe_security_groups(const QueryParams& params,
                                                    std::string_view request_id);
    ApiResult<std::string> describe_availability_zones(const QueryParams& params,
                                                       std::string_view request_id);
    ApiResult<std::string> describe_network_interfaces(const QueryParams& params,
                                                       std::string_view request_id);
    ApiResult<std::string> create_tags(const QueryParams& params, std::string_view request_id);
    ApiResult<std::string> delete_tags(const QueryParams& params, std::string_view request_id);

    Ec2State& state_;
};

}  // namespace sockerless::awssim
