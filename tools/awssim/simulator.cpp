#include "simulator.h"

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "base/hex.h"
#include "ec2_service.h"
#include "efs_service.h"
#include "json11_service.h"
#include "json_protocol.h"
#include "s3_service.h"
#include "session_admin.h"
#include "sts_service.h"

namespace sockerless::awssim {
namespace http = boost::beast::http;
namespace json = boost::json;
namespace {

SigV4Request sigv4_request(const Request& request) {
    SigV4Request out;
    out.method = std::string(request.method_string());
    out.target = std::string(request.target());
    for (const auto& field : request) {
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = request.body();
    return out;
}

std::string_view path_of(const Request& request) {
    std::string_view target = request.target();
    return target.substr(0, target.find('?'));
}

Response admin_reply(const Request& request, int status, const json::value& body) {
    return make_response(request, status, "application/json", json::serialize(body));
}

}  // namespace

std::string new_request_id() {
    auto hex = random_hex_token(16);
    std::string h = hex ? *hex : std::string(32, '0');
    h[12] = '4';
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
           "-" + h.substr(20, 12);
}

Response make_response(const Request& request, int status, std::string_view content_type,
                       std::string body) {
    Response res{static_cast<http::status>(status), request.version()};
    res.set(http::field::server, "sockerless-awssim");
    if (!content_type.empty()) res.set(http::field::content_type, content_type);
    res.keep_alive(request.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

Simulator::Simulator(const SimulatorConfig& config, Clock clock)
    : config_(config),
      clock_(std::move(clock)),
      identities_(config.access_key, config.secret_key),
      ecs_state_(config.region),
      ec2_state_(config.region),
      efs_state_(config.state_dir.empty() ? "" : config.state_dir + "/efs", config.region),
      ecs_(ecs_state_, clock_),
      logs_state_(config.region),
      logs_(logs_state_, clock_) {
    sigv4_.region = config.region;
    sigv4_.secret_for = [this](std::string_view key) {
        return identities_.secret_for(key, clock_());
    };
    add_service("ecs", std::make_unique<Json11Service>(
                           std::string(kEcsTargetPrefix),
                           [this](const Call&, std::string_view op, const json::object& in,
                                  std::size_t bytes) { return ecs_.call(op, in, bytes); }));
    add_service("logs", std::make_unique<Json11Service>(
                            std::string(kLogsTargetPrefix),
                            [this](const Call&, std::string_view op, const json::object& in,
                                   std::size_t) { return logs_.call(op, in); }));
    add_service("ec2", std::make_unique<Ec2Service>(ec2_state_));
    add_service("elasticfilesystem",
                std::make_unique<EfsService>(efs_state_, config.region, clock_));
    add_service("s3", std::make_unique<S3Service>(config.state_dir, config.region, clock_));
    add_service("sts", std::make_unique<StsService>());
    add_route("/_awssim/sessions", [this](const Request& r, std::string_view) {
        return serve_sessions_admin(identities_, clock_(), r);
    });
    add_route("/_awssim/efs/", [this](const Request& r, std::string_view rest) {
        return serve_efs_admin(efs_state_, r, rest);
    });
    add_route("/_awssim/",
              [this](const Request& r, std::string_view rest) { return serve_admin(r, rest); });
}

Simulator::~Simulator() = default;

void Simulator::add_service(std::string signing_name, std::unique_ptr<Service> service) {
    services_[std::move(signing_name)] = std::move(service);
}

void Simulator::add_route(std::string prefix, RouteHandler handler) {
    routes_.emplace_back(std::move(prefix), std::move(handler));
}

Reply Simulator::serve(const Request& request) {
    std::string request_id = new_request_id();
    // The container-credentials endpoint carries the task's token in Authorization: only a
    // SigV4 Authorization makes a request a signed one.
    if (!request[http::field::authorization].starts_with("AWS4-") &&
        !is_presigned(request.target())) {
        std::string_view path = path_of(request);
        const std::pair<std::string, RouteHandler>* best = nullptr;
        for (const auto& route : routes_) {
            if (path.starts_with(route.first) && (!best || route.first.size() > best->first.size()))
                best = &route;
        }
        if (best) return {best->second(request, path.substr(best->first.size())), {}};
    }
    std::chrono::milliseconds delay{0};
    auto response = serve_signed(request, request_id, delay);
    return {std::move(response), delay};
}

Response Simulator::serve_signed(const Request& request, std::string_view request_id,
                                 std::chrono::milliseconds& delay) {
    auto scope = verify_sigv4(sigv4_request(request), sigv4_, clock_());
    if (!scope) return guess_service(request).error(request, scope.error(), request_id);
    auto found = services_.find(scope->service);
    if (found == services_.end()) {
        return guess_service(request).error(
            request,
            ApiError{400, "UnknownOperationException",
                     "The simulator does not serve the service \"" + scope->service + "\"."},
            request_id);
    }
    Service& service = *found->second;
    auto identity = identities_.identify(scope->access_key, scope->session_token);
    if (!identity) return service.error(request, identity.error(), request_id);

    auto effect = faults_.on_call(scope->service, service.operation(request));
    delay = effect.latency;
    if (effect.error) return service.error(request, *effect.error, request_id);
    return service.handle(Call{request, *scope, *identity, request_id});
}

Status Simulator::run_tasks(const boost::asio::any_io_executor& executor, TaskRunnerConfig config) {
    config.region = config_.region;
    if (config.state_dir.empty()) config.state_dir = config_.state_dir;
    auto runner = TaskRunner::create(
        executor, std::move(config),
        TaskRunner::Services{ecs_state_, logs_state_, identities_, faults_, efs_state_}, clock_);
    if (!runner) return runner.error();
    task_runner_ = std::move(*runner);
    ecs_.set_launcher(task_runner_.get());
    task_endpoints_ = std::make_unique<TaskEndpoints>(ecs_state_, *task_runner_, clock_);
    add_route("/v2/credentials/", [this](const Request& r, std::string_view rest) {
        return task_endpoints_->credentials(r, rest);
    });
    for (std::string prefix : {"/v3/", "/v4/"}) {
        add_route(prefix, [this](const Request& r, std::string_view rest) {
            return task_endpoints_->metadata(r, rest);
        });
    }
    return ok();
}

void Simulator::stop_tasks() {
    if (task_runner_) task_runner_->shutdown();
}

Service& Simulator::guess_service(const Request& request) const {
    std::string signing_name;
    if (auto auth = parse_authorization(request[http::field::authorization])) {
        signing_name = auth->service;
    } else if (auto target = parse_target(request["X-Amz-Target"])) {
        signing_name = target->prefix.starts_with("Logs_") ? "logs" : "ecs";
    } else if (path_of(request).starts_with("/2015-02-01/")) {
        signing_name = "elasticfilesystem";
    } else if (request[http::field::content_type].starts_with(
                   "application/x-www-form-urlencoded")) {
        signing_name =
            request.body().find("Version=2011-06-15") != std::string::npos ? "sts" : "ec2";
    } else {
        signing_name = "s3";
    }
    auto found = services_.find(signing_name);
    if (found == services_.end()) found = services_.find("ecs");
    return *found->second;
}

Response Simulator::serve_admin(const Request& request, std::string_view rest) {
    if (rest != "faults") {
        return admin_reply(
            request, 404,
            json::object{{"message", "no admin endpoint /_awssim/" + std::string(rest)}});
    }
    switch (request.method()) {
        case http::verb::get:
            return admin_reply(request, 200, json::object{{"faults", faults_.list()}});
        case http::verb::delete_:
            faults_.clear();
            return admin_reply(request, 200, json::object{});
        case http::verb::post: {
            auto spec = parse_request_body(request.body());
            if (!spec)
                return admin_reply(request, 400, json::object{{"message", spec.error().message}});
            if (auto added = faults_.add(*spec); !added)
                return admin_reply(request, 400, json::object{{"message", added.error().message}});
            return admin_reply(request, 200, json::object{{"faults", faults_.list()}});
        }
        default:
            return admin_reply(request, 405, json::object{{"message", "use GET, POST or DELETE"}});
    }
}

}  // namespace sockerless::awssim
