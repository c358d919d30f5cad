#include "agent/resolver.h"

#include <ares.h>
#include <netinet/in.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <mutex>

namespace sockerless::agent {
namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Per DNS try and how many tries per server: short, because the caller's deadline bounds the
// whole lookup anyway and a second server should get its turn early.
constexpr int kTryTimeoutMs = 2000;
constexpr int kTries = 3;

struct Lookup {
    bool done = false;
    int status = ARES_SUCCESS;
    std::vector<asio::ip::address> addresses;
};

void on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
    auto* lookup = static_cast<Lookup*>(arg);
    lookup->done = true;
    lookup->status = status;
    if (status != ARES_SUCCESS || result == nullptr) {
        if (result != nullptr) ares_freeaddrinfo(result);
        return;
    }
    for (const ares_addrinfo_node* node = result->nodes; node != nullptr; node = node->ai_next) {
        if (node->ai_family == AF_INET) {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
            asio::ip::address_v4::bytes_type bytes{};
            std::copy_n(reinterpret_cast<const unsigned char*>(&sin->sin_addr), bytes.size(),
                        bytes.begin());
            lookup->addresses.emplace_back(asio::ip::address_v4(bytes));
        } else if (node->ai_family == AF_INET6) {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
            asio::ip::address_v6::bytes_type bytes{};
            std::copy_n(reinterpret_cast<const unsigned char*>(&sin6->sin6_addr), bytes.size(),
                        bytes.begin());
            lookup->addresses.emplace_back(asio::ip::address_v6(bytes, sin6->sin6_scope_id));
        }
    }
    ares_freeaddrinfo(result);
}

// Owns a c-ares channel.
class Channel {
public:
    Channel() = default;
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;
    ~Channel() {
        if (channel_ != nullptr) ares_destroy(channel_);
    }

    Status init() {
        static std::once_flag once;
        static int library = ARES_SUCCESS;
        std::call_once(once, [] { library = ares_library_init(ARES_LIB_INIT_ALL); });
        if (library != ARES_SUCCESS)
            return make_error(Errc::internal, std::string("c-ares: ") + ares_strerror(library));
        ares_options options{};
        options.timeout = kTryTimeoutMs;
        options.tries = kTries;
        const int status =
            ares_init_options(&channel_, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
        if (status != ARES_SUCCESS) {
            channel_ = nullptr;
            return make_error(Errc::unavailable,
                              std::string("DNS resolver setup: ") + ares_strerror(status));
        }
        return ok();
    }

    // Waits for the channel's sockets or its next timeout (capped at `budget`), then lets
    // c-ares process whatever is ready.
    void step(std::chrono::milliseconds budget) {
        std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> sockets{};
        const int bits = ares_getsock(channel_, sockets.data(), ARES_GETSOCK_MAXNUM);
        std::array<pollfd, ARES_GETSOCK_MAXNUM> fds{};
        nfds_t count = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
            short events = 0;
            if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
            if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
            if (events != 0) fds[count++] = pollfd{sockets[i], events, 0};
        }
        timeval cap{static_cast<time_t>(budget.count() / 1000),
                    static_cast<suseconds_t>((budget.count() % 1000) * 1000)};
        timeval wait{};
        const timeval* next = ares_timeout(channel_, &cap, &wait);
        const int timeout_ms = static_cast<int>(next->tv_sec * 1000 + next->tv_usec / 1000);
        const int ready = ::poll(fds.data(), count, timeout_ms);
        if (ready <= 0) {
            ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
            return;
        }
        for (nfds_t i = 0; i < count; ++i) {
            const bool in = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
            const bool out = (fds[i].revents & POLLOUT) != 0;
            if (in || out) {
                ares_process_fd(channel_, in ? fds[i].fd : ARES_SOCKET_BAD,
                                out ? fds[i].fd : ARES_SOCKET_BAD);
            }
        }
    }

    [[nodiscard]] ares_channel get() const noexcept { return channel_; }

private:
    ares_channel channel_ = nullptr;
};

}  // namespace

Result<std::vector<asio::ip::address>> resolve_host(const std::string& host,
                                                    SteadyClock::time_point deadline) {
    boost::system::error_code ec;
    asio::ip::address literal = asio::ip::make_address(host, ec);
    if (!ec) return std::vector<asio::ip::address>{literal};

    Lookup lookup;  // before the channel: destroying a channel completes its lookups
    Channel channel;
    if (Status st = channel.init(); !st) return st.error();
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    // Answers from /etc/hosts arrive inside this call; DNS answers through step().
    ares_getaddrinfo(channel.get(), host.c_str(), nullptr, &hints, on_addrinfo, &lookup);
    bool timed_out = false;
    while (!lookup.done) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0) {
            timed_out = true;
            ares_cancel(channel.get());  // completes the lookup with ARES_ECANCELLED
            break;
        }
        channel.step(left);
    }
    if (timed_out) return make_error(Errc::timeout, "resolve " + host + ": timed out");
    if (lookup.status != ARES_SUCCESS) {
        return make_error(Errc::unavailable,
                          "resolve " + host + ": " + ares_strerror(lookup.status));
    }
    if (lookup.addresses.empty())
        return make_error(Errc::unavailable, "resolve " + host + ": no addresses");
    std::stable_partition(lookup.addresses.begin(), lookup.addresses.end(),
                          [](const asio::ip::address& a) { return a.is_v4(); });
    return std::move(lookup.addresses);
}

}  // namespace sockerless::agent
