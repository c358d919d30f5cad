#include "aws/credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "aws/profile_file.h"

namespace sockerless::aws {
namespace {

Error skipped(std::string what) {
    return make_error(Errc::not_found, std::move(what));
}

std::optional<std::string> first_set(const Environment& env,
                                     std::initializer_list<std::string_view> names) {
    for (std::string_view name : names) {
        if (auto value = env.get(name)) return value;
    }
    return std::nullopt;
}

std::optional<std::string> expand_home(const Environment& env, std::string path) {
    if (!path.starts_with("~/")) return path;
    auto home = env.get("HOME");
    if (!home) return std::nullopt;
    return *home + path.substr(1);
}

std::optional<std::string> shared_file_path(const Environment& env, std::string_view variable,
                                            std::string_view default_path) {
    if (auto explicit_path = env.get(variable)) return expand_home(env, *explicit_path);
    return expand_home(env, std::string(default_path));
}

std::string setting(const ProfileSettings& profile, std::string_view key) {
    auto it = profile.find(key);
    return it == profile.end() ? std::string() : it->second;
}

// A file's profiles, or the not_found note explaining why there are none.
Result<Profiles> load_profiles(const Environment& env, const std::optional<std::string>& path,
                               ProfileFileKind kind, std::string_view label) {
    if (!path) return skipped(std::string(label) + ": HOME not set");
    std::optional<std::string> text = env.read(*path);
    if (!text) return skipped(std::string(label) + " " + *path + ": not found");
    return parse_profile_file(*text, kind);
}

// The profile's static keys, or why it has none. Profiles that obtain credentials some other way
// are refused outright: silently skipping them would run with different credentials than the
// user configured.
Result<ProvidedCredentials> keys_from_profile(const Profiles& profiles, const std::string& name,
                                              const std::string& label) {
    auto it = profiles.find(name);
    if (it == profiles.end()) return skipped(label + ": no profile \"" + name + "\"");
    const ProfileSettings& p = it->second;
    ProvidedCredentials out{
        Credentials{setting(p, "aws_access_key_id"), setting(p, "aws_secret_access_key"),
                    setting(p, "aws_session_token")},
        std::nullopt, label + " (profile " + name + ")"};
    if (out.credentials.access_key_id.empty()) {
        for (std::string_view key : {"role_arn", "credential_process", "sso_session",
                                     "sso_start_url", "web_identity_token_file"}) {
            if (p.contains(key)) {
                return make_error(Errc::not_implemented,
                                  out.source + " obtains credentials through " + std::string(key) +
                                      ", which is not supported; use static keys, environment "
                                      "variables or a task/instance role");
            }
        }
        return skipped(out.source + ": no aws_access_key_id");
    }
    if (out.credentials.secret_access_key.empty()) {
        return make_error(Errc::unauthorized,
                          out.source + ": aws_access_key_id without aws_secret_access_key");
    }
    return out;
}

Result<ProvidedCredentials> from_profile_file(const Environment& env,
                                              const std::optional<std::string>& path,
                                              ProfileFileKind kind, std::string_view label) {
    Result<Profiles> profiles = load_profiles(env, path, kind, label);
    if (!profiles) return profiles.error();
    return keys_from_profile(*profiles, profile_name(env), std::string(label) + " " + *path);
}

std::optional<std::string> region_in(const Environment& env, const std::optional<std::string>& path,
                                     ProfileFileKind kind) {
    Result<Profiles> profiles = load_profiles(env, path, kind, "");
    if (!profiles) return std::nullopt;
    auto it = profiles->find(profile_name(env));
    if (it == profiles->end()) return std::nullopt;
    std::string region = setting(it->second, "region");
    if (region.empty()) return std::nullopt;
    return region;
}

// ---- ISO-8601 -------------------------------------------------------------------------------

// Reads exactly `width` digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t width) {
    if (pos + width > s.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        value = value * 10 + (s[i] - '0');
    }
    return value;
}

// "Z", "+hh:mm", "+hhmm" or "-..." → the offset east of UTC; nullopt when malformed.
std::optional<std::chrono::minutes> utc_offset(std::string_view zone) {
    if (zone == "Z" || zone == "z") return std::chrono::minutes{0};
    if (zone.size() != 5 && zone.size() != 6) return std::nullopt;
    if (zone[0] != '+' && zone[0] != '-') return std::nullopt;
    const std::size_t minute_pos = zone.size() == 6 ? 4 : 3;
    if (zone.size() == 6 && zone[3] != ':') return std::nullopt;
    auto h = digits(zone, 1, 2);
    auto m = digits(zone, minute_pos, 2);
    if (!h || !m || *h > 23 || *m > 59) return std::nullopt;
    const std::chrono::minutes offset{*h * 60 + *m};
    return zone[0] == '+' ? offset : -offset;
}

Error bad_timestamp(std::string_view text) {
    return make_error(Errc::invalid_argument,
                      "invalid ISO-8601 time \"" + std::string(text) + "\"");
}

}  // namespace

