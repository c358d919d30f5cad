#pragma once
// The task's own address from the ECS task metadata endpoint (v4).
//
// On Fargate every task has its own network namespace, so binding 0.0.0.0 is enough. The local
// simulator runs tasks as processes sharing the host's network, each with its own loopback
// "ENI" address, where 0.0.0.0 would collide; binding the address metadata reports works in
// both places. Used only when SOCKERLESS_AGENT_ADDR is unset and ECS_CONTAINER_METADATA_URI_V4 is.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace sockerless::agent {

struct HttpUrl {
    std::string host;  // an IP literal: the metadata endpoint is never a name to resolve
    std::uint16_t port = 80;
    std::string target;  // path and query, "/" at least
};

// "http://169.254.170.2/v4/abc" -> parts; invalid_argument for anything but http:// with an IPv4
// literal host.
Result<HttpUrl> parse_http_url(std::string_view url);

// The first IPv4 address of the first network in a v4 container metadata document.
Result<std::string> ipv4_from_container_metadata(std::string_view json);

// GET ${uri} with a deadline, then ipv4_from_container_metadata.
Result<std::string> fetch_task_ipv4(std::string_view metadata_uri,
                                    std::chrono::milliseconds timeout);

}  // namespace sockerless::agent
