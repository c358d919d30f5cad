#pragma once
// A blocking client for one repository of a container registry (distribution API v2), for
// ImageStore. Each request runs on a private io_context on the calling thread, over a fresh
// connection (plain HTTP for loopback registries, else TLS verified against the system's CAs),
// with a timeout per read and write. 401 answers with a Bearer challenge are met by fetching an
// anonymous token from the realm and repeating the request once; redirects (blob storage) are
// followed, without the registry's Authorization header when they leave the registry's host.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "api_error.h"

namespace sockerless::awssim {

struct Url {
    bool tls = false;
    std::string host;    // without brackets for IPv6
    std::string port;    // always set ("80"/"443" by default)
    std::string target;  // path and query, "/" at least
};

// "http(s)://host[:port][/path?query]"; nullopt for anything else.
std::optional<Url> parse_url(std::string_view url);

struct BearerChallenge {
    std::string realm;
    std::string service;
    std::string scope;
};

// The parameters of a "Bearer realm=...,service=...,scope=..." WWW-Authenticate value; nullopt
// for another scheme (Basic) or a challenge without a realm.
std::optional<BearerChallenge> parse_bearer_challenge(std::string_view www_authenticate);

struct HttpReply {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;                            // empty when streamed to a sink
};

class RegistryClient {
public:
    // Receives a successful response's body in chunks; an error stops the transfer.
    using Sink = std::function<ApiResult<void>(std::string_view chunk)>;

    // `registry` as in ImageReference ("127.0.0.1:5000"); `plain_http` from its plain_http().
    RegistryClient(std::string registry, std::string repository, bool plain_http,
                   std::chrono::seconds io_timeout = std::chrono::seconds(60));

    // GET /v2/<repository>/manifests/<reference> accepting indexes and image manifests.
    // Statuses other than 200 are CannotPullContainerError ("not found", "unauthorized"...).
    ApiResult<HttpReply> get_manifest(std::string_view reference, std::size_t max_bytes);

    // GET /v2/<repository>/blobs/<digest> into `sink`.
    ApiResult<void> get_blob(std::string_view digest, const Sink& sink);

private:
    // One GET with auth and redirects handled; a 200 body goes to `sink` when there is one.
    ApiResult<HttpReply> get(const std::string& target,
                             const std::map<std::string, std::string>& headers, const Sink* sink,
                             std::size_t max_bytes);
    ApiResult<void> fetch_token(const BearerChallenge& challenge);
    [[nodiscard]] std::string describe(std::string_view what) const;

    std::string registry_;
    std::string repository_;
    bool plain_http_;
    std::chrono::seconds io_timeout_;
    std::optional<std::string> token_;
};

// Performs one GET of `url` with `headers` (no auth, no redirects); the body of a 2xx answer goes
// to `sink` when there is one, anything else is kept in HttpReply::body up to `max_bytes`.
ApiResult<HttpReply> http_get(const Url& url, const std::map<std::string, std::string>& headers,
                              const RegistryClient::Sink* sink, std::size_t max_bytes,
                              std::chrono::seconds io_timeout);

}  // namespace sockerless::awssim
