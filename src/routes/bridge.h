#pragma once
// Bridges an agent session (exec or attach) to a hijacked client connection: the session's
// output to the client (stdcopy frames, or raw bytes with a TTY), the client's bytes to the
// session's stdin, and the client's half-close to close-stdin. Output keeps streaming after the
// client half-closes; a client that goes away stops the writes, not the session (its output is
// drained so the process never blocks and its exit is still seen).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "agentclient/client.h"
#include "http/exchange.h"

namespace sockerless::routes {

struct BridgeOptions {
    bool tty = false;
    bool forward_stdin = false;
    // Called once the session ended, before the client's side is closed: an exec's exit is
    // recorded before its client can ask for it.
    std::function<void(const std::optional<agentproto::Exit>&)> on_end;
    // Holds the first output back this long after the hijack (see client_reads_past_headers).
    std::chrono::milliseconds first_output_delay{0};
};

// Clients that read the hijacked stream through a buffered HTTP response reader and then switch
// to the raw socket lose whatever arrived together with the response headers. docker-py does
// (it takes response.raw's underlying socket); dockerd's own start-up latency hides it there.
// Go clients (the docker CLI, the Go SDK behind GitLab Runner) and dockerode keep those bytes.
bool client_reads_past_headers(std::string_view user_agent);

// Returns once the session ended (its exit status, if the agent sent one) and the client's
// side is closed.
boost::asio::awaitable<std::optional<agentproto::Exit>> bridge(
    std::shared_ptr<agentclient::Session> session, std::shared_ptr<http::Stream> stream,
    BridgeOptions options);

// Writes `text` to the client as the daemon's own message: raw with a TTY, else a stdout frame.
boost::asio::awaitable<void> write_notice(http::Stream& stream, bool tty, std::string_view text);

}  // namespace sockerless::routes
