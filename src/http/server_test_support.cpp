#include "http/server_test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>

namespace sockerless::http::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// ---- Files --------------------------------------------------------------------------------------

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    // Short: unix socket paths are limited to 107 bytes.
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/slhttp-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

// ---- Certificates -------------------------------------------------------------------------------

namespace {

struct KeyDeleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertDeleter {
    void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("OpenSSL: ") + what);
}

Key make_key() {
    Key key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EVP_EC_gen");
    return key;
}

void add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

enum class Kind { ca, server, client };

Cert make_cert(EVP_PKEY* key, const char* cn, Kind kind, X509* issuer, EVP_PKEY* issuer_key) {
    static long serial = 1;
    Cert cert(X509_new());
    check(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                               -1, -1, 0);
    X509* signer = kind == Kind::ca ? cert.get() : issuer;
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, signer, cert.get(), nullptr, nullptr, 0);
    add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    if (kind == Kind::ca) {
        add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(cert.get(), &ctx, NID_basic_constraints, "CA:FALSE");
        add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
        add_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
        add_ext(cert.get(), &ctx, NID_ext_key_usage,
                kind == Kind::server ? "serverAuth" : "clientAuth");
        if (kind == Kind::server) {
            add_ext(cert.get(), &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
        }
    }
    check(X509_sign(cert.get(), kind == Kind::ca ? key : issuer_key, EVP_sha256()) > 0,
          "X509_sign");
    return cert;
}

void write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
    FILE* f = std::fopen(path.c_str(), "w");
    check(f != nullptr, "fopen");
    bool ok = true;
    if (cert != nullptr) ok = PEM_write_X509(f, cert) == 1;
    if (key != nullptr) {
        ok = ok && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    }
    ok = (std::fclose(f) == 0) && ok;
    check(ok, "PEM_write");
}

KeyPair issue(const std::string& dir, const std::string& name, const char* cn, Kind kind, X509* ca,
              EVP_PKEY* ca_key) {
    Key key = make_key();
    Cert cert = make_cert(key.get(), cn, kind, ca, ca_key);
    KeyPair pair{dir + "/" + name + ".pem", dir + "/" + name + "-key.pem"};
    write_pem(pair.cert, cert.get(), nullptr);
    write_pem(pair.key, nullptr, key.get());
    return pair;
}

}  // namespace

Pki make_pki(const std::string& dir) {
    Key ca_key = make_key();
    Cert ca = make_cert(ca_key.get(), "sockerless test CA", Kind::ca, nullptr, nullptr);
    Key other_key = make_key();
    Cert other = make_cert(other_key.get(), "unrelated CA", Kind::ca, nullptr, nullptr);
    Pki pki;
    pki.ca_file = dir + "/ca.pem";
    write_pem(pki.ca_file, ca.get(), nullptr);
    pki.server = issue(dir, "server", "localhost", Kind::server, ca.get(), ca_key.get());
    pki.client = issue(dir, "client", "client", Kind::client, ca.get(), ca_key.get());
    pki.stranger = issue(dir, "stranger", "stranger", Kind::client, other.get(), other_key.get());
    return pki;
}

// ---- The server on a thread ---------------------------------------------------------------------

std::vector<std::string> ServerHost::start(ServerOptions options) {
    server_ = std::make_unique<Server>(context_.get_executor(), router_, std::move(options));
    auto bound = server_->listen();
    if (!bound) throw std::runtime_error("listen: " + bound.error().message);
    server_->start();
    thread_ = std::thread([this] { context_.run(); });
    return *bound;
}

void ServerHost::shutdown() {
    if (!thread_.joinable()) return;
    asio::post(context_, [this] { server_->shutdown(); });
    // The context runs out of work once every connection and handler has ended.
    auto done = std::async(std::launch::async, [this] { thread_.join(); });
    if (done.wait_for(kWait) != std::future_status::ready) {
        ADD_FAILURE() << "the server's connections did not end after shutdown()";
        context_.stop();
        done.wait();
    }
}

ServerHost::~ServerHost() {
    shutdown();
    if (thread_.joinable()) thread_.join();
}

Gate::Gate(asio::io_context& context) : timer_(context) {
    timer_.expires_at(asio::steady_timer::time_point::max());
}

asio::awaitable<void> Gate::wait() {
    while (!open_)
        co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
}

void Gate::open() {
    asio::post(timer_.get_executor(), [this] {
        open_ = true;
        timer_.cancel();
    });
}

// ---- Clients ------------------------------------------------------------------------------------

std::optional<std::string> Response::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (beast::iequals(n, name)) return v;
    }
    return std::nullopt;
}

RawClient RawClient::unix_socket(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        throw std::runtime_error("connect " + path + ": " + std::strerror(errno));
    }
    return RawClient(fd);
}

RawClient RawClient::tcp(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        throw std::runtime_error("connect 127.0.0.1:" + std::to_string(port) + ": " +
                                 std::strerror(errno));
    }
    return RawClient(fd);
}

