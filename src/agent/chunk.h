#pragma once
// A shared, immutable byte buffer: one read from a process fans out to several sessions and to
// the replay buffer without copies.

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace sockerless::agent {

struct Chunk {
    std::shared_ptr<unsigned char[]> data;
    std::size_t size = 0;

    static Chunk allocate(std::size_t capacity) {
        return Chunk{std::make_shared_for_overwrite<unsigned char[]>(capacity), capacity};
    }
    std::span<const unsigned char> bytes() const noexcept { return {data.get(), size}; }
};

// Recycles the read buffers of one output stream. A fresh large allocation is a fresh mapping,
// and faulting its pages in costs more than the copy itself on bulk output. Each buffer keeps the
// pool alive, so buffers may outlive the stream that read them.
class ChunkPool : public std::enable_shared_from_this<ChunkPool> {
public:
    static constexpr std::size_t kKeep = 4;  // buffers kept for reuse

    explicit ChunkPool(std::size_t buffer_size) : buffer_size_(buffer_size) {}
    ~ChunkPool();
    ChunkPool(const ChunkPool&) = delete;
    ChunkPool& operator=(const ChunkPool&) = delete;

    Chunk take();

private:
    void give(unsigned char* buffer);

    std::size_t buffer_size_;
    std::vector<unsigned char*> free_;
};

}  // namespace sockerless::agent
