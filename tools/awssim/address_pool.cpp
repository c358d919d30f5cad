#include "address_pool.h"

#include <charconv>

namespace sockerless::awssim {

std::string ipv4_to_string(std::uint32_t address) {
    return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xFF) + "." +
           std::to_string((address >> 8) & 0xFF) + "." + std::to_string(address & 0xFF);
}

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
    std::uint32_t out = 0;
    for (int i = 0; i < 4; ++i) {
        if (i > 0) {
            if (text.empty() || text.front() != '.') return std::nullopt;
            text.remove_prefix(1);
        }
        unsigned octet = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), octet);
        std::size_t used = static_cast<std::size_t>(end - text.data());
        if (ec != std::errc() || octet > 255 || used == 0 || used > 3) return std::nullopt;
        text.remove_prefix(used);
        out = (out << 8) | octet;
    }
    if (!text.empty()) return std::nullopt;
    return out;
}

Result<AddressPool> AddressPool::parse(std::string_view cidr) {
    auto invalid = [&] {
        return make_error(Errc::invalid_argument,
                          "a task subnet is an IPv4 CIDR block from /8 "
                          "to /29 such as 127.77.0.0/16, got \"" +
                              std::string(cidr) + "\"");
    };
    std::size_t slash = cidr.find('/');
    if (slash == std::string_view::npos) return invalid();
    auto address = parse_ipv4(cidr.substr(0, slash));
    unsigned prefix = 0;
    std::string_view bits = cidr.substr(slash + 1);
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (!address || ec != std::errc() || end != bits.data() + bits.size() || prefix < 8 ||
        prefix > 29)
        return invalid();
    std::uint32_t size = std::uint32_t{1} << (32 - prefix);
    std::uint32_t base = *address & ~(size - 1);
    return AddressPool(ipv4_to_string(base) + "/" + std::to_string(prefix), base, size);
}

bool AddressPool::usable(std::uint32_t offset) const {
    if (offset < 4 || offset + 1 >= size_) return false;
    std::uint32_t last_octet = (base_ + offset) & 0xFF;
    return last_octet != 0 && last_octet != 255 && !held_.contains(offset);
}

std::optional<std::string> AddressPool::acquire(const std::function<bool(std::uint32_t)>& busy) {
    for (std::uint32_t tried = 0; tried < size_; ++tried) {
        std::uint32_t offset = cursor_;
        cursor_ = (cursor_ + 1) % size_;
        if (!usable(offset)) continue;
        if (busy && busy(base_ + offset)) continue;
        held_.insert(offset);
        return ipv4_to_string(base_ + offset);
    }
    return std::nullopt;
}

void AddressPool::release(std::string_view address) {
    auto parsed = parse_ipv4(address);
    if (!parsed || *parsed < base_ || *parsed - base_ >= size_) return;
    held_.erase(*parsed - base_);
}

}  // namespace sockerless::awssim
