#include "aws/credentials.h"

#include <gtest/gtest.h>

#include <deque>

#include "aws/credentials_test_support.h"

// Shapes: environment variable names and chain order from botocore 1.43 (credentials.py,
// create_credential_resolver); container and IMDS flows from botocore's ContainerMetadataFetcher
// and InstanceMetadataFetcher (utils.py); JSON answers as the ECS agent and IMDS document them.

namespace sockerless::aws {
namespace {

using namespace std::chrono;
using namespace test_support;

// As `aws configure` writes it, plus hand edits.
constexpr std::string_view kCredentialsFile = R"(# written by aws configure
[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

[dev]
aws_access_key_id=ASIAY34FZKBOKMUTVV7A
aws_secret_access_key=ZI3ln/6mUyKIuKCfCGGgFjZGOkEEbs2E8MqYn2Af   ; rotated 2024-04
aws_session_token = IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+example==
region = ap-southeast-2

[half]
aws_access_key_id = AKIAHALFEXAMPLE
)";

constexpr std::string_view kConfigFile = R"([default]
region = us-west-2
output = json

[profile dev]
region = eu-west-1
aws_access_key_id = AKIACONFIGDEVEXAMPLE
aws_secret_access_key = configDevSecret

[profile ci]
region = us-east-2
aws_access_key_id = AKIACIEXAMPLE
aws_secret_access_key = ciSecretExample
s3 =
    max_concurrent_requests = 20
    addressing_style = path

[ci]
aws_access_key_id = AKIANOTAPROFILE
aws_secret_access_key = ignored

[profile deploy]
role_arn = arn:aws:iam::123456789012:role/deploy
source_profile = default

[sso-session corp]
sso_region = us-east-1
sso_start_url = https://corp.awsapps.com/start
)";

// ---- Environment variables ----------------------------------------------------------------------

TEST(CredentialsEnv, ReadsKeyPairAndSessionToken) {
    FakeWorld w;
    w.vars["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE";
    w.vars["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    w.vars["AWS_SESSION_TOKEN"] = "FwoGZXIvYXdzEXAMPLE";
    auto c = from_environment(w.env());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->credentials.access_key_id, "AKIAIOSFODNN7EXAMPLE");
    EXPECT_EQ(c->credentials.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    EXPECT_EQ(c->credentials.session_token, "FwoGZXIvYXdzEXAMPLE");
    EXPECT_EQ(c->source, "environment variables");
    EXPECT_FALSE(c->expiration);
}

TEST(CredentialsEnv, LegacyNamesAreAccepted) {
    FakeWorld w;
    w.vars["AWS_ACCESS_KEY"] = "AKIALEGACY";
    w.vars["AWS_SECRET_KEY"] = "legacySecret";
    w.vars["AWS_SECURITY_TOKEN"] = "legacyToken";
    auto c = from_environment(w.env());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->credentials.access_key_id, "AKIALEGACY");
    EXPECT_EQ(c->credentials.secret_access_key, "legacySecret");
    EXPECT_EQ(c->credentials.session_token, "legacyToken");
}

TEST(CredentialsEnv, CurrentNamesWinOverLegacyOnes) {
    FakeWorld w;
    w.vars["AWS_ACCESS_KEY"] = "AKIALEGACY";
    w.vars["AWS_SECRET_KEY"] = "legacySecret";
    w.vars["AWS_ACCESS_KEY_ID"] = "AKIACURRENT";
    w.vars["AWS_SECRET_ACCESS_KEY"] = "currentSecret";
    auto c = from_environment(w.env());
    ASSERT_TRUE(c);
    EXPECT_EQ(c->credentials.access_key_id, "AKIACURRENT");
    EXPECT_EQ(c->credentials.secret_access_key, "currentSecret");
}

TEST(CredentialsEnv, UnsetAndEmptyMeanNotConfigured) {
    FakeWorld w;
    w.vars["AWS_ACCESS_KEY_ID"] = "";
    auto c = from_environment(w.env());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::not_found);
}

TEST(CredentialsEnv, HalfAKeyPairStopsTheChain) {
    FakeWorld w;
    w.vars["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE";
    w.files["/home/dev/.aws/credentials"] = std::string(kCredentialsFile);
    FakeFetcher f;
    auto c = resolve_credentials(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::unauthorized);
    EXPECT_NE(c.error().message.find("AWS_SECRET_ACCESS_KEY not set"), std::string::npos);
}

TEST(CredentialsEnv, ExpirationIsRead) {
    FakeWorld w;
    w.vars["AWS_ACCESS_KEY_ID"] = "ASIAEXAMPLE";
    w.vars["AWS_SECRET_ACCESS_KEY"] = "secret";
    w.vars["AWS_CREDENTIAL_EXPIRATION"] = "2024-05-01T13:00:00Z";
    auto c = from_environment(w.env());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->expiration, at(2024, 5, 1, 13, 0, 0));

    w.vars["AWS_CREDENTIAL_EXPIRATION"] = "tomorrow";
    auto bad = from_environment(w.env());
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::invalid_argument);
}

