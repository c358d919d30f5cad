#include "agentproto/protocol.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include <boost/json.hpp>

namespace sockerless::agentproto {
namespace json = boost::json;
namespace {

Error bad(std::string message) {
    return make_error(Errc::invalid_argument, std::move(message));
}

// Field readers: each names the field and message type in its error so a peer learns what to fix.
class Reader {
public:
    Reader(const json::object& obj, std::string_view type) : obj_(obj), type_(type) {}

    Result<std::uint32_t> u32(std::string_view key,
                              std::optional<std::uint32_t> fallback = {}) const {
        const json::value* v = obj_.if_contains(key);
        if (v == nullptr) {
            if (fallback) return *fallback;
            return missing(key);
        }
        if (v->is_uint64() && v->as_uint64() <= std::numeric_limits<std::uint32_t>::max()) {
            return static_cast<std::uint32_t>(v->as_uint64());
        }
        if (v->is_int64() && v->as_int64() >= 0 &&
            v->as_int64() <= std::numeric_limits<std::uint32_t>::max()) {
            return static_cast<std::uint32_t>(v->as_int64());
        }
        return wrong(key, "an unsigned 32-bit integer");
    }

    Result<int> integer(std::string_view key, std::optional<int> fallback = {}) const {
        const json::value* v = obj_.if_contains(key);
        if (v == nullptr) {
            if (fallback) return *fallback;
            return missing(key);
        }
        if (v->is_int64() && v->as_int64() >= std::numeric_limits<int>::min() &&
            v->as_int64() <= std::numeric_limits<int>::max()) {
            return static_cast<int>(v->as_int64());
        }
        if (v->is_uint64() &&
            v->as_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
            return static_cast<int>(v->as_uint64());
        }
        return wrong(key, "an integer");
    }

    // Times and counts: JSON integers from 0 to 2^63-1 (u64 fields too, so every peer can hold
    // them in a signed 64-bit integer).
    Result<std::int64_t> non_negative(std::string_view key,
                                      std::optional<std::int64_t> fallback = {}) const {
        const json::value* v = obj_.if_contains(key);
        if (v == nullptr || (fallback && v->is_null())) {
            if (fallback) return *fallback;
            return missing(key);
        }
        if (v->is_int64() && v->as_int64() >= 0) return v->as_int64();
        if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(
                                                    std::numeric_limits<std::int64_t>::max())) {
            return static_cast<std::int64_t>(v->as_uint64());
        }
        return wrong(key, "an integer from 0 to 9223372036854775807");
    }

    Result<std::uint16_t> u16(std::string_view key) const {
        auto v = u32(key, 0);
        if (!v) return v.error();
        if (*v > 0xffff) return wrong(key, "an integer from 0 to 65535");
        return static_cast<std::uint16_t>(*v);
    }

    Result<bool> boolean(std::string_view key, bool fallback) const {
        const json::value* v = obj_.if_contains(key);
        if (v == nullptr) return fallback;
        if (!v->is_bool()) return wrong(key, "a boolean");
        return v->as_bool();
    }

    Result<std::string> string(std::string_view key,
                               std::optional<std::string> fallback = std::string()) const {
        const json::value* v = obj_.if_contains(key);
        if (v == nullptr) {
            if (fallback) return *fallback;
            return missing(key);
        }
        if (!v->is_string()) return wrong(key, "a string");
        return std::string(v->as_string());
    }

    Result<std::vector<std::string>> strings(std::string_view key) const {
        std::vector<std::string> out;
        const json::value* v = obj_.if_contains(key);
        if (v == nullptr || v->is_null()) return out;
        if (!v->is_array()) return wrong(key, "an array of strings");
        for (const json::value& item : v->as_array()) {
            if (!item.is_string()) return wrong(key, "an array of strings");
            out.emplace_back(item.as_string());
        }
        return out;
    }

private:
    Error missing(std::string_view key) const {
        return bad("\"" + std::string(type_) + "\" message lacks field \"" + std::string(key) +
                   "\"");
    }
    Error wrong(std::string_view key, std::string_view expected) const {
        return bad("field \"" + std::string(key) + "\" of \"" + std::string(type_) +
                   "\" message must be " + std::string(expected));
    }

