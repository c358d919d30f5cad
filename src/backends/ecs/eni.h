#pragma once
// Where a task's agent listens: the private IPv4 address of the task's elastic network interface
// (awsvpc), as DescribeTasks reports it in attachments[type=ElasticNetworkInterface].details
// [name=privateIPv4Address].

#include <cstdint>
#include <string>

#include "aws/ecs_client.h"
#include "base/error.h"

namespace sockerless::ecs {

// "<ip>:<port>". With several ENI attachments the primary one is used: the first
// ElasticNetworkInterface attachment in the order ECS lists them (ECS lists the task's own ENI,
// the one its subnets and security groups apply to, first). A task without such an attachment,
// or whose attachment has no address yet, is unavailable (DescribeTasks again may help while the
// ENI attaches); an address that is not dotted-quad IPv4 is internal. Messages start with
// "ecs: agent injection: " and carry the task ARN and all its attachments as JSON.
Result<std::string> agent_address(const aws::EcsTask& task, std::uint16_t port);

}  // namespace sockerless::ecs
