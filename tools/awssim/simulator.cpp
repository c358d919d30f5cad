#include "simulator.h"

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "base/hex.h"
#include "json_protocol.h"

namespace sockerless::awssim {
namespace http = boost::beast::http;
namespace {

// A version-4-shaped UUID, as AWS's request ids are.
std::string request_id() {
    auto hex = random_hex_token(16);
    std::string h = hex ? *hex : std::string(32, '0');
    h[12] = '4';
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
           "-" + h.substr(20, 12);
}

SigV4Request sigv4_request(const Simulator::Request& request) {
    SigV4Request out;
    out.method = std::string(request.method_string());
    out.target = std::string(request.target());
    for (const auto& field : request) {
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = request.body();
    return out;
}

}  // namespace

Simulator::Simulator(const SimulatorConfig& config, Clock clock)
    : clock_(std::move(clock)), ecs_state_(config.region), ecs_(ecs_state_, clock_) {
    sigv4_.secrets.emplace(config.access_key, config.secret_key);
    sigv4_.region = config.region;
}

Simulator::Response Simulator::json_reply(const Request& request, int status,
                                          std::string body) const {
    Response res{static_cast<http::status>(status), request.version()};
    res.set(http::field::server, "sockerless-awssim");
    res.set(http::field::content_type, kJson11ContentType);
    res.set("x-amzn-RequestId", request_id());
    res.keep_alive(request.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

Simulator::Response Simulator::handle(const Request& request) {
    auto error = [&](const ApiError& e) {
        auto res = json_reply(request, e.status, error_body(e));
        res.set("x-amzn-ErrorType", e.code);
        return res;
    };
    auto scope = verify_sigv4(sigv4_request(request), sigv4_, clock_());
    if (!scope) return error(scope.error());

    auto target = parse_target(request["X-Amz-Target"]);
    if (request.method() != http::verb::post || !target || target->prefix != kEcsTargetPrefix ||
        scope->service != "ecs") {
        return error(ApiError{400, "UnknownOperationException", ""});
    }
    auto input = parse_request_body(request.body());
    if (!input) return error(input.error());
    auto output = ecs_.call(target->operation, *input, request.body().size());
    if (!output) return error(output.error());
    return json_reply(request, 200, boost::json::serialize(*output));
}

}  // namespace sockerless::awssim
