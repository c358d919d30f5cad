#pragma once
// The output side of one session: an ordered queue of data and control messages, delivered to the
// session's connection as the client's flow-control window allows. Producers (process pumps)
// wait for queue space, so a slow reader slows the process down instead of losing output.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <boost/asio/awaitable.hpp>

#include "agent/chunk.h"
#include "agent/notify.h"
#include "agentproto/protocol.h"

namespace sockerless::agent {

// What an outlet needs of a connection.
class FrameSink {
public:
    virtual ~FrameSink() = default;
    virtual void send_text(std::string text) = 0;
    // `time` is set for a logs session's data: the frame then carries it (kLogHeaderSize).
    virtual void send_data(std::uint32_t session, agentproto::Stream stream, Chunk chunk,
                           std::size_t offset, std::size_t length,
                           std::optional<std::int64_t> time) = 0;
    virtual void session_finished(std::uint32_t session) = 0;
};

class Outlet {
public:
    static constexpr std::size_t kHighWater = 1u << 20;

    Outlet(const boost::asio::any_io_executor& executor, std::weak_ptr<FrameSink> sink,
           std::uint32_t session, std::uint32_t initial_credit);

    // Starts the delivery loop; the loop holds `self` until the final message is delivered.
    static void start(const std::shared_ptr<Outlet>& self);

    std::uint32_t session() const noexcept { return session_; }
    bool detached() const noexcept { return detached_; }
    bool finished() const noexcept { return finished_; }

    // Producer side.
    bool has_space() const noexcept {
        return detached_ || unblocked_ || queued_bytes_ < kHighWater;
    }
    // Producers stop waiting for space from now on (the drain deadline passed): what they still
    // push is queued regardless, so nothing already read is lost, and no producer hangs.
    void unblock_producers();
    boost::asio::awaitable<void> wait_space();
    void push(agentproto::Stream stream, Chunk chunk, std::size_t length);
    // A log entry (or its end from `offset`): every frame cut from it carries its time.
    void push_entry(agentproto::Stream stream, std::int64_t time, Chunk chunk, std::size_t offset,
                    std::size_t length);
    void push_control(const agentproto::AgentMessage& message);
    // Queues the session's last message; after it is delivered the session is over.
    void finish(const agentproto::AgentMessage& message);

    // Connection side.
    void grant(std::uint32_t bytes);
    void detach();

private:
    struct Data {
        agentproto::Stream stream;
        Chunk chunk;
        std::size_t offset;
        std::size_t length;
        std::optional<std::int64_t> time;
    };
    struct Text {
        std::string text;
        bool final;
    };

    static boost::asio::awaitable<void> deliver(std::shared_ptr<Outlet> self);

    boost::asio::any_io_executor executor_;
    std::weak_ptr<FrameSink> sink_;
    std::uint32_t session_;
    std::uint64_t credit_;
    std::deque<std::variant<Data, Text>> queue_;
    std::size_t queued_bytes_ = 0;
    bool detached_ = false;
    bool finished_ = false;
    bool unblocked_ = false;
    Notify wake_;   // consumer: something queued, credit granted, detached
    Notify space_;  // producers: queue drained below the high-water mark
};

}  // namespace sockerless::agent
