#include "backends/ecs/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "backends/ecs/overrides.h"
#include "backends/ecs/task_definition.h"

namespace sockerless::ecs {
namespace {

constexpr std::string_view kEnvPrefix = "SOCKERLESS_ECS_";

enum class Kind { text, list, boolean, port, duration, strategy, payload_mode };

struct KeySpec {
    std::string_view key;
    Kind kind;
};

// Documentation order (docs/ecs-backend.md lists them the same way).
const std::vector<KeySpec>& key_specs() {
    static const std::vector<KeySpec> specs = {
        {"region", Kind::text},
        {"cluster", Kind::text},
        {"subnets", Kind::list},
        {"security_groups", Kind::list},
        {"assign_public_ip", Kind::boolean},
        {"task_role_arn", Kind::text},
        {"execution_role_arn", Kind::text},
        {"log_group", Kind::text},
        {"log_stream_prefix", Kind::text},
        {"cpu_architecture", Kind::text},
        {"cpu", Kind::text},
        {"memory", Kind::text},
        {"injection", Kind::strategy},
        {"efs_filesystem_id", Kind::text},
        {"efs_access_point_id", Kind::text},
        {"agent_image", Kind::text},
        {"agent_port", Kind::port},
        {"health_timeout", Kind::duration},
        {"health_interval", Kind::duration},
        {"payload_bucket", Kind::text},
        {"payload_prefix", Kind::text},
        {"payload_mode", Kind::payload_mode},
        {"endpoint_url", Kind::text},
    };
    return specs;
}

const KeySpec* find_key(std::string_view key) {
    for (const KeySpec& spec : key_specs()) {
        if (spec.key == key) return &spec;
    }
    return nullptr;
}

// A key's value as one source gave it, before conversion.
struct RawValue {
    std::vector<std::string> items;  // one item for scalar keys
    std::string source;              // "the config file", "SOCKERLESS_ECS_X", "--x"
};
using RawValues = std::map<std::string, RawValue, std::less<>>;

std::string trim(std::string_view s) {
    const auto begin = s.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return {};
    const auto end = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(begin, end - begin + 1));
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        std::string item = trim(text.substr(start, comma - start));
        if (!item.empty()) out.push_back(std::move(item));
        start = comma + 1;
    }
    return out;
}

std::string known_keys() {
    std::string out;
    for (const KeySpec& spec : key_specs()) {
        if (!out.empty()) out += ", ";
        out += spec.key;
    }
    return out;
}