    const json::object& obj_;
    std::string_view type_;
};

// Unwraps a Result<T> field read into `target`, returning the error from the enclosing function.
#define SOCKERLESS_READ(target, expr)                   \
    do {                                                \
        auto read_result_ = (expr);                     \
        if (!read_result_) return read_result_.error(); \
        (target) = std::move(*read_result_);            \
    } while (0)

json::array to_array(const std::vector<std::string>& items) {
    json::array out;
    out.reserve(items.size());
    for (const auto& s : items)
        out.emplace_back(s);
    return out;
}

Result<std::pair<json::object, std::string>> parse_object(std::string_view text) {
    if (text.size() > kMaxControlMessage) {
        return bad("control message of " + std::to_string(text.size()) +
                   " bytes exceeds the limit of " + std::to_string(kMaxControlMessage));
    }
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return bad("control message is not valid JSON: " + ec.message());
    if (!v.is_object()) return bad("control message must be a JSON object");
    json::object obj = std::move(v.as_object());
    const json::value* type = obj.if_contains("type");
    if (type == nullptr || !type->is_string())
        return bad("control message lacks a string \"type\"");
    std::string type_name(type->as_string());
    return std::make_pair(std::move(obj), std::move(type_name));
}

struct ClientSerializer {
    json::object operator()(const ExecRequest& m) const {
        return {{"type", "exec"},         {"session", m.session}, {"argv", to_array(m.argv)},
                {"env", to_array(m.env)}, {"workdir", m.workdir}, {"user", m.user},
                {"tty", m.tty},           {"stdin", m.stdin},     {"rows", m.rows},
                {"cols", m.cols},         {"window", m.window}};
    }
    json::object operator()(const AttachRequest& m) const {
        return {{"type", "attach"},   {"session", m.session}, {"stdin", m.stdin},
                {"stdout", m.stdout}, {"stderr", m.stderr},   {"replay", m.replay},
                {"window", m.window}};
    }
    json::object operator()(const StartRequest& m) const {
        return {{"type", "start"},
                {"session", m.session},
                {"argv", to_array(m.argv)},
                {"env", to_array(m.env)}};
    }
    json::object operator()(const CloseStdin& m) const {
        return {{"type", "close-stdin"}, {"session", m.session}};
    }
    json::object operator()(const SignalRequest& m) const {
        return {{"type", "signal"}, {"session", m.session}, {"signal", m.signal}};
    }
    json::object operator()(const Resize& m) const {
        return {{"type", "resize"}, {"session", m.session}, {"rows", m.rows}, {"cols", m.cols}};
    }
    json::object operator()(const Window& m) const {
        return {{"type", "window"}, {"session", m.session}, {"bytes", m.bytes}};
    }
    json::object operator()(const LogsRequest& m) const {
        json::object out{{"type", "logs"},     {"session", m.session}, {"stdout", m.stdout},
                         {"stderr", m.stderr}, {"since", m.since},     {"until", m.until}};
        if (m.tail) out["tail"] = *m.tail;
        out["follow"] = m.follow;
        out["window"] = m.window;
        return out;
    }
};

struct AgentSerializer {
    json::object operator()(const Hello& m) const {
        return {{"type", "hello"},
                {"protocol", m.protocol},
                {"agent", m.agent_version},
                {"window", m.window},
                {"features", to_array(m.features)}};
    }
    json::object operator()(const LogsEnd& m) const {
        return {{"type", "logs-end"}, {"session", m.session}, {"dropped", m.dropped}};
    }
    json::object operator()(const Started& m) const {
        return {{"type", "started"}, {"session", m.session}, {"pid", m.pid}};
    }
    json::object operator()(const Exit& m) const {
        return {{"type", "exit"}, {"session", m.session}, {"code", m.code}, {"signal", m.signal}};
    }
    json::object operator()(const ErrorMessage& m) const {
        return {{"type", "error"},
                {"session", m.session},
                {"code", errc_name(m.code)},
                {"message", m.message},
                {"closed", m.closed}};
    }
    json::object operator()(const Window& m) const {
        return {{"type", "window"}, {"session", m.session}, {"bytes", m.bytes}};
    }
};

Errc errc_from_name(std::string_view name) {
    static constexpr std::array kAll = {
        Errc::invalid_argument, Errc::not_found, Errc::conflict,    Errc::not_modified,
        Errc::unauthorized,     Errc::forbidden, Errc::unavailable, Errc::timeout,
        Errc::not_implemented,  Errc::internal};
    for (Errc e : kAll) {
        if (errc_name(e) == name) return e;
    }
    return Errc::internal;
}

Result<std::uint32_t> nonzero_session(const Reader& r) {
    auto s = r.u32("session");
    if (s && *s == 0) return bad("field \"session\" must not be 0");
    return s;
}

Result<ClientMessage> parse_exec(const Reader& r) {
    ExecRequest m;
    SOCKERLESS_READ(m.session, nonzero_session(r));
    SOCKERLESS_READ(m.argv, r.strings("argv"));
    if (m.argv.empty()) return bad("\"exec\" message needs a non-empty \"argv\"");
    SOCKERLESS_READ(m.env, r.strings("env"));
    SOCKERLESS_READ(m.workdir, r.string("workdir"));
    SOCKERLESS_READ(m.user, r.string("user"));
    SOCKERLESS_READ(m.tty, r.boolean("tty", false));
    SOCKERLESS_READ(m.stdin, r.boolean("stdin", false));
    SOCKERLESS_READ(m.rows, r.u16("rows"));
    SOCKERLESS_READ(m.cols, r.u16("cols"));
    SOCKERLESS_READ(m.window, r.u32("window", kDefaultWindow));
    return ClientMessage{std::move(m)};
}

Result<ClientMessage> parse_attach(const Reader& r) {
    AttachRequest m;
    SOCKERLESS_READ(m.session, nonzero_session(r));
    SOCKERLESS_READ(m.stdin, r.boolean("stdin", false));
    SOCKERLESS_READ(m.stdout, r.boolean("stdout", true));
    SOCKERLESS_READ(m.stderr, r.boolean("stderr", true));
    SOCKERLESS_READ(m.replay, r.boolean("replay", false));
    SOCKERLESS_READ(m.window, r.u32("window", kDefaultWindow));
    return ClientMessage{m};
}

Result<ClientMessage> parse_logs(const Reader& r) {
    LogsRequest m;
    SOCKERLESS_READ(m.session, nonzero_session(r));
    SOCKERLESS_READ(m.stdout, r.boolean("stdout", true));
    SOCKERLESS_READ(m.stderr, r.boolean("stderr", true));
    SOCKERLESS_READ(m.since, r.non_negative("since", 0));
    SOCKERLESS_READ(m.until, r.non_negative("until", 0));
    std::int64_t tail = -1;
    SOCKERLESS_READ(tail, r.non_negative("tail", -1));
    if (tail >= 0) m.tail = static_cast<std::uint64_t>(tail);
    SOCKERLESS_READ(m.follow, r.boolean("follow", false));
    SOCKERLESS_READ(m.window, r.u32("window", kDefaultWindow));
    return ClientMessage{m};
}

}  // namespace

