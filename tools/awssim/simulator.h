#pragma once
// One HTTP request in, one HTTP response out: the router of the simulated account.
//
// Signed requests are verified (SigV4 against the IdentityStore), attributed to an Identity and
// dispatched by the credential scope's service name ("ecs", "logs", "s3", ...) to that Service.
// Unsigned requests may only reach the internal routes (the admin API, and the credential and
// metadata endpoints the tasks use); anything else is AWS's 403 for a missing signature. Faults
// armed through /_awssim/faults apply before the service runs. Pure of I/O apart from what the
// services themselves do (the clock is injected), so it is tested without sockets.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ec2_state.h"
#include "ecs_service.h"
#include "ecs_state.h"
#include "efs_state.h"
#include "faults.h"
#include "identity.h"
#include "logs_service.h"
#include "service.h"
#include "sigv4_verify.h"
#include "task_endpoints.h"
#include "task_runner.h"

namespace sockerless::awssim {

struct SimulatorConfig {
    std::string region = "us-east-1";
    std::string access_key = "test";
    std::string secret_key = "test";
    // Where services keep what must live on disk (EFS file systems, task scratch space). Empty in
    // unit tests of the pure services.
    std::string state_dir;
};

// A response and how long to hold it back (injected latency).
struct Reply {
    Response response;
    std::chrono::milliseconds delay{0};
};

class Simulator {
public:
    using Request = awssim::Request;
    using Response = awssim::Response;
    using Clock = std::function<std::chrono::system_clock::time_point()>;
    // An unsigned route: gets the request and the path after the route's prefix.
    using RouteHandler = std::function<Response(const Request& request, std::string_view rest)>;

    Simulator(const SimulatorConfig& config, Clock clock);
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;
    ~Simulator();

    Reply serve(const Request& request);
    // serve() without the latency, for tests.
    Response handle(const Request& request) { return serve(request).response; }

    // Registers a service under its SigV4 signing name.
    void add_service(std::string signing_name, std::unique_ptr<Service> service);
    // Registers an unsigned route for paths starting with `prefix` (e.g. "/v2/credentials/").
    // The longest matching prefix wins, so "/_awssim/efs/" can sit beside "/_awssim/".
    void add_route(std::string prefix, RouteHandler handler);

    [[nodiscard]] const SimulatorConfig& config() const { return config_; }
    IdentityStore& identities() { return identities_; }
    FaultInjector& faults() { return faults_; }
    EcsState& ecs_state() { return ecs_state_; }
    Ec2State& ec2_state() { return ec2_state_; }
    // File systems live under <state_dir>/efs; the task runner maps EFS volumes through
    // efs_state().host_path().
    EfsState& efs_state() { return efs_state_; }
    LogsState& logs_state() { return logs_state_; }
    // Lets tasks really run: their processes are spawned and watched on `executor`, the one
    // serving requests. Without it (unit tests of the pure services) RunTask's tasks stay
    // PROVISIONING. Fails on an invalid task subnet.
    Status run_tasks(const boost::asio::any_io_executor& executor, TaskRunnerConfig config);
    // Stops every task and reaps its processes (simulator shutdown).
    void stop_tasks();
    [[nodiscard]] std::chrono::system_clock::time_point now() const { return clock_(); }

private:
    Response serve_signed(const Request& request, std::string_view request_id,
                          std::chrono::milliseconds& delay);
    Response serve_admin(const Request& request, std::string_view rest);
    // The service a request is meant for when its signature cannot tell (unsigned requests).
    [[nodiscard]] Service& guess_service(const Request& request) const;

    SimulatorConfig config_;
    Clock clock_;
    IdentityStore identities_;
    FaultInjector faults_;
    SigV4Config sigv4_;
    EcsState ecs_state_;
    Ec2State ec2_state_;
    EfsState efs_state_;
    EcsService ecs_;
    LogsState logs_state_;
    LogsService logs_;
    std::map<std::string, std::unique_ptr<Service>, std::less<>> services_;
    std::vector<std::pair<std::string, RouteHandler>> routes_;
    // Last: destroyed first, while the state its tasks refer to still exists.
    std::unique_ptr<TaskRunner> task_runner_;
    std::unique_ptr<TaskEndpoints> task_endpoints_;
};

}  // namespace sockerless::awssim
