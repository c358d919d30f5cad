// The client against real docker-registry processes on 127.0.0.1 (tests/registry/fixture.py):
// the project's busybox test image as an OCI manifest, as Docker schema 2, in an OCI index and a
// Docker manifest list with a second platform; a registry in token mode behind a token service,
// one with htpasswd basic auth, and redirecting proxies. Every registry is on loopback, so each
// is reached through the insecure-registry fallback (https fails, http answers).
//
// Skips when docker-registry, skopeo or python3 is missing; the token and basic auth tests skip
// on their own when Python lacks cryptography or bcrypt.

#include "registry/client.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>

#include "registry/digest.h"

extern char** environ;  // NOLINT(readability-identifier-naming)

namespace sockerless::registry {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr auto kSetupLimit = std::chrono::seconds(400);
constexpr auto kCallLimit = std::chrono::seconds(60);

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::optional<std::string> find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string_view rest = path == nullptr ? "/usr/sbin:/usr/bin:/sbin:/bin" : path;
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        const fs::path candidate = fs::path(rest.substr(0, colon)) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
    return std::nullopt;
}

// Runs `argv` with stdout and stderr to `log` and waits for it, at most `limit`: its exit
// status, or an error. The wait is on a pipe only the child holds open (EOF when it exits).
Result<int> run_program(const std::vector<std::string>& argv, const fs::path& log,
                        std::chrono::milliseconds limit) {
    int done[2];
    if (::pipe2(done, O_CLOEXEC) != 0) return errno_error("pipe2", errno);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_adddup2(&actions, done[1], 3);  // dup2 clears close-on-exec
    std::vector<char*> args;
    for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(done[1]);
    if (spawned != 0) {
        ::close(done[0]);
        return errno_error("posix_spawn " + argv[0], spawned);
    }
    pollfd p{done[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(limit.count()));
    ::close(done[0]);
    if (ready == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return make_error(Errc::timeout, argv[0] + " did not finish in time");
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// What every test shares: the skip decision and the fixture's registries.
struct Suite {
    std::string skip;
    std::string failure;
    fs::path dir;
    std::string python;
    json::object fixture;
    bool started = false;

    [[nodiscard]] std::string get(std::string_view key) const {
        const json::value* v = fixture.if_contains(key);
        return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
    }
    [[nodiscard]] std::string skipped(std::string_view key) const {
        const json::value* s = fixture.at("skipped").as_object().if_contains(key);
        return s != nullptr && s->is_string() ? std::string(s->as_string()) : std::string();
    }
};

Suite* suite = nullptr;

fs::path fixture_script() {
    return fs::path(SOCKERLESS_SOURCE_DIR) / "tests" / "registry" / "fixture.py";
}

std::string why_skip(Suite& s) {
    const char* registry_env = std::getenv("DOCKER_REGISTRY");
    const std::string registry_binary =
        registry_env != nullptr && *registry_env != '\0' ? registry_env : "docker-registry";
    std::string missing;
    for (const std::string& tool :
         {registry_binary, std::string("skopeo"), std::string("python3"), std::string("busybox")}) {
        if (!find_program(tool)) missing += (missing.empty() ? "" : " and ") + tool;
    }
    if (!missing.empty()) return "needs " + missing;
    s.python = *find_program("python3");
    return "";
}

std::string start(Suite& s) {
    char pattern[] = "/tmp/registry-client-test-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (made == nullptr) return "mkdtemp failed";
    s.dir = made;
    s.started = true;
    Result<int> status = run_program(
        {s.python, fixture_script().string(), "setup", "--dir", (s.dir / "fixture").string()},
        s.dir / "setup.log", kSetupLimit);
    if (!status) return "fixture.py setup: " + status.error().message;
    if (*status != 0) return "fixture.py setup failed:\n" + read_file(s.dir / "setup.log");
    boost::system::error_code ec;
    json::value doc = json::parse(read_file(s.dir / "fixture" / "fixture.json"), ec);
    if (ec || !doc.is_object()) return "fixture.json is unreadable";
    s.fixture = std::move(doc.as_object());
    return "";
}

void stop(Suite& s) {
    if (!s.started) return;
    Result<int> status = run_program(
        {s.python, fixture_script().string(), "teardown", "--dir", (s.dir / "fixture").string()},
        s.dir / "teardown.log", std::chrono::seconds(60));
    if (!status || *status != 0) ADD_FAILURE() << "fixture.py teardown failed";
    std::error_code ec;
    fs::remove_all(s.dir, ec);
}

// A port on 127.0.0.1 that nothing listens on (bound, then released).
std::uint16_t dead_port() {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

std::size_t count_lines(const std::string& path, std::string_view needle = "") {
    std::istringstream in(read_file(path));
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.find(needle) != std::string::npos) ++n;
    }
    return n;
}

class RegistryClientTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        suite = new Suite();
        suite->skip = why_skip(*suite);
        if (!suite->skip.empty()) {
            // Matched by the ctest entry's SKIP_REGULAR_EXPRESSION.
            std::printf("registry_client_test: every test skips: %s\n", suite->skip.c_str());
            return;
        }
        suite->failure = start(*suite);
    }

    static void TearDownTestSuite() {
        stop(*suite);
        delete suite;
        suite = nullptr;
    }

    void SetUp() override {
        if (!suite->skip.empty()) GTEST_SKIP() << suite->skip;
        ASSERT_TRUE(suite->failure.empty()) << suite->failure;
    }

    template <class T>
    T run(asio::awaitable<T> call) {
        std::optional<T> out;
        asio::co_spawn(io_, std::move(call), [&](const std::exception_ptr& e, T value) {
            if (e) std::rethrow_exception(e);
            out.emplace(std::move(value));
        });
        const auto deadline = std::chrono::steady_clock::now() + kCallLimit;
        while (!out && std::chrono::steady_clock::now() < deadline)
            io_.run_one_for(std::chrono::milliseconds(100));
        if (!out) throw std::runtime_error("call did not complete in time");
        return std::move(*out);
    }

    Result<Image> resolve(Client& client, const std::string& text, const Credentials& creds = {},
                          std::optional<Platform> platform = std::nullopt) {
        Result<Reference> ref = parse_reference(text);
        if (!ref) return ref.error();
        if (platform) return run(client.resolve(*ref, *platform, creds));
        return run(client.resolve(*ref, creds));
    }

    static std::string at(std::string_view key) { return suite->get(key); }

    static Credentials alice(std::string password = "") {
        Credentials c;
        c.username = at("user");
        c.password = password.empty() ? at("password") : std::move(password);
        return c;
    }

    asio::io_context io_;
    aws::Transport transport_{io_.get_executor(), aws::TransportOptions{}};
    Client client_{io_.get_executor(), transport_, RegistryOptions{}};
};

