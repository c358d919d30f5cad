#include "engine/container.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <boost/json.hpp>

#include "engine/json_util.h"

namespace sockerless::engine {

namespace json = boost::json;

Nanos now_nanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string format_time(Nanos t) {
    if (t == 0) return "0001-01-01T00:00:00Z";
    std::time_t secs = static_cast<std::time_t>(t / 1'000'000'000);
    long frac = static_cast<long>(t % 1'000'000'000);
    if (frac < 0) {
        frac += 1'000'000'000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out = buf;
    if (frac != 0) {
        char f[16];
        std::snprintf(f, sizeof f, ".%09ld", frac);
        std::string fs = f;
        while (fs.back() == '0')
            fs.pop_back();
        out += fs;
    }
    out += 'Z';
    return out;
}

namespace {

// Days from 1970-01-01 for a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<Nanos> parse_rfc3339(std::string_view s) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    int consumed = 0;
    std::string text(s);
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se,
                    &consumed) != 6)
        return std::nullopt;
    // Go's time.Parse refuses fields out of range rather than normalizing them.
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return std::nullopt;
    std::string_view rest = s.substr(static_cast<std::size_t>(consumed));
    std::int64_t frac = 0;
    if (!rest.empty() && rest.front() == '.') {
        rest.remove_prefix(1);
        int digits = 0;
        while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
            if (digits < 9) {
                frac = frac * 10 + (rest.front() - '0');
                ++digits;
            }
            rest.remove_prefix(1);
        }
        for (; digits < 9; ++digits)
            frac *= 10;
    }
    std::int64_t offset = 0;
    if (rest == "Z" || rest == "z") {
        offset = 0;
    } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
        const int oh = (rest[1] - '0') * 10 + (rest[2] - '0');
        const int om = (rest[4] - '0') * 10 + (rest[5] - '0');
        offset = (rest[0] == '+' ? 1 : -1) * (std::int64_t{oh} * 3600 + std::int64_t{om} * 60);
    } else if (!rest.empty()) {
        return std::nullopt;
    }
    const std::int64_t days =
        days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    const std::int64_t secs =
        days * 86400 + std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + se - offset;
    return secs * 1'000'000'000 + frac;
}

std::optional<std::int64_t> parse_go_duration(std::string_view s) {
    if (s.empty()) return std::nullopt;
    bool negative = false;
    if (s.front() == '-' || s.front() == '+') {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    double total = 0;
    while (!s.empty()) {
        std::size_t i = 0;
        while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
            ++i;
        const std::string_view number = s.substr(0, i);
        // At least one digit and at most one '.', as Go's time.ParseDuration requires.
        if (number.find_first_of("0123456789") == std::string_view::npos ||
            number.find('.') != number.rfind('.'))
            return std::nullopt;
        double value = 0;
        if (std::from_chars(number.data(), number.data() + number.size(), value).ptr !=
            number.data() + number.size())
            return std::nullopt;
        s.remove_prefix(i);
        std::size_t j = 0;
        while (j < s.size() && !((s[j] >= '0' && s[j] <= '9') || s[j] == '.'))
            ++j;
        const std::string_view unit = s.substr(0, j);
        s.remove_prefix(j);
        double scale = 0;
        if (unit == "ns")
            scale = 1;
        else if (unit == "us" || unit == "µs")
            scale = 1e3;
        else if (unit == "ms")
            scale = 1e6;
        else if (unit == "s")
            scale = 1e9;
        else if (unit == "m")
            scale = 60e9;
        else if (unit == "h")
            scale = 3600e9;
        else
            return std::nullopt;
        total += value * scale;
    }
    if (total >= 9e18) return std::nullopt;  // Go: "invalid duration" (overflows int64)
    return static_cast<std::int64_t>(negative ? -total : total);
}

}  // namespace

