#include <boost/json.hpp>

#include "engine/engine.h"
#include "engine/json_util.h"

namespace sockerless::engine {

namespace json = boost::json;

std::string to_document(const Exec& e) {
    json::object o;
    o["id"] = e.id;
    o["container_id"] = e.container_id;
    o["cmd"] = strings_to_json(e.config.cmd);
    o["env"] = strings_to_json(e.config.env);
    o["working_dir"] = e.config.working_dir;
    o["user"] = e.config.user;
    o["tty"] = e.config.tty;
    o["attach_stdin"] = e.config.attach_stdin;
    o["attach_stdout"] = e.config.attach_stdout;
    o["attach_stderr"] = e.config.attach_stderr;
    o["privileged"] = e.config.privileged;
    o["detach_keys"] = e.config.detach_keys;
    o["running"] = e.running;
    o["started"] = e.started;
    if (e.exit_code) o["exit_code"] = *e.exit_code;
    o["pid"] = e.pid;
    return json::serialize(o);
}

Result<Exec> exec_from_document(std::string_view doc) {
    boost::system::error_code ec;
    json::value v = json::parse(doc, ec);
    if (ec || !v.is_object()) return make_error(Errc::internal, "exec document is not JSON");
    const json::object& o = v.as_object();
    Exec e;
    e.id = string_of(o, "id");
    e.container_id = string_of(o, "container_id");
    e.config.cmd = strings_of(o, "cmd");
    e.config.env = strings_of(o, "env");
    e.config.working_dir = string_of(o, "working_dir");
    e.config.user = string_of(o, "user");
    e.config.tty = bool_of(o, "tty");
    e.config.attach_stdin = bool_of(o, "attach_stdin");
    e.config.attach_stdout = bool_of(o, "attach_stdout");
    e.config.attach_stderr = bool_of(o, "attach_stderr");
    e.config.privileged = bool_of(o, "privileged");
    e.config.detach_keys = string_of(o, "detach_keys");
    e.running = bool_of(o, "running");
    e.started = bool_of(o, "started");
    if (const auto* x = o.if_contains("exit_code"); x != nullptr && x->is_int64())
        e.exit_code = static_cast<int>(x->as_int64());
    e.pid = static_cast<int>(int_of(o, "pid"));
    return e;
}

}  // namespace sockerless::engine
