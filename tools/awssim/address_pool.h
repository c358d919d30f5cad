#pragma once
// Private IPv4 addresses for task ENIs, from one CIDR block (by default a slice of 127.0.0.0/8,
// which every process on the host can bind without privileges).
//
// As in a VPC subnet, the first four addresses and the last one of the block are never handed
// out; addresses whose last octet is 0 or 255 are skipped too, since tools treat them as network
// or broadcast addresses. An address held by a task is never handed out again until released.
// Allocation walks the block round-robin from a starting offset, so a released address is the
// last to be reused and two simulators started with different offsets rarely meet.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/error.h"

namespace sockerless::awssim {

class AddressPool {
public:
    // "127.77.0.0/16"; the host bits of the address are ignored. Prefixes /8 to /29.
    static Result<AddressPool> parse(std::string_view cidr);

    // The next usable free address, skipping those `busy` reports as taken by someone else;
    // nullopt when none is left.
    std::optional<std::string> acquire(const std::function<bool(std::uint32_t)>& busy = {});
    void release(std::string_view address);

    // Where the round-robin walk continues (an offset into the block).
    void set_cursor(std::uint32_t offset) { cursor_ = size_ == 0 ? 0 : offset % size_; }
    [[nodiscard]] std::size_t held() const { return held_.size(); }
    [[nodiscard]] std::uint32_t size() const { return size_; }
    [[nodiscard]] const std::string& cidr() const { return cidr_; }

private:
    AddressPool(std::string cidr, std::uint32_t base, std::uint32_t size)
        : cidr_(std::move(cidr)), base_(base), size_(size) {}
    [[nodiscard]] bool usable(std::uint32_t offset) const;

    std::string cidr_;
    std::uint32_t base_ = 0;
    std::uint32_t size_ = 0;
    std::uint32_t cursor_ = 0;
    std::set<std::uint32_t> held_;
};

// Dotted quad <-> host-order integer.
std::string ipv4_to_string(std::uint32_t address);
std::optional<std::uint32_t> parse_ipv4(std::string_view text);

}  // namespace sockerless::awssim