void encode_data_header(std::uint32_t session, Stream stream,
                        unsigned char (&out)[kDataHeaderSize]) noexcept {
    out[0] = static_cast<unsigned char>(session >> 24);
    out[1] = static_cast<unsigned char>(session >> 16);
    out[2] = static_cast<unsigned char>(session >> 8);
    out[3] = static_cast<unsigned char>(session);
    out[4] = static_cast<unsigned char>(stream);
}

Result<DataFrame> decode_data_frame(std::span<const unsigned char> frame) {
    if (frame.size() < kDataHeaderSize) {
        return bad("binary frame of " + std::to_string(frame.size()) +
                   " bytes is shorter than the 5-byte header");
    }
    DataFrame out;
    out.session = (std::uint32_t{frame[0]} << 24) | (std::uint32_t{frame[1]} << 16) |
                  (std::uint32_t{frame[2]} << 8) | std::uint32_t{frame[3]};
    if (out.session == 0) return bad("binary frame names session 0");
    if (frame[4] > 2) return bad("binary frame names unknown stream " + std::to_string(frame[4]));
    out.stream = static_cast<Stream>(frame[4]);
    out.payload = frame.subspan(kDataHeaderSize);
    if (out.payload.size() > kMaxDataPayload) {
        return bad("binary frame payload of " + std::to_string(out.payload.size()) +
                   " bytes exceeds " + std::to_string(kMaxDataPayload));
    }
    return out;
}

