// Every call of the service clients against two independent implementations of the AWS side,
// moto_server and the project's own sockerless-awssim, both checking signatures: each call succeeds
// with the right key and is refused with a wrong secret, the refusal arriving as Errc::unauthorized
// with the peer's AWS code kept in the message. Neither peer shares code with the clients (moto's
// verifier is botocore's signer; the simulator never links src/aws), so a signing or wire-format
// bug in the clients shows up here instead of being mirrored.
//
// moto checks signatures only after its first INITIAL_NO_AUTH_ACTION_COUNT actions: the suite
// spends exactly those on creating an IAM user with an allow-all policy and an access key, then
// uses that key. The simulator is started with a key of the suite's choosing.

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include "aws/client.h"
#include "aws/client_test_support.h"
#include "aws/ec2_client.h"
#include "aws/ecs_client.h"
#include "aws/efs_client.h"
#include "aws/logs_client.h"
#include "aws/s3_client.h"
#include "aws/sts_client.h"
#include "backends/ecs/overrides.h"
#include "backends/ecs/payload_store.h"
#include "backends/ecs/task_definition.h"
#include "base/hex.h"

namespace sockerless::aws {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using test_support::run;

constexpr int kNoAuthActions = 3;  // CreateUser, PutUserPolicy, CreateAccessKey
// Outside us-east-1, so CreateBucket must send a LocationConstraint.
constexpr std::string_view kRegion = "eu-west-1";
constexpr std::string_view kAllowAll =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";

std::optional<std::string> find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) return std::nullopt;
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::filesystem::path candidate = std::filesystem::path(dir) / name;
        if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return std::nullopt;
}

// A port nothing listens on at the moment; moto binds it right after.
std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                       ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    ::close(fd);
    return bound ? ntohs(addr.sin_port) : 0;
}

bool accepts_connections(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A peer server as a child process that dies with the test (PR_SET_PDEATHSIG) or at teardown,
// listening on a port chosen here.
class PeerServer {
public:
    // `args` follow the binary; "{port}" in them is replaced by the chosen port.
    static Result<std::unique_ptr<PeerServer>> start(const std::string& binary,
                                                     std::vector<std::string> args,
                                                     std::vector<std::string> env) {
        auto server = std::unique_ptr<PeerServer>(new PeerServer());
        server->port_ = free_port();
        if (server->port_ == 0) return make_error(Errc::unavailable, "no free port on 127.0.0.1");
        const std::string name = std::filesystem::path(binary).filename().string();
        server->name_ = name;
        server->log_ = (std::filesystem::temp_directory_path() /
                        ("aws_peers_test." + name + "." + std::to_string(::getpid()) + ".log"))
                           .string();
        for (std::string& arg : args) {
            if (const auto at = arg.find("{port}"); at != std::string::npos)
                arg.replace(at, 6, std::to_string(server->port_));
        }
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(binary.c_str()));
        for (std::string& arg : args)
            argv.push_back(arg.data());
        argv.push_back(nullptr);
        const pid_t pid = ::fork();
        if (pid < 0) return errno_error("fork", errno);
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            const int log = ::open(server->log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (log >= 0) {
                ::dup2(log, 1);
                ::dup2(log, 2);
            }
            for (std::string& kv : env)
                ::putenv(kv.data());
            ::execv(binary.c_str(), argv.data());
            ::_exit(127);
        }
        server->pid_ = pid;
        if (Status ready = server->wait_ready(std::chrono::seconds(60)); !ready) {
            return ready.error();
        }
        return server;
    }

    ~PeerServer() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
        std::error_code ec;
        std::filesystem::remove(log_, ec);
    }
    PeerServer(const PeerServer&) = delete;
    PeerServer& operator=(const PeerServer&) = delete;

    [[nodiscard]] Endpoint endpoint() const {
        Endpoint e;
        e.scheme = "http";
        e.host = "127.0.0.1";
        e.port = port_;
        return e;
    }

private:
    PeerServer() = default;

    // Polls the port (moto takes about 1.5 s to start), bounded, and notices an early exit.
    Status wait_ready(std::chrono::seconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            if (accepts_connections(port_)) return ok();
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return make_error(Errc::unavailable, name_ + " exited: " + read_file(log_));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return make_error(Errc::timeout, name_ + " did not listen within the limit");
    }

    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string name_;
    std::string log_;
};

ProvidedCredentials bootstrap_credentials() {
    ProvidedCredentials c;
    c.credentials.access_key_id = "AKIAIOSFODNN7EXAMPLE";
    c.credentials.secret_access_key = "bootstrap";
    return c;
}

