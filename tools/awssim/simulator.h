#pragma once
// One HTTP request in, one HTTP response out: SigV4 verification, protocol routing and the
// services. Pure of I/O (the clock is injected), so it is tested without sockets.

#include <chrono>
#include <functional>
#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "ecs_service.h"
#include "ecs_state.h"
#include "sigv4_verify.h"

namespace sockerless::awssim {

struct SimulatorConfig {
    std::string region = "us-east-1";
    std::string access_key = "test";
    std::string secret_key = "test";
};

class Simulator {
public:
    using Request = boost::beast::http::request<boost::beast::http::string_body>;
    using Response = boost::beast::http::response<boost::beast::http::string_body>;
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    Simulator(const SimulatorConfig& config, Clock clock);
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    Response handle(const Request& request);

private:
    Response json_reply(const Request& request, int status, std::string body) const;

    SigV4Config sigv4_;
    Clock clock_;
    EcsState ecs_state_;
    EcsService ecs_;
};

}  // namespace sockerless::awssim