void encode_log_header(std::uint32_t session, Stream stream, std::int64_t time,
                       unsigned char (&out)[kLogHeaderSize]) noexcept {
    unsigned char head[kDataHeaderSize];
    encode_data_header(session, stream, head);
    std::copy(std::begin(head), std::end(head), out);
    auto bits = static_cast<std::uint64_t>(time);
    for (std::size_t i = 0; i < 8; ++i)
        out[kDataHeaderSize + i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
}

Result<LogFrame> decode_log_frame(std::span<const unsigned char> frame) {
    if (frame.size() < kLogHeaderSize) {
        return bad("logs frame of " + std::to_string(frame.size()) +
                   " bytes is shorter than the 13-byte header");
    }
    auto data = decode_data_frame(frame.first(kDataHeaderSize));
    if (!data) return data.error();
    if (data->stream == Stream::in) return bad("logs frame names stream 0");
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < 8; ++i)
        bits = (bits << 8) | frame[kDataHeaderSize + i];
    // The payload limit applies to the log bytes; the time is part of the header.
    if (frame.size() - kLogHeaderSize > kMaxDataPayload) {
        return bad("logs frame payload of " + std::to_string(frame.size() - kLogHeaderSize) +
                   " bytes exceeds " + std::to_string(kMaxDataPayload));
    }
    return LogFrame{data->session, data->stream, static_cast<std::int64_t>(bits),
                    frame.subspan(kLogHeaderSize)};
}

std::string serialize(const ClientMessage& message) {
    return json::serialize(std::visit(ClientSerializer{}, message));
}

std::string serialize(const AgentMessage& message) {
    return json::serialize(std::visit(AgentSerializer{}, message));
}

Result<ClientMessage> parse_client_message(std::string_view text) {
    auto parsed = parse_object(text);
    if (!parsed) return parsed.error();
    const auto& [obj, type] = *parsed;
    Reader r(obj, type);
    if (type == "exec") return parse_exec(r);
    if (type == "attach") return parse_attach(r);
    if (type == "logs") return parse_logs(r);
    if (type == "start") {
        StartRequest m;
        SOCKERLESS_READ(m.session, nonzero_session(r));
        SOCKERLESS_READ(m.argv, r.strings("argv"));
        SOCKERLESS_READ(m.env, r.strings("env"));
        return ClientMessage{std::move(m)};
    }
    if (type == "close-stdin") {
        CloseStdin m;
        SOCKERLESS_READ(m.session, nonzero_session(r));
        return ClientMessage{m};
    }
    if (type == "signal") {
        SignalRequest m;
        SOCKERLESS_READ(m.session, nonzero_session(r));
        SOCKERLESS_READ(m.signal, r.integer("signal"));
        if (m.signal < 1 || m.signal > 64)
            return bad("signal " + std::to_string(m.signal) + " is out of range 1..64");
        return ClientMessage{m};
    }
    if (type == "resize") {
        Resize m;
        SOCKERLESS_READ(m.session, nonzero_session(r));
        SOCKERLESS_READ(m.rows, r.u16("rows"));
        SOCKERLESS_READ(m.cols, r.u16("cols"));
        return ClientMessage{m};
    }
    if (type == "window") {
        Window m;
        SOCKERLESS_READ(m.session, nonzero_session(r));
        SOCKERLESS_READ(m.bytes, r.u32("bytes"));
        return ClientMessage{m};
    }
    return bad("unknown control message type \"" + type + "\"");
}