void expect_busybox(const Image& image) {
    EXPECT_EQ(image.config.env,
              (std::vector<std::string>{
                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}));
    EXPECT_EQ(image.config.cmd, (std::vector<std::string>{"sh"}));
    EXPECT_TRUE(image.config.entrypoint.empty());
    EXPECT_EQ(image.config.os, "linux");
    EXPECT_EQ(image.config.architecture, host_platform().architecture);
    ASSERT_EQ(image.layers.size(), 1U);
    EXPECT_GT(image.size, 100000);
    EXPECT_EQ(image.size, image.layers[0].size);
    EXPECT_EQ(image.id, compute_digest("sha256", image.config_json).str());
    EXPECT_EQ(image.created, "2024-01-01T00:00:00Z");
}

TEST_F(RegistryClientTest, ResolvesAnOciImageByTag) {
    Result<Image> image = resolve(client_, at("plain") + "/busybox");
    ASSERT_TRUE(image) << image.error().message;
    expect_busybox(*image);
    EXPECT_EQ(image->manifest_digest, at("busybox_digest"));
    EXPECT_EQ(image->platform_manifest_digest, at("busybox_digest"));
    EXPECT_EQ(image->repo_digests,
              (std::vector<std::string>{at("plain") + "/busybox@" + at("busybox_digest")}));
}

