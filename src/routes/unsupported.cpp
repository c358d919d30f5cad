// Endpoints this system does not serve: 501 with what is not supported and why.

#include "routes/routes.h"

namespace sockerless::routes {

namespace asio = boost::asio;

void register_unsupported_routes(http::Router& router) {
    struct Entry {
        const char* method;
        const char* pattern;
        const char* why;
    };
    static constexpr Entry kEntries[] = {
        {"POST", "/build",
         "image builds are not supported: containers run as ECS tasks from "
         "registry images; build with another tool and push to a registry"},
        {"POST", "/build/prune", "image builds are not supported, so there is no build cache"},
        {"POST", "/session", "build sessions are not supported: there are no image builds"},
        {"POST", "/commit",
         "commit is not supported: a container's filesystem lives in its "
         "Fargate task, which cannot be snapshotted into an image"},
        {"GET", "/containers/{id}/export",
         "export is not supported: a container's filesystem "
         "lives in its Fargate task"},
        {"GET", "/containers/{id}/archive",
         "archive (docker cp) is not supported yet: files "
         "live in the container's Fargate task"},
        {"HEAD", "/containers/{id}/archive",
         "archive (docker cp) is not supported yet: files "
         "live in the container's Fargate task"},
        {"PUT", "/containers/{id}/archive",
         "archive (docker cp) is not supported yet: files "
         "live in the container's Fargate task"},
        {"GET", "/containers/{id}/changes",
         "filesystem changes are not tracked: the "
         "container's filesystem lives in its Fargate task"},
        {"GET", "/containers/{id}/stats", "stats are not supported yet for ECS tasks"},
        {"POST", "/containers/{id}/pause",
         "pause is not supported: Fargate tasks cannot be "
         "frozen"},
        {"POST", "/containers/{id}/unpause",
         "unpause is not supported: Fargate tasks cannot "
         "be frozen"},
        {"POST", "/containers/{id}/update",
         "updating resources is not supported: a Fargate "
         "task's size is fixed when it starts"},
        {"GET", "/containers/{id}/attach/ws",
         "attach over WebSocket is not supported; use "
         "POST /containers/{id}/attach"},
        {"GET", "/images/get",
         "saving images is not supported: the daemon keeps image "
         "configs, not layers"},
        {"POST", "/images/load",
         "loading images is not supported: tasks pull images from a "
         "registry; push the image to one instead"},
        {"GET", "/images/search", "image search is not supported"},
        {"POST", "/images/prune", "image pruning is not supported yet"},
        {"GET", "/distribution/{name*}", "the distribution endpoint is not supported"},
        {"GET", "/plugins", "plugins are not supported: containers run as ECS tasks"},
        {"POST", "/plugins/{name*}", "plugins are not supported: containers run as ECS tasks"},
        {"GET", "/plugins/{name*}", "plugins are not supported: containers run as ECS tasks"},
        {"DELETE", "/plugins/{name*}", "plugins are not supported: containers run as ECS tasks"},
        {"GET", "/swarm", "swarm mode is not supported: ECS schedules the tasks"},
        {"POST", "/swarm/{op*}", "swarm mode is not supported: ECS schedules the tasks"},
        {"GET", "/swarm/{op*}", "swarm mode is not supported: ECS schedules the tasks"},
        {"GET", "/nodes", "swarm mode is not supported: ECS schedules the tasks"},
        {"GET", "/services", "swarm mode is not supported: ECS schedules the tasks"},
        {"POST", "/services/{op*}", "swarm mode is not supported: ECS schedules the tasks"},
        {"GET", "/tasks", "swarm mode is not supported: ECS schedules the tasks"},
        {"GET", "/secrets", "swarm mode is not supported: ECS schedules the tasks"},
        {"GET", "/configs", "swarm mode is not supported: ECS schedules the tasks"},
        {"POST", "/volumes/create", "volumes are not supported yet"},
        {"POST", "/volumes/prune", "volumes are not supported yet"},
        {"GET", "/volumes/{name*}", "volumes are not supported yet"},
        {"DELETE", "/volumes/{name*}", "volumes are not supported yet"},
    };
    for (const Entry& e : kEntries) {
        std::string why = e.why;
        router.add(e.method, e.pattern,
                   [why](http::Request&, http::Exchange& ex) -> asio::awaitable<void> {
                       co_await ex.reply_error(make_error(Errc::not_implemented, why));
                   });
    }
}

void register_routes(http::Router& router, Services& services) {
    // First: their specific paths must win over the images' and volumes' catch-all names.
    register_unsupported_routes(router);
    register_system_routes(router, services);
    register_container_routes(router, services);
    register_stream_routes(router, services);
    register_exec_routes(router, services);
    register_image_routes(router, services);
    register_network_routes(router, services);
}

}  // namespace sockerless::routes