std::optional<std::string> Environment::get(std::string_view name) const {
    if (!getenv) return std::nullopt;
    std::optional<std::string> value = getenv(name);
    if (!value || value->empty()) return std::nullopt;
    return value;
}

std::optional<std::string> Environment::read(const std::string& path) const {
    if (!read_file) return std::nullopt;
    return read_file(path);
}

Environment process_environment() {
    return Environment{
        .getenv = [](std::string_view name) -> std::optional<std::string> {
            const char* v = std::getenv(std::string(name).c_str());
            if (v == nullptr) return std::nullopt;
            return std::string(v);
        },
        .read_file = [](const std::string& path) -> std::optional<std::string> {
            std::ifstream in(path, std::ios::binary);
            if (!in) return std::nullopt;
            std::ostringstream contents;
            contents << in.rdbuf();
            if (in.bad()) return std::nullopt;
            return std::move(contents).str();
        },
        .now = [] { return SystemClock::now(); },
    };
}

std::string profile_name(const Environment& env) {
    return first_set(env, {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}).value_or("default");
}

std::optional<std::string> shared_credentials_path(const Environment& env) {
    return shared_file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials");
}

std::optional<std::string> config_path(const Environment& env) {
    return shared_file_path(env, "AWS_CONFIG_FILE", "~/.aws/config");
}

std::optional<std::string> resolve_region(const Environment& env) {
    if (auto region = first_set(env, {"AWS_REGION", "AWS_DEFAULT_REGION"})) return region;
    if (auto region = region_in(env, shared_credentials_path(env), ProfileFileKind::credentials)) {
        return region;
    }
    return region_in(env, config_path(env), ProfileFileKind::config);
}

Result<SystemClock::time_point> parse_iso8601(std::string_view text) {
    using namespace std::chrono;
    // yyyy-mm-ddThh:mm:ss is 19 characters; separators are checked positionally.
    auto y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
    auto h = digits(text, 11, 2), mi = digits(text, 14, 2), s = digits(text, 17, 2);
    if (!y || !mo || !d || !h || !mi || !s || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
        return bad_timestamp(text);
    }
    const year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)},
                              day{static_cast<unsigned>(*d)}};
    if (!date.ok() || *h > 23 || *mi > 59 || *s > 60) return bad_timestamp(text);
    std::size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {  // fractional seconds: dropped
        ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
            ++pos;
    }
    auto offset = utc_offset(text.substr(pos));
    if (!offset) return bad_timestamp(text);
    return sys_days{date} + hours{*h} + minutes{*mi} + seconds{*s} - *offset;
}

Result<ProvidedCredentials> parse_credentials_json(std::string_view body, std::string source) {
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(body, ec);
    if (ec || !doc.is_object()) {
        return make_error(Errc::invalid_argument, source + ": answer is not a JSON object");
    }
    const boost::json::object& obj = doc.get_object();
    auto text = [&](std::string_view key) -> std::string {
        const boost::json::value* v = obj.if_contains(key);
        return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    ProvidedCredentials out{
        Credentials{text("AccessKeyId"), text("SecretAccessKey"), text("Token")}, std::nullopt,
        std::move(source)};
    if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty()) {
        return make_error(Errc::invalid_argument,
                          out.source + ": answer lacks AccessKeyId or SecretAccessKey");
    }
    if (const std::string expiration = text("Expiration"); !expiration.empty()) {
        Result<SystemClock::time_point> when = parse_iso8601(expiration);
        if (!when) return when.error().wrap(out.source + ": Expiration");
        out.expiration = *when;
    }
    return out;
}