TEST_F(RegistryClientTest, ResolvesByDigestToTheSameImage) {
    Result<Image> by_tag = resolve(client_, at("plain") + "/busybox:latest");
    Result<Image> by_digest = resolve(client_, at("plain") + "/busybox@" + at("busybox_digest"));
    ASSERT_TRUE(by_tag) << by_tag.error().message;
    ASSERT_TRUE(by_digest) << by_digest.error().message;
    EXPECT_EQ(by_digest->id, by_tag->id);
    EXPECT_EQ(by_digest->manifest_digest, at("busybox_digest"));
}

TEST_F(RegistryClientTest, ResolvesDockerSchema2) {
    Result<Image> oci = resolve(client_, at("plain") + "/busybox");
    Result<Image> v2s2 = resolve(client_, at("plain") + "/v2s2/busybox");
    ASSERT_TRUE(oci) << oci.error().message;
    ASSERT_TRUE(v2s2) << v2s2.error().message;
    expect_busybox(*v2s2);
    EXPECT_EQ(v2s2->manifest_digest, at("v2s2_digest"));
    EXPECT_EQ(v2s2->layers[0].media_type, "application/vnd.docker.image.rootfs.diff.tar.gzip");
    EXPECT_EQ(v2s2->config.env, oci->config.env);
}

TEST_F(RegistryClientTest, SelectsThePlatformFromAnOciIndex) {
    Result<Image> host = resolve(client_, at("plain") + "/multi");
    ASSERT_TRUE(host) << host.error().message;
    expect_busybox(*host);
    EXPECT_EQ(host->manifest_digest, at("multi_digest"));
    EXPECT_EQ(host->platform_manifest_digest, at("multi_host_digest"));
    EXPECT_EQ(host->repo_digests,
              (std::vector<std::string>{at("plain") + "/multi@" + at("multi_digest")}));

    const Platform other = *parse_platform(at("other_platform"));
    Result<Image> second = resolve(client_, at("plain") + "/multi", {}, other);
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_EQ(second->manifest_digest, at("multi_digest"));
    EXPECT_EQ(second->platform_manifest_digest, at("multi_other_digest"));
    EXPECT_EQ(second->config.architecture, other.architecture);
    EXPECT_EQ(second->config.cmd, (std::vector<std::string>{"echo", "other platform"}));

    Result<Image> by_digest =
        resolve(client_, at("plain") + "/multi@" + at("multi_digest"), {}, other);
    ASSERT_TRUE(by_digest) << by_digest.error().message;
    EXPECT_EQ(by_digest->id, second->id);
}

TEST_F(RegistryClientTest, SelectsThePlatformFromADockerManifestList) {
    Result<Image> host = resolve(client_, at("plain") + "/v2s2/multi");
    ASSERT_TRUE(host) << host.error().message;
    expect_busybox(*host);
    EXPECT_EQ(host->manifest_digest, at("v2s2_multi_digest"));
    Result<Image> other =
        resolve(client_, at("plain") + "/v2s2/multi", {}, *parse_platform(at("other_platform")));
    ASSERT_TRUE(other) << other.error().message;
    EXPECT_EQ(other->config.cmd, (std::vector<std::string>{"echo", "other platform"}));
    EXPECT_NE(other->platform_manifest_digest, host->platform_manifest_digest);
}

TEST_F(RegistryClientTest, MissingPlatformIsNotFound) {
    Result<Image> image =
        resolve(client_, at("plain") + "/multi", {}, Platform{"linux", "s390x", ""});
    ASSERT_FALSE(image);
    EXPECT_EQ(image.error().code, Errc::not_found);
    EXPECT_EQ(image.error().message,
              "no matching manifest for linux/s390x in the manifest list entries");
}