Result<AgentMessage> parse_agent_message(std::string_view text) {
    auto parsed = parse_object(text);
    if (!parsed) return parsed.error();
    const auto& [obj, type] = *parsed;
    Reader r(obj, type);
    if (type == "hello") {
        Hello m;
        SOCKERLESS_READ(m.protocol, r.integer("protocol"));
        SOCKERLESS_READ(m.agent_version, r.string("agent"));
        SOCKERLESS_READ(m.window, r.u32("window", kDefaultWindow));
        SOCKERLESS_READ(m.features, r.strings("features"));
        return AgentMessage{std::move(m)};
    }
    if (type == "logs-end") {
        LogsEnd m;
        SOCKERLESS_READ(m.session, nonzero_session(r));
        std::int64_t dropped = 0;
        SOCKERLESS_READ(dropped, r.non_negative("dropped", 0));
        m.dropped = static_cast<std::uint64_t>(dropped);
        return AgentMessage{m};
    }
    if (type == "started") {
        Started m;
        SOCKERLESS_READ(m.session, r.u32("session"));
        SOCKERLESS_READ(m.pid, r.integer("pid"));
        return AgentMessage{m};
    }
    if (type == "exit") {
        Exit m;
        SOCKERLESS_READ(m.session, r.u32("session"));
        SOCKERLESS_READ(m.code, r.integer("code"));
        SOCKERLESS_READ(m.signal, r.integer("signal", 0));
        return AgentMessage{m};
    }
    if (type == "error") {
        ErrorMessage m;
        SOCKERLESS_READ(m.session, r.u32("session", 0));
        std::string code;
        SOCKERLESS_READ(code, r.string("code", std::string("internal")));
        m.code = errc_from_name(code);
        SOCKERLESS_READ(m.message, r.string("message"));
        SOCKERLESS_READ(m.closed, r.boolean("closed", false));
        return AgentMessage{std::move(m)};
    }
    if (type == "window") {
        Window m;
        SOCKERLESS_READ(m.session, nonzero_session(r));
        SOCKERLESS_READ(m.bytes, r.u32("bytes"));
        return AgentMessage{m};
    }
    return bad("unknown control message type \"" + type + "\"");
}

std::string serialize(const Health& h) {
    json::object obj{{"ready", h.ready},         {"protocol", h.protocol},
                     {"agent", h.agent_version}, {"keepAlive", h.keep_alive},
                     {"mainPid", h.main_pid},    {"running", h.main_running},
                     {"exited", h.main_exited},  {"runs", h.runs}};
    if (h.exit_code) {
        obj["exitCode"] = *h.exit_code;
    } else {
        obj["exitCode"] = nullptr;
    }
    return json::serialize(obj);
}

