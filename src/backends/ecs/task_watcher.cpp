#include "backends/ecs/task_watcher.h"

#include <algorithm>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sockerless::ecs {
namespace {

namespace asio = boost::asio;
using Clock = TaskWatcher::Clock;
using Until = TaskWatcher::Until;

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);

struct Waiter {
    Waiter(const asio::any_io_executor& executor, std::string arn_in, Until until_in)
        : arn(std::move(arn_in)), until(until_in), timer(executor) {}

    std::string arn;
    Until until;
    asio::steady_timer timer;  // expires at the deadline; cancelled when `result` is set
    std::optional<Result<aws::EcsTask>> result;
};

bool satisfied(Until until, std::string_view last_status) {
    if (last_status == "STOPPED") return true;
    return until == Until::running_or_stopped && last_status == "RUNNING";
}

std::string_view wanted(Until until) {
    return until == Until::stopped ? "STOPPED" : "RUNNING or STOPPED";
}

// "1.5s", "50ms": for messages.
std::string format_duration(Clock::duration d) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    if (ms < 1000) return std::to_string(ms) + "ms";
    return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + "s";
}

// ECS answers with full ARNs; a waiter may have named its task by id.
std::string_view task_id(std::string_view arn) {
    const auto slash = arn.rfind('/');
    return slash == std::string_view::npos ? arn : arn.substr(slash + 1);
}

}  // namespace

struct TaskWatcher::State {
    State(asio::any_io_executor ex, aws::EcsClient& client, std::string cluster_name,
          TaskWatcherOptions opts)
        : executor(std::move(ex)),
          ecs(client),
          cluster(std::move(cluster_name)),
          options(opts),
          sleep(executor),
          interval(opts.min_interval) {}

    asio::any_io_executor executor;
    aws::EcsClient& ecs;
    std::string cluster;
    TaskWatcherOptions options;
    // Keyed by the task as the waiters named it (ARN or id).
    std::unordered_map<std::string, std::vector<std::shared_ptr<Waiter>>> waiters;
    std::unordered_map<std::string, std::string> last_status;
    std::size_t waiting = 0;
    TaskWatcherCounters counters;
    bool loop_running = false;
    bool closed = false;
    asio::steady_timer sleep;
    Clock::time_point wake_at;
    std::chrono::milliseconds interval;
    bool new_waiter = false;

    void add(const std::shared_ptr<Waiter>& w) {
        waiters[w->arn].push_back(w);
        ++waiting;
        new_waiter = true;
        interval = options.min_interval;
        const auto soon = Clock::now() + options.min_interval;
        if (loop_running && soon < wake_at) {
            wake_at = soon;
            sleep.cancel();
        }
    }

    void remove(const std::shared_ptr<Waiter>& w) {
        auto it = waiters.find(w->arn);
        if (it == waiters.end()) return;
        auto& list = it->second;
        const auto before = list.size();
        std::erase(list, w);
        waiting -= before - list.size();
        if (list.empty()) {
            last_status.erase(it->first);
            waiters.erase(it);
        }
    }

    // Answers the waiters of `key` that `pick` accepts with what `make` gives them.
    template <class Pick, class Make>
    void answer(const std::string& key, Pick pick, Make make) {
        auto it = waiters.find(key);
        if (it == waiters.end()) return;
        auto& list = it->second;
        std::erase_if(list, [&](const std::shared_ptr<Waiter>& w) {
            if (!pick(*w)) return false;
            w->result.emplace(make(*w));
            w->timer.cancel();
            --waiting;
            return true;
        });
        if (list.empty()) {
            last_status.erase(it->first);
            waiters.erase(it);
        }
    }

    void answer_all(const std::string& key, const Error& error) {
        answer(
            key, [](const Waiter&) { return true; }, [&](const Waiter&) { return error; });
    }

    // The waiter key a task or failure ARN belongs to, or nullptr.
    const std::string* key_of(std::string_view arn) const {
        for (std::string_view candidate : {arn, task_id(arn)}) {
            auto it = waiters.find(std::string(candidate));
            if (it != waiters.end()) return &it->first;
        }
        return nullptr;
    }

    // Returns whether the task's lastStatus changed since the previous poll.
    bool observe(const aws::EcsTask& task) {
        const std::string* found = key_of(task.task_arn);
        if (found == nullptr) return false;
        const std::string key = *found;
        std::string& seen = last_status[key];
        const bool changed = seen != task.last_status;
        seen = task.last_status;
        answer(
            key, [&](const Waiter& w) { return satisfied(w.until, task.last_status); },
            [&](const Waiter&) { return task; });
        return changed;
    }

    void fail(const aws::EcsFailure& failure) {
        const std::string* found = key_of(failure.arn);
        if (found == nullptr) return;
        const std::string key = *found;
        std::string detail = failure.detail.empty() ? "" : ": " + failure.detail;
        if (failure.reason == "MISSING") {
            answer_all(key, make_error(Errc::not_found,
                                       "ecs: task " + key + " not found in cluster " + cluster +
                                           " (DescribeTasks: MISSING" + detail + ")"));
        } else {
            answer_all(key, make_error(Errc::internal, "ecs: DescribeTasks reported task " + key +
                                                           ": " + failure.reason + detail));
        }
    }

