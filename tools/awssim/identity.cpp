#include "identity.h"

#include "base/hex.h"

namespace sockerless::awssim {
namespace {

// Random upper-case alphanumerics, as AWS key ids are made of.
std::string random_key_chars(std::size_t n) {
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    auto hex = random_hex_token(n);
    std::string out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        unsigned v = hex ? static_cast<unsigned>(std::stoul(hex->substr(i * 2, 2), nullptr, 16))
                         : static_cast<unsigned>(i);
        out.push_back(kAlphabet[v % kAlphabet.size()]);
    }
    return out;
}

std::string role_name(std::string_view role_arn) {
    auto slash = role_arn.rfind('/');
    return std::string(slash == std::string_view::npos ? role_arn : role_arn.substr(slash + 1));
}

ApiError unrecognized() {
    return ApiError{403, "UnrecognizedClientException",
                    "The security token included in the request is invalid."};
}

}  // namespace

IdentityStore::IdentityStore(std::string root_access_key, std::string root_secret_key)
    : root_access_key_(std::move(root_access_key)), root_secret_key_(std::move(root_secret_key)) {}

std::optional<std::string> IdentityStore::secret_for(
    std::string_view access_key, std::chrono::system_clock::time_point now) const {
    if (access_key == root_access_key_) return root_secret_key_;
    auto it = sessions_.find(access_key);
    if (it == sessions_.end() || it->second.credentials.expiration <= now) return std::nullopt;
    return it->second.credentials.secret_key;
}

ApiResult<Identity> IdentityStore::identify(std::string_view access_key,
                                            std::string_view session_token) const {
    if (access_key == root_access_key_) {
        if (!session_token.empty()) return unrecognized();
        return Identity{root_access_key_, std::string(kAccountId),
                        "arn:aws:iam::" + std::string(kAccountId) + ":root",
                        std::string(kAccountId), ""};
    }
    auto it = sessions_.find(access_key);
    if (it == sessions_.end()) return unrecognized();
    const auto& creds = it->second.credentials;
    if (!constant_time_equal(creds.session_token, session_token)) return unrecognized();
    std::string role = role_name(creds.role_arn);
    return Identity{creds.access_key, std::string(kAccountId),
                    "arn:aws:sts::" + std::string(kAccountId) + ":assumed-role/" + role + "/" +
                        it->second.session_name,
                    it->second.role_id + ":" + it->second.session_name, creds.role_arn};
}

SessionCredentials IdentityStore::issue_session(const std::string& role_arn,
                                                const std::string& session_name,
                                                std::chrono::system_clock::time_point now,
                                                std::chrono::seconds ttl) {
    SessionCredentials creds;
    creds.access_key = "ASIA" + random_key_chars(16);
    auto secret = random_hex_token(20);
    creds.secret_key = secret ? *secret : random_key_chars(40);
    auto token = random_hex_token(64);
    creds.session_token = token ? *token : random_key_chars(64);
    creds.expiration = now + ttl;
    creds.role_arn = role_arn;
    sessions_[creds.access_key] = Session{creds, session_name, "AROA" + random_key_chars(17)};
    return creds;
}

void IdentityStore::revoke(std::string_view access_key) {
    if (auto it = sessions_.find(access_key); it != sessions_.end()) sessions_.erase(it);
}

}  // namespace sockerless::awssim
