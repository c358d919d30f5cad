#include "engine/events.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

namespace sockerless::engine {

namespace asio = boost::asio;
namespace json = boost::json;

std::string event_json(const Event& e) {
    json::object o;
    if (e.type == "container" || e.type == "image") {
        // The fields clients older than API 1.22 read, which dockerd still sends.
        o["status"] = e.action;
        o["id"] = e.actor_id;
        auto it = e.attributes.find("image");
        if (e.type == "container" && it != e.attributes.end() && !it->second.empty())
            o["from"] = it->second;  // omitempty, as every legacy field
    }
    o["Type"] = e.type;
    o["Action"] = e.action;
    json::object actor;
    actor["ID"] = e.actor_id;
    json::object attrs;
    for (const auto& [k, v] : e.attributes)
        attrs[k] = v;
    actor["Attributes"] = std::move(attrs);
    o["Actor"] = std::move(actor);
    o["scope"] = e.scope;
    o["time"] = e.time / 1'000'000'000;
    o["timeNano"] = e.time;
    return json::serialize(o);
}

EventBus::Subscription::Subscription(const asio::any_io_executor& executor)
    : wake_(executor, std::chrono::steady_clock::time_point::max()) {}

asio::awaitable<std::optional<Event>> EventBus::Subscription::next() {
    while (queue_.empty() && !closed_) {
        boost::system::error_code ec;
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec && ec != asio::error::operation_aborted) co_return std::nullopt;
        // A cancelled wait with nothing queued and not closed is the caller's cancellation.
        if (queue_.empty() && !closed_) {
            auto cs = co_await asio::this_coro::cancellation_state;
            if (cs.cancelled() != asio::cancellation_type::none) co_return std::nullopt;
        }
    }
    if (queue_.empty()) co_return std::nullopt;
    Event e = std::move(queue_.front());
    queue_.pop_front();
    co_return e;
}

EventBus::EventBus(asio::any_io_executor executor, std::size_t history)
    : executor_(std::move(executor)), capacity_(history) {}

void EventBus::publish(Event e) {
    if (e.time == 0) e.time = now_nanos();
    for (const auto& s : subscribers_) {
        s->queue_.push_back(e);
        s->wake_.cancel();
    }
    history_.push_back(std::move(e));
    while (history_.size() > capacity_)
        history_.pop_front();
}

std::vector<Event> EventBus::history(Nanos since, Nanos until) const {
    std::vector<Event> out;
    for (const Event& e : history_) {
        if (e.time < since) continue;
        if (until != 0 && e.time > until) continue;
        out.push_back(e);
    }
    return out;
}

std::shared_ptr<EventBus::Subscription> EventBus::subscribe() {
    auto s = std::shared_ptr<Subscription>(new Subscription(executor_));
    subscribers_.push_back(s);
    return s;
}

void EventBus::unsubscribe(const std::shared_ptr<Subscription>& s) {
    subscribers_.remove(s);
}

void EventBus::shutdown() {
    for (const auto& s : subscribers_) {
        s->closed_ = true;
        s->wake_.cancel();
    }
    subscribers_.clear();
}

}  // namespace sockerless::engine
