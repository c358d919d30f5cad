#include "session_admin.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "json_protocol.h"

namespace sockerless::awssim {
namespace http = boost::beast::http;
namespace json = boost::json;
namespace {

constexpr std::int64_t kDefaultSeconds = 3600;
constexpr std::int64_t kMinSeconds = 900;
constexpr std::int64_t kMaxSeconds = 43200;

Response json_reply(const Request& request, int status, const json::value& body) {
    return make_response(request, status, "application/json", json::serialize(body));
}

Response bad_request(const Request& request, std::string message) {
    return json_reply(request, 400, json::object{{"message", std::move(message)}});
}

// "arn:aws:iam::<12 digits>:role/<path/>name"
bool valid_role_arn(std::string_view arn) {
    constexpr std::string_view kPrefix = "arn:aws:iam::";
    if (!arn.starts_with(kPrefix)) return false;
    std::string_view rest = arn.substr(kPrefix.size());
    if (rest.size() < 19 || rest[12] != ':' || !rest.substr(13).starts_with("role/")) return false;
    return std::all_of(rest.begin(), rest.begin() + 12,
                       [](unsigned char c) { return std::isdigit(c); });
}

// STS's RoleSessionName: 2 to 64 of [\w+=,.@-].
bool valid_session_name(std::string_view name) {
    return name.size() >= 2 && name.size() <= 64 && std::ranges::all_of(name, [](unsigned char c) {
               return std::isalnum(c) || std::string_view("_+=,.@-").find(static_cast<char>(c)) !=
                                             std::string_view::npos;
           });
}

std::string iso8601_seconds(std::chrono::system_clock::time_point t) {
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace

Response serve_sessions_admin(IdentityStore& identities, std::chrono::system_clock::time_point now,
                              const Request& request) {
    if (request.method() != http::verb::post)
        return json_reply(request, 405, json::object{{"message", "use POST"}});
    auto body = parse_request_body(request.body());
    if (!body) return bad_request(request, body.error().message);
    auto role = opt_string(*body, "role_arn");
    auto session = opt_string(*body, "session_name");
    auto seconds = opt_int(*body, "duration_seconds");
    if (!role || !session || !seconds) return bad_request(request, "malformed session request");
    if (!*role || !valid_role_arn(**role))
        return bad_request(request,
                           "role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)");
    std::string name = session->value_or("awssim-session");
    if (!valid_session_name(name))
        return bad_request(request, "session_name must be 2 to 64 of [A-Za-z0-9_+=,.@-]");
    std::int64_t ttl = seconds->value_or(kDefaultSeconds);
    if (ttl < kMinSeconds || ttl > kMaxSeconds)
        return bad_request(request, "duration_seconds must be between 900 and 43200");

    auto creds = identities.issue_session(**role, name, now, std::chrono::seconds(ttl));
    return json_reply(request, 200,
                      json::object{{"AccessKeyId", creds.access_key},
                                   {"SecretAccessKey", creds.secret_key},
                                   {"Token", creds.session_token},
                                   {"Expiration", iso8601_seconds(creds.expiration)},
                                   {"RoleArn", creds.role_arn}});
}

}  // namespace sockerless::awssim