std::string quoted(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

void add_raw(RawValues& raw, std::string_view key, std::string_view value, std::string source) {
    const KeySpec* spec = find_key(key);
    RawValue v;
    v.items = spec != nullptr && spec->kind == Kind::list ? split_list(value)
                                                          : std::vector<std::string>{trim(value)};
    v.source = std::move(source);
    raw[std::string(key)] = std::move(v);
}

// ---- Sources -----------------------------------------------------------------------------------

void read_yaml_entry(const std::string& key, const YAML::Node& value, RawValues& raw,
                     std::vector<std::string>& problems) {
    const KeySpec* spec = find_key(key);
    if (spec == nullptr) {
        problems.push_back("config file: unknown key " + quoted(key) +
                           " (known keys: " + known_keys() + ")");
        return;
    }
    RawValue v;
    v.source = "the config file";
    if (value.IsNull()) {
        if (spec->kind != Kind::list) v.items.emplace_back();
    } else if (value.IsSequence() && spec->kind == Kind::list) {
        for (const YAML::Node& item : value) {
            if (!item.IsScalar()) {
                problems.push_back(key + ": every item must be a single value (config file)");
                return;
            }
            v.items.push_back(trim(item.Scalar()));
        }
    } else if (value.IsScalar()) {
        add_raw(raw, key, value.Scalar(), v.source);
        return;
    } else {
        problems.push_back(
            key +
            (spec->kind == Kind::list ? ": must be a list of values" : ": must be a single value") +
            " (config file)");
        return;
    }
    raw[key] = std::move(v);
}

void read_yaml_text(const std::string& text, RawValues& raw, std::vector<std::string>& problems) {
    YAML::Node root = YAML::Load(text);
    if (root.IsNull()) return;  // an empty file sets nothing
    if (!root.IsMap()) {
        problems.emplace_back("config file: the top level must be a mapping of keys to values");
        return;
    }
    for (const auto& entry : root) {
        if (!entry.first.IsScalar()) {
            problems.emplace_back("config file: every key must be a plain name");
            continue;
        }
        read_yaml_entry(entry.first.Scalar(), entry.second, raw, problems);
    }
}

void read_yaml(const std::string& path, RawValues& raw, std::vector<std::string>& problems) {
    if (path.empty()) return;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        problems.push_back("config file " + path + ": cannot be read");
        return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    // yaml-cpp reports malformed documents by throwing; nothing of it leaves this function.
    try {
        read_yaml_text(text.str(), raw, problems);
    } catch (const YAML::Exception& e) {
        problems.push_back("config file " + path + ": " + e.what());
    }
}

std::string key_of_env(std::string_view name) {
    std::string key(name.substr(kEnvPrefix.size()));
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return key;
}

void read_env(const std::map<std::string, std::string>& env, RawValues& raw,
              std::vector<std::string>& problems) {
    for (const auto& [name, value] : env) {
        if (!name.starts_with(kEnvPrefix)) continue;
        const std::string key = key_of_env(name);
        if (find_key(key) == nullptr) {
            problems.push_back(
                name + ": not a setting of the ECS backend (known keys: " + known_keys() + ")");
            continue;
        }
        if (trim(value).empty()) continue;  // set but empty reads as unset
        add_raw(raw, key, value, name);
    }
}

void read_flags(const std::map<std::string, std::string>& flags, RawValues& raw,
                std::vector<std::string>& problems) {
    for (const auto& [name, value] : flags) {
        std::string key = name;
        std::replace(key.begin(), key.end(), '-', '_');
        if (find_key(key) == nullptr) {
            problems.push_back("--" + name + ": not a setting of the ECS backend");
            continue;
        }
        add_raw(raw, key, value, flag_name(key));
    }
}

void default_region(const std::map<std::string, std::string>& env, RawValues& raw) {
    if (raw.contains("region")) return;
    for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        auto it = env.find(name);
        if (it != env.end() && !trim(it->second).empty()) {
            add_raw(raw, "region", it->second, name);
            return;
        }
    }
}

// ---- Conversion --------------------------------------------------------------------------------

std::optional<bool> parse_bool(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return true;
    if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return false;
    return std::nullopt;
}

std::optional<std::uint64_t> parse_digits(std::string_view text, std::size_t max_digits) {
    if (text.empty() || text.size() > max_digits) return std::nullopt;
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// "60" (seconds), "60s", "1500ms", "2m", "1h".
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0)
        ++digits;
    const auto number = parse_digits(text.substr(0, digits), 9);
    if (!number) return std::nullopt;
    const std::string_view unit = text.substr(digits);
    const auto n = static_cast<std::int64_t>(*number);
    if (unit.empty() || unit == "s") return std::chrono::seconds(n);
    if (unit == "ms") return std::chrono::milliseconds(n);
    if (unit == "m") return std::chrono::minutes(n);
    if (unit == "h") return std::chrono::hours(n);
    return std::nullopt;
}

std::string bad_value(std::string_view key, std::string_view value, std::string_view what,
                      std::string_view source) {
    return std::string(key) + ": " + quoted(value) + " is not " + std::string(what) + " (from " +
           std::string(source) + ")";
}

