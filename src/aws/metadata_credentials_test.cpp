#include <gtest/gtest.h>

#include "aws/credentials.h"
#include "aws/credentials_test_support.h"

// Shapes: environment variable names and chain order from botocore 1.43 (credentials.py,
// create_credential_resolver); container and IMDS flows from botocore's ContainerMetadataFetcher
// and InstanceMetadataFetcher (utils.py); JSON answers as the ECS agent and IMDS document them.

namespace sockerless::aws {
namespace {

using namespace std::chrono;
using namespace test_support;

// ---- ECS container endpoint ---------------------------------------------------------------------

TEST(CredentialsContainer, RelativeUriGoesToTheEcsAgent) {
    FakeWorld w;
    w.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/5a6f1f3e-94c0-4a2f-9d7c";
    FakeFetcher f;
    const std::string url = "http://169.254.170.2/v2/credentials/5a6f1f3e-94c0-4a2f-9d7c";
    f.answer("GET", url, 200, std::string(kContainerAnswer));
    auto c = resolve_credentials(w.env(), f);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->credentials.access_key_id, "ASIAIOSFODNN7CONTAIN");
    EXPECT_EQ(c->credentials.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCONTAINER");
    EXPECT_EQ(c->credentials.session_token,
              "IQoJb3JpZ2luX2VjECAaCXVzLWVhc3QtMSJGMEQCIBcontainer==");
    EXPECT_EQ(c->expiration, at(2024, 5, 1, 18, 0, 0));
    EXPECT_EQ(c->source, "container credentials " + url);
    ASSERT_EQ(f.calls.size(), 1U);
    EXPECT_EQ(f.calls[0].method, "GET");
    EXPECT_EQ(header(f.calls[0], "Accept"), "application/json");
    EXPECT_FALSE(has_header(f.calls[0], "Authorization"));
}

TEST(CredentialsContainer, FullUriWithAuthorizationToken) {
    FakeWorld w;
    w.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.42:9911/role/task";
    w.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Basic c29ja2VybGVzczpzZWNyZXQ=";
    auto req = container_credentials_request(w.env());
    ASSERT_TRUE(req) << req.error().message;
    ASSERT_TRUE(*req);
    EXPECT_EQ((*req)->url, "http://127.0.0.42:9911/role/task");
    EXPECT_EQ(header(**req, "Authorization"), "Basic c29ja2VybGVzczpzZWNyZXQ=");
}

TEST(CredentialsContainer, RelativeUriWinsOverFullUri) {
    FakeWorld w;
    w.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "v2/credentials/abc";
    w.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1/creds";
    auto req = container_credentials_request(w.env());
    ASSERT_TRUE(req && *req);
    EXPECT_EQ((*req)->url, "http://169.254.170.2/v2/credentials/abc");
}

// The EKS pod-identity agent mounts a token that it rotates: it is read on every fetch.
TEST(CredentialsContainer, TokenFileIsPreferredAndReReadEachTime) {
    FakeWorld w;
    w.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://169.254.170.23/v1/credentials";
    w.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "from-env";
    w.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] =
        "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token";
    w.files[w.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]] = "eyJhbGciOiJSUzI1NiJ9.first\n";
    FakeFetcher f;
    f.answer("GET", "http://169.254.170.23/v1/credentials", 200, std::string(kContainerAnswer));
    ASSERT_TRUE(from_container_endpoint(w.env(), f));
    w.files[w.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]] = "eyJhbGciOiJSUzI1NiJ9.second";
    ASSERT_TRUE(from_container_endpoint(w.env(), f));
    ASSERT_EQ(f.calls.size(), 2U);
    EXPECT_EQ(header(f.calls[0], "Authorization"), "eyJhbGciOiJSUzI1NiJ9.first");
    EXPECT_EQ(header(f.calls[1], "Authorization"), "eyJhbGciOiJSUzI1NiJ9.second");
}

TEST(CredentialsContainer, MissingTokenFileIsAnError) {
    FakeWorld w;
    w.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://localhost:8080/creds";
    w.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = "/nope";
    FakeFetcher f;
    auto c = resolve_credentials(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::unauthorized);
    EXPECT_TRUE(f.calls.empty());
}

