#pragma once
// What a route handler sees of one HTTP exchange on the Docker API listener, without Beast: the
// parsed request, and the ways to answer it (a whole response, a chunked stream, or the raw
// connection after a hijack). server.cpp implements Exchange; routes never include Beast.
//
// Contract for handlers:
//   - Answer exactly once: reply*(), begin_stream() or hijack(). A handler that returns without
//     answering gets a 500 from the server (a bug, logged).
//   - Validate before hijacking: every 4xx must be sent with reply_error() before hijack().
//   - After begin_stream() or hijack() errors can no longer change the status; write what the
//     protocol allows (an error line in a JSON stream, or close).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>

#include "base/error.h"

namespace sockerless::http {

// Docker API versions as major.minor, compared numerically ("1.9" < "1.24").
struct ApiVersion {
    int major = 1;
    int minor = 44;
    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy misreads the defaulted comparison
    friend auto operator<=>(const ApiVersion&, const ApiVersion&) = default;
    [[nodiscard]] std::string str() const;
};
inline constexpr ApiVersion kApiVersion{1, 44};
inline constexpr ApiVersion kMinApiVersion{1, 24};
std::optional<ApiVersion> parse_api_version(std::string_view text);

struct Request {
    std::string method;  // "GET", "POST", "HEAD", ...
    std::string path;    // percent-decoded, without the /vX.Y prefix: "/containers/abc/json"
    std::string target;  // the request-target exactly as received
    std::optional<ApiVersion> version;  // from the /vX.Y prefix; absent: the newest
    std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
    std::vector<std::pair<std::string, std::string>> headers;  // names as received
    std::string body;
    // Path parameters the router matched: "{id}" in "/containers/{id}/json" -> params["id"].
    std::vector<std::pair<std::string, std::string>> params;

    // Case-insensitive; "" when absent.
    [[nodiscard]] std::string_view header(std::string_view name) const;
    [[nodiscard]] std::optional<std::string_view> query_value(std::string_view name) const;
    // Every value of a repeated query parameter, in order.
    [[nodiscard]] std::vector<std::string_view> query_values(std::string_view name) const;
    [[nodiscard]] std::string_view param(std::string_view name) const;
    // Docker's boolean query values (moby's httputils.BoolValue): absent -> `fallback`; "", "0",
    // "false", "no", "none" (any case, surrounding blanks ignored) -> false; anything else -> true.
    [[nodiscard]] bool query_bool(std::string_view name, bool fallback = false) const;
    // An integer query value (absent or empty: nullopt, as moby reads "t="); invalid_argument
    // naming the parameter when it is not one.
    [[nodiscard]] Result<std::optional<std::int64_t>> query_int(std::string_view name) const;
    // The effective API version: the prefix's, or kApiVersion without one.
    [[nodiscard]] ApiVersion api_version() const { return version.value_or(kApiVersion); }
};

// The raw connection after a hijack. Bytes the client sent right after its request headers
// (stdin written before the response arrived) are returned by the first reads.
class Stream {
public:
    virtual ~Stream() = default;
    // Up to buffer.size() bytes; 0 means the client half-closed (EOF) or the connection ended.
    virtual boost::asio::awaitable<Result<std::size_t>> read_some(
        std::span<unsigned char> buffer) = 0;
    // All of `data`, or an error (the client went away).
    virtual boost::asio::awaitable<Status> write(std::span<const unsigned char> data) = 0;
    // `head` then `body` in one gathered write (a stdcopy header and its payload, without first
    // copying them together). This default writes them in turn.
    virtual boost::asio::awaitable<Status> write_parts(std::span<const unsigned char> head,
                                                       std::span<const unsigned char> body);
    // Half-close: the client reads EOF; reading from it still works.
    virtual void shutdown_send() = 0;
    virtual void close() = 0;
};

// A response whose body is written in pieces, each sent and flushed at once (chunked encoding).
class ResponseStream {
public:
    virtual ~ResponseStream() = default;
    // One chunk; an error once the client went away.
    virtual boost::asio::awaitable<Status> write(std::string_view data) = 0;
    // The terminating chunk. The stream is unusable afterwards.
    virtual boost::asio::awaitable<Status> finish() = 0;
    // Completes when the client closed the connection (or sent anything at all, which a
    // streaming client does not do): follow loops race their source against it.
    virtual boost::asio::awaitable<void> closed() = 0;
    [[nodiscard]] virtual bool is_closed() const noexcept = 0;
};

class Exchange {
public:
    virtual ~Exchange() = default;

    // A whole response with Content-Length.
    virtual boost::asio::awaitable<void> reply(int status, std::string body,
                                               std::string_view content_type) = 0;
    // No body: 204, 304, 201 without content, HEAD answers.
    virtual boost::asio::awaitable<void> reply_empty(int status) = 0;
    // Sends the status and headers at once (flushed) and returns the body's writer.
    virtual boost::asio::awaitable<Result<std::unique_ptr<ResponseStream>>> begin_stream(
        int status, std::string_view content_type) = 0;
    // Takes over the connection: answers "101 UPGRADED" with "Upgrade: tcp" when the client
    // asked to upgrade, else "200 OK", with `content_type`
    // (application/vnd.docker.raw-stream or application/vnd.docker.multiplexed-stream), then
    // returns the raw connection. The connection is never reused for HTTP afterwards.
    virtual boost::asio::awaitable<Result<std::unique_ptr<Stream>>> hijack(
        std::string_view content_type) = 0;
    // Extra response headers for the next reply/begin_stream/hijack (e.g. "Location").
    virtual void add_header(std::string name, std::string value) = 0;

    // Helpers over reply().
    boost::asio::awaitable<void> reply_json(int status, const boost::json::value& body);
    // Docker's error body {"message": "..."} with the status errc maps to (http_status()).
    boost::asio::awaitable<void> reply_error(const Error& error);
};

// The one mapping from the error vocabulary to HTTP statuses (moby's httpstatus).
int http_status(Errc code) noexcept;
// {"message":"..."} as Docker writes it (with a trailing newline).
std::string error_body(std::string_view message);

}  // namespace sockerless::http
