#pragma once
// A session on a connection: an exec'd process or an attachment to the main process. The
// connection routes the client's messages for the session here; output flows through the outlet.

#include <cstdint>
#include <memory>

#include "agent/chunk.h"
#include "agent/outlet.h"
#include "base/error.h"

namespace sockerless::agent {

class Session {
public:
    explicit Session(std::shared_ptr<Outlet> outlet) : outlet_(std::move(outlet)) {}
    virtual ~Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    virtual void on_stdin(Chunk data, std::size_t length) = 0;
    virtual void on_close_stdin() = 0;
    virtual Status on_signal(int signal) = 0;
    virtual Status on_resize(std::uint16_t rows, std::uint16_t cols) = 0;
    // The connection is gone or dropped the session: stop sending, release what the session holds.
    virtual void on_detach() = 0;

    Outlet& outlet() noexcept { return *outlet_; }

protected:
    std::shared_ptr<Outlet> outlet_;
};

}  // namespace sockerless::agent