TEST(CredentialsContainer, TokenWithLineBreakIsRefused) {
    FakeWorld w;
    w.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://localhost:8080/creds";
    w.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "abc\r\nX-Injected: 1";
    auto req = container_credentials_request(w.env());
    ASSERT_FALSE(req);
    EXPECT_EQ(req.error().code, Errc::invalid_argument);
}

TEST(CredentialsContainer, FullUriHostsAllowedOverPlainHttp) {
    for (const char* url :
         {"http://127.0.0.1/c", "http://127.1.2.3:8000/c", "http://[::1]:80/c",
          "http://localhost/c", "http://169.254.170.2/c", "http://169.254.170.23/v1/credentials",
          "http://[fd00:ec2::23]/c", "https://creds.example.com/c", "HTTPS://creds.example.com"}) {
        FakeWorld w;
        w.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = url;
        auto req = container_credentials_request(w.env());
        EXPECT_TRUE(req) << url << ": " << req.error().message;
    }
    for (const char* url :
         {"http://creds.example.com/c", "http://10.0.0.5/c", "http://user@evil.example.com/c",
          "ftp://127.0.0.1/c", "/relative", "http://128.0.0.1/c", "http://[::2]/c"}) {
        FakeWorld w;
        w.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = url;
        auto req = container_credentials_request(w.env());
        ASSERT_FALSE(req) << url;
        EXPECT_EQ(req.error().code, Errc::invalid_argument) << url;
    }
}

TEST(CredentialsContainer, UnreachableEndpointStopsTheChain) {
    FakeWorld w;
    w.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
    FakeFetcher f;  // nothing answers
    auto c = resolve_credentials(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::unavailable);
    EXPECT_EQ(f.calls.size(), 1U) << "IMDS must not be asked";
}

TEST(CredentialsContainer, NotFoundFromTheFetcherDoesNotMeanTryTheNext) {
    FakeWorld w;
    w.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
    FakeFetcher f;
    f.fail("GET", "http://169.254.170.2/v2/credentials/abc", Errc::not_found, "no such host");
    auto c = resolve_credentials(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::unavailable);
}

TEST(CredentialsContainer, ErrorStatusAndGarbageAreUnavailable) {
    FakeWorld w;
    w.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
    FakeFetcher f;
    const std::string url = "http://169.254.170.2/v2/credentials/abc";
    f.answer("GET", url, 400, "{\"code\":\"InvalidIdException\",\"message\":\"bad id\"}");
    auto c = from_container_endpoint(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::unavailable);
    EXPECT_NE(c.error().message.find("HTTP 400"), std::string::npos);
    EXPECT_NE(c.error().message.find("InvalidIdException"), std::string::npos);

    f.answer("GET", url, 200, "<html>captive portal</html>");
    c = from_container_endpoint(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::unavailable);
}

// ---- EC2 instance metadata ----------------------------------------------------------------------

TEST(CredentialsImds, V2SequenceTokenRoleCredentials) {
    FakeWorld w;
    FakeFetcher f;
    serve_imds(f);
    auto c = resolve_credentials(w.env(), f);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->credentials.access_key_id, "ASIAIOSFODNN7INSTANC");
    EXPECT_EQ(c->credentials.session_token, "IQoJb3JpZ2luX2VjEInstance==");
    EXPECT_EQ(c->expiration, at(2024, 5, 1, 17, 59, 33));
    EXPECT_EQ(c->source, "EC2 instance metadata (role sockerless-host-role)");

    ASSERT_EQ(f.calls.size(), 3U);
    EXPECT_EQ(f.calls[0].method, "PUT");
    EXPECT_EQ(f.calls[0].url, "http://169.254.169.254/latest/api/token");
    EXPECT_EQ(header(f.calls[0], "x-aws-ec2-metadata-token-ttl-seconds"), "21600");
    EXPECT_EQ(f.calls[1].method, "GET");
    EXPECT_EQ(f.calls[1].url, kRolesUrl);
    EXPECT_EQ(header(f.calls[1], "x-aws-ec2-metadata-token"), kImdsToken);
    EXPECT_EQ(f.calls[2].url, std::string(kRolesUrl) + "sockerless-host-role");
    EXPECT_EQ(header(f.calls[2], "x-aws-ec2-metadata-token"), kImdsToken);
}

