#pragma once
// A Service speaking AWS JSON 1.1 (ECS, CloudWatch Logs): POST /, X-Amz-Target "Prefix.Operation",
// a JSON object in, a JSON object or {"__type", "message"} out.

#include <functional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "service.h"

namespace sockerless::awssim {

class Json11Service final : public Service {
public:
    // Runs one operation; request_bytes is the HTTP body's size (some limits are on it).
    using Dispatch = std::function<ApiResult<boost::json::object>(
        const Call& call, std::string_view operation, const boost::json::object& input,
        std::size_t request_bytes)>;

    Json11Service(std::string target_prefix, Dispatch dispatch)
        : target_prefix_(std::move(target_prefix)), dispatch_(std::move(dispatch)) {}

    [[nodiscard]] const std::string& target_prefix() const { return target_prefix_; }

    [[nodiscard]] std::string operation(const Request& request) const override;
    Response handle(const Call& call) override;
    [[nodiscard]] Response error(const Request& request, const ApiError& error,
                                 std::string_view request_id) const override;

private:
    std::string target_prefix_;
    Dispatch dispatch_;
};

}  // namespace sockerless::awssim