Result<Nanos> parse_time_filter(std::string_view text, Nanos now) {
    if (text.empty()) return Nanos{0};
    if (auto d = parse_go_duration(text)) {
        Nanos t = 0;
        if (!__builtin_sub_overflow(now, *d, &t)) return t;
    }
    if (auto t = parse_rfc3339(text)) return *t;
    // Unix seconds, optionally with a fraction.
    std::size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    bool digits = !whole.empty();
    for (char c : whole)
        digits = digits && c >= '0' && c <= '9';
    std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
    if (dot != std::string_view::npos && frac.empty()) digits = false;  // "1700000000."
    for (char c : frac)
        digits = digits && c >= '0' && c <= '9';
    std::int64_t secs = 0;
    constexpr std::int64_t kMaxSeconds = INT64_MAX / 1'000'000'000 - 1;
    if (digits && frac.size() <= 9 &&
        std::from_chars(whole.data(), whole.data() + whole.size(), secs).ec == std::errc{} &&
        secs <= kMaxSeconds) {
        std::int64_t ns = 0;
        if (!frac.empty()) {
            std::from_chars(frac.data(), frac.data() + frac.size(), ns);
            for (std::size_t i = frac.size(); i < 9; ++i)
                ns *= 10;
        }
        return secs * 1'000'000'000 + ns;
    }
    return make_error(Errc::invalid_argument,
                      "failed to parse value as time or duration: \"" + std::string(text) + "\"");
}

std::string_view status_name(ContainerStatus s) noexcept {
    switch (s) {
        case ContainerStatus::created:
            return "created";
        case ContainerStatus::running:
            return "running";
        case ContainerStatus::paused:
            return "paused";
        case ContainerStatus::restarting:
            return "restarting";
        case ContainerStatus::removing:
            return "removing";
        case ContainerStatus::exited:
            return "exited";
        case ContainerStatus::dead:
            return "dead";
    }
    return "unknown";
}

std::optional<ContainerStatus> parse_status(std::string_view text) {
    for (ContainerStatus s :
         {ContainerStatus::created, ContainerStatus::running, ContainerStatus::paused,
          ContainerStatus::restarting, ContainerStatus::removing, ContainerStatus::exited,
          ContainerStatus::dead}) {
        if (status_name(s) == text) return s;
    }
    return std::nullopt;
}

std::string Container::path() const {
    if (config.entrypoint && !config.entrypoint->empty()) return config.entrypoint->front();
    if (config.cmd && !config.cmd->empty()) return config.cmd->front();
    return "";
}

std::vector<std::string> Container::args() const {
    std::vector<std::string> all;
    if (config.entrypoint) all = *config.entrypoint;
    if (config.cmd) all.insert(all.end(), config.cmd->begin(), config.cmd->end());
    if (!all.empty()) all.erase(all.begin());
    return all;
}