std::string* text_field(EcsConfig& c, std::string_view key) {
    static const std::vector<std::pair<std::string_view, std::string EcsConfig::*>> fields = {
        {"region", &EcsConfig::region},
        {"cluster", &EcsConfig::cluster},
        {"task_role_arn", &EcsConfig::task_role_arn},
        {"execution_role_arn", &EcsConfig::execution_role_arn},
        {"log_group", &EcsConfig::log_group},
        {"log_stream_prefix", &EcsConfig::log_stream_prefix},
        {"cpu_architecture", &EcsConfig::cpu_architecture},
        {"cpu", &EcsConfig::cpu},
        {"memory", &EcsConfig::memory},
        {"efs_filesystem_id", &EcsConfig::efs_filesystem_id},
        {"efs_access_point_id", &EcsConfig::efs_access_point_id},
        {"agent_image", &EcsConfig::agent_image},
        {"payload_bucket", &EcsConfig::payload_bucket},
        {"payload_prefix", &EcsConfig::payload_prefix},
        {"endpoint_url", &EcsConfig::endpoint_url},
    };
    for (const auto& [name, member] : fields) {
        if (name == key) return &(c.*member);
    }
    return nullptr;
}

void apply_scalar(EcsConfig& c, const KeySpec& spec, const RawValue& raw,
                  std::vector<std::string>& problems) {
    const std::string& value = raw.items.front();
    switch (spec.kind) {
        case Kind::boolean:
            if (auto b = parse_bool(value)) {
                c.assign_public_ip = *b;
            } else {
                problems.push_back(bad_value(spec.key, value, "true or false", raw.source));
            }
            return;
        case Kind::port:
            if (auto p = parse_digits(value, 5); p && *p >= 1 && *p <= 65535) {
                c.agent_port = static_cast<std::uint16_t>(*p);
            } else {
                problems.push_back(
                    bad_value(spec.key, value, "a port number (1-65535)", raw.source));
            }
            return;
        case Kind::duration:
            if (auto d = parse_duration(value)) {
                (spec.key == "health_timeout" ? c.health_timeout : c.health_interval) = *d;
            } else {
                problems.push_back(bad_value(spec.key, value,
                                             "a duration (seconds, or a number with ms, s, m or h)",
                                             raw.source));
            }
            return;
        case Kind::strategy:
            if (auto s = parse_strategy(value)) {
                c.injection = *s;
            } else {
                problems.push_back(
                    bad_value(spec.key, value, "\"efs\" or \"init-container\"", raw.source));
            }
            return;
        case Kind::payload_mode:
            if (auto m = parse_payload_mode(value)) {
                c.payload_mode = *m;
            } else {
                problems.push_back(
                    bad_value(spec.key, value, "\"auto\", \"always\" or \"never\"", raw.source));
            }
            return;
        case Kind::text:
        case Kind::list:
            *text_field(c, spec.key) = value;
            return;
    }
}

EcsConfig apply_values(const RawValues& raw, std::vector<std::string>& problems) {
    EcsConfig c;
    for (const auto& [key, value] : raw) {
        const KeySpec* spec = find_key(key);
        if (spec->kind == Kind::list) {
            (key == "subnets" ? c.subnets : c.security_groups) = value.items;
        } else {
            apply_scalar(c, *spec, value, problems);
        }
    }
    return c;
}

// ---- Validation --------------------------------------------------------------------------------

std::string where(std::string_view key) {
    return "set " + std::string(key) + " in the config file, " + env_name(key) + " or " +
           flag_name(key);
}

bool is_lower_hex(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "subnet-0abc1234", "sg-...", "fs-...", "fsap-...": the prefix and 8 or 17 lowercase hex digits.
bool is_resource_id(std::string_view s, std::string_view prefix) {
    if (!s.starts_with(prefix)) return false;
    const std::string_view rest = s.substr(prefix.size());
    return (rest.size() == 8 || rest.size() == 17) && is_lower_hex(rest);
}

// arn:<partition>:iam::<12 digits>:role/<path and name>
bool is_role_arn(std::string_view s) {
    if (!s.starts_with("arn:")) return false;
    s.remove_prefix(4);
    const std::size_t colon = s.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;
    const std::string_view partition = s.substr(0, colon);
    if (!std::all_of(partition.begin(), partition.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; })) {
        return false;
    }
    s.remove_prefix(colon + 1);
    if (!s.starts_with("iam::")) return false;
    s.remove_prefix(5);
    if (s.size() < 13 || !is_digits(s.substr(0, 12)) || s[12] != ':') return false;
    s.remove_prefix(13);
    return s.starts_with("role/") && s.size() > 5;
}

