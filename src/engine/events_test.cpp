#include "engine/events.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

namespace sockerless::engine {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// 2023-11-14T22:13:20.123456789Z
constexpr Nanos kTime = 1'700'000'000'123'456'789;
const std::string container_id = "4c1f09b1e6a7d2f0c3b8e5a9d6c2f1e0b7a4c9d8e3f2a1b0c5d4e7f6a9b8c7d6";
// Every test's io_context finishes well within this; it only bounds a broken test.
constexpr auto kBound = std::chrono::seconds(10);

Event event(std::string action, Nanos time = 0) {
    Event e;
    e.type = "container";
    e.action = std::move(action);
    e.actor_id = container_id;
    e.time = time;
    return e;
}

std::vector<std::string> actions(const std::vector<Event>& events) {
    std::vector<std::string> out;
    out.reserve(events.size());
    for (const Event& e : events)
        out.push_back(e.action);
    return out;
}

// Collects up to `limit` events from `sub` until it reports the end, then sets `done`.
asio::awaitable<void> collect(std::shared_ptr<EventBus::Subscription> sub,
                              std::vector<std::string>& got, std::size_t limit, bool& ended,
                              bool& done) {
    while (got.size() < limit) {
        std::optional<Event> e = co_await sub->next();
        if (!e) {
            ended = true;
            break;
        }
        got.push_back(e->action);
    }
    done = true;
}

// dockerd's events.Message: the legacy status/id/from first, then Type, Action, Actor, scope,
// time and timeNano.
TEST(EventJson, ContainerDie) {
    Event e = event("die", kTime);
    e.attributes = {
        {"exitCode", "137"}, {"image", "busybox"}, {"name", "web"}, {"com.example.team", "ci"}};
    EXPECT_EQ(event_json(e),
              R"({"status":"die","id":")" + container_id +
                  R"(","from":"busybox","Type":"container","Action":"die","Actor":{"ID":")" +
                  container_id +
                  R"(","Attributes":{"com.example.team":"ci","exitCode":"137","image":"busybox",)"
                  R"("name":"web"}},"scope":"local","time":1700000000,)"
                  R"("timeNano":1700000000123456789})");
}

TEST(EventJson, ContainerWithoutImageHasNoFrom) {
    Event e = event("exec_create: sh -c true", kTime);
    e.attributes = {{"name", "web"}};
    const json::object o = json::parse(event_json(e)).as_object();
    EXPECT_EQ(o.at("status"), "exec_create: sh -c true");
    EXPECT_EQ(o.at("id"), json::value(container_id));
    EXPECT_FALSE(o.contains("from"));

    e.attributes["image"] = "";  // Go's omitempty
    EXPECT_FALSE(json::parse(event_json(e)).as_object().contains("from"));
}

TEST(EventJson, ImagePull) {
    Event e;
    e.type = "image";
    e.action = "pull";
    e.actor_id = "busybox:latest";
    e.attributes = {{"name", "busybox"}};
    e.time = kTime;
    EXPECT_EQ(event_json(e),
              R"({"status":"pull","id":"busybox:latest","Type":"image","Action":"pull",)"
              R"("Actor":{"ID":"busybox:latest","Attributes":{"name":"busybox"}},)"
              R"("scope":"local","time":1700000000,"timeNano":1700000000123456789})");
}

TEST(EventJson, OtherTypesHaveNoLegacyFields) {
    Event e;
    e.type = "network";
    e.action = "connect";
    e.actor_id = "bridge";
    e.attributes = {{"container", container_id}, {"name", "bridge"}, {"type", "bridge"}};
    e.time = kTime;
    EXPECT_EQ(event_json(e), R"({"Type":"network","Action":"connect","Actor":{"ID":"bridge",)"
                             R"("Attributes":{"container":")" +
                                 container_id +
                                 R"(","name":"bridge","type":"bridge"}},"scope":"local",)"
                                 R"("time":1700000000,"timeNano":1700000000123456789})");
}

TEST(EventBus, SubscribersGetEventsInOrder) {
    asio::io_context io;
    EventBus bus(io.get_executor());
    auto first = bus.subscribe();
    auto second = bus.subscribe();
    std::vector<std::string> got1, got2;
    bool ended1 = false, ended2 = false, done1 = false, done2 = false;
    // One subscriber has events waiting before it asks; the other waits for them.
    bus.publish(event("create", kTime));
    asio::co_spawn(io, collect(first, got1, 4, ended1, done1), asio::detached);
    asio::co_spawn(io, collect(second, got2, 4, ended2, done2), asio::detached);
    asio::post(io, [&] {
        bus.publish(event("start", kTime + 1));
        bus.publish(event("die", kTime + 2));
        asio::post(io, [&] { bus.publish(event("destroy", kTime + 3)); });
    });
    io.run_for(kBound);
    ASSERT_TRUE(done1 && done2);
    EXPECT_FALSE(ended1 || ended2);
    const std::vector<std::string> expected{"create", "start", "die", "destroy"};
    EXPECT_EQ(got1, expected);
    EXPECT_EQ(got2, expected);
}

