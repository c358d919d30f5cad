#include "registry/client.h"

#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "registry/digest.h"
#include "registry/endpoints.h"
#include "registry/errors.h"

namespace sockerless::registry {
namespace {

namespace asio = boost::asio;
using aws::HttpResponse;
using aws::NameValue;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr std::size_t kMaxManifestBytes = std::size_t{4} * 1024 * 1024;
constexpr std::size_t kMaxConfigBytes = std::size_t{32} * 1024 * 1024;
constexpr int kMaxRedirects = 5;

// One registry to try: a mirror, an override or the reference's own registry.
struct Remote {
    std::string name;          // what caches are keyed by and messages call it: "127.0.0.1:5000"
    Url url;                   // scheme, host, port and path prefix
    std::optional<Url> plain;  // the http form to fall back to (insecure registries)
};

struct Fetched {
    HttpResponse response;
    Url url;  // what answered, after redirects
};

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string describe_get(const Url& url) {
    return "Get \"" + url.str() + "\"";
}

Url with_path(Url url, std::string_view path) {
    while (url.path.ends_with('/'))
        url.path.pop_back();
    url.path += path;
    return url;
}

Url as_plain_http(Url url) {
    url.scheme = "http";
    if (url.port == 443) url.port = 80;
    return url;
}

std::vector<Challenge> challenges_of(const HttpResponse& r) {
    std::vector<Challenge> out;
    for (const auto& [name, value] : r.headers) {
        if (name.size() != 16) continue;
        std::string lowered = name;
        for (char& c : lowered)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lowered != "www-authenticate") continue;
        for (Challenge& c : parse_challenges(value))
            out.push_back(std::move(c));
    }
    return out;
}

// The challenge to answer: Bearer when offered, else Basic.
std::optional<Challenge> pick_challenge(const std::vector<Challenge>& offered) {
    for (const char* scheme : {"bearer", "basic"}) {
        for (const Challenge& c : offered) {
            if (c.scheme == scheme) return c;
        }
    }
    return std::nullopt;
}

// Tokens are cached per credentials; the key holds a digest of them, never the secrets.
std::string credential_key(const Credentials& c) {
    std::string material = c.username;
    for (const std::string* part : {&c.password, &c.identity_token, &c.registry_token}) {
        material += '\0';
        material += *part;
    }
    return compute_digest("sha256", material).encoded;
}

Error unreachable(const Remote& r, const Error& cause) {
    return make_error(Errc::unavailable,
                      "registry " + r.name + " is unreachable: " + cause.message);
}

// Content that does not hash to the digest it was fetched by: the registry (or something on the
// way) served the wrong bytes; another mirror or a retry may serve the right ones.
Status verify(std::string_view digest_text, std::string_view body, std::string_view what) {
    Result<Digest> digest = parse_digest(digest_text);
    if (!digest)
        return make_error(Errc::unavailable, std::string(what) + ": " + digest.error().message);
    Status verified = verify_digest(*digest, body, what);
    if (!verified) return make_error(Errc::unavailable, verified.error().message);
    return ok();
}

Status check_size(const Descriptor& d, std::string_view body, std::string_view what) {
    if (d.size > 0 && static_cast<std::size_t>(d.size) != body.size()) {
        return make_error(Errc::unavailable,
                          std::string(what) + " " + d.digest + ": " + std::to_string(body.size()) +
                              " bytes where the descriptor says " + std::to_string(d.size));
    }
    return ok();
}

Error login_failed(const Url& url, int status) {
    const Errc code = status == 401   ? Errc::unauthorized
                      : status == 403 ? Errc::forbidden
                                      : Errc::unavailable;
    return make_error(code, "login attempt to " + url.str() + " failed with status: " +
                                std::to_string(status) + " " + std::string(status_text(status)));
}

}  // namespace

struct Client::Impl {
    Impl(aws::Transport& t, RegistryOptions o) : transport(t), options(std::move(o)) {}

    aws::Transport& transport;
    const RegistryOptions options;

    struct CachedToken {
        std::string token;
        SteadyTime expires;
    };
    std::mutex mutex;
    std::map<std::string, CachedToken> tokens;    // registry, scope and credentials
    std::map<std::string, Challenge> challenges;  // by registry
    std::set<std::string> plain_http;             // registries that answered on http

    [[nodiscard]] SteadyTime now() const {
        return options.clock ? options.clock() : std::chrono::steady_clock::now();
    }