RawClient::RawClient(RawClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

RawClient::~RawClient() {
    close();
}

void RawClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void RawClient::send(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(std::string("send: ") + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

void RawClient::shutdown_write() {
    ::shutdown(fd_, SHUT_WR);
}

bool RawClient::fill() {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kWait).count()));
    if (ready == 0) throw std::runtime_error("timed out waiting for the server");
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0) {
        if (errno == ECONNRESET) return false;
        throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
    }
    if (n == 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
}

std::string RawClient::read_line() {
    std::size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
        if (!fill()) throw std::runtime_error("EOF in a line; have: " + buffer_);
    }
    std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return line;
}

std::string RawClient::read_exact(std::size_t n) {
    while (buffer_.size() < n) {
        if (!fill()) throw std::runtime_error("EOF before " + std::to_string(n) + " bytes");
    }
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return out;
}

std::string RawClient::read_to_eof() {
    while (fill()) {
    }
    return std::exchange(buffer_, {});
}

bool RawClient::at_eof() {
    return buffer_.empty() && !fill();
}

Response RawClient::read_head() {
    Response res;
    const std::string status_line = read_line();
    // "HTTP/1.1 200 OK"
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) {
        throw std::runtime_error("bad status line: " + status_line);
    }
    res.status = std::stoi(status_line.substr(9, 3));
    res.reason = status_line.size() > 13 ? status_line.substr(13) : "";
    while (true) {
        std::string line = read_line();
        if (line.empty()) break;
        const std::size_t colon = line.find(':');
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
            value.erase(0, 1);
        res.headers.emplace_back(line.substr(0, colon), value);
    }
    return res;
}

std::string RawClient::read_chunk() {
    const std::string size_line = read_line();
    const std::size_t size = std::stoul(size_line, nullptr, 16);
    std::string data = read_exact(size);
    if (read_line() != "") throw std::runtime_error("chunk not followed by CRLF");
    return data;
}

Response RawClient::read_response(bool head_request) {
    Response res = read_head();
    if (head_request || res.status == 204 || res.status == 304 || res.status / 100 == 1) return res;
    if (auto te = res.header("Transfer-Encoding"); te && beast::iequals(*te, "chunked")) {
        while (true) {
            std::string chunk = read_chunk();
            if (chunk.empty()) break;
            res.body += chunk;
        }
    } else if (auto length = res.header("Content-Length")) {
        res.body = read_exact(std::stoul(*length));
    } else {
        res.body = read_to_eof();
    }
    return res;
}

std::string get(std::string_view target, std::string_view extra) {
    std::string out = "GET " + std::string(target) + " HTTP/1.1\r\nHost: docker\r\n";
    out += extra;
    out += "\r\n";
    return out;
}

std::optional<Response> tls_request(std::uint16_t port, const std::string& ca_file,
                                    const std::optional<KeyPair>& client, std::string_view target) {
    asio::io_context io;
    ssl::context ctx(ssl::context::tls_client);
    ctx.load_verify_file(ca_file);
    ctx.set_verify_mode(ssl::verify_peer);
    if (client) {
        ctx.use_certificate_chain_file(client->cert);
        ctx.use_private_key_file(client->key, ssl::context::pem);
    }
    ssl::stream<tcp::socket> stream(io, ctx);
    stream.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{static_cast<time_t>(std::chrono::seconds(kWait).count()), 0};
    ::setsockopt(stream.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    boost::system::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    if (ec) return std::nullopt;
    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, "docker");
    bhttp::write(stream, req, ec);
    if (ec) return std::nullopt;
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res, ec);
    if (ec) return std::nullopt;
    Response out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res)
        out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    out.body = res.body();
    return out;
}

std::optional<std::string> tls_exchange(std::uint16_t port, const std::string& ca_file,
                                        const KeyPair& client, std::string_view bytes) {
    asio::io_context io;
    ssl::context ctx(ssl::context::tls_client);
    ctx.load_verify_file(ca_file);
    ctx.set_verify_mode(ssl::verify_peer);
    ctx.use_certificate_chain_file(client.cert);
    ctx.use_private_key_file(client.key, ssl::context::pem);
    ssl::stream<tcp::socket> stream(io, ctx);
    stream.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{static_cast<time_t>(std::chrono::seconds(kWait).count()), 0};
    ::setsockopt(stream.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    boost::system::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    if (ec) return std::nullopt;
    asio::write(stream, asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec) return std::nullopt;
    std::string out;
    std::array<char, 4096> chunk{};
    while (true) {
        const std::size_t n = stream.read_some(asio::buffer(chunk), ec);
        out.append(chunk.data(), n);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            throw std::runtime_error("timed out waiting for the server");
        }
        if (ec) break;  // EOF, a truncated stream (no close_notify) or a reset
    }
    if (out.empty()) return std::nullopt;
    return out;
}

std::uint16_t port_of(const std::string& url) {
    return static_cast<std::uint16_t>(std::stoul(url.substr(url.rfind(':') + 1)));
}

}  // namespace sockerless::http::test
