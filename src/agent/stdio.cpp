#include "agent/stdio.h"

#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace sockerless::agent {
namespace asio = boost::asio;

asio::awaitable<void> pump(asio::posix::stream_descriptor& fd, agentproto::Stream stream,
                           ChunkConsumer& consumer) {
    auto pool = std::make_shared<ChunkPool>(agentproto::kMaxDataPayload);
    while (fd.is_open()) {
        co_await consumer.wait_space();
        Chunk chunk = pool->take();
        auto [ec, n] = co_await fd.async_read_some(asio::buffer(chunk.data.get(), chunk.size),
                                                   asio::as_tuple(asio::use_awaitable));
        if (n > 0 && n < chunk.size / 4) {
            // Keep small reads small: queues and the replay buffer count payload bytes, so a
            // mostly empty 256 KiB buffer per line would multiply their memory use.
            Chunk exact = Chunk::allocate(n);
            std::memcpy(exact.data.get(), chunk.data.get(), n);
            chunk = std::move(exact);
        }
        if (n > 0) consumer.consume(stream, std::move(chunk), n);
        if (ec) co_return;  // eof, EIO from a closed terminal, or cancelled by the drain deadline
    }
}

StdinWriter::StdinWriter(const asio::any_io_executor& executor, UniqueFd fd, bool tty)
    : fd_(executor, fd.release()), tty_(tty), wake_(executor) {}

void StdinWriter::start(const std::shared_ptr<StdinWriter>& self) {
    asio::co_spawn(self->fd_.get_executor(), run(self), asio::detached);
}

void StdinWriter::write(Chunk chunk, std::size_t length, std::weak_ptr<StdinAcks> ack) {
    if (broken_ || closing_) {
        if (auto a = ack.lock()) a->stdin_consumed(length);
        return;
    }
    queue_.push_back(Pending{std::move(chunk), length, std::move(ack)});
    wake_.notify();
}

void StdinWriter::close() {
    closing_ = true;
    wake_.notify();
}

void StdinWriter::abort() {
    broken_ = true;
    drop_pending();
    boost::system::error_code ignored;
    fd_.close(ignored);
    wake_.notify();
}

void StdinWriter::drop_pending() {
    for (auto& p : queue_) {
        if (auto a = p.ack.lock()) a->stdin_consumed(p.length);
    }
    queue_.clear();
}

asio::awaitable<void> StdinWriter::run(std::shared_ptr<StdinWriter> self) {
    while (!self->broken_) {
        while (self->queue_.empty() && !self->closing_ && !self->broken_)
            co_await self->wake_.wait();
        if (self->broken_) break;
        if (self->queue_.empty()) {  // closing with nothing left to write
            boost::system::error_code ignored;
            if (self->tty_) {
                static constexpr unsigned char kEot = 0x04;
                co_await asio::async_write(self->fd_, asio::buffer(&kEot, 1),
                                           asio::as_tuple(asio::use_awaitable));
            }
            // With a terminal this closes only our duplicate of the master; the output pump
            // holds its own, so the terminal stays up.
            self->fd_.close(ignored);
            co_return;
        }
        Pending p = std::move(self->queue_.front());
        self->queue_.pop_front();
        auto [ec, n] =
            co_await asio::async_write(self->fd_, asio::buffer(p.chunk.data.get(), p.length),
                                       asio::as_tuple(asio::use_awaitable));
        if (auto a = p.ack.lock()) a->stdin_consumed(p.length);
        if (ec) {
            // EPIPE: the process closed its stdin or exited. Later input is dropped, as a pipe
            // would.
            self->broken_ = true;
            self->drop_pending();
            boost::system::error_code ignored;
            if (self->fd_.is_open()) self->fd_.close(ignored);
        }
    }
    self->drop_pending();
}

}  // namespace sockerless::agent