TEST(CredentialsImds, FallsBackToV1WhenTokensAreUnsupported) {
    for (int status : {403, 404, 405}) {
        FakeWorld w;
        FakeFetcher f;
        serve_imds(f);
        f.answer("PUT", std::string(kImdsBase) + "/latest/api/token", status, "");
        auto c = from_instance_metadata(w.env(), f);
        ASSERT_TRUE(c) << status << ": " << c.error().message;
        ASSERT_EQ(f.calls.size(), 3U);
        EXPECT_FALSE(has_header(f.calls[1], "x-aws-ec2-metadata-token"));
        EXPECT_FALSE(has_header(f.calls[2], "x-aws-ec2-metadata-token"));
    }
}

// In a container behind a hop limit of 1 the PUT's answer never arrives; v1 may still work.
TEST(CredentialsImds, TokenTimeoutFallsBackToV1) {
    FakeWorld w;
    FakeFetcher f;
    serve_imds(f);
    f.fail("PUT", std::string(kImdsBase) + "/latest/api/token", Errc::timeout, "read timed out");
    auto c = from_instance_metadata(w.env(), f);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_FALSE(has_header(f.calls[1], "x-aws-ec2-metadata-token"));
}

TEST(CredentialsImds, V1CanBeDisabled) {
    FakeWorld w;
    w.vars["AWS_EC2_METADATA_V1_DISABLED"] = "TRUE";
    FakeFetcher f;
    serve_imds(f);
    f.answer("PUT", std::string(kImdsBase) + "/latest/api/token", 403, "");
    auto c = from_instance_metadata(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::not_found);
    EXPECT_EQ(f.calls.size(), 1U);
}

TEST(CredentialsImds, NotOnEc2MeansOneRefusedCallAndANote) {
    FakeWorld w;
    FakeFetcher f;
    auto c = from_instance_metadata(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::not_found);
    EXPECT_NE(c.error().message.find("Connection refused"), std::string::npos);
    EXPECT_EQ(f.calls.size(), 1U);
}

TEST(CredentialsImds, BadTokenRequestAndMissingRoleAreNotes) {
    FakeWorld w;
    FakeFetcher f;
    serve_imds(f);
    f.answer("PUT", std::string(kImdsBase) + "/latest/api/token", 400, "");
    auto c = from_instance_metadata(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::not_found);

    FakeFetcher g;
    serve_imds(g);
    g.answer("GET", std::string(kRolesUrl), 404,
             "<?xml version=\"1.0\"?><html>404 - Not Found</html>");
    c = from_instance_metadata(w.env(), g);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::not_found);
    EXPECT_NE(c.error().message.find("HTTP 404"), std::string::npos);
}

TEST(CredentialsImds, ErrorDocumentFromTheRoleIsANote) {
    FakeWorld w;
    FakeFetcher f;
    serve_imds(f);
    f.answer("GET", std::string(kRolesUrl) + "sockerless-host-role", 200,
             R"({"Code" : "AssumeRoleUnauthorizedAccess",
                 "Message" : "EC2 cannot assume the role sockerless-host-role.",
                 "LastUpdated" : "2024-05-01T11:47:12Z"})");
    auto c = from_instance_metadata(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::not_found);
    EXPECT_NE(c.error().message.find("AssumeRoleUnauthorizedAccess: EC2 cannot assume"),
              std::string::npos);
}

TEST(CredentialsImds, DisabledMeansNoRequest) {
    FakeWorld w;
    w.vars["AWS_EC2_METADATA_DISABLED"] = "true";
    FakeFetcher f;
    serve_imds(f);
    auto c = from_instance_metadata(w.env(), f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::not_found);
    EXPECT_TRUE(f.calls.empty());
}

TEST(CredentialsImds, EndpointOverrideAndIpv6Mode) {
    FakeWorld w;
    w.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"] = "IPv6";
    FakeFetcher f;
    serve_imds(f, "http://[fd00:ec2::254]");
    ASSERT_TRUE(from_instance_metadata(w.env(), f));
    EXPECT_EQ(f.calls[0].url, "http://[fd00:ec2::254]/latest/api/token");

    w.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.9:1338/";
    FakeFetcher g;
    serve_imds(g, "http://127.0.0.9:1338");
    ASSERT_TRUE(from_instance_metadata(w.env(), g));
    EXPECT_EQ(g.calls[0].url, "http://127.0.0.9:1338/latest/api/token");
}

}  // namespace
}  // namespace sockerless::aws
