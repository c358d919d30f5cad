#include "agentproto/launch.h"

#include <boost/json.hpp>

namespace sockerless::agentproto {
namespace json = boost::json;
namespace {

Error bad_payload(std::string_view what) {
    return make_error(Errc::invalid_argument, "launch payload: " + std::string(what));
}

json::array string_array(const std::vector<std::string>& items) {
    json::array out;
    out.reserve(items.size());
    for (const std::string& s : items)
        out.emplace_back(s);
    return out;
}

Status read_strings(const json::object& doc, std::string_view key, std::vector<std::string>& out) {
    const json::value* v = doc.if_contains(key);
    if (v == nullptr) return ok();
    if (!v->is_array()) return bad_payload("\"" + std::string(key) + "\" must be an array");
    for (const json::value& item : v->as_array()) {
        if (!item.is_string())
            return bad_payload("\"" + std::string(key) + "\" must hold only strings");
        out.emplace_back(item.as_string());
    }
    return ok();
}

Status read_string(const json::object& doc, std::string_view key, std::string& out) {
    const json::value* v = doc.if_contains(key);
    if (v == nullptr) return ok();
    if (!v->is_string()) return bad_payload("\"" + std::string(key) + "\" must be a string");
    out = v->as_string();
    return ok();
}

Status read_bool(const json::object& doc, std::string_view key, bool& out) {
    const json::value* v = doc.if_contains(key);
    if (v == nullptr) return ok();
    if (!v->is_bool()) return bad_payload("\"" + std::string(key) + "\" must be a boolean");
    out = v->as_bool();
    return ok();
}

}  // namespace

std::string serialize_launch_payload(const LaunchSpec& spec) {
    json::object doc;
    doc["version"] = kLaunchPayloadVersion;
    doc["entrypoint"] = string_array(spec.entrypoint);
    doc["cmd"] = string_array(spec.cmd);
    doc["env"] = string_array(spec.env);
    doc["workdir"] = spec.workdir;
    doc["user"] = spec.user;
    doc["token"] = spec.token;
    doc["tty"] = spec.tty;
    doc["openStdin"] = spec.open_stdin;
    doc["stdinOnce"] = spec.stdin_once;
    doc["keepAlive"] = spec.keep_alive;
    doc["hold"] = spec.hold;
    doc["linger"] = spec.linger;
    return json::serialize(doc);
}

Result<LaunchSpec> parse_launch_payload(std::string_view text) {
    boost::system::error_code ec;
    json::value parsed = json::parse(text, ec);
    if (ec) return bad_payload("not JSON: " + ec.message());
    if (!parsed.is_object()) return bad_payload("not a JSON object");
    const json::object& doc = parsed.as_object();
    const json::value* version = doc.if_contains("version");
    if (version == nullptr || !version->is_number() ||
        version->to_number<double>() != kLaunchPayloadVersion) {
        return bad_payload(
            "version " + (version == nullptr ? std::string("missing") : json::serialize(*version)) +
            " is not supported (this agent reads version " + std::to_string(kLaunchPayloadVersion) +
            ")");
    }
    LaunchSpec spec;
    for (const Status& st :
         {read_strings(doc, "entrypoint", spec.entrypoint), read_strings(doc, "cmd", spec.cmd),
          read_strings(doc, "env", spec.env), read_string(doc, "workdir", spec.workdir),
          read_string(doc, "user", spec.user), read_string(doc, "token", spec.token),
          read_bool(doc, "tty", spec.tty), read_bool(doc, "openStdin", spec.open_stdin),
          read_bool(doc, "stdinOnce", spec.stdin_once),
          read_bool(doc, "keepAlive", spec.keep_alive)}) {
        if (!st) return st.error();
    }
    for (auto [key, flag] : {std::pair{"hold", &spec.hold}, std::pair{"linger", &spec.linger}}) {
        if (!doc.contains(key)) continue;
        if (Status st = read_bool(doc, key, *flag); !st) return st.error();
    }
    if (spec.token.empty()) return bad_payload("\"token\" is missing");
    return spec;
}

}  // namespace sockerless::agentproto