TEST(EventBus, SubscribersOnlySeeEventsAfterSubscribing) {
    asio::io_context io;
    EventBus bus(io.get_executor());
    bus.publish(event("create", kTime));
    auto sub = bus.subscribe();
    bus.publish(event("start", kTime + 1));
    std::vector<std::string> got;
    bool ended = false, done = false;
    asio::co_spawn(io, collect(sub, got, 1, ended, done), asio::detached);
    io.run_for(kBound);
    ASSERT_TRUE(done);
    EXPECT_EQ(got, std::vector<std::string>{"start"});
}

TEST(EventBus, NextEndsAfterShutdown) {
    asio::io_context io;
    EventBus bus(io.get_executor());
    auto waiting = bus.subscribe();
    auto with_backlog = bus.subscribe();
    std::vector<std::string> got_waiting, got_backlog;
    bool ended_waiting = false, ended_backlog = false, done_waiting = false, done_backlog = false;
    asio::co_spawn(io, collect(waiting, got_waiting, 100, ended_waiting, done_waiting),
                   asio::detached);
    asio::post(io, [&] {
        bus.publish(event("start", kTime));
        bus.shutdown();
        // Events queued before the shutdown are still delivered, then the end.
        asio::co_spawn(io, collect(with_backlog, got_backlog, 100, ended_backlog, done_backlog),
                       asio::detached);
    });
    io.run_for(kBound);
    ASSERT_TRUE(done_waiting && done_backlog);
    EXPECT_TRUE(ended_waiting);
    EXPECT_TRUE(ended_backlog);
    EXPECT_EQ(got_waiting, std::vector<std::string>{"start"});
    EXPECT_EQ(got_backlog, std::vector<std::string>{"start"});

    // A subscription asked for after the shutdown ends at once.
    std::vector<std::string> got_late;
    bool ended_late = false, done_late = false;
    asio::co_spawn(io, collect(waiting, got_late, 100, ended_late, done_late), asio::detached);
    io.restart();
    io.run_for(kBound);
    ASSERT_TRUE(done_late);
    EXPECT_TRUE(ended_late);
    EXPECT_TRUE(got_late.empty());
}

TEST(EventBus, HistoryBoundsAreInclusive) {
    asio::io_context io;
    EventBus bus(io.get_executor());
    bus.publish(event("create", 100));
    bus.publish(event("start", 200));
    bus.publish(event("die", 300));
    using V = std::vector<std::string>;
    EXPECT_EQ(actions(bus.history(0, 0)), (V{"create", "start", "die"}));
    EXPECT_EQ(actions(bus.history(200, 300)), (V{"start", "die"}));
    EXPECT_EQ(actions(bus.history(100, 100)), V{"create"});
    EXPECT_EQ(actions(bus.history(101, 299)), V{"start"});
    EXPECT_EQ(actions(bus.history(201, 0)), V{"die"});  // until 0: no upper bound
    EXPECT_TRUE(bus.history(301, 0).empty());
    EXPECT_TRUE(bus.history(101, 199).empty());
}

TEST(EventBus, HistoryKeepsTheNewestUpToCapacity) {
    asio::io_context io;
    EventBus bus(io.get_executor(), 3);
    for (int i = 1; i <= 5; ++i)
        bus.publish(event("e" + std::to_string(i), i));
    EXPECT_EQ(actions(bus.history(0, 0)), (std::vector<std::string>{"e3", "e4", "e5"}));
}

TEST(EventBus, PublishStampsTheTimeWhenUnset) {
    asio::io_context io;
    EventBus bus(io.get_executor());
    const Nanos before = now_nanos();
    bus.publish(event("create"));
    const Nanos after = now_nanos();
    const std::vector<Event> h = bus.history(0, 0);
    ASSERT_EQ(h.size(), 1U);
    EXPECT_GE(h[0].time, before);
    EXPECT_LE(h[0].time, after);
    bus.publish(event("start", kTime));
    EXPECT_EQ(bus.history(kTime, kTime).at(0).time, kTime);
}

TEST(EventBus, UnsubscribedSubscriptionGetsNoMoreEvents) {
    asio::io_context io;
    EventBus bus(io.get_executor());
    auto kept = bus.subscribe();
    auto dropped = bus.subscribe();
    bus.publish(event("create", kTime));
    bus.unsubscribe(dropped);
    bus.publish(event("start", kTime + 1));
    std::vector<std::string> got_kept, got_dropped;
    bool ended = false, done_kept = false, done_dropped = false;
    asio::co_spawn(io, collect(kept, got_kept, 2, ended, done_kept), asio::detached);
    asio::co_spawn(io, collect(dropped, got_dropped, 1, ended, done_dropped), asio::detached);
    io.run_for(kBound);
    ASSERT_TRUE(done_kept && done_dropped);
    EXPECT_EQ(got_kept, (std::vector<std::string>{"create", "start"}));
    EXPECT_EQ(got_dropped, std::vector<std::string>{"create"});
}

}  // namespace
}  // namespace sockerless::engine
