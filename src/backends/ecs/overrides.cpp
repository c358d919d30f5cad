#include "backends/ecs/overrides.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "aws/sigv4.h"
#include "backends/ecs/entrypoint.h"
#include "backends/ecs/task_definition.h"
#include "base/hex.h"

namespace sockerless::ecs {
namespace {

namespace json = boost::json;
namespace ap = agentproto;

json::object name_value(std::string_view name, std::string_view value) {
    json::object out;
    out["name"] = name;
    out["value"] = value;
    return out;
}

json::array string_array(const std::vector<std::string>& items) {
    json::array out;
    out.reserve(items.size());
    for (const std::string& s : items)
        out.emplace_back(s);
    return out;
}

// "KEY=VALUE" -> {KEY, VALUE}; "KEY" -> {KEY, ""}.
std::pair<std::string_view, std::string_view> split_env(std::string_view entry) {
    const std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos) return {entry, {}};
    return {entry.substr(0, eq), entry.substr(eq + 1)};
}

json::object wrap_main(json::array environment, const std::vector<std::string>& command) {
    json::object main;
    main["name"] = kMainContainer;
    if (!command.empty()) main["command"] = string_array(command);
    main["environment"] = std::move(environment);
    json::object out;
    out["containerOverrides"] = json::array{std::move(main)};
    return out;
}

std::size_t json_size(const json::value& v) {
    return json::serialize(v).size();
}

// How many bytes of the inline overrides each user-controlled field accounts for, counting
// every place it appears (cmd is both in "command" and in SOCKERLESS_ORIGINAL_CMD), largest
// first.
std::vector<std::pair<std::string, std::size_t>> field_costs(const ap::LaunchSpec& spec) {
    std::vector<std::pair<std::string, std::size_t>> costs;
    for (const std::string& e : spec.env) {
        auto [name, value] = split_env(e);
        costs.emplace_back("env " + std::string(name), json_size(name_value(name, value)) + 1);
    }
    auto argv_cost = [&](std::string_view env, const std::vector<std::string>& argv) {
        std::size_t n = json_size(name_value(env, json::serialize(string_array(argv)))) + 1;
        if (!spec.keep_alive) {
            for (const std::string& a : argv)
                n += json_size(json::string(a)) + 1;
        }
        return n;
    };
    costs.emplace_back("entrypoint", argv_cost(ap::kEnvOriginalEntrypoint, spec.entrypoint));
    costs.emplace_back("cmd", argv_cost(ap::kEnvOriginalCmd, spec.cmd));
    if (!spec.workdir.empty())
        costs.emplace_back("workdir", json_size(name_value(ap::kEnvWorkdir, spec.workdir)) + 1);
    if (!spec.user.empty())
        costs.emplace_back("user", json_size(name_value(ap::kEnvUser, spec.user)) + 1);
    std::stable_sort(costs.begin(), costs.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    return costs;
}

Error too_large(std::string_view container_id, const ap::LaunchSpec& spec, std::size_t size,
                std::size_t budget, bool no_bucket) {
    std::string largest;
    const auto costs = field_costs(spec);
    for (std::size_t i = 0; i < costs.size() && i < 3; ++i) {
        if (!largest.empty()) largest += ", ";
        largest += costs[i].first + ": " + std::to_string(costs[i].second) + " bytes";
    }
    std::string advice =
        no_bucket ? "no payload_bucket is configured, so the launch cannot travel as an S3 "
                    "payload instead; set payload_bucket (with payload_mode auto) or shorten "
                    "these fields"
                  : "payload_mode is never; use payload_mode auto with a payload_bucket so "
                    "large launches travel as an S3 payload, or shorten these fields";
    return make_error(Errc::invalid_argument,
                      "container " + std::string(container_id) + ": the RunTask overrides take " +
                          std::to_string(size) + " bytes, over the limit of " +
                          std::to_string(budget) + "; largest: " + largest + "; " + advice);
}

bool is_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

bool is_valid_id(std::string_view id) {
    return !id.empty() && id.size() <= kMaxContainerIdLength && id != "." && id != ".." &&
           std::all_of(id.begin(), id.end(), is_id_char);
}

bool is_valid_nonce(std::string_view nonce) {
    return !nonce.empty() && nonce.size() <= 2 * kPayloadNonceBytes &&
           std::all_of(nonce.begin(), nonce.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

json::object pointer_for(const PayloadTarget& target, std::string_view uri, std::string_view sha256,
                         std::string_view length) {
    json::array env;
    env.emplace_back(name_value(ap::kEnvPayloadUri, uri));
    env.emplace_back(name_value(ap::kEnvPayloadSha256, sha256));
    env.emplace_back(name_value(ap::kEnvPayloadLength, length));
    if (!target.endpoint_url.empty())
        env.emplace_back(name_value(ap::kEnvPayloadEndpoint, target.endpoint_url));
    if (!target.region.empty()) env.emplace_back(name_value(ap::kEnvPayloadRegion, target.region));
    return wrap_main(std::move(env), {});
}

std::string payload_key(std::string_view prefix, std::string_view container_id,
                        std::string_view nonce) {
    std::string key;
    if (!prefix.empty()) key = std::string(prefix) + "/";
    return key + std::string(container_id) + "/" + std::string(nonce) + "/payload.json";
}

Result<OverridesPlan> pointer_plan(std::string_view container_id, const ap::LaunchSpec& spec,
                                   const PayloadTarget& target, std::size_t budget,
                                   const NonceSource& nonce_source, std::size_t inline_size) {
    Result<std::string> nonce = nonce_source();
    if (!nonce) return nonce.error();
    if (!is_valid_nonce(*nonce))
        return make_error(Errc::internal, "payload nonce \"" + *nonce + "\" is not 1 to 32 hex");
    PayloadObject payload;
    payload.bucket = target.bucket;
    payload.key = payload_key(target.prefix, container_id, *nonce);
    payload.uri = "s3://" + target.bucket + "/" + payload.key;
    payload.body = ap::serialize_launch_payload(spec);
    payload.sha256 = aws::sha256_hex(payload.body);
    OverridesPlan plan;
    plan.delivery = LaunchDelivery::payload;
    plan.overrides = pointer_overrides(target, payload);
    plan.size = overrides_size(plan.overrides);
    plan.inline_size = inline_size;
    if (plan.size > budget)
        return make_error(Errc::invalid_argument,
                          "container " + std::string(container_id) +
                              ": the payload pointer takes " + std::to_string(plan.size) +
                              " bytes of overrides, over the limit of " + std::to_string(budget));
    plan.payload = std::move(payload);
    return plan;
}

}  // namespace

PayloadTarget payload_target(const EcsConfig& config) {
    return PayloadTarget{config.payload_bucket, config.payload_prefix, config.endpoint_url,
                         config.region};
}

Result<std::string> new_payload_nonce() {
    return random_hex_token(kPayloadNonceBytes);
}

json::object inline_overrides(const ap::LaunchSpec& spec) {
    json::array env;
    for (const std::string& e : spec.env) {
        auto [name, value] = split_env(e);
        env.emplace_back(name_value(name, value));
    }
    env.emplace_back(name_value(ap::kEnvToken, spec.token));
    env.emplace_back(
        name_value(ap::kEnvOriginalEntrypoint, json::serialize(string_array(spec.entrypoint))));
    env.emplace_back(name_value(ap::kEnvOriginalCmd, json::serialize(string_array(spec.cmd))));
    if (!spec.workdir.empty()) env.emplace_back(name_value(ap::kEnvWorkdir, spec.workdir));
    if (!spec.user.empty()) env.emplace_back(name_value(ap::kEnvUser, spec.user));
    for (auto [flag, name] :
         {std::pair{spec.tty, ap::kEnvTty}, std::pair{spec.open_stdin, ap::kEnvOpenStdin},
          std::pair{spec.stdin_once, ap::kEnvStdinOnce},
          std::pair{spec.keep_alive, ap::kEnvKeepAlive}, std::pair{spec.hold, ap::kEnvHold},
          std::pair{spec.linger, ap::kEnvLinger}}) {
        if (flag) env.emplace_back(name_value(name, "1"));
    }
    return wrap_main(std::move(env), agent_command(spec));
}

json::object pointer_overrides(const PayloadTarget& target, const PayloadObject& payload) {
    return pointer_for(target, payload.uri, payload.sha256, std::to_string(payload.body.size()));
}

std::size_t overrides_size(const json::object& overrides) {
    return json::serialize(overrides).size();
}

Result<OverridesPlan> plan_overrides(std::string_view container_id, const ap::LaunchSpec& spec,
                                     PayloadMode mode, const PayloadTarget& target,
                                     std::size_t budget, const NonceSource& nonce) {
    if (!is_valid_id(container_id))
        return make_error(Errc::invalid_argument,
                          "container id \"" + std::string(container_id) +
                              "\" must be 1 to 64 of letters, digits, '_', '.' and '-'");
    if (spec.token.empty())
        return make_error(Errc::invalid_argument,
                          "container " + std::string(container_id) + ": the agent token is empty");
    const bool have_bucket = !target.bucket.empty();
    if (mode == PayloadMode::always && !have_bucket)
        return make_error(Errc::invalid_argument,
                          "container " + std::string(container_id) +
                              ": payload_mode always needs a payload_bucket");
    json::object inline_obj = inline_overrides(spec);
    const std::size_t inline_size = overrides_size(inline_obj);
    const bool fits = inline_size <= budget;
    if (mode == PayloadMode::always || (mode == PayloadMode::automatic && !fits && have_bucket))
        return pointer_plan(container_id, spec, target, budget, nonce, inline_size);
    if (!fits)
        return too_large(container_id, spec, inline_size, budget, mode == PayloadMode::automatic);
    OverridesPlan plan;
    plan.delivery = LaunchDelivery::inline_env;
    plan.overrides = std::move(inline_obj);
    plan.size = inline_size;
    plan.inline_size = inline_size;
    return plan;
}

std::size_t max_pointer_overrides_size(const PayloadTarget& target) {
    const std::string key = payload_key(target.prefix, std::string(kMaxContainerIdLength, 'x'),
                                        std::string(2 * kPayloadNonceBytes, 'f'));
    const std::string uri = "s3://" + target.bucket + "/" + key;
    const std::string length = std::to_string(std::numeric_limits<std::uint64_t>::max());
    return overrides_size(pointer_for(target, uri, std::string(64, 'f'), length));
}

std::size_t max_pointer_overrides_size() {
    PayloadTarget widest;
    widest.bucket = std::string(kMaxBucketLength, 'b');
    widest.prefix = std::string(kMaxPayloadPrefixLength, 'p');
    widest.endpoint_url = "https://" + std::string(kMaxEndpointUrlLength - 8, 'e');
    widest.region = std::string(kMaxRegionLength, 'r');
    return max_pointer_overrides_size(widest);
}

}  // namespace sockerless::ecs
