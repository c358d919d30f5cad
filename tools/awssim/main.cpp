// sockerless-awssim: a local AWS endpoint. Flags and wiring only; see server.h and simulator.h.

#include <charconv>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "server.h"
#include "simulator.h"

namespace {

// "HOST:PORT" -> config; false when malformed.
bool parse_listen(const std::string& listen, sockerless::awssim::ServerConfig& out) {
    std::size_t colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    unsigned port = 0;
    const char* first = listen.data() + colon + 1;
    const char* last = listen.data() + listen.size();
    auto [end, ec] = std::from_chars(first, last, port);
    if (ec != std::errc() || end != last || port > 65535) return false;
    out.address = listen.substr(0, colon);
    out.port = static_cast<std::uint16_t>(port);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace sockerless::awssim;
    CLI::App app{"sockerless-awssim: a local AWS endpoint (ECS) for Sockerless"};
    std::string listen = "127.0.0.1:0";
    std::string state_dir;
    SimulatorConfig config;
    app.add_option("--listen", listen, "HOST:PORT to serve on (port 0 picks a free port)")
        ->capture_default_str();
    app.add_option("--state-dir", state_dir, "Directory for the simulator's state")->required();
    app.add_option("--access-key", config.access_key, "Accepted access key id")
        ->capture_default_str();
    app.add_option("--secret-key", config.secret_key, "Secret key of that access key")
        ->capture_default_str();
    app.add_option("--region", config.region, "The region served")->capture_default_str();
    TaskRunnerConfig tasks;
    long provisioning_ms = tasks.provisioning_delay.count();
    app.add_option("--task-subnet", tasks.task_subnet,
                   "CIDR block task ENI addresses come from (loopback: no privileges needed)")
        ->capture_default_str();
    app.add_option("--provisioning-delay", provisioning_ms,
                   "Milliseconds a task stays PROVISIONING")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    std::string container_mode = "auto";
    app.add_option("--container-mode", container_mode,
                   "Where containers run: host (processes on the host filesystem), image (from "
                   "their image under runc; needs root), or auto (image when runc is usable and "
                   "the image names a registry host)")
        ->capture_default_str()
        ->check(CLI::IsMember({"host", "image", "auto"}));
    CLI11_PARSE(app, argc, argv);
    tasks.container_mode = *parse_container_mode(container_mode);

    ServerConfig server_config;
    if (!parse_listen(listen, server_config)) {
        std::cerr << "sockerless-awssim: --listen wants HOST:PORT, got \"" << listen << "\"\n";
        return 2;
    }
    std::error_code fs_ec;
    std::filesystem::create_directories(state_dir, fs_ec);
    if (fs_ec) {
        std::cerr << "sockerless-awssim: create state dir " << state_dir << ": " << fs_ec.message()
                  << "\n";
        return 1;
    }

    config.state_dir = state_dir;
    boost::asio::io_context io;
    Simulator simulator(config, [] { return std::chrono::system_clock::now(); });
    Server server(io.get_executor(), server_config,
                  [&simulator](const Request& r) { return simulator.serve(r); });
    auto port = server.listen();
    if (!port) {
        std::cerr << "sockerless-awssim: " << port.error().message << "\n";
        return 1;
    }
    // Tasks reach the simulator where it listens; a wildcard listener is reached on loopback.
    std::string task_host =
        server_config.address == "0.0.0.0" ? "127.0.0.1" : server_config.address;
    tasks.endpoint_url = "http://" + task_host + ":" + std::to_string(*port);
    tasks.provisioning_delay = std::chrono::milliseconds(provisioning_ms);
    if (auto st = simulator.run_tasks(io.get_executor(), std::move(tasks)); !st) {
        std::cerr << "sockerless-awssim: " << st.error().message << "\n";
        return 2;
    }
    server.start();
    std::cout << "sockerless-awssim listening on http://" << server_config.address << ":" << *port
              << std::endl;

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
        server.shutdown();
        simulator.stop_tasks();
        io.stop();
    });
    io.run();
    return 0;
}
