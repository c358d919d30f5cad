// The streaming container endpoints: attach (hijacked), logs (chunked) and exec (create, start
// hijacked or detached, inspect, resize).

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json.hpp>

#include "engine/json_util.h"
#include "http/stdcopy.h"
#include "routes/bridge.h"
#include "routes/request_json.h"
#include "routes/routes.h"

namespace sockerless::routes {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using http::Exchange;
using http::Request;

namespace {

constexpr std::string_view kRaw = "application/vnd.docker.raw-stream";
constexpr std::string_view kMultiplexed = "application/vnd.docker.multiplexed-stream";
// Time for a client that reads past the response headers to get to its raw socket.
constexpr std::chrono::milliseconds kBufferedClientDelay{50};

// Go's RFC3339NanoFixed, as `docker logs -t` prints it.
std::string fixed_time(engine::Nanos t) {
    std::string s = engine::format_time(t - t % 1'000'000'000);
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(t % 1'000'000'000));
    s.insert(s.size() - 1, frac);
    return s;
}

std::string render_record(const engine::LogRecord& r, bool tty, bool timestamps) {
    std::string line = timestamps ? fixed_time(r.time) + " " + r.line : r.line;
    if (tty) return line;
    std::string out;
    http::append_frame(out, r.stream == 2 ? http::StdStream::stderr_ : http::StdStream::stdout_,
                       line);
    return out;
}

asio::awaitable<void> attach(Services& s, Request& req, Exchange& ex) {
    auto c = s.engine.find(req.param("id"));
    if (!c) co_return co_await ex.reply_error(c.error());
    const bool tty = (*c)->config.tty;
    const std::string id = (*c)->id;
    engine::AttachOptions options;
    options.stdin = req.query_bool("stdin");
    options.stdout = req.query_bool("stdout");
    options.stderr = req.query_bool("stderr");
    const bool stream = req.query_bool("stream");
    const bool logs = req.query_bool("logs");
    if (!stream && !logs)
        co_return co_await ex.reply_error(make_error(Errc::invalid_argument,
                                                     "Bad parameters: you must choose at least one "
                                                     "stream"));
    auto waiter = s.engine.prepare_attach(id, options);
    if (!waiter) co_return co_await ex.reply_error(waiter.error());
    std::string log_path = s.engine.log_path(**c);
    auto hijacked = co_await ex.hijack(tty ? kRaw : kMultiplexed);
    if (!hijacked) co_return;
    std::shared_ptr<http::Stream> client(std::move(*hijacked));
    if (logs) {
        engine::LogQuery q;
        q.stdout = options.stdout;
        q.stderr = options.stderr;
        auto chunk = engine::read_log(log_path, 0, q);
        if (chunk)
            for (const auto& r : chunk->records) {
                std::string out = render_record(r, tty, false);
                (void)co_await client->write(
                    std::span(reinterpret_cast<const unsigned char*>(out.data()), out.size()));
            }
    }
    if (!stream) {
        client->shutdown_send();
        client->close();
        co_return;
    }
    auto session = co_await (*waiter)();
    if (!session || !*session) {
        if (!session) spdlog::debug("attach {}: {}", id, session.error().message);
        client->shutdown_send();
        client->close();
        co_return;
    }
    BridgeOptions bridge_options;
    bridge_options.tty = tty;
    bridge_options.forward_stdin = options.stdin;
    if (client_reads_past_headers(req.header("User-Agent")))
        bridge_options.first_output_delay = kBufferedClientDelay;
    co_await bridge(*session, client, bridge_options);
}

asio::awaitable<void> logs(Services& s, Request& req, Exchange& ex) {
    auto c = s.engine.find(req.param("id"));
    if (!c) co_return co_await ex.reply_error(c.error());
    engine::LogQuery q;
    q.stdout = req.query_bool("stdout");
    q.stderr = req.query_bool("stderr");
    if (!q.stdout && !q.stderr)
        co_return co_await ex.reply_error(make_error(
            Errc::invalid_argument, "Bad parameters: you must choose at least one stream"));
    const engine::Nanos now = engine::now_nanos();
    for (const auto& [key, into] : {std::pair{"since", &q.since}, std::pair{"until", &q.until}}) {
        if (auto v = req.query_value(key); v && !v->empty() && *v != "0") {
            auto t = engine::parse_time_filter(*v, now);
            if (!t) co_return co_await ex.reply_error(t.error());
            *into = *t;
        }
    }
    if (auto tail = req.query_value("tail"); tail && !tail->empty() && *tail != "all") {
        auto n = req.query_int("tail");
        if (!n) co_return co_await ex.reply_error(n.error());
        if (*n && **n >= 0) q.tail = **n;
    }
    const bool follow = req.query_bool("follow");
    const bool timestamps = req.query_bool("timestamps");
    const bool tty = (*c)->config.tty;
    const std::string id = (*c)->id;
    auto where = s.engine.log_follow(id);
    if (!where) co_return co_await ex.reply_error(where.error());
    auto stream = co_await ex.begin_stream(200, tty ? kRaw : kMultiplexed);
    if (!stream) co_return;
    std::uint64_t offset = 0;
    std::optional<std::int64_t> tail = q.tail;
    while (true) {
        q.tail = offset == 0 ? tail : std::nullopt;
        auto chunk = engine::read_log(where->path, offset, q);
        if (!chunk) break;
        offset = chunk->next_offset;
        std::string out;
        for (const auto& r : chunk->records)
            out += render_record(r, tty, timestamps);
        if (!out.empty() && !co_await (*stream)->write(out)) co_return;
        if (!follow) break;
        auto state = s.engine.log_follow(id);
        if (!state || !state->running) {
            // One more read: what the container wrote just before it stopped.
            auto last = engine::read_log(where->path, offset, q);
            std::string rest;
            if (last)
                for (const auto& r : last->records)
                    rest += render_record(r, tty, timestamps);
            if (!rest.empty()) (void)co_await (*stream)->write(rest);
            break;
        }
        if (q.until != 0 && engine::now_nanos() >= q.until) break;
        co_await (s.engine.wait_log_growth(id) || (*stream)->closed());
        if ((*stream)->is_closed()) co_return;
    }
    (void)co_await (*stream)->finish();
}

// ---- exec ---------------------------------------------------------------------------------------

asio::awaitable<void> exec_create(Services& s, Request& req, Exchange& ex) {
    auto body = parse_body(req.body, false);
    if (!body) co_return co_await ex.reply_error(body.error());
    engine::ExecConfig config;
    JsonReader r(*body, "ExecConfig");
    for (const Status& st :
         {r.read("AttachStdin", config.attach_stdin), r.read("AttachStdout", config.attach_stdout),
          r.read("AttachStderr", config.attach_stderr), r.read("DetachKeys", config.detach_keys),
          r.read("Tty", config.tty), r.read("Env", config.env), r.read("Cmd", config.cmd),
          r.read("Privileged", config.privileged), r.read("User", config.user),
          r.read("WorkingDir", config.working_dir)}) {
        if (!st) co_return co_await ex.reply_error(st.error());
    }
    if (const auto* size = body->if_contains("ConsoleSize");
        size && size->is_array() && size->as_array().size() == 2) {
        const auto& a = size->as_array();
        if (a[0].is_int64()) config.rows = static_cast<std::uint16_t>(a[0].as_int64());
        if (a[1].is_int64()) config.cols = static_cast<std::uint16_t>(a[1].as_int64());
    }
    auto id = s.engine.exec_create(req.param("id"), std::move(config));
    if (!id) co_return co_await ex.reply_error(id.error());
    json::object o;
    o["Id"] = *id;
    co_await ex.reply_json(201, o);
}

asio::awaitable<void> drain_detached(Services& s, std::string id,
                                     std::shared_ptr<agentclient::Session> session) {
    auto exit = co_await session->wait();
    s.engine.exec_finished(id, exit ? std::optional<int>(exit->code) : std::nullopt);
}

asio::awaitable<void> exec_start(Services& s, Request& req, Exchange& ex) {
    auto body = parse_body(req.body, true);
    if (!body) co_return co_await ex.reply_error(body.error());
    bool detach = false;
    bool tty_body = false;
    JsonReader r(*body, "ExecStartConfig");
    if (Status st = r.read("Detach", detach); !st) co_return co_await ex.reply_error(st.error());
    if (Status st = r.read("Tty", tty_body); !st) co_return co_await ex.reply_error(st.error());
    const std::string id(req.param("id"));
    auto e = s.engine.find_exec(id);
    if (!e) co_return co_await ex.reply_error(e.error());
    if ((*e)->started)
        co_return co_await ex.reply_error(
            make_error(Errc::conflict, "Error: Exec command " + id + " has already run"));
    auto container = s.engine.find((*e)->container_id);
    if (!container || !(*container)->running())
        co_return co_await ex.reply_error(
            make_error(Errc::conflict, "Container " + (*e)->container_id + " is not running"));
    const bool tty = (*e)->config.tty || tty_body;
    const bool stdin = (*e)->config.attach_stdin;
    if (detach) {
        auto session = co_await s.engine.exec_start(id);
        if (!session) co_return co_await ex.reply_error(session.error());
        asio::co_spawn(co_await asio::this_coro::executor, drain_detached(s, id, *session),
                       asio::detached);
        co_return co_await ex.reply_json(200, json::object());
    }
    auto hijacked = co_await ex.hijack(tty ? kRaw : kMultiplexed);
    if (!hijacked) co_return;
    std::shared_ptr<http::Stream> client(std::move(*hijacked));
    auto session = co_await s.engine.exec_start(id);
    if (!session) {
        // Docker reports a command that cannot start in the stream, as the runtime said it.
        co_await write_notice(
            *client, tty,
            "OCI runtime exec failed: exec failed: unable to start container process: " +
                session.error().message + ": unknown\r\n");
        client->shutdown_send();
        client->close();
        co_return;
    }
    BridgeOptions options;
    options.tty = tty;
    options.forward_stdin = stdin;
    if (client_reads_past_headers(req.header("User-Agent")))
        options.first_output_delay = kBufferedClientDelay;
    options.on_end = [&s, id](const std::optional<agentproto::Exit>& exit) {
        s.engine.exec_finished(id, exit ? std::optional<int>(exit->code) : std::nullopt);
    };
    co_await bridge(*session, client, options);
}

asio::awaitable<void> exec_inspect(Services& s, Request& req, Exchange& ex) {
    auto e = s.engine.find_exec(req.param("id"));
    if (!e) co_return co_await ex.reply_error(e.error());
    const engine::Exec& x = **e;
    json::object o;
    o["ID"] = x.id;
    o["Running"] = x.running;
    if (x.exit_code)
        o["ExitCode"] = *x.exit_code;
    else
        o["ExitCode"] = nullptr;
    json::object process;
    process["tty"] = x.config.tty;
    process["entrypoint"] = x.config.cmd.empty() ? std::string() : x.config.cmd.front();
    json::array args;
    for (std::size_t i = 1; i < x.config.cmd.size(); ++i)
        args.emplace_back(x.config.cmd[i]);
    process["arguments"] = std::move(args);
    process["privileged"] = x.config.privileged;
    if (!x.config.user.empty()) process["user"] = x.config.user;
    o["ProcessConfig"] = std::move(process);
    o["OpenStdin"] = x.config.attach_stdin;
    o["OpenStderr"] = x.config.attach_stderr;
    o["OpenStdout"] = x.config.attach_stdout;
    o["CanRemove"] = false;
    o["ContainerID"] = x.container_id;
    o["DetachKeys"] = x.config.detach_keys;
    o["Pid"] = x.pid;
    co_await ex.reply_json(200, o);
}

asio::awaitable<void> exec_resize(Services& s, Request& req, Exchange& ex) {
    auto h = req.query_int("h");
    auto w = req.query_int("w");
    if (!h) co_return co_await ex.reply_error(h.error());
    if (!w) co_return co_await ex.reply_error(w.error());
    Status st = s.engine.exec_resize(req.param("id"), static_cast<std::uint16_t>(h->value_or(0)),
                                     static_cast<std::uint16_t>(w->value_or(0)));
    if (!st) co_return co_await ex.reply_error(st.error());
    co_await ex.reply_empty(200);
}

}  // namespace

void register_stream_routes(http::Router& router, Services& s) {
    auto bind = [&s](asio::awaitable<void> (*fn)(Services&, Request&, Exchange&)) {
        return [&s, fn](Request& req, Exchange& ex) { return fn(s, req, ex); };
    };
    router.add("POST", "/containers/{id}/attach", bind(attach));
    router.add("GET", "/containers/{id}/logs", bind(logs));
}

void register_exec_routes(http::Router& router, Services& s) {
    auto bind = [&s](asio::awaitable<void> (*fn)(Services&, Request&, Exchange&)) {
        return [&s, fn](Request& req, Exchange& ex) { return fn(s, req, ex); };
    };
    router.add("POST", "/containers/{id}/exec", bind(exec_create));
    router.add("POST", "/exec/{id}/start", bind(exec_start));
    router.add("GET", "/exec/{id}/json", bind(exec_inspect));
    router.add("POST", "/exec/{id}/resize", bind(exec_resize));
}

}  // namespace sockerless::routes