// The three unauthenticated IAM calls: a user, its allow-all policy, its access key.
asio::awaitable<Result<Credentials>> create_iam_key(Transport& transport, Endpoint endpoint) {
    StaticProvider anyone(bootstrap_credentials());
    AwsClient iam(transport, anyone, ServiceId{"IAM", "iam", "iam"}, "us-east-1",
                  std::move(endpoint));
    const std::string version = "2010-05-08";
    std::vector<NameValue> user;
    user.emplace_back("UserName", "sockerless-moto-test");
    auto created = co_await iam.call_query("CreateUser", version, user);
    if (!created) co_return created.error();
    std::vector<NameValue> policy = user;
    policy.emplace_back("PolicyName", "allow-all");
    policy.emplace_back("PolicyDocument", std::string(kAllowAll));
    auto attached = co_await iam.call_query("PutUserPolicy", version, policy);
    if (!attached) co_return attached.error();
    auto key = co_await iam.call_query("CreateAccessKey", version, user);
    if (!key) co_return key.error();
    const XmlElement* result = key->child("CreateAccessKeyResult");
    const XmlElement* access_key = result != nullptr ? result->child("AccessKey") : nullptr;
    if (access_key == nullptr) co_return make_error(Errc::internal, "no AccessKey in response");
    Credentials out;
    out.access_key_id = access_key->child_text("AccessKeyId");
    out.secret_access_key = access_key->child_text("SecretAccessKey");
    co_return out;
}

// One AwsClient and typed client per service, all signing with the same credentials.
struct Clients {
    Clients(Transport& transport, CredentialsProvider& creds, const Endpoint& endpoint)
        : ecs_aws(transport, creds, ecs_service_id(), std::string(kRegion), endpoint),
          s3_aws(transport, creds, s3_service_id(), std::string(kRegion), endpoint),
          logs_aws(transport, creds, logs_service_id(), std::string(kRegion), endpoint),
          ec2_aws(transport, creds, ec2_service_id(), std::string(kRegion), endpoint),
          efs_aws(transport, creds, efs_service_id(), std::string(kRegion), endpoint),
          sts_aws(transport, creds, sts_service_id(), std::string(kRegion), endpoint),
          ecs(ecs_aws),
          s3(s3_aws),
          logs(logs_aws),
          ec2(ec2_aws),
          efs(efs_aws),
          sts(sts_aws) {}

    AwsClient ecs_aws, s3_aws, logs_aws, ec2_aws, efs_aws, sts_aws;
    EcsClient ecs;
    S3Client s3;
    LogsClient logs;
    Ec2Client ec2;
    EfsClient efs;
    StsClient sts;
};

// What differs between the peers: where they are, the key that works, who that key is, and the
// codes each answers a wrong signature with.
struct Peer {
    Endpoint endpoint;
    Credentials key;
    std::string account;
    std::string caller_arn;  // a fragment of GetCallerIdentity's Arn
    // JSON 1.1 and REST-JSON services (ECS, Logs, EFS): real AWS says InvalidSignatureException
    // there; moto says SignatureDoesNotMatch everywhere. S3 and STS say SignatureDoesNotMatch and
    // EC2 AuthFailure on both.
    std::string json_refusal;
};

enum class PeerKind { moto, awssim };

std::string peer_name(const ::testing::TestParamInfo<PeerKind>& info) {
    return info.param == PeerKind::moto ? "moto" : "awssim";
}

// One running peer per kind, started by the first test that needs it and shared by the rest.
struct PeerState {
    std::unique_ptr<PeerServer> server;
    Peer peer;
    std::string skip_reason;
    std::string setup_error;
    std::filesystem::path state_dir;
};

void start_moto(PeerState& state) {
    const std::optional<std::string> binary = find_on_path("moto_server");
    if (!binary) {
        state.skip_reason = "moto_server is not installed (pip's moto[server])";
        return;
    }
    Result<std::unique_ptr<PeerServer>> server =
        PeerServer::start(*binary, {"-H", "127.0.0.1", "-p", "{port}"},
                          {"INITIAL_NO_AUTH_ACTION_COUNT=" + std::to_string(kNoAuthActions)});
    if (!server) {
        state.setup_error = server.error().message;
        return;
    }
    state.server = std::move(*server);
    asio::io_context io;
    Transport transport(io.get_executor(), TransportOptions{});
    auto key = run(io, create_iam_key(transport, state.server->endpoint()));
    if (!key || !key->has_value()) {
        state.setup_error = key ? key->error().message : "IAM bootstrap timed out";
        return;
    }
    state.peer.endpoint = state.server->endpoint();
    state.peer.key = **key;
    state.peer.account = "123456789012";
    state.peer.caller_arn = ":user/sockerless-moto-test";
    state.peer.json_refusal = "SignatureDoesNotMatch";
}

