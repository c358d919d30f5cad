#pragma once
// The AWS credential chain, in the order the AWS SDKs search it (botocore 1.43's
// create_credential_resolver, less the sources this project does not implement):
//
//   1. environment variables   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
//   2. web identity            AWS_WEB_IDENTITY_TOKEN_FILE (recognised, not implemented)
//   3. shared credentials file AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials
//   4. shared config file      AWS_CONFIG_FILE or ~/.aws/config
//   5. ECS container endpoint  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI
//   6. EC2 instance metadata   IMDSv2, falling back to IMDSv1 as botocore does
//
// Everything the chain reads from outside comes through an injected Environment (variables,
// files, clock) and CredentialFetcher (HTTP), so it is unit-tested without touching the process.
//
// Each provider answers one of three ways: credentials; Errc::not_found, whose message says what
// it looked at, and the chain moves on; or any other error, which stops the chain. A source the
// user configured that turns out broken (half a key pair, an unreachable container endpoint, an
// assume-role profile) must fail loudly rather than fall through to weaker credentials, e.g. the
// EC2 instance role.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4.h"
#include "base/error.h"

namespace sockerless::aws {

using SystemClock = std::chrono::system_clock;

// The outside world the chain reads.
struct Environment {
    std::function<std::optional<std::string>(std::string_view name)> getenv;
    std::function<std::optional<std::string>(const std::string& path)> read_file;
    std::function<SystemClock::time_point()> now;

    // The variable's value; an empty value counts as unset, as in the SDKs.
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const;

    // The file's contents; nullopt when it cannot be read (or no reader was given).
    [[nodiscard]] std::optional<std::string> read(const std::string& path) const;
};

// The process's own environment variables, filesystem and system clock.
Environment process_environment();

struct ProvidedCredentials {
    Credentials credentials;
    std::optional<SystemClock::time_point> expiration;  // nullopt: long-term credentials
    std::string source;  // where they came from, for logs: "environment variables", ...
};

// ---- The HTTP seam for the metadata endpoints ---------------------------------------------------

struct FetchRequest {
    std::string method;  // "GET" or "PUT"
    std::string url;     // absolute: "http://169.254.170.2/v2/credentials/..."
    std::vector<NameValue> headers;
};

struct FetchResponse {
    int status = 0;
    std::string body;
};

// Implemented by the transport. Any HTTP status is a value; an Error means no response arrived
// (Errc::timeout for a timeout, Errc::unavailable for refused, reset or unreachable). One attempt
// per call: the endpoints are local and the chain decides what a failure means.
class CredentialFetcher {
public:
    virtual ~CredentialFetcher() = default;
    virtual Result<FetchResponse> fetch(const FetchRequest& request) = 0;
};

// ---- The providers, in chain order
// ----------------------------------------------------------------

Result<ProvidedCredentials> from_environment(const Environment& env);
Result<ProvidedCredentials> from_web_identity(const Environment& env);
Result<ProvidedCredentials> from_shared_credentials_file(const Environment& env);
Result<ProvidedCredentials> from_config_file(const Environment& env);
Result<ProvidedCredentials> from_container_endpoint(const Environment& env,
                                                    CredentialFetcher& fetcher);
Result<ProvidedCredentials> from_instance_metadata(const Environment& env,
                                                   CredentialFetcher& fetcher);

// Runs the providers in order. When none has credentials the error is Errc::unauthorized and
// lists, in order, what each one looked at.
Result<ProvidedCredentials> resolve_credentials(const Environment& env, CredentialFetcher& fetcher);

// ---- Pieces of the chain, exposed for tests and for the region lookup ---------------------------

// AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default".
std::string profile_name(const Environment& env);

// AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE ("~/" expanded), else under $HOME/.aws/;
// nullopt when neither the variable nor HOME is set.
std::optional<std::string> shared_credentials_path(const Environment& env);
std::optional<std::string> config_path(const Environment& env);

// AWS_REGION, else AWS_DEFAULT_REGION, else the profile's `region` (credentials file first, as
// botocore merges it over the config file); nullopt when none is set.
std::optional<std::string> resolve_region(const Environment& env);

// The request the container provider sends: nullopt when neither URI variable is set. Errors:
// a full URI that is neither https nor to a loopback or ECS/EKS agent address
// (invalid_argument), an unreadable token file, a token that is not a legal header value.
Result<std::optional<FetchRequest>> container_credentials_request(const Environment& env);

// The JSON the container endpoint and IMDS answer with: AccessKeyId, SecretAccessKey, Token and
// Expiration (ISO-8601). Key and secret are required. invalid_argument when malformed.
Result<ProvidedCredentials> parse_credentials_json(std::string_view body, std::string source);

// "2017-05-17T15:09:54Z", with optional fractional seconds and a "Z" or "+hh:mm" offset.
Result<SystemClock::time_point> parse_iso8601(std::string_view text);

// ---- Providers as objects, for the clients
// --------------------------------------------------------

class CredentialsProvider {
public:
    virtual ~CredentialsProvider() = default;
    virtual Result<ProvidedCredentials> credentials() = 0;
};

// Fixed credentials, e.g. the simulator's or ones given on the command line.
class StaticProvider final : public CredentialsProvider {
public:
    explicit StaticProvider(ProvidedCredentials creds) : creds_(std::move(creds)) {}
    Result<ProvidedCredentials> credentials() override { return creds_; }

private:
    ProvidedCredentials creds_;
};

// The whole chain on each call; wrap it in a CachingProvider. `fetcher` must outlive it.
class ChainProvider final : public CredentialsProvider {
public:
    ChainProvider(Environment env, CredentialFetcher& fetcher)
        : env_(std::move(env)), fetcher_(fetcher) {}
    Result<ProvidedCredentials> credentials() override;

private:
    Environment env_;
    CredentialFetcher& fetcher_;
};

inline constexpr std::chrono::seconds kDefaultRefreshWindow{300};

// Hands out the inner provider's credentials until they are within `refresh_window` of their
// expiration, then fetches new ones first, so no request is signed with credentials that expire
// on the way. If that refresh fails while the old credentials are still valid, the old ones are
// returned (and the next call tries again): a metadata-endpoint blip must not fail requests that
// would still succeed. Thread-safe; concurrent callers wait for one refresh.
class CachingProvider final : public CredentialsProvider {
public:
    CachingProvider(std::unique_ptr<CredentialsProvider> inner,
                    std::function<SystemClock::time_point()> now,
                    std::chrono::seconds refresh_window = kDefaultRefreshWindow);

    Result<ProvidedCredentials> credentials() override;

    // Drops the cache, e.g. after AWS answered ExpiredToken.
    void invalidate();

private:
    [[nodiscard]] bool usable_without_refresh(SystemClock::time_point now) const;

    std::unique_ptr<CredentialsProvider> inner_;
    std::function<SystemClock::time_point()> now_;
    std::chrono::seconds refresh_window_;
    std::mutex mutex_;
    std::optional<ProvidedCredentials> cached_;
};

}  // namespace sockerless::aws
