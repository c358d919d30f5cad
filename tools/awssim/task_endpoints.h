#pragma once
// What a task's processes reach over HTTP, unsigned, on the simulator's own listener:
//
//   GET /v2/credentials/<id>       the task role's credentials (Authorization: the task's token),
//                                  as the ECS container-credentials endpoint serves them
//   GET /v4/<id>                   container metadata (task metadata endpoint v4)
//   GET /v4/<id>/task              task metadata
//   GET /v4/<id>/stats             container stats (a minimal Docker stats document)
//   GET /v4/<id>/task/stats        stats of every container of the task, by DockerId
//   GET /v3/...                    the same documents for ECS_CONTAINER_METADATA_URI
//
// Real Fargate serves credentials on 169.254.170.2 under AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
// that address does not exist here, so tasks get AWS_CONTAINER_CREDENTIALS_FULL_URI (a loopback
// URL the SDKs accept) with AWS_CONTAINER_AUTHORIZATION_TOKEN.

#include <chrono>
#include <functional>
#include <string_view>

#include "ecs_state.h"
#include "service.h"
#include "task_runner.h"

namespace sockerless::awssim {

class TaskEndpoints {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    TaskEndpoints(EcsState& ecs, TaskRunner& runner, Clock clock)
        : ecs_(ecs), runner_(runner), clock_(std::move(clock)) {}

    // `rest` is the path after "/v2/credentials/".
    Response credentials(const Request& request, std::string_view rest);
    // `rest` is the path after "/v3/" or "/v4/".
    Response metadata(const Request& request, std::string_view rest);

private:
    EcsState& ecs_;
    TaskRunner& runner_;
    Clock clock_;
};

// "2024-01-02T03:04:05.678Z"; without the fraction when `fraction` is false.
std::string iso8601(TimePoint t, bool fraction = true);

}  // namespace sockerless::awssim