// The simulator's path comes from SOCKERLESS_AWSSIM (set by ctest). Tasks run as host processes:
// the suite's task definition runs `sleep`.
void start_awssim(PeerState& state) {
    const char* binary = std::getenv("SOCKERLESS_AWSSIM");
    if (binary == nullptr || *binary == '\0') {
        state.skip_reason = "SOCKERLESS_AWSSIM does not name the sockerless-awssim binary";
        return;
    }
    Result<std::string> suffix = random_hex_token(8);
    if (!suffix) {
        state.setup_error = suffix.error().message;
        return;
    }
    state.state_dir = std::filesystem::temp_directory_path() / ("aws_peers_test.sim." + *suffix);
    Credentials key;
    key.access_key_id = "AKIASOCKERLESSPEERS1";
    key.secret_access_key = "peers-" + *suffix;
    Result<std::unique_ptr<PeerServer>> server =
        PeerServer::start(binary,
                          {"--listen", "127.0.0.1:{port}", "--state-dir", state.state_dir.string(),
                           "--region", std::string(kRegion), "--access-key", key.access_key_id,
                           "--secret-key", key.secret_access_key, "--container-mode", "host"},
                          {});
    if (!server) {
        state.setup_error = server.error().message;
        return;
    }
    state.server = std::move(*server);
    state.peer.endpoint = state.server->endpoint();
    state.peer.key = key;
    state.peer.account = "000000000000";
    state.peer.caller_arn = ":root";
    state.peer.json_refusal = "InvalidSignatureException";
}

class PeerTest : public ::testing::TestWithParam<PeerKind> {
protected:
    static PeerState& state(PeerKind kind) {
        PeerState& s = kind == PeerKind::moto ? moto : awssim;
        if (s.server == nullptr && s.skip_reason.empty() && s.setup_error.empty()) {
            if (kind == PeerKind::moto) {
                start_moto(s);
            } else {
                start_awssim(s);
            }
        }
        return s;
    }

    static void TearDownTestSuite() {
        for (PeerState* s : {&moto, &awssim}) {
            s->server.reset();
            std::error_code ec;
            if (!s->state_dir.empty()) std::filesystem::remove_all(s->state_dir, ec);
        }
    }

    void SetUp() override {
        const PeerState& s = state(GetParam());
        if (!s.skip_reason.empty()) GTEST_SKIP() << s.skip_reason;
        ASSERT_TRUE(s.setup_error.empty()) << s.setup_error;
        peer_ = s.peer;
        right_ = std::make_unique<StaticProvider>(with_secret(peer_.key.secret_access_key));
        wrong_ =
            std::make_unique<StaticProvider>(with_secret("wrong" + peer_.key.secret_access_key));
        good_ = std::make_unique<Clients>(transport_, *right_, peer_.endpoint);
        bad_ = std::make_unique<Clients>(transport_, *wrong_, peer_.endpoint);
        Result<std::string> suffix = random_hex_token(4);
        ASSERT_TRUE(suffix.has_value());
        suffix_ = *suffix;
    }

    // A name unique to this test run.
    [[nodiscard]] std::string unique(std::string_view base) const {
        return std::string(base) + "-" + suffix_;
    }

    [[nodiscard]] ProvidedCredentials with_secret(std::string secret) const {
        ProvidedCredentials c;
        c.credentials = peer_.key;
        c.credentials.secret_access_key = std::move(secret);
        c.source = "peer test key";
        return c;
    }

    Peer peer_;
    std::string suffix_;
    asio::io_context io_;
    Transport transport_{io_.get_executor(), TransportOptions{}};
    std::unique_ptr<StaticProvider> right_;
    std::unique_ptr<StaticProvider> wrong_;
    std::unique_ptr<Clients> good_;
    std::unique_ptr<Clients> bad_;

private:
    static inline PeerState moto;
    static inline PeerState awssim;
};

// The call was refused for its signature, and the error says so with AWS's code.
template <class T>
::testing::AssertionResult refused(const std::optional<Result<T>>& out,
                                   std::string_view code = "SignatureDoesNotMatch") {
    if (!out) return ::testing::AssertionFailure() << "timed out";
    if (out->has_value()) return ::testing::AssertionFailure() << "a wrong secret was accepted";
    const Error& e = out->error();
    if (e.code != Errc::unauthorized || e.message.find(code) == std::string::npos) {
        return ::testing::AssertionFailure() << "want unauthorized with " << code << ", got "
                                             << errc_name(e.code) << ": " << e.message;
    }
    return ::testing::AssertionSuccess();
}

template <class T>
::testing::AssertionResult succeeded(const std::optional<Result<T>>& out) {
    if (!out) return ::testing::AssertionFailure() << "timed out";
    if (!out->has_value()) return ::testing::AssertionFailure() << out->error().message;
    return ::testing::AssertionSuccess();
}

json::object fargate_task_definition(const std::string& family) {
    json::object container;
    container["name"] = "main";
    container["image"] = "busybox";
    container["memory"] = 512;  // moto's RunTask needs a container-level memory
    // The simulator really runs it (as a host process): it must stay up while the test lists it.
    json::array command;
    command.emplace_back("sleep");
    command.emplace_back("60");
    container["command"] = std::move(command);
    container["essential"] = true;
    json::array containers;
    containers.emplace_back(std::move(container));
    json::array compat;
    compat.emplace_back("FARGATE");
    json::object td;
    td["family"] = family;
    td["networkMode"] = "awsvpc";
    td["requiresCompatibilities"] = std::move(compat);
    td["cpu"] = "256";
    td["memory"] = "512";
    td["containerDefinitions"] = std::move(containers);
    json::array tags;
    json::object tag;
    tag["key"] = "sockerless-shape";
    tag["value"] = family;
    tags.emplace_back(std::move(tag));
    td["tags"] = std::move(tags);
    return td;
}

