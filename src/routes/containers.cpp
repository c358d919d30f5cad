// /containers/...: create, list, inspect, start, stop, kill, restart, wait, remove, rename,
// resize, prune, top, and the backend record on /internal/v1/containers/{id}.

#include <algorithm>
#include <csignal>

#include <boost/json.hpp>

#include "engine/filters.h"
#include "engine/signals.h"
#include "routes/container_create.h"
#include "routes/container_json.h"
#include "routes/routes.h"

namespace sockerless::routes {

namespace asio = boost::asio;
namespace json = boost::json;
using engine::Container;
using http::Exchange;
using http::Request;

namespace {

RenderContext context_of(Services& s, const Container& c) {
    RenderContext ctx;
    ctx.now = engine::now_nanos();
    ctx.log_path = s.engine.log_path(c);
    return ctx;
}

// "t" (seconds) as API 1.42+ also accepts "timeout"? Docker reads "t"; negative waits forever.
Result<std::optional<int>> timeout_param(const Request& req) {
    auto t = req.query_int("t");
    if (!t) return t.error();
    if (!*t) return std::optional<int>{};
    return std::optional<int>{static_cast<int>(**t)};
}

Result<std::optional<int>> signal_param(const Request& req, std::string_view key) {
    auto value = req.query_value(key);
    if (!value || value->empty()) return std::optional<int>{};
    auto sig = engine::parse_signal(*value);
    if (!sig) return make_error(Errc::invalid_argument, "Invalid signal: " + std::string(*value));
    return std::optional<int>{*sig};
}

asio::awaitable<void> create(Services& s, Request& req, Exchange& ex) {
    auto parsed = parse_create_request(req.query_value("name").value_or(""), req.body);
    if (!parsed) co_return co_await ex.reply_error(parsed.error());
    auto created = s.engine.create(std::move(*parsed));
    if (!created) co_return co_await ex.reply_error(created.error());
    json::object o;
    o["Id"] = created->id;
    o["Warnings"] = json::array();
    co_await ex.reply_json(201, o);
}

// Docker's list filters.
constexpr std::string_view kListFilters[] = {"id",      "name",    "label",   "status", "ancestor",
                                             "network", "volume",  "exited",  "health", "before",
                                             "since",   "is-task", "publish", "expose"};

Result<bool> matches(Services& s, const engine::Filters& f, const Container& c) {
    if (f.contains("id") && !f.match("id", c.id)) return false;
    if (f.contains("name") && !f.match("name", c.name) && !f.match("name", c.name.substr(1)))
        return false;
    if (f.contains("label") && !f.match_kv("label", c.config.labels)) return false;
    if (f.contains("status") && !f.match_exact("status", engine::status_name(c.state.status)))
        return false;
    if (f.contains("ancestor")) {
        bool any = false;
        for (const std::string& a : f.values("ancestor")) {
            if (a == c.config.image || a == c.image_id ||
                (c.image_id.starts_with("sha256:") && c.image_id.substr(7).starts_with(a))) {
                any = true;
                break;
            }
            const engine::Image* image = s.images.find(a);
            if (image != nullptr && image->id == c.image_id) {
                any = true;
                break;
            }
        }
        if (!any) return false;
    }
    if (f.contains("network")) {
        const std::string mode = c.host.network_mode.empty() || c.host.network_mode == "default"
                                     ? "bridge"
                                     : c.host.network_mode;
        if (!f.match_exact("network", mode)) return false;
    }
    if (f.contains("volume")) return false;  // containers have no local volumes
    if (f.contains("exited")) {
        auto codes = f.get_ints("exited");
        if (!codes) return codes.error();
        if (c.state.status != engine::ContainerStatus::exited) return false;
        if (std::find(codes->begin(), codes->end(), c.state.exit_code) == codes->end())
            return false;
    }
    if (f.contains("health")) {
        const std::string h = c.state.health ? c.state.health->status : "none";
        if (!f.match_exact("health", h)) return false;
    }
    if (f.contains("is-task")) {
        auto task = f.get_bool("is-task", false);
        if (!task) return task.error();
        if (*task) return false;
    }
    if (f.contains("publish") || f.contains("expose")) {
        bool any = false;
        for (const std::string& p : f.values(f.contains("publish") ? "publish" : "expose")) {
            std::string port = p.find('/') == std::string::npos ? p + "/tcp" : p;
            if (c.config.exposed_ports.contains(port)) any = true;
        }
        if (!any) return false;
    }
    return true;
}

asio::awaitable<void> list(Services& s, Request& req, Exchange& ex) {
    auto filters = engine::Filters::parse(req.query_value("filters").value_or(""));
    if (!filters) co_return co_await ex.reply_error(filters.error());
    if (Status st = filters->validate(std::span<const std::string_view>(kListFilters)); !st)
        co_return co_await ex.reply_error(st.error());
    if (Status st = filters->check_values(
            "status", {"created", "restarting", "running", "removing", "paused", "exited", "dead"});
        !st)
        co_return co_await ex.reply_error(st.error());
    if (Status st = filters->check_values("health", {"starting", "healthy", "unhealthy", "none"});
        !st)
        co_return co_await ex.reply_error(st.error());
    auto limit = req.query_int("limit");
    if (!limit) co_return co_await ex.reply_error(limit.error());
    bool all = req.query_bool("all");
    if (*limit && **limit > 0) all = true;

    std::vector<const Container*> containers = s.engine.containers();
    std::sort(containers.begin(), containers.end(), [](const Container* a, const Container* b) {
        return a->created != b->created ? a->created > b->created : a->id > b->id;
    });
    // before/since name a container: only those created before or after it.
    engine::Nanos before = 0;
    engine::Nanos since = 0;
    for (const auto& [key, bound] : {std::pair{"before", &before}, std::pair{"since", &since}}) {
        for (const std::string& ref : filters->values(key)) {
            auto c = s.engine.find(ref);
            if (!c) co_return co_await ex.reply_error(c.error());
            *bound = (*c)->created;
            all = true;
        }
    }
    if (filters->contains("status") || filters->contains("exited")) all = true;

    json::array out;
    const engine::Nanos now = engine::now_nanos();
    const bool size = req.query_bool("size");
    for (const Container* c : containers) {
        if (!all && !c->running()) continue;
        if (before != 0 && c->created >= before) continue;
        if (since != 0 && c->created <= since) continue;
        auto match = matches(s, *filters, *c);
        if (!match) co_return co_await ex.reply_error(match.error());
        if (!*match) continue;
        RenderContext ctx;
        ctx.now = now;
        out.emplace_back(list_json(*c, ctx, size));
        if (*limit && **limit > 0 && out.size() >= static_cast<std::size_t>(**limit)) break;
    }
    co_await ex.reply_json(200, out);
}

asio::awaitable<void> inspect(Services& s, Request& req, Exchange& ex) {
    auto c = s.engine.find(req.param("id"));
    if (!c) co_return co_await ex.reply_error(c.error());
    RenderContext ctx = context_of(s, **c);
    json::object o = inspect_json(**c, ctx);
    if (req.query_bool("size")) {
        o["SizeRw"] = 0;
        o["SizeRootFs"] = 0;
    }
    co_await ex.reply_json(200, o);
}

asio::awaitable<void> reply_status(Exchange& ex, const Status& st, int success) {
    if (!st) {
        if (st.error().code == Errc::not_modified) co_return co_await ex.reply_empty(304);
        co_return co_await ex.reply_error(st.error());
    }
    co_await ex.reply_empty(success);
}

asio::awaitable<void> start(Services& s, Request& req, Exchange& ex) {
    if (req.query_value("checkpoint") && !req.query_value("checkpoint")->empty())
        co_return co_await ex.reply_error(make_error(
            Errc::not_implemented, "checkpoints are not supported: containers run as ECS tasks"));
    Status st = co_await s.engine.start(std::string(req.param("id")));
    co_await reply_status(ex, st, 204);
}

asio::awaitable<void> stop(Services& s, Request& req, Exchange& ex) {
    auto timeout = timeout_param(req);
    if (!timeout) co_return co_await ex.reply_error(timeout.error());
    auto sig = signal_param(req, "signal");
    if (!sig) co_return co_await ex.reply_error(sig.error());
    Status st = co_await s.engine.stop(std::string(req.param("id")), *timeout, *sig);
    co_await reply_status(ex, st, 204);
}

asio::awaitable<void> restart(Services& s, Request& req, Exchange& ex) {
    auto timeout = timeout_param(req);
    if (!timeout) co_return co_await ex.reply_error(timeout.error());
    auto sig = signal_param(req, "signal");
    if (!sig) co_return co_await ex.reply_error(sig.error());
    Status st = co_await s.engine.restart(std::string(req.param("id")), *timeout, *sig);
    co_await reply_status(ex, st, 204);
}

asio::awaitable<void> kill(Services& s, Request& req, Exchange& ex) {
    auto sig = signal_param(req, "signal");
    if (!sig) co_return co_await ex.reply_error(sig.error());
    Status st = co_await s.engine.kill(std::string(req.param("id")), sig->value_or(SIGKILL));
    co_await reply_status(ex, st, 204);
}

asio::awaitable<void> remove(Services& s, Request& req, Exchange& ex) {
    if (req.query_bool("link"))
        co_return co_await ex.reply_error(
            make_error(Errc::not_implemented, "legacy container links are not supported"));
    Status st = co_await s.engine.remove(std::string(req.param("id")), req.query_bool("force"),
                                         req.query_bool("v"));
    co_await reply_status(ex, st, 204);
}

asio::awaitable<void> wait(Services& s, Request& req, Exchange& ex) {
    engine::WaitCondition condition = engine::WaitCondition::not_running;
    const std::string_view text = req.query_value("condition").value_or("");
    if (text == "next-exit")
        condition = engine::WaitCondition::next_exit;
    else if (text == "removed")
        condition = engine::WaitCondition::removed;
    else if (!text.empty() && text != "not-running")
        co_return co_await ex.reply_error(
            make_error(Errc::invalid_argument, "invalid condition: \"" + std::string(text) + "\""));
    auto waiter = s.engine.prepare_wait(req.param("id"), condition);
    if (!waiter) co_return co_await ex.reply_error(waiter.error());
    // The headers go out at once: clients (docker run) wait for them before starting.
    auto stream = co_await ex.begin_stream(200, "application/json");
    if (!stream) co_return;
    auto result = co_await (*waiter)();
    json::object o;
    if (result) {
        o["StatusCode"] = result->status_code;
        if (result->error.empty()) {
            o["Error"] = nullptr;
        } else {
            json::object e;
            e["Message"] = result->error;
            o["Error"] = std::move(e);
        }
    } else {
        o["StatusCode"] = -1;
        json::object e;
        e["Message"] = result.error().message;
        o["Error"] = std::move(e);
    }
    (void)co_await (*stream)->write(json::serialize(o) + "\n");
    (void)co_await (*stream)->finish();
}

asio::awaitable<void> rename(Services& s, Request& req, Exchange& ex) {
    const auto name = req.query_value("name");
    if (!name || name->empty())
        co_return co_await ex.reply_error(
            make_error(Errc::invalid_argument, "Neither old nor new names may be empty"));
    Status st = s.engine.rename(req.param("id"), *name);
    co_await reply_status(ex, st, 204);
}

asio::awaitable<void> resize(Services& s, Request& req, Exchange& ex) {
    auto h = req.query_int("h");
    auto w = req.query_int("w");
    if (!h) co_return co_await ex.reply_error(h.error());
    if (!w) co_return co_await ex.reply_error(w.error());
    Status st = s.engine.resize(req.param("id"), static_cast<std::uint16_t>(h->value_or(0)),
                                static_cast<std::uint16_t>(w->value_or(0)));
    co_await reply_status(ex, st, 200);
}

asio::awaitable<void> prune(Services& s, Request& req, Exchange& ex) {
    auto filters = engine::Filters::parse(req.query_value("filters").value_or(""));
    if (!filters) co_return co_await ex.reply_error(filters.error());
    if (Status st = filters->validate({"until", "label", "label!"}); !st)
        co_return co_await ex.reply_error(st.error());
    engine::Nanos until = 0;
    for (const std::string& u : filters->values("until")) {
        auto t = engine::parse_time_filter(u, engine::now_nanos());
        if (!t) co_return co_await ex.reply_error(t.error());
        until = *t;
    }
    engine::Filters f = *filters;
    auto removed = co_await s.engine.prune([&](const Container& c) {
        if (until != 0 && c.created >= until) return false;
        return f.match_labels(c.config.labels);
    });
    if (!removed) co_return co_await ex.reply_error(removed.error());
    json::object o;
    json::array ids;
    for (const std::string& id : *removed)
        ids.emplace_back(id);
    o["ContainersDeleted"] = removed->empty() ? json::value(nullptr) : json::value(ids);
    o["SpaceReclaimed"] = 0;
    co_await ex.reply_json(200, o);
}

// `ps` in the container through its agent; its header row gives the titles.
asio::awaitable<void> top(Services& s, Request& req, Exchange& ex) {
    std::string args = std::string(req.query_value("ps_args").value_or("-ef"));
    std::vector<std::string> argv{"ps"};
    std::size_t pos = 0;
    while (pos < args.size()) {
        const std::size_t space = args.find(' ', pos);
        std::string word = args.substr(pos, space - pos);
        if (!word.empty()) argv.push_back(word);
        if (space == std::string::npos) break;
        pos = space + 1;
    }
    auto out = co_await s.engine.run_in_container(std::string(req.param("id")), argv);
    if (!out) co_return co_await ex.reply_error(out.error());
    std::vector<std::string> lines;
    pos = 0;
    while (pos < out->size()) {
        const std::size_t nl = out->find('\n', pos);
        std::string line = out->substr(pos, nl - pos);
        if (!line.empty()) lines.push_back(line);
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    auto split = [](const std::string& line, std::size_t fields) {
        std::vector<std::string> cols;
        std::size_t i = 0;
        while (i < line.size()) {
            while (i < line.size() && line[i] == ' ')
                ++i;
            if (i >= line.size()) break;
            if (fields != 0 && cols.size() + 1 == fields) {
                cols.push_back(line.substr(i));
                break;
            }
            const std::size_t end = line.find(' ', i);
            cols.push_back(line.substr(i, end - i));
            i = end == std::string::npos ? line.size() : end;
        }
        return cols;
    };
    json::object o;
    json::array titles;
    json::array processes;
    if (!lines.empty()) {
        auto header = split(lines.front(), 0);
        for (const auto& t : header)
            titles.emplace_back(t);
        for (std::size_t i = 1; i < lines.size(); ++i) {
            json::array row;
            for (const auto& col : split(lines[i], header.size()))
                row.emplace_back(col);
            processes.emplace_back(std::move(row));
        }
    }
    o["Titles"] = std::move(titles);
    o["Processes"] = std::move(processes);
    co_await ex.reply_json(200, o);
}

// The backend's record (seed criterion 12): task, agent address, injection, payload. The agent
// token is a secret and is not served.
asio::awaitable<void> internal_record(Services& s, Request& req, Exchange& ex) {
    auto c = s.engine.find(req.param("id"));
    if (!c) co_return co_await ex.reply_error(c.error());
    const runtime::ContainerRecord& r = (*c)->record;
    json::object o;
    o["Id"] = (*c)->id;
    o["Name"] = (*c)->name;
    o["Backend"] = s.info.backend;
    o["Cluster"] = s.info.cluster;
    o["Region"] = s.info.region;
    o["TaskArn"] = r.task_arn;
    o["TaskDefinitionArn"] = r.task_definition_arn;
    o["AgentAddress"] = r.agent_address;
    o["InjectionStrategy"] = r.injection.empty() ? s.info.injection : r.injection;
    o["PayloadUri"] = r.payload_uri;
    o["KeepAlive"] = r.keep_alive;
    o["Lingers"] = r.lingers;
    o["State"] = engine::status_name((*c)->state.status);
    co_await ex.reply_json(200, o);
}

}  // namespace

void register_container_routes(http::Router& router, Services& s) {
    auto bind = [&s](asio::awaitable<void> (*fn)(Services&, Request&, Exchange&)) {
        return [&s, fn](Request& req, Exchange& ex) { return fn(s, req, ex); };
    };
    router.add("POST", "/containers/create", bind(create));
    router.add("GET", "/containers/json", bind(list));
    router.add("POST", "/containers/prune", bind(prune));
    router.add("GET", "/containers/{id}/json", bind(inspect));
    router.add("POST", "/containers/{id}/start", bind(start));
    router.add("POST", "/containers/{id}/stop", bind(stop));
    router.add("POST", "/containers/{id}/restart", bind(restart));
    router.add("POST", "/containers/{id}/kill", bind(kill));
    router.add("POST", "/containers/{id}/wait", bind(wait));
    router.add("POST", "/containers/{id}/rename", bind(rename));
    router.add("POST", "/containers/{id}/resize", bind(resize));
    router.add("GET", "/containers/{id}/top", bind(top));
    router.add("DELETE", "/containers/{id}", bind(remove));
    router.add("GET", "/internal/v1/containers/{id}", bind(internal_record));
}

}  // namespace sockerless::routes
