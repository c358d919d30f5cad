#include "agent/outlet.h"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace sockerless::agent {

Outlet::Outlet(const boost::asio::any_io_executor& executor, std::weak_ptr<FrameSink> sink,
               std::uint32_t session, std::uint32_t initial_credit)
    : executor_(executor),
      sink_(std::move(sink)),
      session_(session),
      credit_(initial_credit),
      wake_(executor),
      space_(executor) {}

void Outlet::start(const std::shared_ptr<Outlet>& self) {
    boost::asio::co_spawn(self->executor_, deliver(self), boost::asio::detached);
}

boost::asio::awaitable<void> Outlet::wait_space() {
    while (!has_space())
        co_await space_.wait();
}

void Outlet::push(agentproto::Stream stream, Chunk chunk, std::size_t length) {
    if (detached_ || finished_ || length == 0) return;
    queued_bytes_ += length;
    queue_.emplace_back(Data{stream, std::move(chunk), 0, length, std::nullopt});
    wake_.notify();
}

void Outlet::push_entry(agentproto::Stream stream, std::int64_t time, Chunk chunk,
                        std::size_t offset, std::size_t length) {
    if (detached_ || finished_ || length == 0) return;
    queued_bytes_ += length;
    queue_.emplace_back(Data{stream, std::move(chunk), offset, length, time});
    wake_.notify();
}

void Outlet::push_control(const agentproto::AgentMessage& message) {
    if (detached_ || finished_) return;
    queue_.emplace_back(Text{agentproto::serialize(message), false});
    wake_.notify();
}

void Outlet::finish(const agentproto::AgentMessage& message) {
    if (finished_) return;
    finished_ = true;
    if (detached_) return;
    queue_.emplace_back(Text{agentproto::serialize(message), true});
    wake_.notify();
}

void Outlet::grant(std::uint32_t bytes) {
    credit_ += bytes;
    wake_.notify();
}

void Outlet::unblock_producers() {
    unblocked_ = true;
    space_.notify();
}

void Outlet::detach() {
    if (detached_) return;
    detached_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    wake_.notify();
    space_.notify();
}

boost::asio::awaitable<void> Outlet::deliver(std::shared_ptr<Outlet> self) {
    while (true) {
        while (self->queue_.empty() && !self->detached_)
            co_await self->wake_.wait();
        if (self->detached_) co_return;
        auto sink = self->sink_.lock();
        if (!sink) {
            self->detach();
            co_return;
        }
        auto& front = self->queue_.front();
        if (auto* text = std::get_if<Text>(&front)) {
            bool final = text->final;
            sink->send_text(std::move(text->text));
            self->queue_.pop_front();
            if (final) {
                sink->session_finished(self->session_);
                co_return;
            }
            continue;
        }
        if (self->credit_ == 0) {
            co_await self->wake_.wait();
            continue;
        }
        auto& data = std::get<Data>(front);
        std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(self->credit_, data.length));
        sink->send_data(self->session_, data.stream, data.chunk, data.offset, n, data.time);
        self->credit_ -= n;
        self->queued_bytes_ -= n;
        data.offset += n;
        data.length -= n;
        if (data.length == 0) self->queue_.pop_front();
        self->space_.notify();
    }
}

}  // namespace sockerless::agent