// ---- Providers ----------------------------------------------------------------------------------

Result<ProvidedCredentials> from_environment(const Environment& env) {
    // AWS_ACCESS_KEY / AWS_SECRET_KEY are the names the Java SDK v1 also read; AWS_SECURITY_TOKEN
    // is botocore's legacy name for the session token.
    auto key = first_set(env, {"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"});
    auto secret = first_set(env, {"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"});
    if (!key && !secret) return skipped("environment variables: AWS_ACCESS_KEY_ID not set");
    if (!key || !secret) {
        return make_error(Errc::unauthorized,
                          std::string("environment variables: ") +
                              (key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
                              " not set while " +
                              (key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") + " is");
    }
    ProvidedCredentials out{
        Credentials{*key, *secret,
                    first_set(env, {"AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}).value_or("")},
        std::nullopt, "environment variables"};
    if (auto expiration = env.get("AWS_CREDENTIAL_EXPIRATION")) {
        Result<SystemClock::time_point> when = parse_iso8601(*expiration);
        if (!when) return when.error().wrap("AWS_CREDENTIAL_EXPIRATION");
        out.expiration = *when;
    }
    return out;
}

Result<ProvidedCredentials> from_web_identity(const Environment& env) {
    if (!env.get("AWS_WEB_IDENTITY_TOKEN_FILE")) {
        return skipped("web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set");
    }
    return make_error(Errc::not_implemented,
                      "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set, but "
                      "AssumeRoleWithWebIdentity is not supported");
}

Result<ProvidedCredentials> from_shared_credentials_file(const Environment& env) {
    return from_profile_file(env, shared_credentials_path(env), ProfileFileKind::credentials,
                             "shared credentials file");
}

Result<ProvidedCredentials> from_config_file(const Environment& env) {
    return from_profile_file(env, config_path(env), ProfileFileKind::config, "config file");
}

Result<ProvidedCredentials> resolve_credentials(const Environment& env,
                                                CredentialFetcher& fetcher) {
    std::vector<std::function<Result<ProvidedCredentials>()>> chain = {
        [&] { return from_environment(env); },
        [&] { return from_web_identity(env); },
        [&] { return from_shared_credentials_file(env); },
        [&] { return from_config_file(env); },
        [&] { return from_container_endpoint(env, fetcher); },
        [&] { return from_instance_metadata(env, fetcher); },
    };
    std::string tried;
    for (const auto& provider : chain) {
        Result<ProvidedCredentials> r = provider();
        if (r || r.error().code != Errc::not_found) return r;
        tried.append(tried.empty() ? "" : "; ").append(r.error().message);
    }
    return make_error(Errc::unauthorized, "no AWS credentials found; tried " + tried);
}

// ---- Provider objects -----------------------------------------------------------------------

Result<ProvidedCredentials> ChainProvider::credentials() {
    return resolve_credentials(env_, fetcher_);
}

CachingProvider::CachingProvider(std::unique_ptr<CredentialsProvider> inner,
                                 std::function<SystemClock::time_point()> now,
                                 std::chrono::seconds refresh_window)
    : inner_(std::move(inner)), now_(std::move(now)), refresh_window_(refresh_window) {}

bool CachingProvider::usable_without_refresh(SystemClock::time_point now) const {
    if (!cached_) return false;
    if (!cached_->expiration) return true;
    return now + refresh_window_ < *cached_->expiration;
}

Result<ProvidedCredentials> CachingProvider::credentials() {
    std::lock_guard lock(mutex_);
    const SystemClock::time_point now = now_();
    if (usable_without_refresh(now)) return *cached_;
    Result<ProvidedCredentials> fresh = inner_->credentials();
    if (fresh) {
        cached_ = *fresh;
        return fresh;
    }
    if (cached_ && cached_->expiration && now < *cached_->expiration) return *cached_;
    return fresh;
}

void CachingProvider::invalidate() {
    std::lock_guard lock(mutex_);
    cached_.reset();
}

}  // namespace sockerless::aws