bool is_region(std::string_view s) {
    if (s.empty() || s.size() > kMaxRegionLength) return false;
    const bool chars_ok = std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    return chars_ok && s.front() >= 'a' && s.front() <= 'z' && s.back() >= '0' && s.back() <= '9' &&
           s.find('-') != std::string_view::npos;
}

bool looks_like_ipv4(std::string_view s) {
    int dots = 0;
    for (char c : s) {
        if (c == '.') {
            ++dots;
        } else if (c < '0' || c > '9') {
            return false;
        }
    }
    return dots == 3;
}

// S3's naming rules for general purpose buckets; "" when `name` follows them.
std::string bucket_problem(std::string_view name) {
    if (name.size() < 3 || name.size() > kMaxBucketLength) return "must be 3 to 63 characters";
    const bool chars_ok = std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    });
    if (!chars_ok) return "may hold only lowercase letters, digits, '.' and '-'";
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!alnum(name.front()) || !alnum(name.back()))
        return "must begin and end with a letter or digit";
    if (name.find("..") != std::string_view::npos) return "must not hold two adjacent periods";
    if (looks_like_ipv4(name)) return "must not be formatted as an IP address";
    for (std::string_view p : {"xn--", "sthree-", "amzn-s3-demo-"}) {
        if (name.starts_with(p)) return "must not begin with \"" + std::string(p) + "\"";
    }
    for (std::string_view s : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}) {
        if (name.ends_with(s)) return "must not end with \"" + std::string(s) + "\"";
    }
    return {};
}

// S3's "safe" key characters, none of which JSON escapes, so a prefix's length is its cost.
bool is_safe_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!-_.*'()/").find(c) != std::string_view::npos;
}

std::string prefix_problem(std::string_view prefix) {
    if (prefix.size() > kMaxPayloadPrefixLength) return "must be at most 128 characters";
    if (prefix.starts_with('/') || prefix.ends_with('/')) return "must not begin or end with '/'";
    if (prefix.find("//") != std::string_view::npos)
        return "must not hold an empty segment (\"//\")";
    if (!std::all_of(prefix.begin(), prefix.end(), is_safe_key_char))
        return "may hold only letters, digits, '/' and !-_.*'()";
    return {};
}

std::string endpoint_problem(std::string_view url) {
    if (url.size() > kMaxEndpointUrlLength) return "must be at most 256 characters";
    if (!url.starts_with("http://") && !url.starts_with("https://"))
        return "must begin with http:// or https://";
    const bool chars_ok = std::all_of(url.begin(), url.end(), [](char c) {
        return c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>';
    });
    if (!chars_ok) return "may hold only printable ASCII without spaces, quotes or backslashes";
    return {};
}

bool is_cluster(std::string_view s) {
    if (s.starts_with("arn:")) return s.find(":cluster/") != std::string_view::npos;
    return !s.empty() && s.size() <= 255 && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
    });
}

bool is_log_group(std::string_view s) {
    return !s.empty() && s.size() <= 512 && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               std::string_view("_-/.#").find(c) != std::string_view::npos;
    });
}