TEST_P(PeerTest, StsGetCallerIdentity) {
    auto who = run(io_, good_->sts.get_caller_identity());
    ASSERT_TRUE(succeeded(who));
    EXPECT_EQ((**who).account, peer_.account);
    EXPECT_NE((**who).arn.find(peer_.caller_arn), std::string::npos) << (**who).arn;
    EXPECT_TRUE(refused(run(io_, bad_->sts.get_caller_identity())));
}

TEST_P(PeerTest, EcsClusters) {
    const std::string name = unique("cluster");
    auto created = run(io_, good_->ecs.create_cluster(name));
    ASSERT_TRUE(succeeded(created));
    EXPECT_EQ((**created).cluster_name, name);
    EXPECT_EQ((**created).status, "ACTIVE");
    auto described = run(io_, good_->ecs.describe_clusters({name, unique("missing")}));
    ASSERT_TRUE(succeeded(described));
    ASSERT_EQ((**described).clusters.size(), 1U);
    EXPECT_EQ((**described).clusters[0].cluster_arn, (**created).cluster_arn);
    ASSERT_EQ((**described).failures.size(), 1U);
    EXPECT_EQ((**described).failures[0].reason, "MISSING");

    EXPECT_TRUE(refused(run(io_, bad_->ecs.create_cluster(unique("other"))), peer_.json_refusal));
    EXPECT_TRUE(refused(run(io_, bad_->ecs.describe_clusters({name})), peer_.json_refusal));
}

TEST_P(PeerTest, EcsTaskDefinitions) {
    const std::string family = unique("shape");
    auto registered =
        run(io_, good_->ecs.register_task_definition(fargate_task_definition(family)));
    ASSERT_TRUE(succeeded(registered));
    EXPECT_EQ((**registered).family, family);
    EXPECT_EQ((**registered).revision, 1);
    auto described = run(io_, good_->ecs.describe_task_definition(family + ":1"));
    ASSERT_TRUE(succeeded(described));
    EXPECT_EQ((**described).task_definition_arn, (**registered).task_definition_arn);
    EXPECT_EQ((**described).tags, (std::vector<NameValue>{{"sockerless-shape", family}}));
    auto deregistered =
        run(io_, good_->ecs.deregister_task_definition((**registered).task_definition_arn));
    ASSERT_TRUE(succeeded(deregistered));
    EXPECT_EQ((**deregistered).status, "INACTIVE");

    EXPECT_TRUE(
        refused(run(io_, bad_->ecs.register_task_definition(fargate_task_definition(family))),
                peer_.json_refusal));
    EXPECT_TRUE(
        refused(run(io_, bad_->ecs.describe_task_definition(family + ":1")), peer_.json_refusal));
    EXPECT_TRUE(
        refused(run(io_, bad_->ecs.deregister_task_definition(family + ":1")), peer_.json_refusal));
}

