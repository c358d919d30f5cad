#pragma once
// Moving bytes between process descriptors and sessions: a pump that reads a process's output
// into a consumer that may ask it to wait, and a stdin writer that acknowledges what it wrote so
// the client's stdin window reopens.

#include <cstdint>
#include <deque>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "agent/chunk.h"
#include "agent/notify.h"
#include "agentproto/protocol.h"
#include "base/fd.h"

namespace sockerless::agent {

class ChunkConsumer {
public:
    virtual ~ChunkConsumer() = default;
    // Resolves when the consumer can take another chunk (backpressure).
    virtual boost::asio::awaitable<void> wait_space() = 0;
    virtual void consume(agentproto::Stream stream, Chunk chunk, std::size_t length) = 0;
};

// Reads until EOF, EIO (a terminal whose other side closed) or cancellation.
boost::asio::awaitable<void> pump(boost::asio::posix::stream_descriptor& fd,
                                  agentproto::Stream stream, ChunkConsumer& consumer);

// Who is told that stdin bytes were written (or dropped) so more may be sent.
class StdinAcks {
public:
    virtual ~StdinAcks() = default;
    virtual void stdin_consumed(std::size_t bytes) = 0;
};

class StdinWriter {
public:
    StdinWriter(const boost::asio::any_io_executor& executor, UniqueFd fd, bool tty);
    static void start(const std::shared_ptr<StdinWriter>& self);

    void write(Chunk chunk, std::size_t length, std::weak_ptr<StdinAcks> ack);
    // End of input after what is queued: the pipe is closed; a terminal gets ^D instead, since
    // closing the master would hang up the terminal and lose the process's output.
    void close();
    // The process is gone: drop what is queued (acknowledging it) and close.
    void abort();

private:
    struct Pending {
        Chunk chunk;
        std::size_t length;
        std::weak_ptr<StdinAcks> ack;
    };
    static boost::asio::awaitable<void> run(std::shared_ptr<StdinWriter> self);
    void drop_pending();

    boost::asio::posix::stream_descriptor fd_;
    bool tty_;
    bool closing_ = false;
    bool broken_ = false;
    std::deque<Pending> queue_;
    Notify wake_;
};

}  // namespace sockerless::agent