    void close() {
        closed = true;
        sleep.cancel();
        const Error gone = make_error(Errc::unavailable, "ecs: task watcher shut down");
        std::vector<std::string> keys;
        keys.reserve(waiters.size());
        for (const auto& [key, list] : waiters)
            keys.push_back(key);
        for (const std::string& key : keys)
            answer_all(key, gone);
    }

    // One round: every pending task, in batches, one DescribeTasks call each. Returns whether a
    // task's lastStatus changed.
    static asio::awaitable<bool> poll(std::shared_ptr<State> s);
    static asio::awaitable<void> sleep_until_wake(std::shared_ptr<State> s);
    static asio::awaitable<void> run_loop(std::shared_ptr<State> s);
};

asio::awaitable<bool> TaskWatcher::State::poll(std::shared_ptr<State> s) {
    ++s->counters.polls;
    std::vector<std::string> keys;
    keys.reserve(s->waiters.size());
    for (const auto& [key, list] : s->waiters)
        keys.push_back(key);
    bool changed = false;
    for (std::size_t i = 0; i < keys.size(); i += aws::kDescribeTasksBatch) {
        const std::size_t end = std::min(keys.size(), i + aws::kDescribeTasksBatch);
        std::vector<std::string> batch(keys.begin() + static_cast<std::ptrdiff_t>(i),
                                       keys.begin() + static_cast<std::ptrdiff_t>(end));
        ++s->counters.describe_calls;
        s->counters.tasks_described += batch.size();
        Result<aws::EcsTasksResult> out = co_await s->ecs.describe_tasks(s->cluster, batch);
        if (s->closed) co_return changed;
        if (!out) {
            for (const std::string& key : batch) {
                s->answer_all(key, out.error().wrap("ecs: waiting for task " + key));
            }
            continue;
        }
        for (const aws::EcsTask& task : out->tasks)
            changed = s->observe(task) || changed;
        for (const aws::EcsFailure& failure : out->failures)
            s->fail(failure);
    }
    co_return changed;
}

asio::awaitable<void> TaskWatcher::State::sleep_until_wake(std::shared_ptr<State> s) {
    // add() may move wake_at earlier and cancel the timer; sleep again until the new time.
    while (!s->closed && Clock::now() < s->wake_at) {
        s->sleep.expires_at(s->wake_at);
        co_await s->sleep.async_wait(kUse);
    }
}

asio::awaitable<void> TaskWatcher::State::run_loop(std::shared_ptr<State> s) {
    s->interval = s->options.min_interval;
    s->wake_at = Clock::now() + s->interval;
    while (!s->closed && s->waiting > 0) {
        co_await sleep_until_wake(s);
        if (s->closed || s->waiting == 0) break;
        s->new_waiter = false;
        const bool changed = co_await poll(s);
        if (s->closed) break;
        if (changed || s->new_waiter) {
            s->interval = s->options.min_interval;
        } else {
            s->interval = std::min(s->interval * 2, s->options.max_interval);
        }
        s->wake_at = Clock::now() + s->interval;
    }
    s->loop_running = false;
}

TaskWatcher::TaskWatcher(asio::any_io_executor executor, aws::EcsClient& ecs, std::string cluster,
                         TaskWatcherOptions options)
    : state_(std::make_shared<State>(std::move(executor), ecs, std::move(cluster), options)) {}

TaskWatcher::~TaskWatcher() {
    state_->close();
}

asio::awaitable<Result<aws::EcsTask>> TaskWatcher::wait(std::string task_arn, Until until,
                                                        std::optional<Clock::time_point> deadline) {
    std::shared_ptr<State> s = state_;
    if (s->closed) co_return make_error(Errc::unavailable, "ecs: task watcher shut down");
    const auto started = Clock::now();
    auto w = std::make_shared<Waiter>(s->executor, std::move(task_arn), until);
    w->timer.expires_at(deadline.value_or(Clock::time_point::max()));
    s->add(w);
    if (!s->loop_running) {
        s->loop_running = true;
        asio::co_spawn(s->executor, State::run_loop(s), asio::detached);
    }
    auto [ec] = co_await w->timer.async_wait(kUse);
    if (w->result) co_return std::move(*w->result);
    const auto seen = s->last_status.find(w->arn);
    const std::string last = seen == s->last_status.end() || seen->second.empty()
                                 ? "not yet described"
                                 : "last status " + seen->second;
    s->remove(w);
    if (ec) {
        co_return make_error(Errc::unavailable, "ecs: wait for task " + w->arn + " cancelled");
    }
    co_return make_error(Errc::timeout,
                         "ecs: task " + w->arn + " did not reach " + std::string(wanted(until)) +
                             " within " + format_duration(*deadline - started) + " (" + last + ")");
}

TaskWatcherCounters TaskWatcher::counters() const {
    return state_->counters;
}

std::size_t TaskWatcher::pending() const {
    return state_->waiting;
}

}  // namespace sockerless::ecs