    std::optional<std::string> cached_token(const std::string& key) {
        const std::lock_guard lock(mutex);
        const auto it = tokens.find(key);
        if (it == tokens.end() || now() >= it->second.expires) return std::nullopt;
        return it->second.token;
    }
    void store_token(const std::string& key, const Token& token) {
        const std::lock_guard lock(mutex);
        tokens[key] = CachedToken{token.token, now() + token.expires_in};
    }
    void drop_token(const std::string& key) {
        const std::lock_guard lock(mutex);
        tokens.erase(key);
    }
    std::optional<Challenge> known_challenge(const std::string& name) {
        const std::lock_guard lock(mutex);
        const auto it = challenges.find(name);
        if (it == challenges.end()) return std::nullopt;
        return it->second;
    }
    void remember_challenge(const std::string& name, const Challenge& c) {
        const std::lock_guard lock(mutex);
        challenges[name] = c;
    }
    bool uses_plain_http(const std::string& name) {
        const std::lock_guard lock(mutex);
        return plain_http.contains(name);
    }
    void remember_plain_http(const std::string& name) {
        const std::lock_guard lock(mutex);
        plain_http.insert(name);
    }

    Result<Remote> own_remote(const std::string& domain) const;
    Result<std::vector<Remote>> remotes_for(const Reference& ref) const;

    asio::awaitable<Result<HttpResponse>> send(const Url& url, std::string method,
                                               std::vector<NameValue> headers, std::string body);
    asio::awaitable<Result<Fetched>> send_remote(const Remote& r, const std::string& path,
                                                 std::vector<NameValue> headers);
    asio::awaitable<Result<Token>> fetch_token(const Challenge& bearer,
                                               const std::vector<std::string>& scopes,
                                               const Credentials& creds, bool offline,
                                               const Url& context);
    asio::awaitable<Result<std::string>> authorization(const Remote& r,
                                                       const std::optional<Challenge>& challenge,
                                                       const std::string& scope,
                                                       const Credentials& creds, const Url& context,
                                                       bool fresh);
    asio::awaitable<Result<Fetched>> follow_redirects(Fetched fetched, const std::string& accept,
                                                      const std::string& auth);
    asio::awaitable<Result<Fetched>> get(const Remote& r, const std::string& path,
                                         const std::string& accept, const std::string& scope,
                                         const Credentials& creds);
    asio::awaitable<Result<Image>> resolve_at(const Remote& r, const Reference& ref,
                                              const Platform& platform, const Credentials& creds);
};

Result<Remote> Client::Impl::own_remote(const std::string& domain) const {
    if (const auto it = options.endpoint_overrides.find(domain);
        it != options.endpoint_overrides.end()) {
        Result<Url> url = parse_url(it->second);
        if (!url) return url.error().wrap("registry endpoint for " + domain);
        Remote r{url->authority(), *url, std::nullopt};
        if (url->scheme == "https" &&
            is_insecure_registry(url->authority(), options.insecure_registries))
            r.plain = as_plain_http(*url);
        return r;
    }
    const std::string host = registry_host(domain);
    Result<Url> url = registry_url("https", host);
    if (!url) return url.error().wrap("registry " + domain);
    Remote r{host, *url, std::nullopt};
    if (is_insecure_registry(domain, options.insecure_registries)) {
        Result<Url> plain = registry_url("http", host);
        if (plain) r.plain = *plain;
    }
    return r;
}

Result<std::vector<Remote>> Client::Impl::remotes_for(const Reference& ref) const {
    std::vector<Remote> out;
    if (const auto it = options.mirrors.find(ref.domain); it != options.mirrors.end()) {
        for (const std::string& text : it->second) {
            Result<Url> url = parse_url(text);
            if (!url) return url.error().wrap("registry mirror for " + ref.domain);
            out.push_back(Remote{"mirror " + url->authority(), *url, std::nullopt});
        }
    }
    Result<Remote> own = own_remote(ref.domain);
    if (!own) return own.error();
    out.push_back(std::move(*own));
    return out;
}