// botocore: AWS_PROFILE does not disable environment credentials; only a profile passed in code
// does. Explicit keys in the environment win.
TEST(CredentialsEnv, WinOverProfileFilesEvenWithAwsProfileSet) {
    FakeWorld w;
    w.vars["AWS_ACCESS_KEY_ID"] = "AKIAFROMENV";
    w.vars["AWS_SECRET_ACCESS_KEY"] = "envSecret";
    w.vars["AWS_PROFILE"] = "dev";
    w.files["/home/dev/.aws/credentials"] = std::string(kCredentialsFile);
    FakeFetcher f;
    auto c = resolve_credentials(w.env(), f);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->credentials.access_key_id, "AKIAFROMENV");
    EXPECT_TRUE(f.calls.empty());
}

TEST(CredentialsEnv, WebIdentityIsRecognisedAndRefused) {
    FakeWorld w;
    w.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] =
        "/var/run/secrets/eks.amazonaws.com/serviceaccount/token";
    w.vars["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/pod";
    FakeFetcher f;
    auto c = resolve_credentials(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::not_implemented);
    EXPECT_TRUE(f.calls.empty()) << "must not fall through to the node's instance role";
}

// ---- Shared files -------------------------------------------------------------------------------

TEST(CredentialsFiles, DefaultProfileFromHome) {
    FakeWorld w;
    w.files["/home/dev/.aws/credentials"] = std::string(kCredentialsFile);
    FakeFetcher f;
    auto c = resolve_credentials(w.env(), f);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->credentials.access_key_id, "AKIAIOSFODNN7EXAMPLE");
    EXPECT_EQ(c->credentials.session_token, "");
    EXPECT_EQ(c->source, "shared credentials file /home/dev/.aws/credentials (profile default)");
}

TEST(CredentialsFiles, AwsProfileSelectsAndCommentsAreStripped) {
    FakeWorld w;
    w.vars["AWS_PROFILE"] = "dev";
    w.files["/home/dev/.aws/credentials"] = std::string(kCredentialsFile);
    auto c = from_shared_credentials_file(w.env());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->credentials.access_key_id, "ASIAY34FZKBOKMUTVV7A");
    EXPECT_EQ(c->credentials.secret_access_key, "ZI3ln/6mUyKIuKCfCGGgFjZGOkEEbs2E8MqYn2Af");
    EXPECT_EQ(c->credentials.session_token,
              "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+example==");
}

TEST(CredentialsFiles, ProfileNamePrecedence) {
    FakeWorld w;
    EXPECT_EQ(profile_name(w.env()), "default");
    w.vars["AWS_DEFAULT_PROFILE"] = "legacy";
    EXPECT_EQ(profile_name(w.env()), "legacy");
    w.vars["AWS_PROFILE"] = "dev";
    EXPECT_EQ(profile_name(w.env()), "dev");
}

TEST(CredentialsFiles, PathsFromVariablesWithTildeExpanded) {
    FakeWorld w;
    EXPECT_EQ(shared_credentials_path(w.env()), "/home/dev/.aws/credentials");
    EXPECT_EQ(config_path(w.env()), "/home/dev/.aws/config");
    w.vars["AWS_SHARED_CREDENTIALS_FILE"] = "~/secrets/aws-creds";
    w.vars["AWS_CONFIG_FILE"] = "/etc/sockerless/aws-config";
    EXPECT_EQ(shared_credentials_path(w.env()), "/home/dev/secrets/aws-creds");
    EXPECT_EQ(config_path(w.env()), "/etc/sockerless/aws-config");
    w.vars.erase("HOME");
    EXPECT_FALSE(shared_credentials_path(w.env()));
    EXPECT_EQ(config_path(w.env()), "/etc/sockerless/aws-config");
}