TEST_P(PeerTest, EcsTasks) {
    const std::string cluster = unique("tasks");
    ASSERT_TRUE(succeeded(run(io_, good_->ecs.create_cluster(cluster))));
    const std::string family = unique("task-shape");
    ASSERT_TRUE(
        succeeded(run(io_, good_->ecs.register_task_definition(fargate_task_definition(family)))));
    auto subnets = run(io_, good_->ec2.describe_subnets({}));
    ASSERT_TRUE(succeeded(subnets));
    ASSERT_FALSE((**subnets).empty());
    auto groups = run(io_, good_->ec2.describe_security_groups({}));
    ASSERT_TRUE(succeeded(groups));
    ASSERT_FALSE((**groups).empty());

    RunTaskRequest request;
    request.cluster = cluster;
    request.task_definition = family;
    request.count = 3;
    request.subnets = {(**subnets)[0].subnet_id};
    request.security_groups = {(**groups)[0].group_id};
    request.started_by = unique("sockerless");
    request.tags = {{"sockerless-container", suffix_}};
    request.client_token = unique("token");
    auto ran = run(io_, good_->ecs.run_task(request));
    ASSERT_TRUE(succeeded(ran));
    ASSERT_EQ((**ran).tasks.size(), 3U);
    std::vector<std::string> arns;
    for (const EcsTask& t : (**ran).tasks)
        arns.push_back(t.task_arn);

    // More than one DescribeTasks batch: the unknown ARNs come back as failures.
    std::vector<std::string> many = arns;
    for (int i = 0; many.size() <= kDescribeTasksBatch; ++i)
        many.push_back("0000000000000000000000000000" + std::to_string(1000 + i));
    // As on ECS, the ENI's address appears once it is attached, after provisioning: poll, bounded.
    std::optional<Result<EcsTasksResult>> described;
    for (int attempt = 0; attempt < 200; ++attempt) {
        described = run(io_, good_->ecs.describe_tasks(cluster, many));
        ASSERT_TRUE(succeeded(described));
        ASSERT_EQ((**described).tasks.size(), 3U);
        // ECS answers unknown tasks as MISSING failures; moto leaves them out.
        if (GetParam() == PeerKind::awssim) {
            ASSERT_EQ((**described).failures.size(), many.size() - 3);
        }
        const EcsTask& t = (**described).tasks[0];
        if (!t.attachments.empty() && !t.attachments[0].detail("privateIPv4Address").empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    const EcsTask& task = (**described).tasks[0];
    ASSERT_FALSE(task.attachments.empty());
    EXPECT_EQ(task.attachments[0].type, "ElasticNetworkInterface");
    EXPECT_FALSE(task.attachments[0].detail("privateIPv4Address").empty());
    EXPECT_EQ(task.containers.at(0).name, "main");

    ListTasksRequest list;
    list.cluster = cluster;
    list.page_size = 1;
    auto listed = run(io_, good_->ecs.list_tasks(list));
    ASSERT_TRUE(succeeded(listed));
    std::vector<std::string> sorted = **listed;
    std::sort(sorted.begin(), sorted.end());
    std::sort(arns.begin(), arns.end());
    EXPECT_EQ(sorted, arns);

    ASSERT_TRUE(succeeded(run(io_, good_->ecs.tag_resource(arns[0], {{"stage", "test"}}))));
    auto stopped = run(io_, good_->ecs.stop_task(cluster, arns[0], "docker rm"));
    ASSERT_TRUE(succeeded(stopped));
    EXPECT_EQ((**stopped).desired_status, "STOPPED");
    EXPECT_EQ((**stopped).stopped_reason, "docker rm");

    EXPECT_TRUE(refused(run(io_, bad_->ecs.run_task(request)), peer_.json_refusal));
    EXPECT_TRUE(refused(run(io_, bad_->ecs.describe_tasks(cluster, arns)), peer_.json_refusal));
    EXPECT_TRUE(refused(run(io_, bad_->ecs.list_tasks(list)), peer_.json_refusal));
    EXPECT_TRUE(refused(run(io_, bad_->ecs.tag_resource(arns[1], {{"stage", "test"}})),
                        peer_.json_refusal));
    EXPECT_TRUE(
        refused(run(io_, bad_->ecs.stop_task(cluster, arns[1], "docker rm")), peer_.json_refusal));
}

TEST_P(PeerTest, S3Objects) {
    const std::string bucket = unique("payloads");
    ASSERT_TRUE(succeeded(run(io_, good_->s3.create_bucket(bucket))));
    PutObjectOptions once;
    once.if_none_match = true;
    once.server_side_encryption = "AES256";
    once.content_type = "application/json";
    // A space needs encoding. Keys with '+' or '=' are left out: moto's verifier re-encodes the
    // path its own way and refuses those even from boto3.
    const std::string key = "p/c 1/payload.json";
    auto put = run(io_, good_->s3.put_object(bucket, key, R"({"cmd":["true"]})", once));
    ASSERT_TRUE(succeeded(put));
    EXPECT_FALSE((**put).etag.empty());
    auto again = run(io_, good_->s3.put_object(bucket, key, "other", once));
    ASSERT_TRUE(again && !again->has_value());
    EXPECT_EQ(again->error().code, Errc::conflict) << again->error().message;
    EXPECT_NE(again->error().message.find("PreconditionFailed"), std::string::npos);

    auto got = run(io_, good_->s3.get_object(bucket, key));
    ASSERT_TRUE(succeeded(got));
    EXPECT_EQ((**got).body, R"({"cmd":["true"]})");
    auto head = run(io_, good_->s3.head_object(bucket, key));
    ASSERT_TRUE(succeeded(head));
    EXPECT_EQ((**head).content_length, 16U);
    EXPECT_EQ((**head).etag, (**put).etag);

    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(
            succeeded(run(io_, good_->s3.put_object(bucket, "p/k" + std::to_string(i), "x"))));
    }
    // Prefix "p", not "p/": moto decodes the query before checking its signature, so it refuses
    // an encoded '/' there (boto3's too).
    auto listed = run(io_, good_->s3.list_objects_v2(bucket, "p", 2));
    ASSERT_TRUE(succeeded(listed));
    ASSERT_EQ((**listed).size(), 5U);
    EXPECT_EQ((**listed)[0].key, key);

    ASSERT_TRUE(succeeded(run(io_, good_->s3.delete_object(bucket, key))));
    auto gone = run(io_, good_->s3.head_object(bucket, key));
    ASSERT_TRUE(gone && !gone->has_value());
    EXPECT_EQ(gone->error().code, Errc::not_found);

    EXPECT_TRUE(refused(run(io_, bad_->s3.create_bucket(unique("other")))));
    EXPECT_TRUE(refused(run(io_, bad_->s3.put_object(bucket, "p/k0", "y"))));
    EXPECT_TRUE(refused(run(io_, bad_->s3.get_object(bucket, "p/k0"))));
    EXPECT_TRUE(refused(run(io_, bad_->s3.delete_object(bucket, "p/k0"))));
    EXPECT_TRUE(refused(run(io_, bad_->s3.list_objects_v2(bucket, "p"))));
    // A HEAD response has no body: only the status (403) says why.
    auto head_refused = run(io_, bad_->s3.head_object(bucket, "p/k0"));
    ASSERT_TRUE(head_refused && !head_refused->has_value());
    EXPECT_EQ(head_refused->error().code, Errc::forbidden) << head_refused->error().message;
}

TEST_P(PeerTest, S3BucketSetup) {
    const std::string bucket = unique("setup");
    ASSERT_TRUE(succeeded(run(io_, good_->s3.create_bucket(bucket))));
    const std::string policy =
        R"({"Version":"2012-10-17","Statement":[{"Sid":"TlsOnly","Effect":"Deny",)"
        R"("Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::)" +
        bucket + R"(","arn:aws:s3:::)" + bucket +
        R"(/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]})";
    LifecycleRule rule;
    rule.id = "expire-payloads";
    rule.prefix = "payloads/";
    rule.abort_incomplete_multipart_days = 1;
    ASSERT_TRUE(succeeded(run(io_, good_->s3.put_bucket_lifecycle_configuration(bucket, {rule}))));
    ASSERT_TRUE(succeeded(run(io_, good_->s3.put_bucket_encryption(bucket))));
    ASSERT_TRUE(succeeded(run(io_, good_->s3.put_public_access_block(bucket))));
    // The TLS-only policy last: a peer that enforces it (the simulator, like S3) then refuses
    // everything this plain-HTTP suite sends, except the owner's own bucket-policy calls.
    ASSERT_TRUE(succeeded(run(io_, good_->s3.put_bucket_policy(bucket, policy))));
    auto got = run(io_, good_->s3.get_bucket_policy(bucket));
    ASSERT_TRUE(succeeded(got));
    EXPECT_NE((**got).find("TlsOnly"), std::string::npos) << **got;

    EXPECT_TRUE(refused(run(io_, bad_->s3.put_bucket_policy(bucket, policy))));
    EXPECT_TRUE(refused(run(io_, bad_->s3.get_bucket_policy(bucket))));
    EXPECT_TRUE(refused(run(io_, bad_->s3.put_bucket_lifecycle_configuration(bucket, {rule}))));
    EXPECT_TRUE(refused(run(io_, bad_->s3.put_bucket_encryption(bucket))));
    EXPECT_TRUE(refused(run(io_, bad_->s3.put_public_access_block(bucket))));
}