asio::awaitable<Result<HttpResponse>> Client::Impl::send(const Url& url, std::string method,
                                                         std::vector<NameValue> headers,
                                                         std::string body) {
    aws::Endpoint endpoint;
    endpoint.scheme = url.scheme;
    endpoint.host = url.host;
    endpoint.port = url.port;
    aws::HttpRequest req;
    req.method = std::move(method);
    req.host = url.authority();
    req.path = url.path;
    req.query = url.query;
    req.headers = std::move(headers);
    req.headers.emplace_back("User-Agent", options.user_agent);
    req.body = std::move(body);
    co_return co_await transport.send(endpoint, req);
}

asio::awaitable<Result<Fetched>> Client::Impl::send_remote(const Remote& r, const std::string& path,
                                                           std::vector<NameValue> headers) {
    const bool plain_known = r.plain && uses_plain_http(r.name);
    const Url url = with_path(plain_known ? *r.plain : r.url, path);
    Result<HttpResponse> first = co_await send(url, "GET", headers, "");
    if (first) co_return Fetched{std::move(*first), url};
    if (!r.plain || plain_known) co_return unreachable(r, first.error());
    // https failed to connect or handshake: an insecure registry may speak plain http.
    const Url plain = with_path(*r.plain, path);
    Result<HttpResponse> fallback = co_await send(plain, "GET", std::move(headers), "");
    if (!fallback) co_return unreachable(r, fallback.error());
    // A TLS-only server answers plain http with a bare 400; its https error says more.
    if (fallback->status == 400 && parse_error_response(400, fallback->body, "").code.empty())
        co_return unreachable(r, first.error());
    remember_plain_http(r.name);
    co_return Fetched{std::move(*fallback), plain};
}

asio::awaitable<Result<Token>> Client::Impl::fetch_token(const Challenge& bearer,
                                                         const std::vector<std::string>& scopes,
                                                         const Credentials& creds, bool offline,
                                                         const Url& context) {
    Result<Url> realm = parse_url(bearer.param("realm"));
    if (!realm) {
        co_return make_error(Errc::unavailable, describe_get(context) +
                                                    ": the registry's token realm is unusable: " +
                                                    realm.error().message);
    }
    const TokenRequest tr = token_request(bearer, scopes, creds, offline);
    std::vector<NameValue> headers;
    Url url = *realm;
    std::string body;
    if (tr.method == "POST") {
        headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        body = tr.form_body;
    } else {
        url.query.insert(url.query.end(), tr.query.begin(), tr.query.end());
    }
    if (!tr.authorization.empty()) headers.emplace_back("Authorization", tr.authorization);
    Result<HttpResponse> resp = co_await send(url, tr.method, std::move(headers), std::move(body));
    if (!resp) {
        co_return make_error(
            Errc::unavailable,
            describe_get(context) + ": token service is unreachable: " + resp.error().message);
    }
    if (resp->status < 200 || resp->status > 299) {
        co_return request_error(
            describe_get(context),
            parse_error_response(resp->status, resp->body, resp->header("WWW-Authenticate")));
    }
    Result<Token> token = parse_token_response(resp->body);
    if (!token) {
        co_return make_error(Errc::unavailable,
                             describe_get(context) + ": token service: " + token.error().message);
    }
    co_return token;
}

asio::awaitable<Result<std::string>> Client::Impl::authorization(
    const Remote& r, const std::optional<Challenge>& challenge, const std::string& scope,
    const Credentials& creds, const Url& context, bool fresh) {
    if (!creds.registry_token.empty()) co_return "Bearer " + creds.registry_token;
    if (!challenge) co_return std::string();
    if (challenge->scheme == "basic") {
        if (creds.username.empty()) co_return std::string();
        co_return basic_authorization(creds.username, creds.password);
    }
    if (challenge->scheme != "bearer") co_return std::string();
    const std::string key = r.name + "\n" + scope + "\n" + credential_key(creds);
    if (fresh) {
        drop_token(key);
    } else if (std::optional<std::string> cached = cached_token(key)) {
        co_return "Bearer " + *cached;
    }
    std::vector<std::string> scopes;
    if (!scope.empty()) scopes.push_back(scope);
    Result<Token> token = co_await fetch_token(*challenge, scopes, creds, false, context);
    if (!token) co_return token.error();
    store_token(key, *token);
    co_return "Bearer " + token->token;
}

