#include "registry/auth.h"

#include <gtest/gtest.h>

namespace sockerless::registry {
namespace {

TEST(Base64, RoundTripsAndToleratesBothAlphabetsAndMissingPadding) {
    for (const std::string& s : std::vector<std::string>{
             std::string(""), std::string("f"), std::string("fo"), std::string("foo"),
             std::string("foob"), std::string("\xfb\xff\xfe")}) {
        EXPECT_EQ(*base64_decode(base64_encode(s)), s);
    }
    EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
    EXPECT_EQ(*base64_decode("-_8="), "\xfb\xff");
    EXPECT_EQ(*base64_decode("-_8"), "\xfb\xff");
    EXPECT_EQ(*base64_decode("+/8"), "\xfb\xff");
    EXPECT_FALSE(base64_decode("a"));
    EXPECT_FALSE(base64_decode("ab!c"));
}

TEST(RegistryAuth, DecodesWhatDockerClientsSend) {
    // {"username":"u","password":"p?>","serveraddress":"127.0.0.1:5000"}, base64url as the CLI
    // sends it ("?>" makes the two alphabets differ).
    const std::string json =
        R"({"username":"u","password":"p?>","serveraddress":"127.0.0.1:5000"})";
    std::string std64 = base64_encode(json);
    std::string url64 = std64;
    for (char& c : url64) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    ASSERT_NE(std64, url64);
    for (const std::string& header : {url64, std64, url64.substr(0, url64.find('='))}) {
        Result<Credentials> c = decode_registry_auth(header);
        ASSERT_TRUE(c) << header << ": " << c.error().message;
        EXPECT_EQ(c->username, "u");
        EXPECT_EQ(c->password, "p?>");
        EXPECT_EQ(c->server_address, "127.0.0.1:5000");
        EXPECT_FALSE(c->anonymous());
    }
}

TEST(RegistryAuth, FieldsMatchCaseInsensitivelyAndAuthFillsUserAndPassword) {
    Result<Credentials> c = decode_registry_auth(
        base64_encode(R"({"Username":"x","IdentityToken":"refresh","RegistryToken":"bearer"})"));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->username, "x");
    EXPECT_EQ(c->identity_token, "refresh");
    EXPECT_EQ(c->registry_token, "bearer");

    Result<Credentials> legacy =
        decode_registry_auth(base64_encode(R"({"auth":")" + base64_encode("me:s3:cret") + "\"}"));
    ASSERT_TRUE(legacy);
    EXPECT_EQ(legacy->username, "me");
    EXPECT_EQ(legacy->password, "s3:cret");
}

TEST(RegistryAuth, EmptyHeaderAndEmptyObjectAreAnonymous) {
    EXPECT_TRUE(decode_registry_auth("")->anonymous());
    EXPECT_TRUE(decode_registry_auth("e30=")->anonymous());  // {}
    EXPECT_TRUE(decode_registry_auth("e30")->anonymous());
    EXPECT_TRUE(decode_registry_auth(base64_encode("null"))->anonymous());
}

TEST(RegistryAuth, MalformedHeadersAreInvalid) {
    for (const std::string& bad : std::vector<std::string>{
             std::string("!!!"), base64_encode("not json"), base64_encode("[1]"),
             base64_encode(R"({"username":5})"), base64_encode(R"({"auth":"bm9jb2xvbg=="})")}) {
        Result<Credentials> c = decode_registry_auth(bad);
        ASSERT_FALSE(c) << bad;
        EXPECT_EQ(c.error().code, Errc::invalid_argument);
        EXPECT_TRUE(c.error().message.starts_with("invalid X-Registry-Auth header: "))
            << c.error().message;
    }
}

TEST(RegistryAuth, EncodeRoundTrips) {
    Credentials in;
    in.username = "user";
    in.password = "pa$$>";
    in.identity_token = "tok";
    const std::string header = encode_registry_auth(in);
    EXPECT_EQ(header.find_first_of("+/"), std::string::npos);
    Result<Credentials> out = decode_registry_auth(header);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->username, "user");
    EXPECT_EQ(out->password, "pa$$>");
    EXPECT_EQ(out->identity_token, "tok");
}

