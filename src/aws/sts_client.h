#pragma once
// AWS STS (query protocol, API 2011-06-15): who the configured credentials belong to, for the
// daemon's startup log and its doctor command.

#include <string>

#include <boost/asio/awaitable.hpp>

#include "aws/client.h"
#include "aws/xml.h"
#include "base/error.h"

namespace sockerless::aws {

inline constexpr std::string_view kStsApiVersion = "2011-06-15";

ServiceId sts_service_id();

struct CallerIdentity {
    std::string account;
    std::string arn;
    std::string user_id;
};

// The <GetCallerIdentityResponse> document; Errc::internal when it lacks the result element.
Result<CallerIdentity> parse_caller_identity(const XmlElement& response);

class StsClient {
public:
    // `client` must be set up for sts_service_id() and outlive this object.
    explicit StsClient(AwsClient& client) : client_(client) {}

    boost::asio::awaitable<Result<CallerIdentity>> get_caller_identity();

private:
    AwsClient& client_;
};

}  // namespace sockerless::aws
