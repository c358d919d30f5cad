#pragma once
// The agent wire protocol (docs/agent-protocol.md), as pure encode/decode functions shared by the
// agent and the daemon's client. Stdio travels in binary WebSocket frames with a 5-byte header;
// everything else is a JSON text frame with a "type" and the "session" it concerns.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.h"

namespace sockerless::agentproto {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::string_view kSubprotocol = "sockerless-agent.v1";
inline constexpr std::string_view kSubprotocolPrefix = "sockerless-agent.v";
// Sent by the agent on every HTTP answer so a client can tell which version it reached.
inline constexpr std::string_view kVersionHeader = "X-Sockerless-Agent-Protocol";
inline constexpr std::uint32_t kDefaultWindow = 4u << 20;
inline constexpr std::size_t kMaxDataPayload = 256u << 10;
inline constexpr std::size_t kMaxControlMessage = 1u << 20;
inline constexpr std::size_t kDataHeaderSize = 5;
// Data frames of a logs session carry the entry's time after the 5-byte header.
inline constexpr std::size_t kLogHeaderSize = kDataHeaderSize + 8;
// Named in hello.features by agents that serve `logs` sessions; older version-1 agents lack it.
inline constexpr std::string_view kFeatureLogs = "logs";

enum class Stream : std::uint8_t { in = 0, out = 1, err = 2 };

struct DataFrame {
    std::uint32_t session = 0;
    Stream stream = Stream::out;
    std::span<const unsigned char> payload;
};

void encode_data_header(std::uint32_t session, Stream stream,
                        unsigned char (&out)[kDataHeaderSize]) noexcept;
Result<DataFrame> decode_data_frame(std::span<const unsigned char> frame);

// A data frame of a logs session: the usual header, then the time the agent read the payload,
// nanoseconds since the Unix epoch, signed 64-bit big-endian. Only streams 1 and 2 occur.
struct LogFrame {
    std::uint32_t session = 0;
    Stream stream = Stream::out;
    std::int64_t time = 0;
    std::span<const unsigned char> payload;
};

void encode_log_header(std::uint32_t session, Stream stream, std::int64_t time,
                       unsigned char (&out)[kLogHeaderSize]) noexcept;
Result<LogFrame> decode_log_frame(std::span<const unsigned char> frame);

// ---- client -> agent -------------------------------------------------------------------------

struct ExecRequest {
    std::uint32_t session = 0;
    std::vector<std::string> argv;
    std::vector<std::string> env;  // KEY=VALUE, applied over the container's environment
    std::string workdir;           // empty: the main process's working directory
    std::string user;              // empty: the agent's user; "uid[:gid]" or "name[:group]"
    bool tty = false;
    bool stdin = false;
    std::uint16_t rows = 0, cols = 0;
    std::uint32_t window =
        kDefaultWindow;  // output bytes the client accepts before a window update
};

struct AttachRequest {
    std::uint32_t session = 0;
    bool stdin = false, stdout = true, stderr = true;
    bool replay = false;  // first send what the bounded replay buffer holds of the current run
    std::uint32_t window = kDefaultWindow;
};

// Starts the main process when the agent holds it (--hold) or, in keep-alive mode, runs it again
// after it exited. An empty argv keeps the previous one.
struct StartRequest {
    std::uint32_t session = 0;
    std::vector<std::string> argv;
    std::vector<std::string> env;
};

struct CloseStdin {
    std::uint32_t session = 0;
};
struct SignalRequest {
    std::uint32_t session = 0;
    int signal = 0;
};
struct Resize {
    std::uint32_t session = 0;
    std::uint16_t rows = 0, cols = 0;
};
// Flow control, both directions: the sender of data may send `bytes` more on `session`.
struct Window {
    std::uint32_t session = 0;
    std::uint32_t bytes = 0;
};

// The main process's output kept by the agent, across its runs, with the time each piece was
// read (docs/agent-protocol.md section 17). Times are nanoseconds since the Unix epoch; 0 in
// `since`/`until` means no bound. `tail` counts lines of the selected output, as Docker does.
struct LogsRequest {
    std::uint32_t session = 0;
    bool stdout = true, stderr = true;
    std::int64_t since = 0;             // entries read at or after this time
    std::int64_t until = 0;             // entries read at or before this time
    std::optional<std::uint64_t> tail;  // the last N lines only; absent: everything
    bool follow = false;                // then live output, until the client or the agent ends
    std::uint32_t window = kDefaultWindow;
};

using ClientMessage = std::variant<ExecRequest, AttachRequest, StartRequest, CloseStdin,
                                   SignalRequest, Resize, Window, LogsRequest>;

// ---- agent -> client -------------------------------------------------------------------------

struct Hello {
    int protocol = kProtocolVersion;
    std::string agent_version;
    std::uint32_t window = kDefaultWindow;  // stdin bytes the agent accepts per session up front
    std::vector<std::string> features;      // additions to version 1 this agent serves
};

struct Started {
    std::uint32_t session = 0;
    int pid = 0;
};

struct Exit {
    std::uint32_t session = 0;
    int code = 0;    // exit status, or 128+signal
    int signal = 0;  // the terminating signal, 0 if the process exited normally
};

struct ErrorMessage {
    std::uint32_t session = 0;  // 0: about the connection as a whole
    Errc code = Errc::internal;
    std::string message;
    bool closed = false;  // the agent dropped the session: no further messages, no exit, follow
};

// The last message of a logs session: everything selected was sent (or, following, the agent
// is ending or the client asked to stop).
struct LogsEnd {
    std::uint32_t session = 0;
    std::uint64_t dropped = 0;  // bytes of output the agent's bounded buffer no longer holds
};

using AgentMessage = std::variant<Hello, Started, Exit, ErrorMessage, Window, LogsEnd>;

std::string serialize(const ClientMessage& message);
std::string serialize(const AgentMessage& message);
Result<ClientMessage> parse_client_message(std::string_view json);
Result<AgentMessage> parse_agent_message(std::string_view json);

// ---- /health -----------------------------------------------------------------------------

struct Health {
    bool ready = false;
    int protocol = kProtocolVersion;
    std::string agent_version;
    bool keep_alive = false;
    int main_pid = 0;  // 0 when no main process is running
    bool main_running = false;
    bool main_exited = false;
    std::optional<int> exit_code;  // of the last run, once it exited
    int runs = 0;                  // how many times the main process was started
};

std::string serialize(const Health& health);
Result<Health> parse_health(std::string_view json);

// "SIGTERM", "TERM", "term" or "15" -> 15. Unknown names and numbers outside 1..64 are invalid.
Result<int> parse_signal(std::string_view text);
std::string_view signal_name(int signal) noexcept;  // "SIGTERM"; "" when unknown

}  // namespace sockerless::agentproto