bool has_space(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

void check_network(const EcsConfig& c, std::vector<std::string>& out) {
    if (c.region.empty()) {
        out.push_back("region: a region is required (" + where("region") + ", or AWS_REGION)");
    } else if (!is_region(c.region)) {
        out.push_back("region: " + quoted(c.region) +
                      " is not an AWS region name (like us-east-1, at most 32 characters)");
    }
    if (!is_cluster(c.cluster)) {
        out.push_back("cluster: " + quoted(c.cluster) +
                      " is not a cluster name (1 to 255 letters, digits, '-' and '_') or ARN");
    }
    if (c.subnets.empty()) {
        out.push_back("subnets: at least one subnet is required (" + where("subnets") + ")");
    } else if (c.subnets.size() > 16) {
        out.push_back("subnets: at most 16 subnets (ECS's limit), got " +
                      std::to_string(c.subnets.size()));
    }
    for (const std::string& s : c.subnets) {
        if (!is_resource_id(s, "subnet-"))
            out.push_back("subnets: " + quoted(s) +
                          " is not a subnet id (subnet- and 8 or 17 lowercase hex digits)");
    }
    if (c.security_groups.size() > 5) {
        out.push_back("security_groups: at most 5 security groups (ECS's limit), got " +
                      std::to_string(c.security_groups.size()));
    }
    for (const std::string& g : c.security_groups) {
        if (!is_resource_id(g, "sg-"))
            out.push_back("security_groups: " + quoted(g) +
                          " is not a security group id (sg- and 8 or 17 lowercase hex digits)");
    }
}

void check_task(const EcsConfig& c, std::vector<std::string>& out) {
    for (auto [key, arn] : {std::pair{"task_role_arn", &c.task_role_arn},
                            std::pair{"execution_role_arn", &c.execution_role_arn}}) {
        if (!arn->empty() && !is_role_arn(*arn))
            out.push_back(std::string(key) + ": " + quoted(*arn) +
                          " is not an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)");
    }
    if (!is_log_group(c.log_group)) {
        out.push_back("log_group: " + quoted(c.log_group) +
                      " is not a log group name (1 to 512 of letters, digits and _-/.#)");
    }
    if (c.log_stream_prefix.empty() || c.log_stream_prefix.size() > 512 ||
        c.log_stream_prefix.find_first_of(":*") != std::string::npos) {
        out.push_back("log_stream_prefix: " + quoted(c.log_stream_prefix) +
                      " is not a log stream prefix (Fargate needs one; no ':' or '*')");
    }
    if (c.cpu_architecture != "X86_64" && c.cpu_architecture != "ARM64") {
        out.push_back("cpu_architecture: " + quoted(c.cpu_architecture) +
                      " is not X86_64 or ARM64");
    }
    if (Status size = check_fargate_size(c.cpu, c.memory); !size)
        out.push_back("cpu, memory: " + size.error().message);
}

void check_injection(const EcsConfig& c, std::vector<std::string>& out) {
    if (!c.efs_filesystem_id.empty() && !is_resource_id(c.efs_filesystem_id, "fs-"))
        out.push_back("efs_filesystem_id: " + quoted(c.efs_filesystem_id) +
                      " is not an EFS file system id (fs- and 8 or 17 lowercase hex digits)");
    if (!c.efs_access_point_id.empty() && !is_resource_id(c.efs_access_point_id, "fsap-"))
        out.push_back("efs_access_point_id: " + quoted(c.efs_access_point_id) +
                      " is not an EFS access point id (fsap- and 8 or 17 lowercase hex digits)");
    const InjectionStrategy strategy = select_strategy(c);
    if (strategy == InjectionStrategy::efs) {
        if (c.efs_filesystem_id.empty())
            out.push_back(
                "efs_filesystem_id: the efs injection strategy needs the EFS file system "
                "holding the agent (" +
                where("efs_filesystem_id") + ")");
        if (c.efs_access_point_id.empty())
            out.push_back(
                "efs_access_point_id: the efs injection strategy needs a read-only "
                "access point onto the agent's directory (" +
                where("efs_access_point_id") + ")");
    } else {
        if (!c.injection && !c.efs_access_point_id.empty())
            out.push_back(
                "efs_filesystem_id: efs_access_point_id is set but efs_filesystem_id "
                "is not; the efs strategy needs both (" +
                where("efs_filesystem_id") + ")");
        if (c.agent_image.empty())
            out.push_back(
                "agent_image: the init-container injection strategy needs the agent "
                "image (" +
                where("agent_image") + "), or use the efs strategy with efs_filesystem_id");
    }
    if (has_space(c.agent_image))
        out.push_back("agent_image: " + quoted(c.agent_image) + " is not an image reference");
}

void check_health(const EcsConfig& c, std::vector<std::string>& out) {
    if (c.health_timeout.count() <= 0)
        out.push_back("health_timeout: must be greater than 0 (" + where("health_timeout") + ")");
    if (c.health_interval.count() <= 0)
        out.push_back("health_interval: must be greater than 0 (" + where("health_interval") + ")");
    if (c.health_interval > c.health_timeout && c.health_timeout.count() > 0)
        out.emplace_back("health_interval: must not be longer than health_timeout");
}

void check_payload(const EcsConfig& c, std::vector<std::string>& out) {
    if (c.payload_mode == PayloadMode::always && c.payload_bucket.empty())
        out.push_back("payload_bucket: payload_mode always needs a payload bucket (" +
                      where("payload_bucket") + ")");
    if (!c.payload_bucket.empty()) {
        if (std::string p = bucket_problem(c.payload_bucket); !p.empty())
            out.push_back("payload_bucket: " + quoted(c.payload_bucket) + " " + p);
    }
    if (std::string p = prefix_problem(c.payload_prefix); !p.empty())
        out.push_back("payload_prefix: " + quoted(c.payload_prefix) + " " + p);
    if (!c.endpoint_url.empty()) {
        if (std::string p = endpoint_problem(c.endpoint_url); !p.empty())
            out.push_back("endpoint_url: " + quoted(c.endpoint_url) + " " + p);
    }
    // Unreachable while the limits above hold; kept so the bound and the limits cannot drift.
    const std::size_t pointer = max_pointer_overrides_size(payload_target(c));
    if (!c.payload_bucket.empty() && pointer > kOverridesBudget)
        out.push_back(
            "payload_bucket, payload_prefix, endpoint_url: the payload pointer could "
            "take " +
            std::to_string(pointer) + " bytes of RunTask overrides, over " +
            std::to_string(kOverridesBudget));
}

}  // namespace

