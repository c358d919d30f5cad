#pragma once
// Docker's event stream (GET /events): every container and image transition is published here,
// kept in a bounded history for `since`, and handed to every live subscriber in order.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "engine/container.h"

namespace sockerless::engine {

struct Event {
    std::string type;    // "container", "image", "network", "volume", "daemon"
    std::string action;  // "create", "start", "die", "exec_create: sh -c ...", ...
    std::string actor_id;
    std::map<std::string, std::string> attributes;  // name, image, exitCode, labels...
    std::string scope = "local";
    Nanos time = 0;
};

// The JSON Docker writes for one event, with the legacy status/id/from fields for containers
// and images.
std::string event_json(const Event& e);

class EventBus {
public:
    class Subscription {
    public:
        // The next event, waiting for one; completes with nullopt when the bus shuts down.
        boost::asio::awaitable<std::optional<Event>> next();

    private:
        friend class EventBus;
        explicit Subscription(const boost::asio::any_io_executor& executor);
        std::deque<Event> queue_;
        boost::asio::steady_timer wake_;
        bool closed_ = false;
    };

    explicit EventBus(boost::asio::any_io_executor executor, std::size_t history = 4096);
    void publish(Event e);
    // Events since `since` (ns, inclusive) from the history, oldest first.
    [[nodiscard]] std::vector<Event> history(Nanos since, Nanos until) const;
    std::shared_ptr<Subscription> subscribe();
    void unsubscribe(const std::shared_ptr<Subscription>& s);
    void shutdown();

private:
    boost::asio::any_io_executor executor_;
    std::size_t capacity_;
    std::deque<Event> history_;
    std::list<std::shared_ptr<Subscription>> subscribers_;
};

}  // namespace sockerless::engine
