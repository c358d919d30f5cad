#pragma once
// The JSON Docker clients read about containers: GET /containers/{id}/json (inspect) and the
// entries of GET /containers/json (list). Pure renderings of the engine's model.

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/container.h"

namespace sockerless::routes {

struct RenderContext {
    engine::Nanos now = 0;
    std::string log_path;
    std::vector<std::string> exec_ids;  // running execs
};

// The container's ENI address, from the agent address the backend recorded ("" before start).
std::string container_ip(const engine::Container& c);

boost::json::object inspect_json(const engine::Container& c, const RenderContext& ctx);
boost::json::object list_json(const engine::Container& c, const RenderContext& ctx, bool size);
// HostConfig as inspect shows it: Docker's defaults under the fields the client sent.
boost::json::object host_config_json(const engine::Container& c);

}  // namespace sockerless::routes