std::string human_duration(std::int64_t nanos) {
    const std::int64_t seconds = nanos / 1'000'000'000;
    if (seconds < 1) return "Less than a second";
    if (seconds == 1) return "1 second";
    if (seconds < 60) return std::to_string(seconds) + " seconds";
    const std::int64_t minutes = seconds / 60;
    if (minutes == 1) return "About a minute";
    if (minutes < 60) return std::to_string(minutes) + " minutes";
    const std::int64_t hours = (minutes + 30) / 60;  // Go rounds to the nearest hour
    if (hours == 1) return "About an hour";
    if (hours < 48) return std::to_string(hours) + " hours";
    if (hours < std::int64_t{24} * 7 * 2) return std::to_string(hours / 24) + " days";
    if (hours < std::int64_t{24} * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
    if (hours < std::int64_t{24} * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
    // go-units counts years from the truncated hours, not the rounded ones.
    return std::to_string(minutes / 60 / 24 / 365) + " years";
}

std::string Container::status_text(Nanos now) const {
    switch (state.status) {
        case ContainerStatus::running: {
            std::string s = "Up " + human_duration(now - state.started_at);
            if (state.health && state.health->status != "none") {
                if (state.health->status == "starting")
                    s += " (health: starting)";
                else
                    s += " (" + state.health->status + ")";
            }
            return s;
        }
        case ContainerStatus::paused:
            return "Up " + human_duration(now - state.started_at) + " (Paused)";
        case ContainerStatus::restarting:
            return "Restarting (" + std::to_string(state.exit_code) + ") " +
                   human_duration(now - state.finished_at) + " ago";
        case ContainerStatus::removing:
            return "Removal In Progress";
        case ContainerStatus::dead:
            return "Dead";
        case ContainerStatus::created:
            return "Created";
        case ContainerStatus::exited:
            if (state.finished_at == 0) return "Exited (" + std::to_string(state.exit_code) + ")";
            return "Exited (" + std::to_string(state.exit_code) + ") " +
                   human_duration(now - state.finished_at) + " ago";
    }
    return "";
}

// ---- Persistence --------------------------------------------------------------------------------

namespace {

json::value optional_strings(const std::optional<std::vector<std::string>>& v) {
    if (!v) return nullptr;
    return strings_to_json(*v);
}

// Go's nil slice: Docker shows an empty Env or OnBuild as null.
json::value strings_or_null(const std::vector<std::string>& v) {
    if (v.empty()) return nullptr;
    return strings_to_json(v);
}

// Every member is `omitempty` in Docker's HealthConfig.
json::object health_to_json(const HealthConfig& h) {
    json::object o;
    if (!h.test.empty()) o["Test"] = strings_to_json(h.test);
    if (h.interval != 0) o["Interval"] = h.interval;
    if (h.timeout != 0) o["Timeout"] = h.timeout;
    if (h.start_period != 0) o["StartPeriod"] = h.start_period;
    if (h.start_interval != 0) o["StartInterval"] = h.start_interval;
    if (h.retries != 0) o["Retries"] = h.retries;
    return o;
}

HealthConfig health_from_json(const json::object& o) {
    HealthConfig h;
    h.test = strings_of(o, "Test");
    h.interval = int_of(o, "Interval");
    h.timeout = int_of(o, "Timeout");
    h.start_period = int_of(o, "StartPeriod");
    h.start_interval = int_of(o, "StartInterval");
    h.retries = static_cast<int>(int_of(o, "Retries"));
    return h;
}

}  // namespace

// Members Docker marks `omitempty` are left out when empty, as in its inspect output.
json::object config_to_json(const ContainerConfig& c) {
    json::object o;
    o["Hostname"] = c.hostname;
    o["Domainname"] = c.domainname;
    o["User"] = c.user;
    o["AttachStdin"] = c.attach_stdin;
    o["AttachStdout"] = c.attach_stdout;
    o["AttachStderr"] = c.attach_stderr;
    if (!c.exposed_ports.empty()) o["ExposedPorts"] = strings_to_json(c.exposed_ports);
    o["Tty"] = c.tty;
    o["OpenStdin"] = c.open_stdin;
    o["StdinOnce"] = c.stdin_once;
    o["Env"] = strings_or_null(c.env);
    o["Cmd"] = optional_strings(c.cmd);
    if (c.healthcheck) o["Healthcheck"] = health_to_json(*c.healthcheck);
    if (c.args_escaped) o["ArgsEscaped"] = true;
    o["Image"] = c.image;
    o["Volumes"] = strings_to_json(c.volumes);
    o["WorkingDir"] = c.working_dir;
    o["Entrypoint"] = optional_strings(c.entrypoint);
    if (c.network_disabled) o["NetworkDisabled"] = true;
    if (!c.mac_address.empty()) o["MacAddress"] = c.mac_address;
    o["OnBuild"] = strings_or_null(c.on_build);
    o["Labels"] = map_to_json(c.labels);
    if (!c.stop_signal.empty()) o["StopSignal"] = c.stop_signal;
    if (c.stop_timeout) o["StopTimeout"] = *c.stop_timeout;
    if (!c.shell.empty()) o["Shell"] = strings_to_json(c.shell);
    return o;
}

ContainerConfig config_from_json(const json::object& o) {
    ContainerConfig c;
    c.hostname = string_of(o, "Hostname");
    c.domainname = string_of(o, "Domainname");
    c.user = string_of(o, "User");
    c.attach_stdin = bool_of(o, "AttachStdin");
    c.attach_stdout = bool_of(o, "AttachStdout");
    c.attach_stderr = bool_of(o, "AttachStderr");
    for (auto& p : strings_of(o, "ExposedPorts"))
        c.exposed_ports.insert(p);
    c.tty = bool_of(o, "Tty");
    c.open_stdin = bool_of(o, "OpenStdin");
    c.stdin_once = bool_of(o, "StdinOnce");
    c.env = strings_of(o, "Env");
    c.cmd = optional_strings_of(o, "Cmd");
    if (const auto* h = o.if_contains("Healthcheck"); h != nullptr && h->is_object())
        c.healthcheck = health_from_json(h->as_object());
    c.args_escaped = bool_of(o, "ArgsEscaped");
    c.image = string_of(o, "Image");
    for (auto& v : strings_of(o, "Volumes"))
        c.volumes.insert(v);
    c.working_dir = string_of(o, "WorkingDir");
    c.entrypoint = optional_strings_of(o, "Entrypoint");
    c.network_disabled = bool_of(o, "NetworkDisabled");
    c.mac_address = string_of(o, "MacAddress");
    c.on_build = strings_of(o, "OnBuild");
    c.labels = map_of(o, "Labels");
    c.stop_signal = string_of(o, "StopSignal");
    if (const auto* t = o.if_contains("StopTimeout"); t != nullptr && t->is_int64())
        c.stop_timeout = static_cast<int>(t->as_int64());
    c.shell = strings_of(o, "Shell");
    return c;
}

namespace {

json::object record_to_json(const runtime::ContainerRecord& r) {
    json::object o;
    o["task_arn"] = r.task_arn;
    o["task_definition_arn"] = r.task_definition_arn;
    o["agent_address"] = r.agent_address;
    o["agent_token"] = r.agent_token;
    o["injection"] = r.injection;
    o["payload_uri"] = r.payload_uri;
    o["keep_alive"] = r.keep_alive;
    o["lingers"] = r.lingers;
    if (r.exited_with) o["exited_with"] = *r.exited_with;
    return o;
}

runtime::ContainerRecord record_from_json(const json::object& o, const std::string& id) {
    runtime::ContainerRecord r;
    r.id = id;
    r.task_arn = string_of(o, "task_arn");
    r.task_definition_arn = string_of(o, "task_definition_arn");
    r.agent_address = string_of(o, "agent_address");
    r.agent_token = string_of(o, "agent_token");
    r.injection = string_of(o, "injection");
    r.payload_uri = string_of(o, "payload_uri");
    r.keep_alive = bool_of(o, "keep_alive");
    r.lingers = bool_of(o, "lingers");
    if (const auto* e = o.if_contains("exited_with"); e != nullptr && e->is_int64())
        r.exited_with = static_cast<int>(e->as_int64());
    return r;
}

}  // namespace

std::string to_document(const Container& c) {
    json::object o;
    o["v"] = 1;
    o["id"] = c.id;
    o["name"] = c.name;
    o["created"] = c.created;
    o["config"] = config_to_json(c.config);
    o["host_config"] = c.host_config_json;
    o["networking_config"] = c.networking_config_json;
    json::object host;
    host["auto_remove"] = c.host.auto_remove;
    host["network_mode"] = c.host.network_mode;
    host["restart"] = c.host.restart_policy.name;
    host["restart_max"] = c.host.restart_policy.maximum_retry_count;
    host["binds"] = strings_to_json(c.host.binds);
    host["memory"] = c.host.memory;
    host["nano_cpus"] = c.host.nano_cpus;
    host["cpu_shares"] = c.host.cpu_shares;
    host["privileged"] = c.host.privileged;
    host["init"] = c.host.init;
    o["host"] = std::move(host);
    o["image_id"] = c.image_id;
    json::object st;
    st["status"] = status_name(c.state.status);
    st["pid"] = c.state.pid;
    st["exit_code"] = c.state.exit_code;
    st["error"] = c.state.error;
    st["started_at"] = c.state.started_at;
    st["finished_at"] = c.state.finished_at;
    st["oom_killed"] = c.state.oom_killed;
    if (c.state.health) {
        st["health"] = c.state.health->status;
        st["failing_streak"] = c.state.health->failing_streak;
    }
    o["state"] = std::move(st);
    o["restart_count"] = c.restart_count;
    o["has_been_started"] = c.has_been_started;
    o["stopped_by_user"] = c.stopped_by_user;
    o["record"] = record_to_json(c.record);
    return json::serialize(o);
}

Result<Container> container_from_document(std::string_view doc) {
    boost::system::error_code ec;
    json::value v = json::parse(doc, ec);
    if (ec || !v.is_object())
        return make_error(Errc::internal, "container document is not a JSON object");
    const json::object& o = v.as_object();
    Container c;
    c.id = string_of(o, "id");
    c.name = string_of(o, "name");
    if (c.id.size() != 64) return make_error(Errc::internal, "container document has no id");
    c.created = int_of(o, "created");
    if (const auto* cfg = o.if_contains("config"); cfg != nullptr && cfg->is_object())
        c.config = config_from_json(cfg->as_object());
    c.host_config_json = string_of(o, "host_config");
    c.networking_config_json = string_of(o, "networking_config");
    if (const auto* h = o.if_contains("host"); h != nullptr && h->is_object()) {
        const json::object& host = h->as_object();
        c.host.auto_remove = bool_of(host, "auto_remove");
        c.host.network_mode = string_of(host, "network_mode");
        c.host.restart_policy.name = string_of(host, "restart");
        c.host.restart_policy.maximum_retry_count = static_cast<int>(int_of(host, "restart_max"));
        c.host.binds = strings_of(host, "binds");
        c.host.memory = int_of(host, "memory");
        c.host.nano_cpus = int_of(host, "nano_cpus");
        c.host.cpu_shares = int_of(host, "cpu_shares");
        c.host.privileged = bool_of(host, "privileged");
        c.host.init = bool_of(host, "init");
    }
    c.image_id = string_of(o, "image_id");
    if (const auto* s = o.if_contains("state"); s != nullptr && s->is_object()) {
        const json::object& st = s->as_object();
        c.state.status = parse_status(string_of(st, "status")).value_or(ContainerStatus::dead);
        c.state.pid = static_cast<int>(int_of(st, "pid"));
        c.state.exit_code = static_cast<int>(int_of(st, "exit_code"));
        c.state.error = string_of(st, "error");
        c.state.started_at = int_of(st, "started_at");
        c.state.finished_at = int_of(st, "finished_at");
        c.state.oom_killed = bool_of(st, "oom_killed");
        if (st.contains("health"))
            c.state.health = HealthState{string_of(st, "health"),
                                         static_cast<int>(int_of(st, "failing_streak"))};
    }
    c.restart_count = static_cast<int>(int_of(o, "restart_count"));
    c.has_been_started = bool_of(o, "has_been_started");
    c.stopped_by_user = bool_of(o, "stopped_by_user");
    if (const auto* r = o.if_contains("record"); r != nullptr && r->is_object())
        c.record = record_from_json(r->as_object(), c.id);
    return c;
}

}  // namespace sockerless::engine
