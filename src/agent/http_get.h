#pragma once
// The agent's HTTP(S) client, for the few GETs it makes before the main process starts (task
// credentials, the launch payload). One request per connection (`Connection: close`), TLS 1.2+
// through OpenSSL with SNI and host-name or IP verification against a CA bundle given as PEM
// text (the agent carries its own: images may have none), names resolved with c-ares
// (resolver.h). Beast and Asio's SSL stay in the .cpp.
//
// Contract:
//   - Any HTTP status is a value. An Error means no response header arrived: Errc::timeout when
//     the deadline passed; Errc::forbidden when the server's certificate does not verify (its
//     identity is wrong, not its availability); Errc::unavailable for DNS, refused, reset, other
//     TLS and protocol failures; invalid_argument for a bad URL or CA bundle. Messages name the
//     URL's scheme, host and port, never header values.
//   - get() retries, within the deadline, what another attempt may fix: no response, a 5xx, a
//     body cut short. Not 4xx. Backoff doubles from `backoff` between attempts.
//   - Bodies are limited: a Content-Length over the limit is not read at all.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace boost::asio::ssl {
class context;
}

namespace sockerless::agent {

struct HttpGetOptions {
    std::string ca_pem;  // the CAs trusted for https; must hold at least one certificate
    std::chrono::milliseconds connect_timeout{10'000};
    std::size_t body_limit = 1u << 20;
    int attempts = 3;
    std::chrono::milliseconds backoff{250};
};

struct HttpGetResponse {
    enum class Body {
        whole,
        over_limit,  // not read, or read up to the limit
        cut_short,   // the connection ended early; what arrived is in `body`
    };

    int status = 0;
    std::optional<std::uint64_t> content_length;
    std::string body;
    Body body_state = Body::whole;
    std::string body_problem;  // why the body is not whole, for messages
};

class HttpGetClient {
public:
    explicit HttpGetClient(HttpGetOptions options);
    ~HttpGetClient();
    HttpGetClient(const HttpGetClient&) = delete;
    HttpGetClient& operator=(const HttpGetClient&) = delete;

    // GET `url` with `headers` (Host, User-Agent and Connection are the client's), retried as the
    // contract says, all before `deadline`.
    Result<HttpGetResponse> get(std::string_view url,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                std::chrono::steady_clock::time_point deadline);

    // One attempt, no retry.
    Result<HttpGetResponse> get_once(
        std::string_view url, const std::vector<std::pair<std::string, std::string>>& headers,
        std::chrono::steady_clock::time_point deadline);

private:
    struct Tls;
    Result<boost::asio::ssl::context*> tls_context();

    HttpGetOptions options_;
    std::unique_ptr<Tls> tls_;  // made at the first https request
};

}  // namespace sockerless::agent