TEST(CredentialsFiles, CustomCredentialsFileIsRead) {
    FakeWorld w;
    w.vars["AWS_SHARED_CREDENTIALS_FILE"] = "/run/secrets/aws";
    w.files["/run/secrets/aws"] =
        "[default]\naws_access_key_id=AKIASECRET\n"
        "aws_secret_access_key=mounted\n";
    w.files["/home/dev/.aws/credentials"] = std::string(kCredentialsFile);
    auto c = from_shared_credentials_file(w.env());
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->credentials.access_key_id, "AKIASECRET");
}

TEST(CredentialsFiles, CredentialsFileWinsOverConfigForTheSameProfile) {
    FakeWorld w;
    w.vars["AWS_PROFILE"] = "dev";
    w.files["/home/dev/.aws/credentials"] = std::string(kCredentialsFile);
    w.files["/home/dev/.aws/config"] = std::string(kConfigFile);
    FakeFetcher f;
    auto c = resolve_credentials(w.env(), f);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->credentials.access_key_id, "ASIAY34FZKBOKMUTVV7A");
}

TEST(CredentialsFiles, ConfigFileProfileNeedsProfilePrefix) {
    FakeWorld w;
    w.vars["AWS_PROFILE"] = "ci";
    w.files["/home/dev/.aws/credentials"] = std::string(kCredentialsFile);
    w.files["/home/dev/.aws/config"] = std::string(kConfigFile);
    FakeFetcher f;
    auto c = resolve_credentials(w.env(), f);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->credentials.access_key_id, "AKIACIEXAMPLE");  // not the "[ci]" section's
    EXPECT_EQ(c->source, "config file /home/dev/.aws/config (profile ci)");
}

TEST(CredentialsFiles, HalfAKeyPairInAFileStopsTheChain) {
    FakeWorld w;
    w.vars["AWS_PROFILE"] = "half";
    w.files["/home/dev/.aws/credentials"] = std::string(kCredentialsFile);
    FakeFetcher f;
    auto c = resolve_credentials(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::unauthorized);
    EXPECT_NE(c.error().message.find("without aws_secret_access_key"), std::string::npos);
    EXPECT_TRUE(f.calls.empty());
}

TEST(CredentialsFiles, AssumeRoleProfileIsRefusedNotSkipped) {
    FakeWorld w;
    w.vars["AWS_PROFILE"] = "deploy";
    w.files["/home/dev/.aws/config"] = std::string(kConfigFile);
    FakeFetcher f;
    auto c = resolve_credentials(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::not_implemented);
    EXPECT_NE(c.error().message.find("role_arn"), std::string::npos);
    EXPECT_TRUE(f.calls.empty());
}

TEST(CredentialsFiles, RegionPrecedence) {
    FakeWorld w;
    EXPECT_FALSE(resolve_region(w.env()));
    w.files["/home/dev/.aws/config"] = std::string(kConfigFile);
    EXPECT_EQ(resolve_region(w.env()), "us-west-2");
    w.vars["AWS_PROFILE"] = "dev";
    EXPECT_EQ(resolve_region(w.env()), "eu-west-1");
    w.files["/home/dev/.aws/credentials"] = std::string(kCredentialsFile);
    EXPECT_EQ(resolve_region(w.env()), "ap-southeast-2");  // credentials file merged over config
    w.vars["AWS_DEFAULT_REGION"] = "sa-east-1";
    EXPECT_EQ(resolve_region(w.env()), "sa-east-1");
    w.vars["AWS_REGION"] = "ca-central-1";
    EXPECT_EQ(resolve_region(w.env()), "ca-central-1");
}

// ---- The chain as a whole -----------------------------------------------------------------------

TEST(CredentialsChain, NothingFoundListsEverySourceInOrder) {
    FakeWorld w;
    FakeFetcher f;
    auto c = resolve_credentials(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::unauthorized);
    const std::string& m = c.error().message;
    std::size_t pos = 0;
    for (const char* part :
         {"no AWS credentials found; tried ", "environment variables: AWS_ACCESS_KEY_ID not set",
          "web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set",
          "shared credentials file /home/dev/.aws/credentials: not found",
          "config file /home/dev/.aws/config: not found",
          "container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
          "AWS_CONTAINER_CREDENTIALS_FULL_URI not set",
          "EC2 instance metadata http://169.254.169.254: connect "
          "http://169.254.169.254/latest/api/token: Connection refused"}) {
        const std::size_t found = m.find(part, pos);
        ASSERT_NE(found, std::string::npos) << "missing or out of order: " << part << "\n" << m;
        pos = found;
    }
}