TEST_F(RegistryClientTest, UnknownTagOrRepositoryIsNotFoundInDockersWords) {
    Result<Image> tag = resolve(client_, at("plain") + "/busybox:nope");
    ASSERT_FALSE(tag);
    EXPECT_EQ(tag.error().code, Errc::not_found);
    EXPECT_EQ(tag.error().message,
              "manifest for " + at("plain") +
                  "/busybox:nope not found: manifest unknown: manifest unknown");
    Result<Image> repo = resolve(client_, at("plain") + "/no/such/repo");
    ASSERT_FALSE(repo);
    EXPECT_EQ(repo.error().code, Errc::not_found);
    EXPECT_EQ(repo.error().message,
              "manifest for " + at("plain") +
                  "/no/such/repo:latest not found: manifest unknown: manifest unknown");
}

TEST_F(RegistryClientTest, UnreachableRegistryIsUnavailableNamingIt) {
    const std::string registry = "127.0.0.1:" + std::to_string(dead_port());
    Result<Image> image = resolve(client_, registry + "/busybox");
    ASSERT_FALSE(image);
    EXPECT_EQ(image.error().code, Errc::unavailable);
    EXPECT_TRUE(image.error().message.starts_with("registry " + registry + " is unreachable: "))
        << image.error().message;
    EXPECT_NE(image.error().message.find("refused"), std::string::npos) << image.error().message;

    Status login = run(client_.login(registry, alice()));
    ASSERT_FALSE(login);
    EXPECT_EQ(login.error().code, Errc::unavailable);
}

// Docker Hub is never contacted: its own endpoint is overridden to a dead local port.
RegistryOptions hub_through(std::vector<std::string> mirrors, std::string hub) {
    RegistryOptions o;
    o.mirrors["docker.io"] = std::move(mirrors);
    o.endpoint_overrides["docker.io"] = std::move(hub);
    return o;
}

TEST_F(RegistryClientTest, DockerHubImagesResolveThroughAMirror) {
    const std::string dead = "http://127.0.0.1:" + std::to_string(dead_port());
    Client client(io_.get_executor(), transport_, hub_through({"http://" + at("plain")}, dead));
    Result<Image> image = resolve(client, "busybox");
    ASSERT_TRUE(image) << image.error().message;
    expect_busybox(*image);
    EXPECT_EQ(image->manifest_digest, at("busybox_digest"));
    EXPECT_EQ(image->repo_digests, (std::vector<std::string>{"busybox@" + at("busybox_digest")}));
    Result<Image> qualified = resolve(client, "docker.io/library/busybox:latest");
    ASSERT_TRUE(qualified) << qualified.error().message;
    EXPECT_EQ(qualified->id, image->id);
}

TEST_F(RegistryClientTest, MirrorsFallBackInOrderToTheRegistry) {
    const std::string dead = "http://127.0.0.1:" + std::to_string(dead_port());
    Client through(io_.get_executor(), transport_,
                   hub_through({dead, "http://" + at("empty")}, "http://" + at("plain")));
    Result<Image> image = resolve(through, "busybox");
    ASSERT_TRUE(image) << image.error().message;
    EXPECT_EQ(image->manifest_digest, at("busybox_digest"));

    Client nowhere(io_.get_executor(), transport_, hub_through({"http://" + at("empty")}, dead));
    Result<Image> failed = resolve(nowhere, "busybox");
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, Errc::unavailable) << failed.error().message;
}

TEST_F(RegistryClientTest, FollowsBlobRedirects) {
    const std::string log = at("redirect_log");
    const std::size_t registry_hops = count_lines(log, R"("face": "registry")");
    const std::size_t storage_hits = count_lines(log, R"("face": "storage")");
    Result<Image> image = resolve(client_, at("redirect") + "/busybox");
    ASSERT_TRUE(image) << image.error().message;
    expect_busybox(*image);
    EXPECT_EQ(count_lines(log, R"("face": "registry")"), registry_hops + 2);
    EXPECT_EQ(count_lines(log, R"("face": "storage")"), storage_hits + 1);

    Result<Image> looping = resolve(client_, at("redirect6") + "/busybox");
    ASSERT_FALSE(looping);
    EXPECT_EQ(looping.error().code, Errc::unavailable);
    EXPECT_NE(looping.error().message.find("stopped after 5 redirects"), std::string::npos)
        << looping.error().message;
}

