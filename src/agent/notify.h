#pragma once
// A wake-up signal for coroutines on one single-threaded executor: waiters loop on their own
// condition and call wait(); whoever changes the condition calls notify(). Cheap and race-free
// because the agent runs all its coroutines on one thread.

#include <chrono>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sockerless::agent {

class Notify {
public:
    explicit Notify(const boost::asio::any_io_executor& executor)
        : timer_(executor, std::chrono::steady_clock::time_point::max()) {}

    void notify() { timer_.cancel(); }

    boost::asio::awaitable<void> wait() {
        boost::system::error_code ec;
        co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }

private:
    boost::asio::steady_timer timer_;
};

}  // namespace sockerless::agent
