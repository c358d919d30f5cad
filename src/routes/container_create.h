#pragma once
// POST /containers/create's body and query, parsed into the engine's CreateRequest with Docker's
// validation messages. Pure.

#include <string_view>

#include "base/error.h"
#include "engine/engine.h"

namespace sockerless::routes {

// `name` is the query's (may be empty); `body` is the request body.
Result<engine::CreateRequest> parse_create_request(std::string_view name, std::string_view body);

// "80" -> "80/tcp"; "80/udp" kept; anything else is invalid_argument as Docker says it.
Result<std::string> normalize_port(std::string_view port);

}  // namespace sockerless::routes