asio::awaitable<Result<Fetched>> Client::Impl::follow_redirects(Fetched fetched,
                                                                const std::string& accept,
                                                                const std::string& auth) {
    const Url origin = fetched.url;
    for (int hops = 0; is_redirect(fetched.response.status); ++hops) {
        if (hops == kMaxRedirects) {
            co_return make_error(Errc::unavailable, describe_get(origin) + ": stopped after " +
                                                        std::to_string(kMaxRedirects) +
                                                        " redirects");
        }
        const std::string_view location = fetched.response.header("Location");
        if (location.empty()) {
            co_return make_error(Errc::unavailable,
                                 describe_get(fetched.url) + ": redirect without a Location");
        }
        Result<Url> next = resolve_location(fetched.url, location);
        if (!next) co_return make_error(Errc::unavailable, next.error().message);
        std::vector<NameValue> headers;
        if (!accept.empty()) headers.emplace_back("Accept", accept);
        // Credentials for the registry go to the registry only, not to object storage.
        if (!auth.empty() && next->host == origin.host && next->port == origin.port)
            headers.emplace_back("Authorization", auth);
        Result<HttpResponse> resp = co_await send(*next, "GET", std::move(headers), "");
        if (!resp) {
            co_return make_error(Errc::unavailable,
                                 describe_get(*next) + ": " + resp.error().message);
        }
        fetched = Fetched{std::move(*resp), *next};
    }
    co_return fetched;
}

asio::awaitable<Result<Fetched>> Client::Impl::get(const Remote& r, const std::string& path,
                                                   const std::string& accept,
                                                   const std::string& scope,
                                                   const Credentials& creds) {
    const Url context = with_path(r.plain && uses_plain_http(r.name) ? *r.plain : r.url, path);
    Result<std::string> auth =
        co_await authorization(r, known_challenge(r.name), scope, creds, context, false);
    if (!auth) co_return auth.error();
    for (int attempt = 0;; ++attempt) {
        std::vector<NameValue> headers;
        if (!accept.empty()) headers.emplace_back("Accept", accept);
        if (!auth->empty()) headers.emplace_back("Authorization", *auth);
        Result<Fetched> fetched = co_await send_remote(r, path, std::move(headers));
        if (!fetched) co_return fetched.error();
        if (fetched->response.status != 401 || attempt == 1 || !creds.registry_token.empty())
            co_return co_await follow_redirects(std::move(*fetched), accept, *auth);
        const std::optional<Challenge> challenge = pick_challenge(challenges_of(fetched->response));
        if (!challenge) co_return fetched;
        remember_challenge(r.name, *challenge);
        Result<std::string> retry =
            co_await authorization(r, challenge, scope, creds, fetched->url, true);
        if (!retry) co_return retry.error();
        // Nothing new to offer (no credentials for Basic, or the same ones again): the 401 stands.
        if (retry->empty() || (challenge->scheme == "basic" && *retry == *auth)) co_return fetched;
        auth = std::move(retry);
    }
}

