#pragma once
// Host names to addresses without the C library's resolver. In a static binary glibc's
// getaddrinfo still loads NSS modules at run time, from the image the agent lands in, built for
// whatever libc that image has, if any; so the agent resolves with c-ares, which reads
// /etc/hosts and /etc/resolv.conf itself and speaks DNS on its own sockets. IP literals need no
// lookup at all.

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "base/error.h"

namespace sockerless::agent {

// The host's addresses, IPv4 before IPv6, each family in the order the source gave them.
// Errc::unavailable when the name does not resolve (the message says why), Errc::timeout when
// `deadline` passes first.
Result<std::vector<boost::asio::ip::address>> resolve_host(
    const std::string& host, std::chrono::steady_clock::time_point deadline);

}  // namespace sockerless::agent