Result<Health> parse_health(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return bad("health answer is not a JSON object");
    const json::object& obj = v.as_object();
    Reader r(obj, "health");
    Health h;
    SOCKERLESS_READ(h.ready, r.boolean("ready", false));
    SOCKERLESS_READ(h.protocol, r.integer("protocol"));
    SOCKERLESS_READ(h.agent_version, r.string("agent"));
    SOCKERLESS_READ(h.keep_alive, r.boolean("keepAlive", false));
    SOCKERLESS_READ(h.main_pid, r.integer("mainPid", 0));
    SOCKERLESS_READ(h.main_running, r.boolean("running", false));
    SOCKERLESS_READ(h.main_exited, r.boolean("exited", false));
    SOCKERLESS_READ(h.runs, r.integer("runs", 0));
    if (const json::value* code = obj.if_contains("exitCode");
        code != nullptr && !code->is_null()) {
        int c = 0;
        SOCKERLESS_READ(c, r.integer("exitCode"));
        h.exit_code = c;
    }
    return h;
}

namespace {
// Linux signal numbers on x86_64 and arm64 (the architectures Fargate offers).
constexpr std::array<std::pair<std::string_view, int>, 31> kSignals = {{
    {"SIGHUP", 1},     {"SIGINT", 2},   {"SIGQUIT", 3},   {"SIGILL", 4},   {"SIGTRAP", 5},
    {"SIGABRT", 6},    {"SIGBUS", 7},   {"SIGFPE", 8},    {"SIGKILL", 9},  {"SIGUSR1", 10},
    {"SIGSEGV", 11},   {"SIGUSR2", 12}, {"SIGPIPE", 13},  {"SIGALRM", 14}, {"SIGTERM", 15},
    {"SIGSTKFLT", 16}, {"SIGCHLD", 17}, {"SIGCONT", 18},  {"SIGSTOP", 19}, {"SIGTSTP", 20},
    {"SIGTTIN", 21},   {"SIGTTOU", 22}, {"SIGURG", 23},   {"SIGXCPU", 24}, {"SIGXFSZ", 25},
    {"SIGVTALRM", 26}, {"SIGPROF", 27}, {"SIGWINCH", 28}, {"SIGIO", 29},   {"SIGPWR", 30},
    {"SIGSYS", 31},
}};
}  // namespace

Result<int> parse_signal(std::string_view text) {
    if (text.empty()) return bad("empty signal name");
    int number = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec == std::errc() && ptr == text.data() + text.size()) {
        if (number < 1 || number > 64)
            return bad("signal number " + std::string(text) + " is out of range 1..64");
        return number;
    }
    std::string upper;
    for (char c : text)
        upper.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
    if (upper.rfind("SIG", 0) != 0) upper.insert(0, "SIG");
    for (const auto& [name, num] : kSignals) {
        if (name == upper) return num;
    }
    if (upper.rfind("SIGRTMIN", 0) == 0 || upper.rfind("SIGRTMAX", 0) == 0) {
        // SIGRTMIN is 34 and SIGRTMAX 64 for glibc programs; "+N"/"-N" offsets as in kill(1).
        int base = upper.rfind("SIGRTMIN", 0) == 0 ? 34 : 64;
        std::string_view rest = std::string_view(upper).substr(8);
        int offset = 0;
        if (!rest.empty()) {
            bool has_sign = rest[0] == '+' || rest[0] == '-';
            bool digit_follows = rest.size() > 1 && rest[1] >= '0' && rest[1] <= '9';
            if (!has_sign || !digit_follows) {
                return bad("invalid signal \"" + std::string(text) + "\"");
            }
            auto [p, e] = std::from_chars(rest.data() + 1, rest.data() + rest.size(), offset);
            if (e != std::errc() || p != rest.data() + rest.size())
                return bad("invalid signal \"" + std::string(text) + "\"");
            if (rest[0] == '-') offset = -offset;
        }
        int n = base + offset;
        if (n >= 34 && n <= 64) return n;
    }
    return bad("invalid signal \"" + std::string(text) + "\"");
}

std::string_view signal_name(int signal) noexcept {
    for (const auto& [name, num] : kSignals) {
        if (num == signal) return name;
    }
    return {};
}

}  // namespace sockerless::agentproto