asio::awaitable<Result<Image>> Client::Impl::resolve_at(const Remote& r, const Reference& ref,
                                                        const Platform& platform,
                                                        const Credentials& creds) {
    const std::string scope = pull_scope(ref.path);
    const std::string base = "/v2/" + ref.path;
    const std::string accept = manifest_accept_header();
    Result<Fetched> top =
        co_await get(r, base + "/manifests/" + ref.manifest_reference(), accept, scope, creds);
    if (!top) co_return top.error();
    const HttpResponse& top_response = top->response;
    if (top_response.status != 200) {
        co_return pull_error(ref, parse_error_response(top_response.status, top_response.body,
                                                       top_response.header("WWW-Authenticate")));
    }
    if (top_response.body.size() > kMaxManifestBytes) {
        co_return make_error(Errc::unavailable,
                             "manifest for " + ref.familiar_string() + " is larger than 4 MiB");
    }
    // By digest, the bytes must hash to it; by tag, to what the registry says the tag names.
    std::string top_digest = ref.digest;
    if (top_digest.empty()) {
        const std::string_view header = top_response.header("Docker-Content-Digest");
        top_digest = parse_digest(header) ? std::string(header)
                                          : compute_digest("sha256", top_response.body).str();
    }
    Status verified =
        verify(top_digest, top_response.body, "manifest for " + ref.familiar_string());
    if (!verified) co_return verified.error();
    Result<Manifest> manifest =
        parse_manifest(top_response.body, top_response.header("Content-Type"));
    if (!manifest) co_return manifest.error().wrap("manifest for " + ref.familiar_string());

    std::string platform_digest = top_digest;
    if (manifest->kind == Manifest::Kind::index) {
        Result<Descriptor> chosen = select_manifest(*manifest, platform);
        if (!chosen) co_return chosen.error();
        Result<Fetched> sub =
            co_await get(r, base + "/manifests/" + chosen->digest, accept, scope, creds);
        if (!sub) co_return sub.error();
        const HttpResponse& resp = sub->response;
        if (resp.status != 200) {
            co_return pull_error(
                ref, parse_error_response(resp.status, resp.body, resp.header("WWW-Authenticate")));
        }
        for (const Status& s : {check_size(*chosen, resp.body, "manifest"),
                                verify(chosen->digest, resp.body, "manifest " + chosen->digest)}) {
            if (!s) co_return s.error();
        }
        manifest = parse_manifest(resp.body, resp.header("Content-Type"));
        if (!manifest) co_return manifest.error().wrap("manifest " + chosen->digest);
        if (manifest->kind != Manifest::Kind::image) {
            co_return make_error(Errc::not_implemented,
                                 "manifest " + chosen->digest + ": an index inside an index");
        }
        platform_digest = chosen->digest;
    }

    const Descriptor& config = manifest->config;
    Result<Fetched> blob = co_await get(r, base + "/blobs/" + config.digest, "", scope, creds);
    if (!blob) co_return blob.error();
    const HttpResponse& resp = blob->response;
    if (resp.status != 200) {
        co_return pull_error(
            ref, parse_error_response(resp.status, resp.body, resp.header("WWW-Authenticate")));
    }
    if (resp.body.size() > kMaxConfigBytes) {
        co_return make_error(Errc::unavailable, "image config " + config.digest + " is too large");
    }
    for (const Status& s : {check_size(config, resp.body, "image config"),
                            verify(config.digest, resp.body, "image config " + config.digest)}) {
        if (!s) co_return s.error();
    }
    co_return make_image(ref, top_digest, platform_digest, *manifest, resp.body);
}

Client::Client(asio::any_io_executor executor, aws::Transport& transport, RegistryOptions options)
    : executor_(std::move(executor)),
      impl_(std::make_unique<Impl>(transport, std::move(options))) {}

Client::~Client() = default;

const RegistryOptions& Client::options() const {
    return impl_->options;
}

asio::awaitable<Result<Image>> Client::resolve(Reference ref, Credentials creds) {
    co_return co_await resolve(std::move(ref), impl_->options.platform, std::move(creds));
}

asio::awaitable<Result<Image>> Client::resolve(Reference ref, Platform platform,
                                               Credentials creds) {
    Result<std::vector<Remote>> remotes = impl_->remotes_for(ref);
    if (!remotes) co_return remotes.error();
    std::optional<Error> last;
    for (const Remote& r : *remotes) {
        Result<Image> image = co_await impl_->resolve_at(r, ref, platform, creds);
        if (image) co_return image;
        last = image.error();
    }
    co_return *last;
}

asio::awaitable<Status> Client::login(std::string server, Credentials creds) {
    Result<Remote> r = impl_->own_remote(normalize_server_address(server));
    if (!r) co_return r.error();
    Result<Fetched> first = co_await impl_->send_remote(*r, "/v2/", std::vector<NameValue>());
    if (!first) co_return first.error();
    const int status = first->response.status;
    if (status >= 200 && status <= 299) co_return ok();
    if (status != 401) co_return login_failed(first->url, status);
    const std::optional<Challenge> challenge = pick_challenge(challenges_of(first->response));
    if (!challenge) co_return login_failed(first->url, status);
    impl_->remember_challenge(r->name, *challenge);
    std::string auth;
    if (challenge->scheme == "bearer") {
        const std::vector<std::string> no_scopes;
        Result<Token> token =
            co_await impl_->fetch_token(*challenge, no_scopes, creds, true, first->url);
        if (!token) co_return token.error();
        auth = "Bearer " + token->token;
    } else if (!creds.username.empty()) {
        auth = basic_authorization(creds.username, creds.password);
    } else {
        co_return login_failed(first->url, status);
    }
    std::vector<NameValue> headers;
    headers.emplace_back("Authorization", auth);
    Result<Fetched> second = co_await impl_->send_remote(*r, "/v2/", std::move(headers));
    if (!second) co_return second.error();
    if (second->response.status >= 200 && second->response.status <= 299) co_return ok();
    co_return login_failed(second->url, second->response.status);
}

}  // namespace sockerless::registry
