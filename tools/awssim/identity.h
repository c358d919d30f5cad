#pragma once
// The simulated account's principals: its long-term access key (the root user), and temporary
// role-session credentials the simulator issues to tasks through the container-credentials
// endpoint. The SigV4 verifier looks secrets up here; services read the resolved Identity.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "account.h"
#include "api_error.h"
#include "service.h"

namespace sockerless::awssim {

struct SessionCredentials {
    std::string access_key;  // "ASIA" + 16 characters, as STS issues
    std::string secret_key;
    std::string session_token;
    std::chrono::system_clock::time_point expiration;
    std::string role_arn;
};

class IdentityStore {
public:
    IdentityStore(std::string root_access_key, std::string root_secret_key);

    // The secret of a known, unexpired key (for the verifier).
    [[nodiscard]] std::optional<std::string> secret_for(
        std::string_view access_key, std::chrono::system_clock::time_point now) const;

    // The identity behind a key whose signature already verified. A session key must come with
    // its session token (X-Amz-Security-Token); a wrong or missing token is AWS's 403
    // UnrecognizedClientException / InvalidClientTokenId depending on the service, reported here
    // as UnrecognizedClientException for the service to translate.
    [[nodiscard]] ApiResult<Identity> identify(std::string_view access_key,
                                               std::string_view session_token) const;

    // New credentials for a session of `role_arn` named `session_name`, valid for `ttl`.
    SessionCredentials issue_session(const std::string& role_arn, const std::string& session_name,
                                     std::chrono::system_clock::time_point now,
                                     std::chrono::seconds ttl);

    // Forgets a session (its task stopped): later requests with it are unrecognized.
    void revoke(std::string_view access_key);

private:
    struct Session {
        SessionCredentials credentials;
        std::string session_name;
        std::string role_id;  // "AROA...", stable for the session
    };

    std::string root_access_key_;
    std::string root_secret_key_;
    std::map<std::string, Session, std::less<>> sessions_;
};

}  // namespace sockerless::awssim
