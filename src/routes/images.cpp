// /images/...: pull (POST /images/create), list, inspect, tag, remove. The daemon keeps image
// configs only; tasks pull layers themselves, so there is no import, load, save, push or build.

#include <boost/json.hpp>

#include "engine/json_util.h"
#include "registry/auth.h"
#include "registry/client.h"
#include "registry/progress.h"
#include "registry/reference.h"
#include "routes/request_json.h"
#include "routes/routes.h"

namespace sockerless::routes {

namespace asio = boost::asio;
namespace json = boost::json;
using http::Exchange;
using http::Request;

namespace {

std::optional<engine::HealthConfig> health_of(const std::optional<registry::HealthConfig>& h) {
    if (!h) return std::nullopt;
    engine::HealthConfig out;
    out.test = h->test;
    out.interval = h->interval_ns;
    out.timeout = h->timeout_ns;
    out.start_period = h->start_period_ns;
    out.start_interval = h->start_interval_ns;
    out.retries = h->retries;
    return out;
}

}  // namespace

engine::Image engine_image(const registry::Image& r) {
    engine::Image i;
    i.id = r.id;
    i.repo_digests = r.repo_digests;
    i.created = r.created.empty() ? r.config.created : r.created;
    i.size = r.size;
    i.os = r.config.os.empty() ? "linux" : r.config.os;
    i.architecture = r.config.architecture;
    i.variant = r.config.variant;
    for (const registry::Layer& l : r.layers)
        i.layers.push_back(l.digest);
    engine::ContainerConfig& c = i.config;
    c.env = r.config.env;
    if (!r.config.cmd.empty()) c.cmd = r.config.cmd;
    if (!r.config.entrypoint.empty()) c.entrypoint = r.config.entrypoint;
    c.working_dir = r.config.working_dir;
    c.user = r.config.user;
    c.labels = r.config.labels;
    c.exposed_ports = r.config.exposed_ports;
    c.volumes = r.config.volumes;
    c.stop_signal = r.config.stop_signal;
    c.healthcheck = health_of(r.config.healthcheck);
    return i;
}

namespace {

engine::Nanos created_nanos(const std::string& created) {
    auto t = engine::parse_time_filter(created, 0);
    return t ? *t : 0;
}

asio::awaitable<void> pull(Services& s, Request& req, Exchange& ex) {
    if (req.query_value("fromSrc"))
        co_return co_await ex.reply_error(make_error(
            Errc::not_implemented,
            "importing images is not supported: containers run as ECS tasks, which pull their "
            "images from a registry; push the image to a registry instead"));
    std::string from(req.query_value("fromImage").value_or(""));
    if (from.empty())
        co_return co_await ex.reply_error(
            make_error(Errc::invalid_argument, "fromImage or fromSrc is required"));
    const std::string tag(req.query_value("tag").value_or(""));
    if (!tag.empty()) from += (tag.starts_with("sha256:") ? "@" : ":") + tag;
    auto ref = registry::parse_reference(from);
    if (!ref) co_return co_await ex.reply_error(ref.error());
    registry::Platform platform = registry::host_platform();
    if (auto p = req.query_value("platform"); p && !p->empty()) {
        auto parsed = registry::parse_platform(*p);
        if (!parsed) co_return co_await ex.reply_error(parsed.error());
        platform = *parsed;
    }
    registry::Credentials credentials;
    if (auto header = req.header("X-Registry-Auth"); !header.empty()) {
        auto decoded = registry::decode_registry_auth(header);
        if (!decoded) co_return co_await ex.reply_error(decoded.error());
        credentials = *decoded;
    }
    if (s.registry == nullptr)
        co_return co_await ex.reply_error(
            make_error(Errc::unavailable, "this daemon has no registry client configured"));
    auto image = co_await s.registry->resolve(*ref, platform, credentials);
    if (!image) co_return co_await ex.reply_error(image.error());
    registry::PullReport report;
    if (const engine::Image* known = s.images.find(ref->familiar_string()))
        for (const std::string& l : known->layers)
            report.known_layers.insert(l);
    auto stored = s.images.put(ref->familiar_string(), engine_image(*image));
    if (!stored) co_return co_await ex.reply_error(stored.error());
    report.up_to_date = *stored;
    engine::Event e;
    e.type = "image";
    e.action = "pull";
    e.actor_id = ref->familiar_string();
    e.attributes["name"] = ref->familiar_name();
    s.events.publish(std::move(e));
    auto stream = co_await ex.begin_stream(200, "application/json");
    if (!stream) co_return;
    (void)co_await (*stream)->write(registry::pull_header(*ref));
    (void)co_await (*stream)->write(registry::pull_body(*ref, *image, report));
    (void)co_await (*stream)->finish();
}

json::object image_summary(const engine::Image& i) {
    json::object o;
    o["Id"] = i.id;
    o["ParentId"] = "";
    o["RepoTags"] = engine::strings_to_json(i.repo_tags);
    o["RepoDigests"] = engine::strings_to_json(i.repo_digests);
    o["Created"] = created_nanos(i.created) / 1'000'000'000;
    o["Size"] = i.size;
    o["SharedSize"] = -1;
    o["VirtualSize"] = i.size;
    o["Labels"] = engine::map_to_json(i.config.labels);
    o["Containers"] = -1;
    return o;
}

asio::awaitable<void> list(Services& s, Request&, Exchange& ex) {
    json::array out;
    for (const engine::Image* i : s.images.all())
        out.emplace_back(image_summary(*i));
    co_await ex.reply_json(200, out);
}

json::object image_inspect(const engine::Image& i) {
    json::object o;
    o["Id"] = i.id;
    o["RepoTags"] = engine::strings_to_json(i.repo_tags);
    o["RepoDigests"] = engine::strings_to_json(i.repo_digests);
    o["Parent"] = "";
    o["Comment"] = "";
    o["Created"] = i.created;
    o["Container"] = "";
    o["DockerVersion"] = "";
    o["Author"] = "";
    o["Config"] = engine::config_to_json(i.config);
    o["Architecture"] = i.architecture;
    if (!i.variant.empty()) o["Variant"] = i.variant;
    o["Os"] = i.os;
    o["Size"] = i.size;
    o["VirtualSize"] = i.size;
    json::object graph;
    graph["Data"] = nullptr;
    graph["Name"] = "ecs-fargate";
    o["GraphDriver"] = std::move(graph);
    json::object rootfs;
    rootfs["Type"] = "layers";
    rootfs["Layers"] = engine::strings_to_json(i.layers);
    o["RootFS"] = std::move(rootfs);
    json::object metadata;
    metadata["LastTagTime"] = "0001-01-01T00:00:00Z";
    o["Metadata"] = std::move(metadata);
    return o;
}

// GET /images/{name}/json and /images/{name}/history: names have slashes, so the router hands
// over the whole tail.
asio::awaitable<void> get_image(Services& s, Request& req, Exchange& ex) {
    std::string_view tail = req.param("name");
    if (tail.ends_with("/json")) {
        const std::string name(tail.substr(0, tail.size() - 5));
        const engine::Image* image = s.images.find(name);
        if (image == nullptr)
            co_return co_await ex.reply_error(
                make_error(Errc::not_found, "No such image: " + name));
        co_return co_await ex.reply_json(200, image_inspect(*image));
    }
    if (tail.ends_with("/history")) {
        const std::string name(tail.substr(0, tail.size() - 8));
        const engine::Image* image = s.images.find(name);
        if (image == nullptr)
            co_return co_await ex.reply_error(
                make_error(Errc::not_found, "No such image: " + name));
        json::array out;
        json::object entry;
        entry["Id"] = image->id;
        entry["Created"] = created_nanos(image->created) / 1'000'000'000;
        entry["CreatedBy"] = "";
        entry["Tags"] = engine::strings_to_json(image->repo_tags);
        entry["Size"] = image->size;
        entry["Comment"] = "";
        out.emplace_back(std::move(entry));
        co_return co_await ex.reply_json(200, out);
    }
    co_await ex.reply_error(make_error(Errc::not_found, "page not found"));
}

asio::awaitable<void> post_image(Services& s, Request& req, Exchange& ex) {
    std::string_view tail = req.param("name");
    if (tail.ends_with("/tag")) {
        const std::string name(tail.substr(0, tail.size() - 4));
        const engine::Image* image = s.images.find(name);
        if (image == nullptr)
            co_return co_await ex.reply_error(
                make_error(Errc::not_found, "No such image: " + name));
        std::string repo(req.query_value("repo").value_or(""));
        const std::string tag(req.query_value("tag").value_or(""));
        if (repo.empty())
            co_return co_await ex.reply_error(make_error(Errc::invalid_argument,
                                                         "repository name must have at least one "
                                                         "component"));
        if (!tag.empty()) repo += ":" + tag;
        engine::Image copy = *image;
        auto stored = s.images.put(repo, std::move(copy));
        if (!stored) co_return co_await ex.reply_error(stored.error());
        engine::Event e;
        e.type = "image";
        e.action = "tag";
        e.actor_id = image->id;
        e.attributes["name"] = repo;
        s.events.publish(std::move(e));
        co_return co_await ex.reply_empty(201);
    }
    if (tail.ends_with("/push"))
        co_return co_await ex.reply_error(make_error(
            Errc::not_implemented,
            "pushing images is not supported: this daemon keeps image configs, not layers"));
    co_await ex.reply_error(make_error(Errc::not_found, "page not found"));
}

asio::awaitable<void> remove_image(Services& s, Request& req, Exchange& ex) {
    const std::string name(req.param("name"));
    const engine::Image* image = s.images.find(name);
    if (image == nullptr)
        co_return co_await ex.reply_error(make_error(Errc::not_found, "No such image: " + name));
    const std::string id = image->id;
    if (!req.query_bool("force")) {
        for (const engine::Container* c : s.engine.containers()) {
            if (c->image_id == id && image->repo_tags.size() <= 1)
                co_return co_await ex.reply_error(make_error(
                    Errc::conflict, "conflict: unable to remove repository reference \"" + name +
                                        "\" (must force) - container " + c->short_id() +
                                        " is using its referenced image " + id.substr(7, 12)));
        }
    }
    std::vector<std::string> refs;
    if (name.starts_with("sha256:") || id.substr(7).starts_with(name))
        refs = image->repo_tags;
    else if (auto normalized = s.images.normalize(name))
        refs.push_back(*normalized);
    json::array out;
    for (const std::string& ref : refs) {
        if (Status st = s.images.remove_ref(ref); !st)
            co_return co_await ex.reply_error(st.error());
        json::object u;
        u["Untagged"] = ref;
        out.emplace_back(std::move(u));
    }
    if (s.images.find(id) == nullptr) {
        json::object d;
        d["Deleted"] = id;
        out.emplace_back(std::move(d));
        engine::Event e;
        e.type = "image";
        e.action = "delete";
        e.actor_id = id;
        s.events.publish(std::move(e));
    }
    co_await ex.reply_json(200, out);
}

}  // namespace

// POST /auth: checks the credentials against the registry, as `docker login` expects.
asio::awaitable<void> auth_route(Services& s, Request& req, Exchange& ex) {
    auto body = parse_body(req.body, false);
    if (!body) co_return co_await ex.reply_error(body.error());
    registry::Credentials c;
    JsonReader r(*body, "AuthConfig");
    for (const Status& st :
         {r.read("username", c.username), r.read("password", c.password),
          r.read("identitytoken", c.identity_token), r.read("registrytoken", c.registry_token),
          r.read("serveraddress", c.server_address)}) {
        if (!st) co_return co_await ex.reply_error(st.error());
    }
    if (s.registry == nullptr)
        co_return co_await ex.reply_error(
            make_error(Errc::unavailable, "this daemon has no registry client configured"));
    Status st = co_await s.registry->login(c.server_address, c);
    if (!st) co_return co_await ex.reply_error(st.error());
    json::object out;
    out["Status"] = "Login Succeeded";
    out["IdentityToken"] = "";
    co_await ex.reply_json(200, out);
}

void register_image_routes(http::Router& router, Services& s) {
    auto bind = [&s](asio::awaitable<void> (*fn)(Services&, Request&, Exchange&)) {
        return [&s, fn](Request& req, Exchange& ex) { return fn(s, req, ex); };
    };
    router.add("POST", "/images/create", bind(pull));
    router.add("GET", "/images/json", bind(list));
    router.add("GET", "/images/{name*}", bind(get_image));
    router.add("POST", "/images/{name*}", bind(post_image));
    router.add("DELETE", "/images/{name*}", bind(remove_image));
}

}  // namespace sockerless::routes
