#include "routes/bridge.h"

#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/stdcopy.h"

namespace sockerless::routes {

namespace asio = boost::asio;

namespace {

// Client bytes to the session's stdin until the client half-closes (then close-stdin) or the
// bridge ends.
struct PumpState {
    bool finished = false;  // the session ended: stdin is no longer forwarded
    bool reader_done = false;
    std::unique_ptr<asio::steady_timer> done_signal;
};

// Reads the client until it half-closes or goes away. Until the session ends its bytes go to
// the session's stdin (and EOF becomes close-stdin); afterwards they are discarded, so the
// client can read everything before the connection closes (closing a socket with unread input
// resets it, and a reset can destroy output the client has not read yet).
asio::awaitable<void> read_client(std::shared_ptr<agentclient::Session> session,
                                  std::shared_ptr<http::Stream> stream,
                                  std::shared_ptr<PumpState> state, bool forward) {
    std::vector<unsigned char> buffer(std::size_t{64} * 1024);
    bool stdin_open = forward;
    while (true) {
        auto n = co_await stream->read_some(buffer);
        if (!n || *n == 0) {
            if (stdin_open && !state->finished) session->close_stdin();
            break;
        }
        if (stdin_open && !state->finished) {
            if (Status st = co_await session->write_stdin(std::span(buffer.data(), *n)); !st)
                stdin_open = false;
        }
    }
    state->reader_done = true;
    state->done_signal->cancel();
}

}  // namespace

bool client_reads_past_headers(std::string_view user_agent) {
    return user_agent.starts_with("docker-sdk-python");
}

asio::awaitable<void> write_notice(http::Stream& stream, bool tty, std::string_view text) {
    std::string out;
    if (tty)
        out = text;
    else
        http::append_frame(out, http::StdStream::stdout_, text);
    (void)co_await stream.write(
        std::span(reinterpret_cast<const unsigned char*>(out.data()), out.size()));
}

asio::awaitable<std::optional<agentproto::Exit>> bridge(
    std::shared_ptr<agentclient::Session> session, std::shared_ptr<http::Stream> stream,
    BridgeOptions options) {
    auto executor = co_await asio::this_coro::executor;
    auto state = std::make_shared<PumpState>();
    state->done_signal = std::make_unique<asio::steady_timer>(
        executor, std::chrono::steady_clock::time_point::max());
    asio::co_spawn(executor, read_client(session, stream, state, options.forward_stdin),
                   asio::detached);
    bool client_gone = false;
    if (options.first_output_delay.count() > 0) {
        asio::steady_timer hold(executor, options.first_output_delay);
        boost::system::error_code ec;
        co_await hold.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    while (true) {
        auto piece = co_await session->read();
        if (!piece || !*piece) break;
        if (client_gone) continue;
        const auto& data = (**piece).data;
        Status sent;
        if (options.tty) {
            sent = co_await stream->write(std::span(data.data(), data.size()));
        } else if (!data.empty()) {
            // Agent reads are at most 256 KiB: one stdcopy frame each, header and payload
            // gathered into one write.
            const auto header = http::stdcopy_header((**piece).stream == agentproto::Stream::err
                                                         ? http::StdStream::stderr_
                                                         : http::StdStream::stdout_,
                                                     static_cast<std::uint32_t>(data.size()));
            sent = co_await stream->write_parts(header, std::span(data.data(), data.size()));
        }
        if (!sent) client_gone = true;
    }
    state->finished = true;
    if (options.on_end) options.on_end(session->exit_status());
    stream->shutdown_send();
    // Give the client a moment to read the end and close its side.
    if (!state->reader_done) {
        state->done_signal->expires_after(std::chrono::seconds(2));
        boost::system::error_code ec;
        co_await state->done_signal->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    stream->close();
    co_return session->exit_status();
}

}  // namespace sockerless::routes
