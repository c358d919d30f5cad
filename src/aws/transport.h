#pragma once
// The HTTP transport under the AWS clients: where a service is (endpoints), how a signed request
// reaches it (connection pool, TLS, proxies, timeouts), and one response back. It knows nothing
// of AWS semantics: signing, retries and error parsing live in the client executor above it.
//
// Contract:
//   - send() takes a request already signed with sigv4.h's sign(); it sends encoded_path(req) and
//     canonical_query_string(req.query) as the request-target and the headers exactly as given
//     (the Host header is req.host unless the request carries one). Nothing that was signed is
//     rewritten.
//   - Any HTTP status is a value. An Error means no complete response arrived: Errc::timeout for
//     a connect or request timeout, Errc::unavailable for refused, reset, unreachable, TLS and
//     protocol failures. The message names the endpoint and the cause.
//   - Connections are reused per (scheme, host, port, proxy) while idle and healthy; a request
//     that finds a pooled connection closed by the peer before any byte of the response arrived
//     is retried once on a fresh connection (this is not an API retry; the executor never sees it).
//   - Thread-safe: send() may be called concurrently from any executor.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "base/error.h"

namespace sockerless::aws {

// ---- Endpoints ----------------------------------------------------------------------------------

struct Endpoint {
    std::string scheme = "https";  // "https" or "http"
    std::string host;              // DNS name or IP literal (IPv6 without brackets)
    std::uint16_t port = 443;
    // "" or "/prefix" from an endpoint URL with a path. The caller prepends it to the request's
    // path before signing; the transport sends the path exactly as signed.
    std::string base_path;

    // The Host header value: "host" when the port is the scheme's default, else "host:port".
    [[nodiscard]] std::string host_header() const;
    // "https://host[:port][/base]"
    [[nodiscard]] std::string url() const;
};

// "http://127.0.0.1:4566" or "https://host/base" -> Endpoint; invalid_argument when malformed.
Result<Endpoint> parse_endpoint_url(std::string_view url);

// What identifies a service for endpoint resolution, as in botocore's service model metadata.
struct ServiceId {
    std::string service_id;       // "ECS", "S3", "CloudWatch Logs", "EC2", "EFS", "STS"
    std::string endpoint_prefix;  // "ecs", "s3", "logs", "ec2", "elasticfilesystem", "sts"
    std::string signing_name;     // "ecs", "s3", "logs", "ec2", "elasticfilesystem", "sts"
};

// Where `service` is for `region`, in the SDKs' order: an explicit override (a flag or config
// value) first, then AWS_ENDPOINT_URL_<SERVICE_ID> (service id uppercased, spaces to '_'), then
// AWS_ENDPOINT_URL, then the AWS partition's default https://<prefix>.<region>.amazonaws.com
// (amazonaws.com.cn for cn-*; us-east-1 S3 is s3.amazonaws.com; STS uses the regional endpoint).
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips the two environment variables.
Result<Endpoint> resolve_endpoint(const Environment& env, const ServiceId& service,
                                  std::string_view region,
                                  const std::optional<std::string>& override_url = std::nullopt);

// ---- Proxies ------------------------------------------------------------------------------------

struct ProxySettings {
    std::optional<Endpoint> https_proxy;  // HTTPS_PROXY / https_proxy: CONNECT tunnel for https
    std::optional<Endpoint> http_proxy;   // HTTP_PROXY / http_proxy: absolute-form for http
    std::vector<std::string> no_proxy;    // NO_PROXY / no_proxy entries, trimmed, lowercased
    // "Basic <base64(user:password)>" from the proxy URL's userinfo (percent-decoded), or "".
    std::string https_proxy_authorization;
    std::string http_proxy_authorization;
};

// Reads the variables (upper case wins over lower case, as curl and the SDKs do). A proxy URL
// may carry user:password, sent as Proxy-Authorization: Basic.
Result<ProxySettings> proxy_settings(const Environment& env);

// NO_PROXY matching as curl does: "*" matches everything; an entry matches the host itself and
// any subdomain ("example.com" and ".example.com" both match "a.example.com"); IP literals match
// exactly; an entry with ":port" matches only that port.
bool bypasses_proxy(const ProxySettings& proxies, std::string_view host, std::uint16_t port);

// ---- The transport ------------------------------------------------------------------------------

struct HttpResponse {
    int status = 0;
    std::vector<NameValue> headers;
    std::string body;

    // The header's value, matched case-insensitively; "" when absent.
    [[nodiscard]] std::string_view header(std::string_view name) const;
};

struct TransportOptions {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds request_timeout{60'000};  // from the first byte sent to the last read
    std::chrono::seconds idle_timeout{30};  // pooled connections older than this are closed
    std::size_t max_idle_per_host = 16;
    std::size_t max_response_bytes = std::size_t{64} * 1024 * 1024;
    std::optional<std::string> ca_file;  // PEM bundle; default: the system's trust store
    ProxySettings proxies;
};

class Transport {
public:
    Transport(boost::asio::any_io_executor executor, TransportOptions options);
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    boost::asio::awaitable<Result<HttpResponse>> send(const Endpoint& endpoint,
                                                      const HttpRequest& request);

    // Closes every pooled connection; in-flight requests finish on their own connection.
    void close_idle();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A blocking CredentialFetcher for the credential chain's metadata endpoints (ECS container
// credentials, IMDSv2): one connection per call, plain HTTP (those endpoints are link-local or
// loopback), never through a proxy, with a short timeout (default 1 s connect, 2 s total).
class BlockingFetcher final : public CredentialFetcher {
public:
    explicit BlockingFetcher(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    Result<FetchResponse> fetch(const FetchRequest& request) override;

private:
    std::chrono::milliseconds timeout_;
};

}  // namespace sockerless::aws
