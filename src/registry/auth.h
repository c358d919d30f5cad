#pragma once
// Registry authentication, the pure parts: the X-Registry-Auth header Docker clients send, the
// WWW-Authenticate challenges registries answer with, and the token service's request and
// response as the Docker token specification and distribution's client define them.

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace sockerless::registry {

using Param = std::pair<std::string, std::string>;

struct Credentials {
    std::string username;
    std::string password;
    std::string identity_token;  // a refresh token from an earlier login (OAuth2 refresh grant)
    std::string registry_token;  // a bearer token to send as is
    std::string server_address;

    [[nodiscard]] bool anonymous() const {
        return username.empty() && password.empty() && identity_token.empty() &&
               registry_token.empty();
    }
};

// X-Registry-Auth: base64url of Docker's AuthConfig JSON (username, password, auth, email,
// serveraddress, identitytoken, registrytoken; names matched case-insensitively, as Go does).
// Standard base64 and missing padding are accepted too. "auth" ("user:password", base64) fills
// username and password when those are empty. An empty header is anonymous. Malformed input is
// Errc::invalid_argument "invalid X-Registry-Auth header: <why>".
Result<Credentials> decode_registry_auth(std::string_view header);

// The header a client would send for `creds` (base64url with padding, JSON as the CLI writes it).
std::string encode_registry_auth(const Credentials& creds);

// Base64 with either alphabet, padding optional; invalid_argument on other characters.
Result<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view data);

// "Basic base64(user:password)"
std::string basic_authorization(std::string_view username, std::string_view password);

struct Challenge {
    std::string scheme;                         // lowercased: "bearer", "basic"
    std::map<std::string, std::string> params;  // names lowercased, values unquoted

    // The parameter's value, "" when absent.
    [[nodiscard]] std::string param(std::string_view name) const;
};

// The challenges of one WWW-Authenticate value (RFC 7235: several may share a value, separated
// by commas). Unparseable trailing text is ignored.
std::vector<Challenge> parse_challenges(std::string_view header_value);

// "repository:<path>:pull"
std::string pull_scope(std::string_view repository_path);

// What to ask the token service (the challenge's realm) for.
struct TokenRequest {
    std::string method;         // "GET", or "POST" for the OAuth2 refresh grant
    std::vector<Param> query;   // appended to the realm's own query (GET)
    std::string form_body;      // application/x-www-form-urlencoded (POST)
    std::string authorization;  // "Basic ..." for GET with a username and password, else ""
};

inline constexpr std::string_view kClientId = "docker";

// An identity token is exchanged with POST grant_type=refresh_token; otherwise GET with the
// service, each scope and, when a username and password are given, basic auth and "account".
// `offline` adds offline_token=true and client_id (what `docker login` asks, to get a refresh
// token back).
TokenRequest token_request(const Challenge& bearer, const std::vector<std::string>& scopes,
                           const Credentials& creds, bool offline = false);

struct Token {
    std::string token;          // "token" or, when present, "access_token"
    std::string refresh_token;  // "" unless the service issued one
    std::chrono::seconds expires_in{60};
};

// The token service's JSON answer; expires_in below 60 s (or absent) counts as 60 s, as in the
// Docker token specification. invalid_argument when it carries no token.
Result<Token> parse_token_response(std::string_view body);

// application/x-www-form-urlencoded, keys sorted (Go's url.Values.Encode).
std::string form_encode(std::vector<Param> params);

}  // namespace sockerless::registry
