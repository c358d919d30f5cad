#pragma once
// The OCI distribution client: resolves an image reference to its manifest and config (never its
// layers: tasks pull those themselves) and checks credentials for `docker login`.
//
// Contract:
//   - resolve() GETs /v2/<path>/manifests/<tag or digest> with manifest.h's Accept header. A
//     manifest list or OCI index is narrowed to `platform` (platform.h's matching) and that
//     manifest fetched by digest; the config blob is fetched last. Everything fetched by digest
//     is verified against it, and a tag's manifest against Docker-Content-Digest when sent.
//   - Registries tried, in order: each mirror of the reference's domain (RegistryOptions::
//     mirrors, as dockerd's registry-mirrors), then the registry itself (registry-1.docker.io for
//     docker.io, or RegistryOptions::endpoint_overrides). Any failure moves on to the next; the
//     last one's error is returned.
//   - Auth: a 401 with a Bearer challenge gets a token from the realm (basic auth with a username
//     and password, the identity token as an OAuth2 refresh grant, anonymous otherwise) and the
//     request is retried once with it; a Basic challenge is answered with the username and
//     password; a registry token is sent as the bearer token as is. Tokens are cached per
//     (registry, scope, credentials) until they expire, challenges per registry so later
//     requests authenticate up front. A cached token the registry refuses is dropped and a fresh
//     one fetched once.
//   - Redirects (blob downloads to object storage) are followed up to 5 times; the Authorization
//     header is only sent again to the registry's own host.
//   - Plain HTTP: a registry that is_insecure_registry() (loopback always) is tried with https
//     first; when that fails to connect or handshake, http is tried and, once it answers, used
//     for that registry from then on.
//   - Errors, as dockerd words them (errors.h): unknown tag or repository Errc::not_found
//     ("manifest for busybox:nope not found: manifest unknown: manifest unknown"), no platform
//     Errc::not_found ("no matching manifest for linux/amd64 in the manifest list entries"),
//     refused credentials Errc::unauthorized, an unreachable registry Errc::unavailable naming the
//     registry and the cause, content that does not match its digest Errc::unavailable.
//   - Credentials never appear in errors.
//   - Thread-safe: calls may run concurrently on any executor.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "aws/transport.h"
#include "base/error.h"
#include "registry/auth.h"
#include "registry/manifest.h"
#include "registry/platform.h"
#include "registry/reference.h"

namespace sockerless::registry {

struct RegistryOptions {
    // Reference domain -> mirror URLs ("docker.io" -> {"http://127.0.0.1:5000"}), tried in order
    // before the registry itself.
    std::map<std::string, std::vector<std::string>> mirrors;
    // "host[:port]" or CIDRs of registries that may be spoken to over plain HTTP; loopback and
    // localhost always may.
    std::vector<std::string> insecure_registries;
    // The platform resolve() selects when the caller does not name one.
    Platform platform = host_platform();
    // Reference domain -> URL to use instead of the registry's own host ("docker.io" ->
    // "https://proxy.internal:5000"): a registry reachable only at another address.
    std::map<std::string, std::string> endpoint_overrides;
    std::string user_agent = "sockerless";
    // Token expiry is judged by this clock; steady_clock::now when empty.
    std::function<std::chrono::steady_clock::time_point()> clock;
};

class Client {
public:
    Client(boost::asio::any_io_executor executor, aws::Transport& transport,
           RegistryOptions options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Arguments are taken by value: the coroutine may start after the caller's temporaries die
    // (co_spawn).
    boost::asio::awaitable<Result<Image>> resolve(Reference ref, Platform platform,
                                                  Credentials creds);
    // resolve() for RegistryOptions::platform.
    boost::asio::awaitable<Result<Image>> resolve(Reference ref, Credentials creds);

    // What POST /auth does: GET /v2/ on `server` (a server address as normalize_server_address
    // takes it) with the credentials. Ok when the registry accepts them (or needs none);
    // Errc::unauthorized when it refuses them, in dockerd's words ("login attempt to
    // <url> failed with status: 401 Unauthorized", or the token service's own message).
    boost::asio::awaitable<Status> login(std::string server, Credentials creds);

    [[nodiscard]] const RegistryOptions& options() const;
    [[nodiscard]] boost::asio::any_io_executor get_executor() const { return executor_; }

private:
    struct Impl;
    boost::asio::any_io_executor executor_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sockerless::registry
