#include "agent/task_metadata.h"

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace sockerless::agent {
namespace {

TEST(ParseHttpUrl, SplitsHostPortAndTarget) {
    auto url = parse_http_url("http://169.254.170.2/v4/abc-123");
    ASSERT_TRUE(url.has_value());
    EXPECT_EQ(url->host, "169.254.170.2");
    EXPECT_EQ(url->port, 80);
    EXPECT_EQ(url->target, "/v4/abc-123");
    auto local = parse_http_url("http://127.0.0.1:4566");
    ASSERT_TRUE(local.has_value());
    EXPECT_EQ(local->port, 4566);
    EXPECT_EQ(local->target, "/");
}

TEST(ParseHttpUrl, RefusesWhatNeedsDnsOrTls) {
    EXPECT_FALSE(parse_http_url("https://169.254.170.2/v4").has_value());
    EXPECT_FALSE(parse_http_url("http://metadata.local/v4").has_value());
    EXPECT_FALSE(parse_http_url("http://127.0.0.1:0/v4").has_value());
    EXPECT_FALSE(parse_http_url("http://127.0.0.1:70000/v4").has_value());
}

TEST(ContainerMetadata, TakesTheFirstIpv4OfTheFirstNetwork) {
    auto ip = ipv4_from_container_metadata(
        R"({"Name":"app","Networks":[{"NetworkMode":"awsvpc","IPv4Addresses":["10.0.2.106"]}]})");
    ASSERT_TRUE(ip.has_value());
    EXPECT_EQ(*ip, "10.0.2.106");
    EXPECT_FALSE(ipv4_from_container_metadata(R"({"Networks":[]})").has_value());
    EXPECT_FALSE(ipv4_from_container_metadata("not json").has_value());
    EXPECT_FALSE(
        ipv4_from_container_metadata(R"({"Networks":[{"IPv4Addresses":[7]}]})").has_value());
}

// A one-shot HTTP server on 127.0.0.1 answering `body` with `status`.
class OneShotServer {
public:
    OneShotServer(int status, std::string body)
        : acceptor_(io_, {boost::asio::ip::make_address_v4("127.0.0.1"), 0}) {
        thread_ = std::thread([this, status, body = std::move(body)] {
            boost::asio::ip::tcp::socket socket(io_);
            acceptor_.accept(socket);
            boost::asio::streambuf request;
            boost::asio::read_until(socket, request, "\r\n\r\n");
            std::string response = "HTTP/1.1 " + std::to_string(status) +
                                   " X\r\nContent-Length: " + std::to_string(body.size()) +
                                   "\r\nConnection: close\r\n\r\n" + body;
            boost::asio::write(socket, boost::asio::buffer(response));
        });
    }
    ~OneShotServer() { thread_.join(); }
    OneShotServer(const OneShotServer&) = delete;
    OneShotServer& operator=(const OneShotServer&) = delete;

    std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
               std::string(path);
    }

private:
    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::thread thread_;
};

TEST(FetchTaskIpv4, ReadsTheAddressOverHttp) {
    std::string address;
    {
        OneShotServer server(200, R"({"Networks":[{"IPv4Addresses":["127.77.0.9"]}]})");
        auto ip = fetch_task_ipv4(server.url("/v4/task-1"), std::chrono::seconds(5));
        ASSERT_TRUE(ip.has_value()) << ip.error().message;
        address = *ip;
    }
    EXPECT_EQ(address, "127.77.0.9");
}

TEST(FetchTaskIpv4, ReportsHttpErrorsAndRefusals) {
    {
        OneShotServer server(404, "{}");
        auto ip = fetch_task_ipv4(server.url("/v4/x"), std::chrono::seconds(5));
        ASSERT_FALSE(ip.has_value());
        EXPECT_NE(ip.error().message.find("HTTP 404"), std::string::npos) << ip.error().message;
    }
    // A port nobody listens on: bind one, learn it, close it.
    std::uint16_t port = 0;
    {
        boost::asio::io_context io;
        boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address_v4("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }
    auto ip = fetch_task_ipv4("http://127.0.0.1:" + std::to_string(port) + "/v4/x",
                              std::chrono::seconds(5));
    ASSERT_FALSE(ip.has_value());
    EXPECT_EQ(ip.error().code, Errc::unavailable);
}

}  // namespace
}  // namespace sockerless::agent