TEST_P(PeerTest, CloudWatchLogs) {
    const std::string group = "/sockerless/" + unique("tasks");
    const std::string stream = "main/main/" + suffix_;
    ASSERT_TRUE(
        succeeded(run(io_, good_->logs.create_log_group(group, {{"owner", "sockerless"}}))));
    auto exists = run(io_, good_->logs.create_log_group(group));
    ASSERT_TRUE(exists && !exists->has_value());
    EXPECT_EQ(exists->error().code, Errc::conflict) << exists->error().message;
    ASSERT_TRUE(succeeded(run(io_, good_->logs.put_retention_policy(group, 7))));
    ASSERT_TRUE(succeeded(run(io_, good_->logs.create_log_stream(group, stream))));

    // PutLogEvents is the log driver's call, not the daemon's: sent raw to have events to read.
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    json::array events;
    for (int i = 0; i < 3; ++i) {
        json::object e;
        e["timestamp"] = now + i;
        e["message"] = "line " + std::to_string(i);
        events.emplace_back(std::move(e));
    }
    json::object put;
    put["logGroupName"] = group;
    put["logStreamName"] = stream;
    put["logEvents"] = std::move(events);
    ASSERT_TRUE(succeeded(run(io_, good_->logs_aws.call_json(std::string(kLogsTargetPrefix),
                                                             "PutLogEvents", std::move(put)))));

    GetLogEventsRequest get;
    get.log_group_name = group;
    get.log_stream_name = stream;
    auto page = run(io_, good_->logs.get_log_events(get));
    ASSERT_TRUE(succeeded(page));
    ASSERT_EQ((**page).events.size(), 3U);
    EXPECT_EQ((**page).events[0].message, "line 0");
    EXPECT_EQ((**page).events[2].timestamp, now + 2);
    EXPECT_FALSE((**page).next_forward_token.empty());

    FilterLogEventsRequest filter;
    filter.log_group_name = group;
    filter.log_stream_names = {stream};
    filter.filter_pattern = "\"line 1\"";
    auto filtered = run(io_, good_->logs.filter_log_events(filter));
    ASSERT_TRUE(succeeded(filtered));
    ASSERT_EQ((**filtered).events.size(), 1U);
    EXPECT_EQ((**filtered).events[0].message, "line 1");
    EXPECT_EQ((**filtered).events[0].log_stream_name, stream);

    EXPECT_TRUE(refused(run(io_, bad_->logs.create_log_group(group + "-2")), peer_.json_refusal));
    EXPECT_TRUE(
        refused(run(io_, bad_->logs.create_log_stream(group, stream + "-2")), peer_.json_refusal));
    EXPECT_TRUE(refused(run(io_, bad_->logs.put_retention_policy(group, 1)), peer_.json_refusal));
    EXPECT_TRUE(refused(run(io_, bad_->logs.get_log_events(get)), peer_.json_refusal));
    EXPECT_TRUE(refused(run(io_, bad_->logs.filter_log_events(filter)), peer_.json_refusal));
}

