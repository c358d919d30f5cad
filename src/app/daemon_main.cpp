// sockerlessd: the Docker Engine API daemon. Parses flags, wires the layers (store, AWS clients,
// the ECS backend, registry client, engine, routes, listeners) and runs them on one thread.
// With no AWS configured it starts (or attaches to) the embedded simulator (embedded_sim.h).

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "app/embedded_sim.h"
#include "aws/client.h"
#include "aws/ecs_client.h"
#include "aws/logs_client.h"
#include "aws/s3_client.h"
#include "backends/ecs/backend.h"
#include "base/environ.h"
#include "base/hex.h"
#include "engine/engine.h"
#include "http/server.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "routes/routes.h"
#include "store/store.h"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace sockerless;

namespace {

// Runs `call` to completion on `io` (before the daemon serves, or while it shuts down).
template <class T>
std::optional<T> run_sync(asio::io_context& io, asio::awaitable<T> call) {
    std::optional<T> out;
    std::exception_ptr failure;
    asio::co_spawn(io, std::move(call), [&](const std::exception_ptr& e, T value) {
        failure = e;
        if (!e) out.emplace(std::move(value));
    });
    io.restart();
    while (!out && !failure) {
        if (io.run_one() == 0) break;
    }
    if (failure) std::rethrow_exception(failure);
    return out;
}

void run_sync(asio::io_context& io, asio::awaitable<void> call) {
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io, std::move(call), [&](const std::exception_ptr& e) {
        failure = e;
        done = true;
    });
    io.restart();
    while (!done) {
        if (io.run_one() == 0) break;
    }
    if (failure) std::rethrow_exception(failure);
}

Result<std::string> familiar(std::string_view ref) {
    return registry::familiar_reference(ref);
}

std::string default_state_dir() {
    if (::geteuid() == 0) return "/var/lib/sockerless";
    if (const char* home = std::getenv("HOME"))
        return std::string(home) + "/.local/share/sockerless";
    return "/tmp/sockerless-" + std::to_string(::geteuid());
}

// The daemon's own id, kept in the store (Docker's `docker info` ID).
std::string daemon_id(store::Store& store) {
    if (auto existing = store.meta("daemon_id"); existing && *existing) return **existing;
    auto id = random_hex_token(16);
    std::string value = id ? *id : "sockerless";
    (void)store.put_meta("daemon_id", value);
    return value;
}