TEST(CredentialsChain, ProfileMissingFromBothFilesIsNoted) {
    FakeWorld w;
    w.vars["AWS_PROFILE"] = "staging";
    w.vars["AWS_EC2_METADATA_DISABLED"] = "true";
    w.files["/home/dev/.aws/credentials"] = std::string(kCredentialsFile);
    w.files["/home/dev/.aws/config"] = std::string(kConfigFile);
    FakeFetcher f;
    auto c = resolve_credentials(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find(
                  "shared credentials file /home/dev/.aws/credentials: no profile \"staging\""),
              std::string::npos)
        << c.error().message;
    EXPECT_NE(c.error().message.find("config file /home/dev/.aws/config: no profile \"staging\""),
              std::string::npos);
}

TEST(CredentialsChain, ContainerComesBeforeInstanceMetadata) {
    FakeWorld w;
    w.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
    FakeFetcher f;
    f.answer("GET", "http://169.254.170.2/v2/credentials/abc", 200, std::string(kContainerAnswer));
    serve_imds(f);
    auto c = resolve_credentials(w.env(), f);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->credentials.access_key_id, "ASIAIOSFODNN7CONTAIN");
    EXPECT_EQ(f.calls.size(), 1U);
}

TEST(CredentialsChain, ChainProviderRunsTheChain) {
    FakeWorld w;
    w.vars["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE";
    w.vars["AWS_SECRET_ACCESS_KEY"] = "secret";
    FakeFetcher f;
    ChainProvider chain(w.env(), f);
    auto c = chain.credentials();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->credentials.access_key_id, "AKIAEXAMPLE");
}

// ---- Parsing ------------------------------------------------------------------------------------

