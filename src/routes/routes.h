#pragma once
// The Docker Engine API's routes (DESIGN §3, routes/): one file per resource, each handler a
// recipe (parse and validate, one call into the engine, write the reply). register_routes()
// puts them all on a router.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "base/error.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "engine/images.h"
#include "http/server.h"

namespace sockerless::registry {
class Client;
}

namespace sockerless::routes {

// What `docker info` and `docker version` report about this daemon and its backend.
struct DaemonInfo {
    std::string id;    // stable per state dir
    std::string name;  // host name
    std::string version = "24.0.0-sockerless";
    std::string state_dir;
    std::string backend = "ecs";
    std::string region;
    std::string cluster;
    std::string endpoint;  // the AWS endpoint (the embedded simulator's when embedded)
    bool embedded_simulator = false;
    std::string injection;  // "efs" or "init-container"
    std::string platform = "linux/amd64";
    std::vector<std::string> listeners;
    std::map<std::string, std::vector<std::string>> mirrors;
};

// Resolves an image from its registry (the registry layer, or a test's).
struct ImageResolution {
    engine::Image image;
    std::string reference;  // familiar "name:tag"
    std::string digest;     // manifest digest
};

struct Services {
    engine::Engine& engine;
    engine::ImageStore& images;
    engine::EventBus& events;
    registry::Client* registry = nullptr;  // null: pulls are refused
    DaemonInfo info;
};

void register_routes(http::Router& router, Services& services);

// Per resource (each in its own file).
void register_system_routes(http::Router& router, Services& services);
void register_container_routes(http::Router& router, Services& services);
void register_stream_routes(http::Router& router, Services& services);
void register_exec_routes(http::Router& router, Services& services);
void register_image_routes(http::Router& router, Services& services);
void register_network_routes(http::Router& router, Services& services);
void register_unsupported_routes(http::Router& router);

}  // namespace sockerless::routes
