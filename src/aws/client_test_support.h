#pragma once
// For the client tests: a real HTTP/1.1 server on 127.0.0.1 (port 0) that answers from a script
// and records every request as it arrived, and a way to run one call to completion on the same
// io_context. The clients under test go through the real Transport to it.

#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "aws/sigv4.h"
#include "aws/transport.h"

namespace sockerless::aws::test_support {

struct RecordedRequest {
    std::string method;
    std::string target;  // path and query as sent
    std::vector<NameValue> headers;
    std::string body;

    [[nodiscard]] std::string header(std::string_view name) const {
        for (const auto& [n, v] : headers) {
            if (n.size() == name.size() &&
                std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) ==
                           std::tolower(static_cast<unsigned char>(b));
                })) {
                return v;
            }
        }
        return {};
    }
};

struct ScriptedAnswer {
    int status = 200;
    std::vector<NameValue> headers;
    std::string body;
    bool drop = false;  // close the connection without answering
};

class ScriptedServer {
public:
    explicit ScriptedServer(boost::asio::io_context& io)
        : acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        boost::asio::co_spawn(io, accept_loop(this), boost::asio::detached);
    }

    [[nodiscard]] Endpoint endpoint() const {
        Endpoint e;
        e.scheme = "http";
        e.host = "127.0.0.1";
        e.port = acceptor_.local_endpoint().port();
        return e;
    }

    void answer(int status, std::string body, std::vector<NameValue> headers = {}) {
        script_.push_back(ScriptedAnswer{status, std::move(headers), std::move(body), false});
    }
    void drop() { script_.push_back(ScriptedAnswer{0, {}, {}, true}); }

    std::vector<RecordedRequest> requests;

private:
    using Socket = boost::asio::ip::tcp::socket;

    static boost::asio::awaitable<void> accept_loop(ScriptedServer* self) {
        for (;;) {
            auto [ec, socket] = co_await self->acceptor_.async_accept(
                boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec) co_return;
            boost::asio::co_spawn(self->acceptor_.get_executor(), serve(self, std::move(socket)),
                                  boost::asio::detached);
        }
    }

    static boost::asio::awaitable<void> serve(ScriptedServer* self, Socket socket) {
        namespace http = boost::beast::http;
        constexpr auto kUse = boost::asio::as_tuple(boost::asio::use_awaitable);
        boost::beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            auto [rec, rn] = co_await http::async_read(socket, buffer, req, kUse);
            if (rec) co_return;
            RecordedRequest recorded;
            recorded.method = std::string(req.method_string());
            recorded.target = std::string(req.target());
            for (const auto& field : req) {
                recorded.headers.emplace_back(std::string(field.name_string()),
                                              std::string(field.value()));
            }
            recorded.body = req.body();
            self->requests.push_back(std::move(recorded));

            ScriptedAnswer answer{500, {}, "no scripted answer left", false};
            if (!self->script_.empty()) {
                answer = std::move(self->script_.front());
                self->script_.pop_front();
            }
            if (answer.drop) co_return;
            http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
            for (const auto& [n, v] : answer.headers)
                res.set(n, v);
            res.body() = std::move(answer.body);
            res.prepare_payload();
            res.keep_alive(req.keep_alive());
            auto [wec, wn] = co_await http::async_write(socket, res, kUse);
            if (wec) co_return;
        }
    }

    boost::asio::ip::tcp::acceptor acceptor_;
    std::deque<ScriptedAnswer> script_;
};

// Runs `call` on `io` until it completes (at most `limit`); nullopt when it did not.
template <class T>
std::optional<T> run(boost::asio::io_context& io, boost::asio::awaitable<T> call,
                     std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    std::optional<T> out;
    std::exception_ptr failure;
    boost::asio::co_spawn(io, std::move(call), [&](const std::exception_ptr& e, T value) {
        failure = e;
        if (!e) out.emplace(std::move(value));
    });
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!out && !failure && std::chrono::steady_clock::now() < deadline) {
        io.run_one_for(std::chrono::milliseconds(50));
    }
    if (failure) std::rethrow_exception(failure);
    return out;
}

}  // namespace sockerless::aws::test_support
