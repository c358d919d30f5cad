// The network endpoints the container lifecycle needs now: the predefined networks (bridge,
// host, none), which containers join by default, and GET /networks/bridge (Testcontainers reads
// its gateway). User-defined networks are answered by name only and live in memory.

#include <map>

#include <boost/json.hpp>

#include "base/hex.h"
#include "engine/filters.h"
#include "engine/json_util.h"
#include "routes/request_json.h"
#include "routes/routes.h"

namespace sockerless::routes {

namespace asio = boost::asio;
namespace json = boost::json;
using http::Exchange;
using http::Request;

namespace {

struct Network {
    std::string id;
    std::string name;
    std::string driver;
    std::map<std::string, std::string> labels;
    engine::Nanos created = 0;
};

struct Networks {
    std::map<std::string, Network> by_id;
    Networks() {
        for (const auto& [name, driver] : {std::pair{"bridge", "bridge"}, std::pair{"host", "host"},
                                           std::pair{"none", "null"}}) {
            Network n;
            n.name = name;
            n.driver = driver;
            // Stable ids for the predefined networks: the name's bytes, padded.
            n.id = hex_encode(std::span(reinterpret_cast<const unsigned char*>(name),
                                        std::string_view(name).size()));
            n.id.resize(64, '0');
            by_id[n.id] = n;
        }
    }
    const Network* find(std::string_view ref) const {
        for (const auto& [id, n] : by_id)
            if (n.name == ref || id == ref) return &n;
        const Network* found = nullptr;
        for (const auto& [id, n] : by_id)
            if (!ref.empty() && id.starts_with(ref)) {
                if (found != nullptr) return nullptr;
                found = &n;
            }
        return found;
    }
};

Networks& networks() {
    static Networks n;
    return n;
}

json::object network_json(Services& s, const Network& n) {
    json::object o;
    o["Name"] = n.name;
    o["Id"] = n.id;
    o["Created"] = engine::format_time(n.created);
    o["Scope"] = "local";
    o["Driver"] = n.driver;
    o["EnableIPv6"] = false;
    json::object ipam;
    ipam["Driver"] = "default";
    ipam["Options"] = nullptr;
    json::array config;
    if (n.name == "bridge") {
        json::object c;
        c["Subnet"] = "127.77.0.0/16";
        c["Gateway"] = "127.77.0.1";
        config.emplace_back(std::move(c));
    }
    ipam["Config"] = std::move(config);
    o["IPAM"] = std::move(ipam);
    o["Internal"] = false;
    o["Attachable"] = false;
    o["Ingress"] = false;
    json::object from;
    from["Network"] = "";
    o["ConfigFrom"] = std::move(from);
    o["ConfigOnly"] = false;
    json::object containers;
    for (const engine::Container* c : s.engine.containers()) {
        if (!c->running()) continue;
        const std::string mode = c->host.network_mode.empty() || c->host.network_mode == "default"
                                     ? "bridge"
                                     : c->host.network_mode;
        if (mode != n.name) continue;
        json::object e;
        e["Name"] = c->name.substr(1);
        e["EndpointID"] = "";
        e["MacAddress"] = "";
        const std::string& a = c->record.agent_address;
        e["IPv4Address"] = a.substr(0, a.rfind(':'));
        e["IPv6Address"] = "";
        containers[c->id] = std::move(e);
    }
    o["Containers"] = std::move(containers);
    o["Options"] = json::object();
    o["Labels"] = engine::map_to_json(n.labels);
    return o;
}

asio::awaitable<void> list(Services& s, Request& req, Exchange& ex) {
    auto filters = engine::Filters::parse(req.query_value("filters").value_or(""));
    if (!filters) co_return co_await ex.reply_error(filters.error());
    if (Status st =
            filters->validate({"driver", "id", "label", "name", "scope", "type", "dangling"});
        !st)
        co_return co_await ex.reply_error(st.error());
    json::array out;
    for (const auto& [id, n] : networks().by_id) {
        if (filters->contains("name") && !filters->match("name", n.name)) continue;
        if (filters->contains("id") && !filters->match_prefix("id", n.id)) continue;
        if (filters->contains("driver") && !filters->match_exact("driver", n.driver)) continue;
        if (filters->contains("label") && !filters->match_kv("label", n.labels)) continue;
        out.emplace_back(network_json(s, n));
    }
    co_await ex.reply_json(200, out);
}

asio::awaitable<void> inspect(Services& s, Request& req, Exchange& ex) {
    const Network* n = networks().find(req.param("id"));
    if (n == nullptr)
        co_return co_await ex.reply_error(
            make_error(Errc::not_found, "network " + std::string(req.param("id")) + " not found"));
    co_await ex.reply_json(200, network_json(s, *n));
}

asio::awaitable<void> create(Services& s, Request& req, Exchange& ex) {
    auto body = parse_body(req.body, false);
    if (!body) co_return co_await ex.reply_error(body.error());
    Network n;
    n.driver = "bridge";
    JsonReader r(*body, "NetworkCreateRequest");
    for (const Status& st :
         {r.read("Name", n.name), r.read("Driver", n.driver), r.read("Labels", n.labels)}) {
        if (!st) co_return co_await ex.reply_error(st.error());
    }
    if (n.name.empty())
        co_return co_await ex.reply_error(
            make_error(Errc::invalid_argument, "network name must not be empty"));
    if (networks().find(n.name) != nullptr)
        co_return co_await ex.reply_error(
            make_error(Errc::conflict, "network with name " + n.name + " already exists"));
    auto id = random_hex_token(32);
    if (!id) co_return co_await ex.reply_error(id.error());
    n.id = *id;
    n.created = engine::now_nanos();
    networks().by_id[n.id] = n;
    engine::Event e;
    e.type = "network";
    e.action = "create";
    e.actor_id = n.id;
    e.attributes["name"] = n.name;
    e.attributes["type"] = n.driver;
    s.events.publish(std::move(e));
    json::object o;
    o["Id"] = n.id;
    o["Warning"] = "";
    co_await ex.reply_json(201, o);
}

bool predefined(const Network& n) {
    return n.name == "bridge" || n.name == "host" || n.name == "none";
}

asio::awaitable<void> remove(Services& s, Request& req, Exchange& ex) {
    const Network* n = networks().find(req.param("id"));
    if (n == nullptr)
        co_return co_await ex.reply_error(
            make_error(Errc::not_found, "network " + std::string(req.param("id")) + " not found"));
    if (predefined(*n))
        co_return co_await ex.reply_error(make_error(
            Errc::forbidden, n->name + " is a pre-defined network and cannot be removed"));
    engine::Event e;
    e.type = "network";
    e.action = "destroy";
    e.actor_id = n->id;
    e.attributes["name"] = n->name;
    networks().by_id.erase(n->id);
    s.events.publish(std::move(e));
    co_await ex.reply_empty(204);
}

asio::awaitable<void> prune(Services& s, Request& req, Exchange& ex) {
    auto filters = engine::Filters::parse(req.query_value("filters").value_or(""));
    if (!filters) co_return co_await ex.reply_error(filters.error());
    if (Status st = filters->validate({"until", "label", "label!"}); !st)
        co_return co_await ex.reply_error(st.error());
    json::array deleted;
    for (auto it = networks().by_id.begin(); it != networks().by_id.end();) {
        if (!predefined(it->second) && filters->match_labels(it->second.labels)) {
            deleted.emplace_back(it->second.name);
            engine::Event e;
            e.type = "network";
            e.action = "destroy";
            e.actor_id = it->first;
            e.attributes["name"] = it->second.name;
            s.events.publish(std::move(e));
            it = networks().by_id.erase(it);
        } else {
            ++it;
        }
    }
    json::object o;
    o["NetworksDeleted"] = deleted.empty() ? json::value(nullptr) : json::value(deleted);
    co_await ex.reply_json(200, o);
}

asio::awaitable<void> connect(Services& s, Request& req, Exchange& ex) {
    if (networks().find(req.param("id")) == nullptr)
        co_return co_await ex.reply_error(
            make_error(Errc::not_found, "network " + std::string(req.param("id")) + " not found"));
    auto body = parse_body(req.body, false);
    if (!body) co_return co_await ex.reply_error(body.error());
    auto c = s.engine.find(engine::string_of(*body, "Container"));
    if (!c) co_return co_await ex.reply_error(c.error());
    co_await ex.reply_empty(200);
}

asio::awaitable<void> volumes(Services&, Request&, Exchange& ex) {
    json::object o;
    o["Volumes"] = json::array();
    o["Warnings"] = nullptr;
    co_await ex.reply_json(200, o);
}

}  // namespace

void register_network_routes(http::Router& router, Services& s) {
    auto bind = [&s](asio::awaitable<void> (*fn)(Services&, Request&, Exchange&)) {
        return [&s, fn](Request& req, Exchange& ex) { return fn(s, req, ex); };
    };
    router.add("GET", "/networks", bind(list));
    router.add("POST", "/networks/create", bind(create));
    router.add("POST", "/networks/prune", bind(prune));
    router.add("GET", "/networks/{id}", bind(inspect));
    router.add("DELETE", "/networks/{id}", bind(remove));
    router.add("POST", "/networks/{id}/connect", bind(connect));
    router.add("POST", "/networks/{id}/disconnect", bind(connect));
    router.add("GET", "/volumes", bind(volumes));
}

}  // namespace sockerless::routes
