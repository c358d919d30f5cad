// The two credential providers that ask a local HTTP endpoint: the ECS container-credentials
// endpoint and EC2 instance metadata (IMDS). Declared in credentials.h; kept apart because they
// are the only providers that go through the CredentialFetcher.

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include <boost/json.hpp>

#include "aws/credentials.h"

namespace sockerless::aws {
namespace {

// The ECS agent's endpoint for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI.
constexpr std::string_view kEcsAgentBase = "http://169.254.170.2";

// Plain-http hosts botocore accepts for AWS_CONTAINER_CREDENTIALS_FULL_URI besides loopback: the
// ECS agent and the EKS pod-identity agent. Credentials must not go in clear text elsewhere.
constexpr std::array<std::string_view, 4> kAllowedHttpHosts = {"169.254.170.2", "169.254.170.23",
                                                               "fd00:ec2::23", "localhost"};

constexpr std::string_view kImdsIpv4 = "http://169.254.169.254";
constexpr std::string_view kImdsIpv6 = "http://[fd00:ec2::254]";
constexpr std::string_view kImdsTokenPath = "/latest/api/token";
constexpr std::string_view kImdsRolePath = "/latest/meta-data/iam/security-credentials/";
constexpr std::string_view kImdsTokenTtlHeader = "x-aws-ec2-metadata-token-ttl-seconds";
constexpr std::string_view kImdsTokenHeader = "x-aws-ec2-metadata-token";
constexpr std::string_view kImdsTokenTtl = "21600";  // six hours, botocore's value

Error skipped(std::string what) {
    return make_error(Errc::not_found, std::move(what));
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view kSpace = " \t\r\n";
    const std::size_t first = s.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool env_true(const Environment& env, std::string_view name) {
    auto value = env.get(name);
    return value && equals_ignoring_case(trim(*value), "true");
}

struct UrlParts {
    std::string_view scheme;
    std::string_view host;  // IPv6 without brackets
};

std::optional<UrlParts> split_url(std::string_view url) {
    const std::size_t colon = url.find("://");
    if (colon == std::string_view::npos) return std::nullopt;
    UrlParts parts{url.substr(0, colon), {}};
    std::string_view authority = url.substr(colon + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    if (authority.starts_with('[')) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        parts.host = authority.substr(1, close - 1);
    } else {
        parts.host = authority.substr(0, authority.find(':'));
    }
    if (parts.host.empty()) return std::nullopt;
    return parts;
}

bool is_loopback(std::string_view host) {
    const std::string h(host);
    unsigned char v4[4];
    if (inet_pton(AF_INET, h.c_str(), v4) == 1) return v4[0] == 127;
    unsigned char v6[16];
    if (inet_pton(AF_INET6, h.c_str(), v6) == 1) {
        static constexpr std::array<unsigned char, 16> kLoopback6 = {0, 0, 0, 0, 0, 0, 0, 0,
                                                                     0, 0, 0, 0, 0, 0, 0, 1};
        return std::equal(kLoopback6.begin(), kLoopback6.end(), v6);
    }
    return false;
}

Status check_full_uri(std::string_view url) {
    auto parts = split_url(url);
    if (!parts) {
        return make_error(Errc::invalid_argument, "AWS_CONTAINER_CREDENTIALS_FULL_URI \"" +
                                                      std::string(url) +
                                                      "\" is not an absolute URL");
    }
    if (equals_ignoring_case(parts->scheme, "https")) return ok();
    const bool allowed =
        equals_ignoring_case(parts->scheme, "http") &&
        (is_loopback(parts->host) || std::find(kAllowedHttpHosts.begin(), kAllowedHttpHosts.end(),
                                               parts->host) != kAllowedHttpHosts.end());
    if (allowed) return ok();
    return make_error(Errc::invalid_argument,
                      "AWS_CONTAINER_CREDENTIALS_FULL_URI: host \"" + std::string(parts->host) +
                          "\" must be reached over https, or be a loopback address or the "
                          "ECS/EKS credentials agent");
}

// The token file is re-read on every fetch because EKS rotates it.
Result<std::optional<std::string>> container_authorization(const Environment& env) {
    std::optional<std::string> token;
    if (auto file = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
        token = env.read(*file);
        if (!token) {
            return make_error(Errc::unauthorized,
                              "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file + ": unreadable");
        }
        // Files written by `echo` end in a newline; it is not part of the token.
        while (!token->empty() && (token->back() == '\n' || token->back() == '\r')) {
            token->pop_back();
        }
    } else {
        token = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (token && token->find_first_of("\r\n") != std::string::npos) {
        return make_error(Errc::invalid_argument,
                          "container authorization token is not a legal header value");
    }
    return token;
}

// ---- IMDS -----------------------------------------------------------------------------------

std::string imds_base(const Environment& env) {
    std::string base;
    if (auto endpoint = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
        base = *endpoint;
    } else {
        auto mode = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
        base = mode && equals_ignoring_case(*mode, "IPv6") ? kImdsIpv6 : kImdsIpv4;
    }
    while (base.ends_with('/'))
        base.pop_back();
    return base;
}

// The IMDSv2 session token, or nullopt to continue with IMDSv1 as botocore does: IMDS answers
// 403/404/405 where v2 is off, and a PUT that times out usually means the hop limit drops the
// answer on its way into a container, where v1 may still work. Other failures end the provider.
Result<std::optional<std::string>> imds_token(CredentialFetcher& fetcher, const std::string& base,
                                              const std::string& label) {
    Result<FetchResponse> r = fetcher.fetch(
        FetchRequest{"PUT",
                     base + std::string(kImdsTokenPath),
                     {{std::string(kImdsTokenTtlHeader), std::string(kImdsTokenTtl)}}});
    if (!r) {
        if (r.error().code == Errc::timeout) return std::optional<std::string>{};
        return skipped(label + ": " + r.error().message);
    }
    if (r->status == 200 && !trim(r->body).empty()) return std::string(trim(r->body));
    if (r->status == 400) return skipped(label + ": token request rejected (HTTP 400)");
    return std::optional<std::string>{};
}

// GET of an IMDS path; anything but a non-empty 200 ends the provider with a note.
Result<std::string> imds_get(CredentialFetcher& fetcher, const std::string& url,
                             const std::optional<std::string>& token, const std::string& label) {
    FetchRequest req{"GET", url, {}};
    if (token) req.headers.emplace_back(std::string(kImdsTokenHeader), *token);
    Result<FetchResponse> r = fetcher.fetch(req);
    if (!r) return skipped(label + ": " + r.error().message);
    if (r->status != 200) {
        return skipped(label + ": HTTP " + std::to_string(r->status) + " from " + url);
    }
    if (trim(r->body).empty()) return skipped(label + ": empty answer from " + url);
    return std::move(r->body);
}

// IMDS can answer 200 with {"Code": "AssumeRoleUnauthorizedAccess", "Message": ...} when the
// role cannot be assumed; that is a note, not credentials.
Result<ProvidedCredentials> imds_credentials(std::string_view body, const std::string& role,
                                             const std::string& label) {
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(body, ec);
    const boost::json::object* obj = ec ? nullptr : doc.if_object();
    const boost::json::value* code = obj != nullptr ? obj->if_contains("Code") : nullptr;
    if (code != nullptr && code->is_string() && code->get_string() != "Success") {
        const boost::json::value* message = obj->if_contains("Message");
        std::string why(code->get_string());
        if (message != nullptr && message->is_string()) {
            why.append(": ").append(message->get_string());
        }
        return skipped(label + ": role " + role + ": " + why);
    }
    Result<ProvidedCredentials> creds =
        parse_credentials_json(body, "EC2 instance metadata (role " + role + ")");
    if (creds) return creds;
    return skipped(label + ": role " + role + ": " + creds.error().message);
}

}  // namespace

Result<std::optional<FetchRequest>> container_credentials_request(const Environment& env) {
    std::string url;
    if (auto relative = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
        url = std::string(kEcsAgentBase) + (relative->starts_with('/') ? "" : "/") + *relative;
    } else if (auto full = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
        if (Status s = check_full_uri(*full); !s) return s.error();
        url = *full;
    } else {
        return std::optional<FetchRequest>{};
    }
    Result<std::optional<std::string>> auth = container_authorization(env);
    if (!auth) return auth.error();
    FetchRequest req{"GET", std::move(url), {{"Accept", "application/json"}}};
    if (*auth) req.headers.emplace_back("Authorization", **auth);
    return std::optional<FetchRequest>{std::move(req)};
}

Result<ProvidedCredentials> from_container_endpoint(const Environment& env,
                                                    CredentialFetcher& fetcher) {
    Result<std::optional<FetchRequest>> req = container_credentials_request(env);
    if (!req) return req.error();
    if (!*req) {
        return skipped(
            "container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
            "AWS_CONTAINER_CREDENTIALS_FULL_URI not set");
    }
    const std::string label = "container credentials " + (*req)->url;
    Result<FetchResponse> r = fetcher.fetch(**req);
    if (!r) {
        Error e = r.error().wrap(label);
        if (e.code == Errc::not_found) e.code = Errc::unavailable;  // never "try the next one"
        return e;
    }
    if (r->status != 200) {
        return make_error(Errc::unavailable, label + ": HTTP " + std::to_string(r->status) + ": " +
                                                 std::string(trim(r->body)));
    }
    Result<ProvidedCredentials> creds = parse_credentials_json(r->body, label);
    if (!creds) return make_error(Errc::unavailable, creds.error().message);
    return creds;
}

Result<ProvidedCredentials> from_instance_metadata(const Environment& env,
                                                   CredentialFetcher& fetcher) {
    if (env_true(env, "AWS_EC2_METADATA_DISABLED")) {
        return skipped("EC2 instance metadata: disabled by AWS_EC2_METADATA_DISABLED");
    }
    const std::string base = imds_base(env);
    const std::string label = "EC2 instance metadata " + base;
    Result<std::optional<std::string>> token = imds_token(fetcher, base, label);
    if (!token) return token.error();
    if (!*token && env_true(env, "AWS_EC2_METADATA_V1_DISABLED")) {
        return skipped(label + ": no IMDSv2 token and AWS_EC2_METADATA_V1_DISABLED is set");
    }
    const std::string roles_url = base + std::string(kImdsRolePath);
    Result<std::string> roles = imds_get(fetcher, roles_url, *token, label);
    if (!roles) return roles.error();
    // One role per instance profile; the listing is newline-separated all the same.
    const std::string role(trim(std::string_view(*roles).substr(0, roles->find('\n'))));
    Result<std::string> body = imds_get(fetcher, roles_url + role, *token, label);
    if (!body) return body.error();
    return imds_credentials(*body, role, label);
}

}  // namespace sockerless::aws