class TokenAuthTest : public RegistryClientTest {
protected:
    void SetUp() override {
        RegistryClientTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        if (at("token").empty()) GTEST_SKIP() << suite->skipped("token");
    }

    static std::size_t token_requests(std::string_view needle = "") {
        return count_lines(at("token_log"), needle);
    }
};

TEST_F(TokenAuthTest, PasswordGetsATokenThatIsCachedPerScope) {
    const std::string issued_for_busybox =
        R"(repository:busybox:pull"], "account": "alice", "outcome": "issued")";
    const std::size_t before = token_requests();
    const std::size_t before_busybox = token_requests(issued_for_busybox);
    Result<Image> image = resolve(client_, at("token") + "/busybox", alice());
    ASSERT_TRUE(image) << image.error().message;
    expect_busybox(*image);
    EXPECT_EQ(token_requests(), before + 1);
    EXPECT_EQ(token_requests(issued_for_busybox), before_busybox + 1);

    Result<Image> again = resolve(client_, at("token") + "/busybox", alice());
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(token_requests(), before + 1);

    Result<Image> index = resolve(client_, at("token") + "/multi", alice());
    ASSERT_TRUE(index) << index.error().message;
    EXPECT_EQ(token_requests(), before + 2);  // a new scope: repository:multi:pull
}

TEST_F(TokenAuthTest, ExpiredTokensAreFetchedAgain) {
    auto now =
        std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    RegistryOptions options;
    options.clock = [now] { return *now; };
    Client client(io_.get_executor(), transport_, options);
    ASSERT_TRUE(resolve(client, at("token") + "/busybox", alice()));
    const std::size_t after_first = token_requests();
    *now += std::chrono::seconds(299);
    ASSERT_TRUE(resolve(client, at("token") + "/busybox", alice()));
    EXPECT_EQ(token_requests(), after_first);
    *now += std::chrono::seconds(2);  // the service issues tokens for 300 s
    ASSERT_TRUE(resolve(client, at("token") + "/busybox", alice()));
    EXPECT_EQ(token_requests(), after_first + 1);
}

TEST_F(TokenAuthTest, IdentityTokenIsExchangedByRefreshGrant) {
    Credentials creds;
    creds.username = "<token>";
    creds.identity_token = at("refresh_token");
    const std::string refresh_grant = R"("method": "POST", "grant": "refresh_token")";
    const std::size_t before = token_requests(refresh_grant);
    Result<Image> image = resolve(client_, at("token") + "/busybox", creds);
    ASSERT_TRUE(image) << image.error().message;
    EXPECT_EQ(token_requests(refresh_grant), before + 1);

    creds.identity_token = "stale";
    Result<Image> refused = resolve(client_, at("token") + "/busybox", creds);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::unauthorized) << refused.error().message;
}

TEST_F(TokenAuthTest, WrongPasswordIsUnauthorized) {
    Result<Image> image = resolve(client_, at("token") + "/busybox", alice("wrong"));
    ASSERT_FALSE(image);
    EXPECT_EQ(image.error().code, Errc::unauthorized);
    EXPECT_EQ(image.error().message, "Get \"http://" + at("token") +
                                         "/v2/busybox/manifests/latest\": unauthorized: "
                                         "incorrect username or password");
    EXPECT_EQ(image.error().message.find("wrong"), std::string::npos);
}

TEST_F(TokenAuthTest, AnonymousPullOfAPrivateRepositoryIsDenied) {
    Result<Image> image = resolve(client_, at("token") + "/busybox");
    ASSERT_FALSE(image);
    EXPECT_EQ(image.error().code, Errc::not_found);
    EXPECT_EQ(image.error().message,
              "pull access denied for " + at("token") +
                  "/busybox, repository does not exist or may require 'docker login': denied: "
                  "requested access to the resource is denied");
}