// moto answers EC2's wrong signatures as EC2 does: 401 AuthFailure, not SignatureDoesNotMatch.
TEST_P(PeerTest, Ec2SubnetsAndSecurityGroups) {
    auto subnets = run(io_, good_->ec2.describe_subnets({}));
    ASSERT_TRUE(succeeded(subnets));
    ASSERT_FALSE((**subnets).empty());
    const Subnet& first = (**subnets)[0];
    EXPECT_TRUE(first.subnet_id.starts_with("subnet-")) << first.subnet_id;
    EXPECT_TRUE(first.availability_zone.starts_with(kRegion)) << first.availability_zone;
    auto by_id = run(io_, good_->ec2.describe_subnets({first.subnet_id}));
    ASSERT_TRUE(succeeded(by_id));
    ASSERT_EQ((**by_id).size(), 1U);
    EXPECT_EQ((**by_id)[0].vpc_id, first.vpc_id);
    auto missing = run(io_, good_->ec2.describe_subnets({"subnet-00000000"}));
    ASSERT_TRUE(missing && !missing->has_value());
    EXPECT_EQ(missing->error().code, Errc::not_found) << missing->error().message;

    auto groups =
        run(io_, good_->ec2.describe_security_groups({}, {Ec2Filter{"vpc-id", {first.vpc_id}}}));
    ASSERT_TRUE(succeeded(groups));
    ASSERT_FALSE((**groups).empty());
    EXPECT_EQ((**groups)[0].vpc_id, first.vpc_id);
    EXPECT_FALSE((**groups)[0].egress.empty());

    EXPECT_TRUE(refused(run(io_, bad_->ec2.describe_subnets({})), "AuthFailure"));
    EXPECT_TRUE(refused(run(io_, bad_->ec2.describe_security_groups({})), "AuthFailure"));
}

TEST_P(PeerTest, EfsAccessPoints) {
    // CreateFileSystem is an operator's step, not the daemon's: sent raw.
    json::object fs_input;
    fs_input["CreationToken"] = unique("agent");
    auto fs = run(io_, good_->efs_aws.call_rest_json("POST", "/2015-02-01/file-systems", {},
                                                     std::move(fs_input), "CreateFileSystem"));
    ASSERT_TRUE(succeeded(fs));
    const std::string fs_id = parse_file_system(**fs).file_system_id;
    ASSERT_FALSE(fs_id.empty());

    auto described = run(io_, good_->efs.describe_file_systems(fs_id));
    ASSERT_TRUE(succeeded(described));
    ASSERT_EQ((**described).size(), 1U);
    EXPECT_EQ((**described)[0].file_system_id, fs_id);

    CreateAccessPointRequest request;
    request.file_system_id = fs_id;
    request.posix_user = PosixUser{0, 0, {}};
    request.root_directory.path = "/agent";
    request.root_directory.owner_uid = 0;
    request.root_directory.owner_gid = 0;
    request.root_directory.permissions = "0555";
    request.tags = {{"Name", "sockerless-agent"}};
    auto ap = run(io_, good_->efs.create_access_point(request));
    ASSERT_TRUE(succeeded(ap));
    EXPECT_EQ((**ap).file_system_id, fs_id);
    EXPECT_EQ((**ap).root_path, "/agent");
    const std::string ap_id = (**ap).access_point_id;
    auto by_id = run(io_, good_->efs.describe_access_points(ap_id, ""));
    ASSERT_TRUE(succeeded(by_id));
    ASSERT_EQ((**by_id).size(), 1U);
    EXPECT_EQ((**by_id)[0].access_point_id, ap_id);
    auto by_fs = run(io_, good_->efs.describe_access_points("", fs_id));
    ASSERT_TRUE(succeeded(by_fs));
    EXPECT_EQ((**by_fs).size(), 1U);

    EXPECT_TRUE(refused(run(io_, bad_->efs.describe_file_systems(fs_id)), peer_.json_refusal));
    EXPECT_TRUE(refused(run(io_, bad_->efs.create_access_point(request)), peer_.json_refusal));
    EXPECT_TRUE(refused(run(io_, bad_->efs.describe_access_points(ap_id, "")), peer_.json_refusal));
    EXPECT_TRUE(refused(run(io_, bad_->efs.delete_access_point(ap_id)), peer_.json_refusal));

    ASSERT_TRUE(succeeded(run(io_, good_->efs.delete_access_point(ap_id))));
    auto after = run(io_, good_->efs.describe_access_points("", fs_id));
    ASSERT_TRUE(succeeded(after));
    EXPECT_TRUE((**after).empty());
}