TEST(CredentialsParse, Iso8601Forms) {
    EXPECT_EQ(*parse_iso8601("2017-05-17T15:09:54Z"), at(2017, 5, 17, 15, 9, 54));
    EXPECT_EQ(*parse_iso8601("2017-05-17T15:09:54.123Z"), at(2017, 5, 17, 15, 9, 54));
    EXPECT_EQ(*parse_iso8601("2017-05-17T17:09:54+02:00"), at(2017, 5, 17, 15, 9, 54));
    EXPECT_EQ(*parse_iso8601("2017-05-17T10:39:54-0430"), at(2017, 5, 17, 15, 9, 54));
    EXPECT_EQ(*parse_iso8601("2024-02-29T23:59:59Z"), at(2024, 2, 29, 23, 59, 59));
    for (const char* bad : {"", "2017-05-17", "2017-05-17T15:09:54", "2017-05-17 15:09:54Z",
                            "2023-02-29T00:00:00Z", "2017-13-01T00:00:00Z", "2017-05-17T24:00:00Z",
                            "2017-05-17T15:09:54+2", "2017-05-17T15:09:54Zjunk", "1494-05-17T1"}) {
        auto r = parse_iso8601(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
    }
}

TEST(CredentialsParse, CredentialsJsonRequiresKeyAndSecret) {
    auto ok = parse_credentials_json(R"({"AccessKeyId":"AKIA","SecretAccessKey":"s"})", "test");
    ASSERT_TRUE(ok);
    EXPECT_FALSE(ok->expiration);
    EXPECT_EQ(ok->credentials.session_token, "");
    for (const char* bad : {R"({"AccessKeyId":"AKIA"})", R"({"SecretAccessKey":"s"})", "[]", "",
                            R"({"AccessKeyId":"AKIA","SecretAccessKey":"s","Expiration":"soon"})",
                            R"({"AccessKeyId":5,"SecretAccessKey":"s"})"}) {
        auto r = parse_credentials_json(bad, "test");
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
    }
}

// ---- Caching ------------------------------------------------------------------------------------

// Hands out queued results and counts calls.
class ScriptedProvider final : public CredentialsProvider {
public:
    explicit ScriptedProvider(int* calls) : calls_(calls) {}
    std::deque<Result<ProvidedCredentials>> script;
    Result<ProvidedCredentials> credentials() override {
        ++*calls_;
        if (script.empty()) return make_error(Errc::unavailable, "script exhausted");
        Result<ProvidedCredentials> r = script.front();
        script.pop_front();
        return r;
    }

private:
    int* calls_;
};

ProvidedCredentials expiring(std::string key, SystemClock::time_point when) {
    return ProvidedCredentials{Credentials{std::move(key), "secret", "token"}, when, "scripted"};
}

struct CacheFixture {
    SystemClock::time_point now = kNow;
    int calls = 0;
    ScriptedProvider* script = nullptr;

    std::unique_ptr<CachingProvider> make(seconds window = kDefaultRefreshWindow) {
        auto inner = std::make_unique<ScriptedProvider>(&calls);
        script = inner.get();
        return std::make_unique<CachingProvider>(
            std::move(inner), [this] { return now; }, window);
    }
};

TEST(CachingProvider, ServesFromCacheUntilFiveMinutesBeforeExpiry) {
    CacheFixture fx;
    auto cache = fx.make();
    fx.script->script.push_back(expiring("ONE", kNow + hours{1}));
    fx.script->script.push_back(expiring("TWO", kNow + hours{2}));

    EXPECT_EQ(cache->credentials()->credentials.access_key_id, "ONE");
    fx.now = kNow + minutes{54} + seconds{59};
    EXPECT_EQ(cache->credentials()->credentials.access_key_id, "ONE");
    EXPECT_EQ(fx.calls, 1);
    fx.now = kNow + minutes{55};  // exactly five minutes left: refresh
    EXPECT_EQ(cache->credentials()->credentials.access_key_id, "TWO");
    EXPECT_EQ(fx.calls, 2);
}

TEST(CachingProvider, WindowIsConfigurable) {
    CacheFixture fx;
    auto cache = fx.make(minutes{15});
    fx.script->script.push_back(expiring("ONE", kNow + hours{1}));
    fx.script->script.push_back(expiring("TWO", kNow + hours{2}));
    ASSERT_TRUE(cache->credentials());
    fx.now = kNow + minutes{46};
    EXPECT_EQ(cache->credentials()->credentials.access_key_id, "TWO");
}

TEST(CachingProvider, LongTermCredentialsAreNeverRefreshed) {
    CacheFixture fx;
    auto cache = fx.make();
    fx.script->script.push_back(
        ProvidedCredentials{Credentials{"AKIA", "secret", ""}, std::nullopt, "file"});
    ASSERT_TRUE(cache->credentials());
    fx.now = kNow + hours{24 * 365};
    ASSERT_TRUE(cache->credentials());
    EXPECT_EQ(fx.calls, 1);
}

TEST(CachingProvider, FailedRefreshKeepsStillValidCredentials) {
    CacheFixture fx;
    auto cache = fx.make();
    fx.script->script.push_back(expiring("ONE", kNow + hours{1}));
    fx.script->script.push_back(make_error(Errc::unavailable, "endpoint blip"));
    fx.script->script.push_back(expiring("TWO", kNow + hours{2}));
    ASSERT_TRUE(cache->credentials());
    fx.now = kNow + minutes{57};
    EXPECT_EQ(cache->credentials()->credentials.access_key_id, "ONE");  // refresh failed
    EXPECT_EQ(cache->credentials()->credentials.access_key_id, "TWO");  // tried again
    EXPECT_EQ(fx.calls, 3);
}

TEST(CachingProvider, FailedRefreshAfterExpiryIsAnError) {
    CacheFixture fx;
    auto cache = fx.make();
    fx.script->script.push_back(expiring("ONE", kNow + hours{1}));
    fx.script->script.push_back(make_error(Errc::unavailable, "endpoint down"));
    ASSERT_TRUE(cache->credentials());
    fx.now = kNow + hours{1};
    auto c = cache->credentials();
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::unavailable);
}

TEST(CachingProvider, InvalidateForcesARefresh) {
    CacheFixture fx;
    auto cache = fx.make();
    fx.script->script.push_back(expiring("ONE", kNow + hours{1}));
    fx.script->script.push_back(expiring("TWO", kNow + hours{1}));
    ASSERT_TRUE(cache->credentials());
    cache->invalidate();
    EXPECT_EQ(cache->credentials()->credentials.access_key_id, "TWO");
}

TEST(CachingProvider, FirstFailureIsReturned) {
    CacheFixture fx;
    auto cache = fx.make();
    fx.script->script.push_back(make_error(Errc::unauthorized, "no AWS credentials found"));
    auto c = cache->credentials();
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::unauthorized);
}

TEST(StaticProvider, ReturnsWhatItWasGiven) {
    StaticProvider p(ProvidedCredentials{Credentials{"AKIA", "s", ""}, std::nullopt, "flags"});
    EXPECT_EQ(p.credentials()->source, "flags");
}

}  // namespace
}  // namespace sockerless::aws
