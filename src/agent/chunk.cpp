#include "agent/chunk.h"

namespace sockerless::agent {

ChunkPool::~ChunkPool() {
    for (unsigned char* p : free_)
        delete[] p;
}

Chunk ChunkPool::take() {
    unsigned char* buffer = nullptr;
    if (free_.empty()) {
        buffer = new unsigned char[buffer_size_];
    } else {
        buffer = free_.back();
        free_.pop_back();
    }
    return Chunk{std::shared_ptr<unsigned char[]>(
                     buffer, [pool = shared_from_this()](unsigned char* p) { pool->give(p); }),
                 buffer_size_};
}

void ChunkPool::give(unsigned char* buffer) {
    if (free_.size() < kKeep) {
        free_.push_back(buffer);
    } else {
        delete[] buffer;
    }
}

}  // namespace sockerless::agent