// The requests the ECS backend builds (task definition per shape, inline and payload overrides,
// the payload put) as each peer parses them.
TEST_P(PeerTest, EcsBackendRequests) {
    auto subnets = run(io_, good_->ec2.describe_subnets({}));
    ASSERT_TRUE(succeeded(subnets));
    ASSERT_FALSE((**subnets).empty());
    ecs::EcsConfig config;
    config.region = std::string(kRegion);
    config.cluster = unique("backend");
    config.subnets = {(**subnets)[0].subnet_id};
    // moto's RunTask needs security groups, which ECS does not (the VPC's default group).
    auto groups = run(io_, good_->ec2.describe_security_groups({}));
    ASSERT_TRUE(succeeded(groups));
    ASSERT_FALSE((**groups).empty());
    config.security_groups = {(**groups)[0].group_id};
    config.strategy = ecs::InjectionStrategy::init_container;
    config.agent_image = "sockerless/agent:latest";
    config.payload_bucket = unique("payloads");
    ASSERT_TRUE(succeeded(run(io_, good_->ecs.create_cluster(config.cluster))));
    ASSERT_TRUE(succeeded(run(io_, good_->s3.create_bucket(config.payload_bucket))));

    const ecs::TaskShape shape = ecs::shape_of(config, "busybox", false);
    boost::json::object definition = ecs::build_task_definition(shape);
    if (GetParam() == PeerKind::moto) {
        // moto's RunTask fails with a 500 without container-level memory, which Fargate does not
        // need; the backend's definitions leave it out.
        for (boost::json::value& c : definition["containerDefinitions"].as_array())
            c.as_object()["memory"] = 256;
    }
    auto registered = run(io_, good_->ecs.register_task_definition(definition));
    ASSERT_TRUE(succeeded(registered));
    EXPECT_EQ((**registered).family, ecs::shape_family(shape));
    EXPECT_TRUE(
        refused(run(io_, bad_->ecs.register_task_definition(definition)), peer_.json_refusal));

    agentproto::LaunchSpec small;
    small.cmd = {"sh", "-c", "echo hé"};
    small.env = {"A=1"};
    small.token = std::string(64, 'f');
    agentproto::LaunchSpec large = small;
    large.env.push_back("BIG=" + std::string(9000, 'x'));
    for (const agentproto::LaunchSpec* spec : {&small, &large}) {
        auto plan = ecs::plan_overrides(std::string(64, 'c'), *spec, ecs::PayloadMode::automatic,
                                        ecs::payload_target(config));
        ASSERT_TRUE(plan.has_value()) << plan.error().message;
        if (plan->payload) {
            auto put = run(io_, ecs::put_payload(good_->s3, plan->payload->bucket,
                                                 plan->payload->key, plan->payload->body));
            ASSERT_TRUE(succeeded(put));
            EXPECT_TRUE(refused(
                run(io_, ecs::put_payload(bad_->s3, plan->payload->bucket,
                                          plan->payload->key + ".2", plan->payload->body))));
        }
        RunTaskRequest request;
        request.cluster = config.cluster;
        request.task_definition = (**registered).task_definition_arn;
        request.subnets = config.subnets;
        request.security_groups = config.security_groups;
        request.overrides = plan->overrides;
        request.tags = {{"sockerless-container-id", std::string(64, 'c')}};
        request.started_by = "sockerless";
        request.client_token = unique("launch") + (plan->payload ? "-p" : "-i");
        auto ran = run(io_, good_->ecs.run_task(request));
        ASSERT_TRUE(succeeded(ran));
        ASSERT_EQ((**ran).tasks.size(), 1U);
        auto described =
            run(io_, good_->ecs.describe_tasks(config.cluster, {(**ran).tasks[0].task_arn}));
        ASSERT_TRUE(succeeded(described));
        ASSERT_EQ((**described).tasks.size(), 1U);
        EXPECT_EQ((**described).tasks[0].task_definition_arn, (**registered).task_definition_arn);
        EXPECT_TRUE(refused(run(io_, bad_->ecs.run_task(request)), peer_.json_refusal));
    }
}

INSTANTIATE_TEST_SUITE_P(Peers, PeerTest, ::testing::Values(PeerKind::moto, PeerKind::awssim),
                         peer_name);

}  // namespace
}  // namespace sockerless::aws
