#include "json11_service.h"

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "json_protocol.h"

namespace sockerless::awssim {
namespace http = boost::beast::http;

std::string Json11Service::operation(const Request& request) const {
    auto target = parse_target(request["X-Amz-Target"]);
    if (!target || target->prefix != target_prefix_) return "";
    return target->operation;
}

Response Json11Service::handle(const Call& call) {
    const auto& request = call.request;
    auto target = parse_target(request["X-Amz-Target"]);
    if (request.method() != http::verb::post || !target || target->prefix != target_prefix_)
        return error(request, ApiError{400, "UnknownOperationException", ""}, call.request_id);
    auto input = parse_request_body(request.body());
    if (!input) return error(request, input.error(), call.request_id);
    auto output = dispatch_(call, target->operation, *input, request.body().size());
    if (!output) return error(request, output.error(), call.request_id);
    auto res = make_response(request, 200, kJson11ContentType, boost::json::serialize(*output));
    res.set("x-amzn-RequestId", call.request_id);
    return res;
}

Response Json11Service::error(const Request& request, const ApiError& error,
                              std::string_view request_id) const {
    auto res = make_response(request, error.status, kJson11ContentType, error_body(error));
    res.set("x-amzn-RequestId", request_id);
    res.set("x-amzn-ErrorType", error.code);
    return res;
}

}  // namespace sockerless::awssim