struct Flags {
    std::vector<std::string> hosts;
    std::string state_dir;
    std::string config_file;
    std::string log_level = "info";
    bool tls_verify = false;
    std::string tls_ca, tls_cert, tls_key;
    bool strict_versions = false;
    std::vector<std::string> mirrors;
    std::vector<std::string> insecure_registries;
    std::string awssim;
    std::string agent;
    std::string container_mode = "auto";
    int restart_linger = 60;
    std::map<std::string, std::string> ecs_flags;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "sockerlessd: the Docker Engine API, with every container run as an ECS Fargate "
        "task (docs/daemon.md)"};
    app.set_version_flag("--version", std::string(SOCKERLESS_VERSION));
    Flags f;
    app.add_option("-H,--host", f.hosts,
                   "Where to listen: unix:///path/to.sock or tcp://host:port (repeatable; default "
                   "unix://<state dir>/sockerless.sock)");
    app.add_option("--state-dir", f.state_dir, "The daemon's state (SQLite, logs, simulator)");
    app.add_option("--config", f.config_file, "The ECS backend's YAML configuration file")
        ->check(CLI::ExistingFile);
    app.add_option("--log-level", f.log_level, "trace, debug, info, warn or error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
    app.add_flag("--tlsverify", f.tls_verify, "Require client certificates signed by --tlscacert");
    app.add_option("--tlscacert", f.tls_ca, "CA that client certificates must chain to");
    app.add_option("--tlscert", f.tls_cert, "Server certificate (PEM)");
    app.add_option("--tlskey", f.tls_key, "Server private key (PEM)");
    app.add_flag("--strict-api-versions", f.strict_versions,
                 "Refuse clients pinned to API versions above 1.44, as dockerd does");
    app.add_option("--registry-mirror", f.mirrors, "A mirror for docker.io (repeatable)");
    app.add_option("--insecure-registry", f.insecure_registries,
                   "A registry reached over plain HTTP (host[:port] or CIDR; repeatable)");
    app.add_option("--awssim", f.awssim, "The embedded simulator's binary (sockerless-awssim)");
    app.add_option("--agent", f.agent, "The static agent staged on the embedded simulator");
    app.add_option("--embedded-container-mode", f.container_mode,
                   "Where the embedded simulator runs containers: host, image or auto")
        ->check(CLI::IsMember({"host", "image", "auto"}));
    app.add_option("--restart-linger", f.restart_linger,
                   "Seconds the task of an exited container stays up so that starting the "
                   "container again reuses it (0: a new task every start)")
        ->capture_default_str()
        ->check(CLI::Range(0, 86400));
    for (std::string_view key : ecs::ecs_config_keys()) {
        std::string name = ecs::flag_name(key);
        app.add_option(name, f.ecs_flags[std::string(key)],
                       "ECS backend: " + std::string(key) + " (docs/ecs-backend.md)");
    }
    CLI11_PARSE(app, argc, argv);
    std::erase_if(f.ecs_flags, [](const auto& kv) { return kv.second.empty(); });

    spdlog::set_default_logger(spdlog::stderr_color_mt("sockerlessd"));
    spdlog::set_level(spdlog::level::from_str(f.log_level));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

    if (f.state_dir.empty()) f.state_dir = default_state_dir();
    std::error_code ec;
    fs::create_directories(f.state_dir, ec);
    ::chmod(f.state_dir.c_str(), 0700);
    if (ec) {
        spdlog::error("state dir {}: {}", f.state_dir, ec.message());
        return 1;
    }
    if (f.hosts.empty()) f.hosts.push_back("unix://" + f.state_dir + "/sockerless.sock");

    const auto env = sockerless::process_variables();
    bool embedded = f.config_file.empty() && f.ecs_flags.empty() &&
                    !env.contains("AWS_ENDPOINT_URL") && !env.contains("AWS_ENDPOINT_URL_ECS");
    for (const auto& [k, v] : env)
        if (k.starts_with("SOCKERLESS_ECS_")) embedded = false;

    asio::io_context io(1);
    std::optional<app::EmbeddedSim> sim;
    // Stops the simulator this daemon started when it exits early; after a clean run, always.
    struct SimGuard {
        std::optional<app::EmbeddedSim>& sim;
        bool stop = false;
        ~SimGuard() {
            if (sim && stop) {
                spdlog::info("stopping the embedded simulator (pid {})", sim->pid);
                app::stop_simulator(*sim);
            }
        }
    } sim_guard{sim};
    app::EmbeddedOptions embedded_options;
    if (embedded) {
        embedded_options.state_dir = f.state_dir;
        embedded_options.awssim_binary =
            f.awssim.empty() ? app::find_companion("sockerless-awssim", "tools/awssim") : f.awssim;
        embedded_options.agent_binary =
            f.agent.empty() ? app::find_companion("sockerless-agent", "src/app") : f.agent;
        embedded_options.container_mode = f.container_mode;
        auto started = app::start_or_attach(embedded_options);
        if (!started) {
            spdlog::error("{}", started.error().message);
            return 1;
        }
        sim = *started;
        sim_guard.stop = !sim->attached;  // a failed start leaves an attached one's tasks be
        // The first line says where containers run.
        spdlog::info("no AWS configured: using the embedded simulator at {} ({}, pid {})",
                     sim->endpoint.url(), sim->attached ? "attached" : "started", sim->pid);
    }

    aws::TransportOptions transport_options;
    if (auto proxies = aws::proxy_settings(aws::process_environment()); proxies)
        transport_options.proxies = *proxies;
    aws::Transport transport(io.get_executor(), transport_options);

    ecs::EcsConfig config;
    std::unique_ptr<aws::CredentialsProvider> credentials;
    aws::BlockingFetcher fetcher;
    aws::Endpoint endpoint_of_service;
    const aws::Environment aws_env = aws::process_environment();
    if (embedded) {
        auto prepared = run_sync(io, app::prepare_simulator(transport, *sim, embedded_options));
        if (!prepared || !*prepared) {
            spdlog::error("{}", prepared ? prepared->error().message : "setup did not finish");
            return 1;
        }
        config = **prepared;
        aws::ProvidedCredentials root;
        root.credentials = app::simulator_credentials();
        root.source = "the embedded simulator";
        credentials = std::make_unique<aws::StaticProvider>(root);
    } else {
        ecs::ConfigSources sources;
        sources.yaml_path = f.config_file;
        sources.env = env;
        sources.flags = f.ecs_flags;
        auto loaded = ecs::load_ecs_config(sources);
        if (!loaded) {
            spdlog::error("configuration:\n{}", loaded.error().message);
            return 2;
        }
        config = *loaded;
        credentials = std::make_unique<aws::CachingProvider>(
            std::make_unique<aws::ChainProvider>(aws_env, fetcher), aws_env.now);
    }
    auto endpoint_for = [&](const aws::ServiceId& service) -> Result<aws::Endpoint> {
        if (embedded) return sim->endpoint;
        return aws::resolve_endpoint(aws_env, service, config.region);
    };
    auto ecs_endpoint = endpoint_for(aws::ecs_service_id());
    auto s3_endpoint = endpoint_for(aws::s3_service_id());
    auto logs_endpoint = endpoint_for(aws::logs_service_id());
    if (!ecs_endpoint || !s3_endpoint || !logs_endpoint) {
        spdlog::error("AWS endpoints: {}", !ecs_endpoint
                                               ? ecs_endpoint.error().message
                                               : (!s3_endpoint ? s3_endpoint.error().message
                                                               : logs_endpoint.error().message));
        return 2;
    }
    aws::AwsClient ecs_aws(transport, *credentials, aws::ecs_service_id(), config.region,
                           *ecs_endpoint);
    aws::AwsClient s3_aws(transport, *credentials, aws::s3_service_id(), config.region,
                          *s3_endpoint);
    aws::AwsClient logs_aws(transport, *credentials, aws::logs_service_id(), config.region,
                            *logs_endpoint);
    aws::EcsClient ecs_client(ecs_aws);
    aws::S3Client s3_client(s3_aws);
    aws::LogsClient logs_client(logs_aws);
    ecs::EcsBackend backend(io.get_executor(), config, ecs_client, s3_client, logs_client);

    auto opened = store::Store::open(f.state_dir + "/sockerless.db");
    if (!opened) {
        spdlog::error("{}", opened.error().message);
        return 1;
    }
    store::Store& store = **opened;
    engine::ImageStore images(store, familiar);
    if (Status st = images.load(); !st) {
        spdlog::error("loading images: {}", st.error().message);
        return 1;
    }
    engine::EventBus events(io.get_executor());
    engine::EngineOptions engine_options;
    engine_options.state_dir = f.state_dir;
    engine_options.restart_linger = std::chrono::seconds(f.restart_linger);
    engine::Engine engine(io.get_executor(), engine_options, store, backend, images, events);
    if (Status st = engine.load(); !st) {
        spdlog::error("loading containers: {}", st.error().message);
        return 1;
    }

    registry::RegistryOptions registry_options;
    if (!f.mirrors.empty()) registry_options.mirrors["docker.io"] = f.mirrors;
    registry_options.insecure_registries = f.insecure_registries;
    registry::Client registry_client(io.get_executor(), transport, registry_options);

    routes::DaemonInfo info;
    info.id = daemon_id(store);
    char hostname[256] = {};
    ::gethostname(hostname, sizeof hostname - 1);
    info.name = hostname;
    info.state_dir = f.state_dir;
    info.region = config.region;
    info.cluster = config.cluster;
    info.endpoint = embedded ? sim->endpoint.url() : ecs_endpoint->url();
    info.embedded_simulator = embedded;
    info.injection = std::string(ecs::format_strategy(config.strategy));
    info.mirrors = registry_options.mirrors;
    routes::Services services{engine, images, events, &registry_client, info};
    http::Router router;
    routes::register_routes(router, services);

    http::ServerOptions server_options;
    server_options.hosts = f.hosts;
    server_options.strict_versions = f.strict_versions;
    if (!f.tls_cert.empty() || f.tls_verify) {
        http::TlsOptions tls;
        tls.cert_file = f.tls_cert;
        tls.key_file = f.tls_key;
        tls.ca_file = f.tls_ca;
        tls.verify_clients = f.tls_verify;
        server_options.tls = tls;
    }
    http::Server server(io.get_executor(), router, server_options);
    auto bound = server.listen();
    if (!bound) {
        spdlog::error("{}", bound.error().message);
        return 1;
    }
    services.info.listeners = *bound;

    // Containers whose rows the store lost (a crash before the WAL reached the disk) are
    // rebuilt from their tasks' tags; then every running container is reconnected, or its end
    // learnt; then the payloads of containers no longer known are swept.
    if (auto tasks = run_sync(io, backend.list_tasks_of_containers()); tasks && *tasks) {
        std::map<std::string, const ecs::RecoveredTask*> latest;  // the current task is last
        for (const ecs::RecoveredTask& t : **tasks)
            latest[t.container_id] = &t;
        for (const auto& [id, t] : latest) {
            engine::AdoptedContainer a;
            a.id = id;
            a.name = t->name;
            a.image = t->image;
            if (t->started_at)
                a.started_at = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   t->started_at->time_since_epoch())
                                   .count();
            a.running = t->last_status != "STOPPED";
            a.exit_code = t->exit_code;
            a.record.task_arn = t->task_arn;
            a.record.task_definition_arn = t->task_definition_arn;
            a.record.agent_address = t->agent_address;
            a.record.agent_token = t->agent_token;
            a.record.injection = t->injection;
            a.record.payload_uri = t->payload_uri;
            a.record.keep_alive = t->keep_alive;
            a.record.lingers = t->lingers;
            if (auto adopted = engine.adopt(std::move(a)); !adopted)
                spdlog::warn("recovering container {}: {}", id, adopted.error().message);
        }
    } else if (tasks) {
        spdlog::warn("listing the cluster's tasks to recover containers: {}",
                     (*tasks).error().message);
    }
    run_sync(io, engine.recover());
    std::set<std::string> live;
    for (const engine::Container* c : engine.containers())
        live.insert(c->id);
    if (auto swept = run_sync(io, backend.sweep_orphans(live)); swept && !*swept)
        spdlog::warn("payload sweep: {}", (*swept).error().message);

    server.start();
    for (const std::string& b : *bound)
        spdlog::info("API listening on {}", b);

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int signal) {
        spdlog::info("signal {}: shutting down", signal);
        server.shutdown();
        engine.shutdown();
        io.stop();
    });
    io.run();
    // Without live-restore, a stopping Docker daemon stops its containers: the simulator's tasks
    // end with it.
    sim_guard.stop = true;
    return 0;
}
