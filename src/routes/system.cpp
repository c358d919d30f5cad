// /_ping, /version, /info, /events, /system/df, /auth.

#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json.hpp>

#include "engine/filters.h"
#include "engine/json_util.h"
#include "routes/routes.h"

namespace sockerless::routes {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using http::Exchange;
using http::Request;

namespace {

std::string kernel_version() {
    utsname u{};
    if (uname(&u) != 0) return "";
    return u.release;
}

std::string arch_go() {
    utsname u{};
    if (uname(&u) != 0) return "amd64";
    std::string m = u.machine;
    if (m == "x86_64") return "amd64";
    if (m == "aarch64") return "arm64";
    return m;
}

// Outside the coroutines: struct sysinfo ends in a flexible array, which a coroutine frame may
// not hold.
std::int64_t mem_total() {
    struct sysinfo si {};
    if (sysinfo(&si) != 0) return 0;
    return static_cast<std::int64_t>(si.totalram) * si.mem_unit;
}

asio::awaitable<void> ping(Services&, Request& req, Exchange& ex) {
    ex.add_header("Cache-Control", "no-cache, no-store, must-revalidate");
    ex.add_header("Pragma", "no-cache");
    ex.add_header("Builder-Version", "1");
    ex.add_header("Swarm", "inactive");
    if (req.method == "HEAD") co_return co_await ex.reply_empty(200);
    co_await ex.reply(200, "OK", "text/plain; charset=utf-8");
}

asio::awaitable<void> version(Services& s, Request&, Exchange& ex) {
    json::object details;
    details["ApiVersion"] = http::kApiVersion.str();
    details["Arch"] = arch_go();
    details["BuildTime"] = "";
    details["Experimental"] = "false";
    details["GitCommit"] = "";
    details["GoVersion"] = "";
    details["KernelVersion"] = kernel_version();
    details["MinAPIVersion"] = http::kMinApiVersion.str();
    details["Os"] = "linux";
    details["Backend"] = s.info.backend;
    json::object engine;
    engine["Name"] = "Engine";
    engine["Version"] = s.info.version;
    engine["Details"] = std::move(details);
    json::array components;
    components.emplace_back(std::move(engine));
    json::object platform;
    platform["Name"] = "Sockerless";
    json::object o;
    o["Platform"] = std::move(platform);
    o["Components"] = std::move(components);
    o["Version"] = s.info.version;
    o["ApiVersion"] = http::kApiVersion.str();
    o["MinAPIVersion"] = http::kMinApiVersion.str();
    o["GitCommit"] = "";
    o["GoVersion"] = "";
    o["Os"] = "linux";
    o["Arch"] = arch_go();
    o["KernelVersion"] = kernel_version();
    o["BuildTime"] = "";
    co_await ex.reply_json(200, o);
}

asio::awaitable<void> info(Services& s, Request&, Exchange& ex) {
    const engine::Stats st = s.engine.stats();
    json::object o;
    o["ID"] = s.info.id;
    o["Containers"] = st.containers;
    o["ContainersRunning"] = st.running;
    o["ContainersPaused"] = st.paused;
    o["ContainersStopped"] = st.stopped;
    o["Images"] = s.images.all().size();
    o["Driver"] = "ecs-fargate";
    json::array status;
    auto row = [&status](std::string_view k, std::string_view v) {
        json::array r;
        r.emplace_back(k);
        r.emplace_back(v);
        status.emplace_back(std::move(r));
    };
    row("Backend", s.info.backend);
    row("Region", s.info.region);
    row("Cluster", s.info.cluster);
    row("Endpoint",
        s.info.embedded_simulator ? s.info.endpoint + " (embedded simulator)" : s.info.endpoint);
    row("Agent injection", s.info.injection);
    o["DriverStatus"] = std::move(status);
    json::object plugins;
    plugins["Volume"] = json::array();
    json::array nets;
    nets.emplace_back("bridge");
    plugins["Network"] = std::move(nets);
    plugins["Authorization"] = nullptr;
    json::array logs;
    logs.emplace_back("json-file");
    logs.emplace_back("awslogs");
    plugins["Log"] = std::move(logs);
    o["Plugins"] = std::move(plugins);
    for (const char* k :
         {"MemoryLimit", "SwapLimit", "CpuCfsPeriod", "CpuCfsQuota", "CPUShares", "CPUSet",
          "PidsLimit", "IPv4Forwarding", "Debug", "OomKillDisable", "KernelMemoryTCP",
          "BridgeNfIptables", "BridgeNfIp6tables", "ExperimentalBuild", "LiveRestoreEnabled"})
        o[k] = std::string_view(k) == "LiveRestoreEnabled";
    o["NFd"] = 0;
    o["NGoroutines"] = 0;
    o["SystemTime"] = engine::format_time(engine::now_nanos());
    o["LoggingDriver"] = "json-file";
    o["CgroupDriver"] = "none";
    o["CgroupVersion"] = "2";
    o["NEventsListener"] = 0;
    o["KernelVersion"] = kernel_version();
    o["OperatingSystem"] = "Sockerless (ECS Fargate)";
    o["OSVersion"] = "";
    o["OSType"] = "linux";
    o["Architecture"] = arch_go() == "amd64" ? "x86_64" : arch_go();
    o["IndexServerAddress"] = "https://index.docker.io/v1/";
    json::object registry;
    json::array cidrs;
    cidrs.emplace_back("127.0.0.0/8");
    registry["InsecureRegistryCIDRs"] = std::move(cidrs);
    registry["IndexConfigs"] = json::object();
    json::array mirrors;
    for (const auto& [domain, urls] : s.info.mirrors)
        for (const auto& u : urls)
            mirrors.emplace_back(u);
    registry["Mirrors"] = std::move(mirrors);
    o["RegistryConfig"] = std::move(registry);
    o["NCPU"] = sysconf(_SC_NPROCESSORS_ONLN);
    o["MemTotal"] = mem_total();
    o["GenericResources"] = nullptr;
    o["DockerRootDir"] = s.info.state_dir;
    o["HttpProxy"] = "";
    o["HttpsProxy"] = "";
    o["NoProxy"] = "";
    o["Name"] = s.info.name;
    json::array labels;
    labels.emplace_back("com.sockerless.backend=" + s.info.backend);
    labels.emplace_back("com.sockerless.region=" + s.info.region);
    labels.emplace_back("com.sockerless.cluster=" + s.info.cluster);
    labels.emplace_back("com.sockerless.endpoint=" + s.info.endpoint);
    labels.emplace_back("com.sockerless.injection=" + s.info.injection);
    if (s.info.embedded_simulator) labels.emplace_back("com.sockerless.embedded-simulator=true");
    o["Labels"] = std::move(labels);
    o["ServerVersion"] = s.info.version;
    json::object runtime;
    runtime["path"] = "sockerless-agent";
    json::object runtimes;
    runtimes["ecs-fargate"] = std::move(runtime);
    o["Runtimes"] = std::move(runtimes);
    o["DefaultRuntime"] = "ecs-fargate";
    json::object swarm;
    swarm["NodeID"] = "";
    swarm["NodeAddr"] = "";
    swarm["LocalNodeState"] = "inactive";
    swarm["ControlAvailable"] = false;
    swarm["Error"] = "";
    swarm["RemoteManagers"] = nullptr;
    o["Swarm"] = std::move(swarm);
    o["Isolation"] = "";
    o["InitBinary"] = "";
    o["SecurityOptions"] = json::array();
    o["Warnings"] = nullptr;
    co_await ex.reply_json(200, o);
}

bool event_matches(Services& s, const engine::Filters& f, const engine::Event& e) {
    if (f.contains("type") && !f.match_exact("type", e.type)) return false;
    if (f.contains("event")) {
        const std::string action = e.action.substr(0, e.action.find(':'));
        if (!f.match_exact("event", e.action) && !f.match_exact("event", action)) return false;
    }
    if (f.contains("container")) {
        if (e.type != "container") return false;
        auto name = e.attributes.find("name");
        bool any = f.match_exact("container", e.actor_id) ||
                   (name != e.attributes.end() && f.match_exact("container", name->second));
        for (const std::string& v : f.values("container"))
            if (!v.empty() && e.actor_id.starts_with(v)) any = true;
        if (!any) return false;
    }
    if (f.contains("image")) {
        auto image = e.attributes.find("image");
        if (image == e.attributes.end()) return false;
        bool any = f.match_exact("image", image->second);
        for (const std::string& v : f.values("image")) {
            const engine::Image* a = s.images.find(v);
            const engine::Image* b = s.images.find(image->second);
            if (a != nullptr && a == b) any = true;
        }
        if (!any) return false;
    }
    if (f.contains("label") && !f.match_kv("label", e.attributes)) return false;
    return true;
}

asio::awaitable<void> events(Services& s, Request& req, Exchange& ex) {
    auto filters = engine::Filters::parse(req.query_value("filters").value_or(""));
    if (!filters) co_return co_await ex.reply_error(filters.error());
    if (Status st =
            filters->validate({"container", "daemon", "event", "image", "label", "network", "node",
                               "plugin", "scope", "secret", "service", "type", "volume", "config"});
        !st)
        co_return co_await ex.reply_error(st.error());
    const engine::Nanos now = engine::now_nanos();
    engine::Nanos since = 0;
    engine::Nanos until = 0;
    for (const auto& [key, into] : {std::pair{"since", &since}, std::pair{"until", &until}}) {
        if (auto v = req.query_value(key); v && !v->empty()) {
            auto t = engine::parse_time_filter(*v, now);
            if (!t) co_return co_await ex.reply_error(t.error());
            *into = *t;
        }
    }
    // Subscribe before reading the history so nothing falls between the two.
    auto subscription = s.events.subscribe();
    auto stream = co_await ex.begin_stream(200, "application/json");
    if (!stream) {
        s.events.unsubscribe(subscription);
        co_return;
    }
    engine::Filters f = *filters;
    if (since != 0 || req.query_value("since")) {
        for (const engine::Event& e : s.events.history(since, until != 0 ? until : now)) {
            if (!event_matches(s, f, e)) continue;
            if (!co_await (*stream)->write(engine::event_json(e) + "\n")) {
                s.events.unsubscribe(subscription);
                co_return;
            }
        }
    }
    while (until == 0 || engine::now_nanos() < until) {
        std::optional<engine::Event> e;
        if (until != 0) {
            asio::steady_timer deadline(co_await asio::this_coro::executor,
                                        std::chrono::nanoseconds(until - engine::now_nanos()));
            auto r = co_await (subscription->next() || (*stream)->closed() ||
                               deadline.async_wait(asio::use_awaitable));
            if (r.index() != 0) break;
            e = std::get<0>(r);
        } else {
            auto r = co_await (subscription->next() || (*stream)->closed());
            if (r.index() != 0) break;
            e = std::get<0>(r);
        }
        if (!e) break;
        if (e->time <= now && since != 0) continue;  // already sent from the history
        if (!event_matches(s, f, *e)) continue;
        if (!co_await (*stream)->write(engine::event_json(*e) + "\n")) break;
    }
    s.events.unsubscribe(subscription);
    if (!(*stream)->is_closed()) (void)co_await (*stream)->finish();
}

asio::awaitable<void> system_df(Services& s, Request&, Exchange& ex) {
    json::object o;
    o["LayersSize"] = 0;
    json::array images;
    for (const engine::Image* i : s.images.all()) {
        json::object im;
        im["Id"] = i->id;
        im["ParentId"] = "";
        im["RepoTags"] = engine::strings_to_json(i->repo_tags);
        im["RepoDigests"] = engine::strings_to_json(i->repo_digests);
        im["Created"] = 0;
        im["Size"] = i->size;
        im["SharedSize"] = -1;
        im["VirtualSize"] = i->size;
        im["Labels"] = engine::map_to_json(i->config.labels);
        im["Containers"] = -1;
        images.emplace_back(std::move(im));
    }
    o["Images"] = std::move(images);
    json::array containers;
    for (const engine::Container* c : s.engine.containers()) {
        json::object co;
        co["Id"] = c->id;
        json::array names;
        names.emplace_back(c->name);
        co["Names"] = std::move(names);
        co["Image"] = c->config.image;
        co["ImageID"] = c->image_id;
        co["Created"] = c->created / 1'000'000'000;
        co["State"] = engine::status_name(c->state.status);
        co["Status"] = c->status_text(engine::now_nanos());
        co["SizeRw"] = 0;
        co["SizeRootFs"] = 0;
        co["Labels"] = engine::map_to_json(c->config.labels);
        co["Mounts"] = json::array();
        containers.emplace_back(std::move(co));
    }
    o["Containers"] = std::move(containers);
    o["Volumes"] = json::array();
    o["BuildCache"] = json::array();
    co_await ex.reply_json(200, o);
}

}  // namespace

asio::awaitable<void> auth_route(Services& s, Request& req, Exchange& ex);

void register_system_routes(http::Router& router, Services& s) {
    auto bind = [&s](asio::awaitable<void> (*fn)(Services&, Request&, Exchange&)) {
        return [&s, fn](Request& req, Exchange& ex) { return fn(s, req, ex); };
    };
    router.add("GET", "/_ping", bind(ping));
    router.add("HEAD", "/_ping", bind(ping));
    router.add("GET", "/version", bind(version));
    router.add("GET", "/info", bind(info));
    router.add("GET", "/events", bind(events));
    router.add("GET", "/system/df", bind(system_df));
    router.add("POST", "/auth", bind(auth_route));
}

}  // namespace sockerless::routes