TEST(Challenge, ParsesBearerAsDockerHubSendsIt) {
    const auto cs = parse_challenges(
        R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
    ASSERT_EQ(cs.size(), 1U);
    EXPECT_EQ(cs[0].scheme, "bearer");
    EXPECT_EQ(cs[0].param("realm"), "https://auth.docker.io/token");
    EXPECT_EQ(cs[0].param("service"), "registry.docker.io");
    EXPECT_EQ(cs[0].param("scope"), "repository:library/busybox:pull");
    EXPECT_EQ(cs[0].param("missing"), "");
}

TEST(Challenge, ParsesBasicTokensEscapesAndSeveralChallenges) {
    auto cs = parse_challenges(R"(Basic realm="Registry Realm")");
    ASSERT_EQ(cs.size(), 1U);
    EXPECT_EQ(cs[0].scheme, "basic");
    EXPECT_EQ(cs[0].param("realm"), "Registry Realm");

    cs = parse_challenges(
        R"(Basic realm="a, b", BEARER Realm=tok.en , service = "s\"q" ,error="insufficient_scope")");
    ASSERT_EQ(cs.size(), 2U);
    EXPECT_EQ(cs[0].param("realm"), "a, b");
    EXPECT_EQ(cs[1].scheme, "bearer");
    EXPECT_EQ(cs[1].param("realm"), "tok.en");
    EXPECT_EQ(cs[1].param("service"), "s\"q");
    EXPECT_EQ(cs[1].param("error"), "insufficient_scope");

    cs = parse_challenges("Negotiate, Basic");
    ASSERT_EQ(cs.size(), 2U);
    EXPECT_EQ(cs[1].scheme, "basic");
    EXPECT_TRUE(parse_challenges("").empty());
}

Challenge bearer() {
    return parse_challenges(R"(Bearer realm="http://127.0.0.1:1/token",service="reg")")[0];
}

TEST(TokenRequest, AnonymousIsAGetWithServiceAndScope) {
    const TokenRequest r = token_request(bearer(), {pull_scope("library/busybox")}, {});
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.query, (std::vector<Param>{{"service", "reg"},
                                           {"scope", "repository:library/busybox:pull"}}));
    EXPECT_EQ(r.authorization, "");
}

TEST(TokenRequest, PasswordIsBasicAuthWithAccount) {
    Credentials creds;
    creds.username = "alice";
    creds.password = "secret";
    const TokenRequest r = token_request(bearer(), {"repository:x:pull"}, creds, true);
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.authorization, "Basic YWxpY2U6c2VjcmV0");
    EXPECT_EQ(r.query, (std::vector<Param>{{"service", "reg"},
                                           {"scope", "repository:x:pull"},
                                           {"offline_token", "true"},
                                           {"client_id", "docker"},
                                           {"account", "alice"}}));
}

TEST(TokenRequest, IdentityTokenIsARefreshGrantPost) {
    Credentials creds;
    creds.username = "<token>";
    creds.identity_token = "refresh me";
    const TokenRequest r =
        token_request(bearer(), {"repository:a:pull", "repository:b:pull"}, creds);
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.authorization, "");
    EXPECT_EQ(r.form_body,
              "client_id=docker&grant_type=refresh_token&refresh_token=refresh+me&"
              "scope=repository%3Aa%3Apull+repository%3Ab%3Apull&service=reg");
}

TEST(TokenResponse, ReadsTokenOrAccessTokenWithAMinimumLifetime) {
    Result<Token> t = parse_token_response(R"({"token":"abc","expires_in":300})");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->token, "abc");
    EXPECT_EQ(t->expires_in, std::chrono::seconds(300));
    t = parse_token_response(R"({"token":"old","access_token":"new","refresh_token":"r"})");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->token, "new");
    EXPECT_EQ(t->refresh_token, "r");
    EXPECT_EQ(t->expires_in, std::chrono::seconds(60));
    t = parse_token_response(R"({"token":"abc","expires_in":5})");
    EXPECT_EQ(t->expires_in, std::chrono::seconds(60));
    Result<Token> none = parse_token_response(R"({"expires_in":300})");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().message, "authorization server did not include a token in the response");
    EXPECT_FALSE(parse_token_response("<html>"));
}

TEST(FormEncode, SortsKeysAndEscapesAsGo) {
    EXPECT_EQ(form_encode({{"b", "x y"}, {"a", "1&2=3"}, {"c", "~._-"}}),
              "a=1%262%3D3&b=x+y&c=~._-");
}

}  // namespace
}  // namespace sockerless::registry
