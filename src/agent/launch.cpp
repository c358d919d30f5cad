#include "agent/launch.h"

#include <algorithm>
#include <cstdlib>

#include "agent/ca_bundle.h"
#include "agent/log.h"
#include "agent/trim.h"

namespace sockerless::agent {
namespace {

bool is_agent_setting(std::string_view kv) {
    return kv.starts_with("SOCKERLESS_");
}

std::string one_line(std::string text) {
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return text;
}

}  // namespace

GetEnv process_getenv() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr || *value == '\0') return std::nullopt;
        return std::string(value);
    };
}

std::vector<std::string> without_agent_settings(std::vector<std::string> env) {
    std::erase_if(env, [](const std::string& kv) { return is_agent_setting(kv); });
    return env;
}

void apply_launch_spec(agentproto::LaunchSpec spec, AgentConfig& config) {
    MainConfig& main = config.main;
    if (spec.keep_alive) {
        main.argv.clear();
    } else if (!spec.entrypoint.empty() || !spec.cmd.empty()) {
        main.argv = std::move(spec.entrypoint);
        main.argv.insert(main.argv.end(), std::make_move_iterator(spec.cmd.begin()),
                         std::make_move_iterator(spec.cmd.end()));
    }
    // Lingering is keep-alive with a main process: the agent outlives each run of it.
    main.keep_alive = main.keep_alive || spec.keep_alive || spec.linger;
    main.hold = main.hold || spec.hold;
    main.tty = main.tty || spec.tty;
    main.open_stdin = main.open_stdin || spec.open_stdin;
    main.stdin_once = main.stdin_once || spec.stdin_once;
    if (!spec.workdir.empty()) main.defaults.workdir = std::move(spec.workdir);
    if (!spec.user.empty()) main.defaults.user = std::move(spec.user);
    config.server.token = std::move(spec.token);
    config.launch_env = without_agent_settings(std::move(spec.env));
}

PayloadResult<void> load_launch_payload(AgentConfig& config, const GetEnv& getenv) {
    auto pointer = read_payload_pointer(getenv);
    if (!pointer) {
        return PayloadError{PayloadFailure::malformed, one_line(pointer.error().message)};
    }
    if (!*pointer) return {};
    const PayloadPointer& where = **pointer;
    auto ca_pem = trusted_ca_pem(getenv);
    if (!ca_pem)
        return PayloadError{PayloadFailure::malformed,
                            one_line(where.uri + ": " + ca_pem.error().message)};
    PayloadFetchOptions options;
    options.timeout = config.payload_timeout;
    options.ca_pem = std::move(*ca_pem);
    auto spec = fetch_launch_payload(where, options);
    options.ca_pem.clear();
    options.ca_pem.shrink_to_fit();
    release_startup_memory();  // the fetch's buffers, TLS context and the OpenSSL code it ran
    if (!spec) return PayloadError{spec.error().failure, one_line(spec.error().message)};
    apply_launch_spec(std::move(*spec), config);
    log_info("launch payload " + where.uri + ": " + std::to_string(where.length) +
             " bytes, SHA-256 verified");
    return {};
}

}  // namespace sockerless::agent
