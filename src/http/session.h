#pragma once
// Internal to src/http: what the listeners share with the connections they accept, and the entry
// point that serves one connection. Never included outside this directory.

#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>

#include "http/server.h"

namespace sockerless::http::detail {

using Socket = boost::asio::generic::stream_protocol::socket;

// Anything shutdown() must be able to close: live connections, hijacked ones included.
class Closable {
public:
    virtual ~Closable() = default;
    virtual void close() = 0;
};

// Owned jointly by the Server and every session, so a session that outlives the Server (a
// handler still running when it is destroyed) never touches freed memory.
struct ServerState {
    const Router* router = nullptr;
    ServerOptions options;
    std::optional<boost::asio::ssl::context> tls;
    std::vector<std::weak_ptr<Closable>> connections;
    bool stopping = false;
};

// Serves `socket` (over TLS when `tls`) on its executor until the client goes, the connection
// is refused, hijacked or closed by shutdown.
void spawn_session(const std::shared_ptr<ServerState>& state, Socket socket, bool tls);

}  // namespace sockerless::http::detail