TEST_F(TokenAuthTest, RegistryTokenIsSentAsIs) {
    Credentials creds;
    creds.registry_token = "not-a-jwt";
    Result<Image> image = resolve(client_, at("token") + "/busybox", creds);
    ASSERT_FALSE(image);
    EXPECT_EQ(image.error().code, Errc::unauthorized) << image.error().message;
}

TEST_F(TokenAuthTest, LoginChecksCredentialsWithTheTokenService) {
    const std::string unscoped = R"("scopes": [], "account": "alice", "outcome": "issued")";
    const std::size_t before = token_requests(unscoped);
    EXPECT_TRUE(run(client_.login("http://" + at("token") + "/", alice())));
    EXPECT_EQ(token_requests(unscoped), before + 1);
    Status refused = run(client_.login(at("token"), alice("wrong")));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::unauthorized);
    EXPECT_EQ(refused.error().message, "Get \"http://" + at("token") +
                                           "/v2/\": unauthorized: incorrect username or password");
}

class BasicAuthTest : public RegistryClientTest {
protected:
    void SetUp() override {
        RegistryClientTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        if (at("basic").empty()) GTEST_SKIP() << suite->skipped("basic");
    }
};

TEST_F(BasicAuthTest, AnswersTheBasicChallenge) {
    Result<Image> image = resolve(client_, at("basic") + "/busybox", alice());
    ASSERT_TRUE(image) << image.error().message;
    expect_busybox(*image);
    Result<Image> index = resolve(client_, at("basic") + "/multi", alice());
    ASSERT_TRUE(index) << index.error().message;
}

TEST_F(BasicAuthTest, MissingOrWrongCredentialsAreUnauthorized) {
    for (const Credentials& creds : {Credentials{}, alice("wrong")}) {
        Result<Image> image = resolve(client_, at("basic") + "/busybox", creds);
        ASSERT_FALSE(image);
        EXPECT_EQ(image.error().code, Errc::unauthorized);
        EXPECT_EQ(image.error().message, "unauthorized: authentication required");
    }
}

TEST_F(BasicAuthTest, LoginAsDockerdReportsIt) {
    EXPECT_TRUE(run(client_.login(at("basic"), alice())));
    Status refused = run(client_.login(at("basic"), alice("wrong")));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::unauthorized);
    EXPECT_EQ(refused.error().message, "login attempt to http://" + at("basic") +
                                           "/v2/ failed with status: 401 Unauthorized");
    Status anonymous = run(client_.login(at("basic"), Credentials{}));
    ASSERT_FALSE(anonymous);
    EXPECT_EQ(anonymous.error().code, Errc::unauthorized);
}

TEST_F(BasicAuthTest, CredentialsStayWithTheRegistryAcrossRedirects) {
    if (at("redirect_auth").empty()) GTEST_SKIP() << "no redirect_auth proxy";
    const std::string log = at("redirect_auth_log");
    const std::size_t before = count_lines(log);
    Result<Image> image = resolve(client_, at("redirect_auth") + "/busybox", alice());
    ASSERT_TRUE(image) << image.error().message;
    expect_busybox(*image);
    // The blob request and one hop on the registry's address carry the credentials; the request
    // to the storage address does not.
    std::istringstream in(read_file(log));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) lines.push_back(line);
    }
    ASSERT_EQ(lines.size(), before + 3);
    EXPECT_NE(lines[before].find(R"("face": "registry", "path": "/v2/busybox/blobs/)"),
              std::string::npos)
        << lines[before];
    EXPECT_NE(lines[before].find(R"("authorization": true)"), std::string::npos);
    EXPECT_NE(lines[before + 1].find(R"("face": "registry", "path": "/_hop/1/)"), std::string::npos)
        << lines[before + 1];
    EXPECT_NE(lines[before + 1].find(R"("authorization": true)"), std::string::npos);
    EXPECT_NE(lines[before + 2].find(R"("face": "storage")"), std::string::npos)
        << lines[before + 2];
    EXPECT_NE(lines[before + 2].find(R"("authorization": false)"), std::string::npos);
}

}  // namespace
}  // namespace sockerless::registry
