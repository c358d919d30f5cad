#pragma once
// A shared, immutable byte buffer: one read from a process fans out to several sessions and to
// the replay buffer without copies.

#include <cstddef>
#include <memory>
#include <span>

namespace sockerless::agent {

struct Chunk {
    std::shared_ptr<unsigned char[]> data;
    std::size_t size = 0;

    static Chunk allocate(std::size_t capacity) {
        return Chunk{std::make_shared_for_overwrite<unsigned char[]>(capacity), capacity};
    }
    std::span<const unsigned char> bytes() const noexcept { return {data.get(), size}; }
};

}  // namespace sockerless::agent