std::string_view format_payload_mode(PayloadMode mode) noexcept {
    switch (mode) {
        case PayloadMode::automatic:
            return "auto";
        case PayloadMode::always:
            return "always";
        case PayloadMode::never:
            return "never";
    }
    return "unknown";
}

Result<PayloadMode> parse_payload_mode(std::string_view text) {
    if (text == "auto") return PayloadMode::automatic;
    if (text == "always") return PayloadMode::always;
    if (text == "never") return PayloadMode::never;
    return make_error(
        Errc::invalid_argument,
        quoted(text) + " is not a payload mode (use \"auto\", \"always\" or \"never\")");
}

const std::vector<std::string_view>& ecs_config_keys() {
    static const std::vector<std::string_view> keys = [] {
        std::vector<std::string_view> out;
        for (const KeySpec& spec : key_specs())
            out.push_back(spec.key);
        return out;
    }();
    return keys;
}

std::string env_name(std::string_view key) {
    std::string out(kEnvPrefix);
    for (char c : key)
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string flag_name(std::string_view key) {
    std::string out = "--" + std::string(key);
    std::replace(out.begin(), out.end(), '_', '-');
    return out;
}

std::vector<std::string> validate_ecs_config(const EcsConfig& config) {
    std::vector<std::string> problems;
    check_network(config, problems);
    check_task(config, problems);
    check_injection(config, problems);
    check_health(config, problems);
    check_payload(config, problems);
    return problems;
}

Result<EcsConfig> load_ecs_config(const ConfigSources& sources) {
    std::vector<std::string> problems;
    RawValues raw;
    read_yaml(sources.yaml_path, raw, problems);
    read_env(sources.env, raw, problems);
    read_flags(sources.flags, raw, problems);
    default_region(sources.env, raw);
    EcsConfig config = apply_values(raw, problems);
    for (std::string& p : validate_ecs_config(config))
        problems.push_back(std::move(p));
    if (!problems.empty()) {
        std::string message = "invalid ECS backend configuration (" +
                              std::to_string(problems.size()) +
                              (problems.size() == 1 ? " problem):" : " problems):");
        for (const std::string& p : problems)
            message += "\n  " + p;
        return make_error(Errc::invalid_argument, std::move(message));
    }
    config.strategy = select_strategy(config);
    return config;
}

}  // namespace sockerless::ecs
