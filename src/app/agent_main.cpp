// sockerless-agent: the static supervisor injected into every task. Flags only; see src/agent.

#include <iostream>

#include <CLI/CLI.hpp>

#include "agent/agent.h"
#include "agent/launch.h"

int main(int argc, char** argv) {
    using namespace sockerless::agent;
    CLI::App app{
        "sockerless-agent: PID-1 supervisor and exec/attach server inside a Sockerless task"};
    app.set_version_flag("--version", std::string(SOCKERLESS_VERSION));
    AgentConfig config;
    std::string log_level = "info";
    app.add_flag("--keep-alive", config.main.keep_alive,
                 "Keep serving after the main process exits (or without one)");
    app.add_flag("--hold", config.main.hold,
                 "Start the main process only when a client sends a start request");
    app.add_flag("--tty", config.main.tty, "Give the main process a terminal");
    app.add_flag("--open-stdin", config.main.open_stdin,
                 "Keep the main process's stdin open for attached clients");
    app.add_flag("--stdin-once", config.main.stdin_once,
                 "Close that stdin when the first attached client closes it");
    app.add_option("--port-file", config.port_file,
                   "Write the bound port to this file once listening");
    double payload_timeout = 30;
    app.add_option(
           "--payload-timeout", payload_timeout,
           "Seconds for fetching a launch payload from S3, credentials and retries included")
        ->envname("SOCKERLESS_AGENT_PAYLOAD_TIMEOUT")
        ->check(CLI::Range(0.1, 3600.0));
    app.add_option("--log-level", log_level, "debug, info, warn or error")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
    app.add_option("command", config.main.argv,
                   "The main process: entrypoint and arguments, after --");

    std::string install_dest;
    auto* install =
        app.add_subcommand("install", "Copy this binary to DEST (for init containers) and exit");
    install->add_option("dest", install_dest, "Destination path")->required();

    CLI11_PARSE(app, argc, argv);

    if (*install) {
        auto st = install_self(install_dest);
        if (!st) {
            std::cerr << "sockerless-agent: install: " << st.error().message << "\n";
            return 1;
        }
        return 0;
    }
    if (auto st = apply_environment(config); !st) {
        std::cerr << "sockerless-agent: " << st.error().message << "\n";
        return 125;
    }
    if (log_level == "debug") config.log_level = LogLevel::debug;
    if (log_level == "warn") config.log_level = LogLevel::warn;
    if (log_level == "error") config.log_level = LogLevel::error;
    set_log_level(config.log_level);
    config.payload_timeout =
        std::chrono::milliseconds(static_cast<std::int64_t>(payload_timeout * 1000));
    // A pointer launch: nothing starts until the payload is fetched, verified and applied.
    if (auto loaded = load_launch_payload(config, process_getenv()); !loaded) {
        std::cerr << "sockerless-agent: payload: " << loaded.error().message << "\n";
        return loaded.error().exit_code();
    }
    if (config.main.argv.empty() && !config.main.keep_alive && !config.main.hold) {
        std::cerr << "sockerless-agent: no command: give one after --, set "
                     "SOCKERLESS_ORIGINAL_ENTRYPOINT/"
                     "SOCKERLESS_ORIGINAL_CMD, or use --keep-alive or --hold\n";
        return 125;
    }
    return run_agent(std::move(config));
}
