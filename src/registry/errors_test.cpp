#include "registry/errors.h"

#include <gtest/gtest.h>

namespace sockerless::registry {
namespace {

Reference ref(std::string_view text) {
    return *parse_reference(text);
}

TEST(RegistryErrors, ManifestUnknownReadsAsDockerPull) {
    const ErrorResponse r = parse_error_response(
        404,
        R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]})",
        "");
    EXPECT_EQ(r.code, "MANIFEST_UNKNOWN");
    EXPECT_EQ(r.text, "manifest unknown: manifest unknown");
    const Error e = pull_error(ref("busybox:nope"), r);
    EXPECT_EQ(e.code, Errc::not_found);
    EXPECT_EQ(e.message, "manifest for busybox:nope not found: manifest unknown: manifest unknown");
    const Error private_registry = pull_error(ref("127.0.0.1:5000/x/y:t"), r);
    EXPECT_EQ(private_registry.message,
              "manifest for 127.0.0.1:5000/x/y:t not found: manifest unknown: manifest unknown");
}

TEST(RegistryErrors, NameUnknownAndDenied) {
    const Error name = pull_error(
        ref("ghost"),
        parse_error_response(404, R"({"errors":[{"code":"NAME_UNKNOWN","message":""}]})", ""));
    EXPECT_EQ(name.code, Errc::not_found);
    EXPECT_EQ(name.message,
              "repository ghost not found: name unknown: repository name not known to registry");

    const Error denied = pull_error(
        ref("user/private"),
        parse_error_response(
            401,
            R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})",
            ""));
    EXPECT_EQ(denied.code, Errc::not_found);
    EXPECT_EQ(denied.message,
              "pull access denied for user/private, repository does not exist or may require "
              "'docker login': denied: requested access to the resource is denied");
}

TEST(RegistryErrors, UnauthorizedFromBodyChallengeOrStatus) {
    const ErrorResponse body = parse_error_response(
        401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})", "");
    EXPECT_EQ(pull_error(ref("x"), body).code, Errc::unauthorized);
    EXPECT_EQ(pull_error(ref("x"), body).message, "unauthorized: authentication required");

    const ErrorResponse bare = parse_error_response(401, "", R"(Basic realm="r")");
    EXPECT_EQ(bare.text, "unauthorized: authentication required");

    const ErrorResponse challenge = parse_error_response(
        401, "", R"(Bearer realm="r",error="invalid_token",error_description="token expired")");
    EXPECT_EQ(challenge.code, "UNAUTHORIZED");
    EXPECT_EQ(challenge.text, "unauthorized: token expired");

    const ErrorResponse scope =
        parse_error_response(403, "", R"(Bearer realm="r",error="insufficient_scope")");
    EXPECT_EQ(scope.code, "DENIED");
    EXPECT_EQ(scope.text, "denied: requested access to the resource is denied");
}

TEST(RegistryErrors, LegacyDetailsField) {
    const ErrorResponse r =
        parse_error_response(401, R"({"details":"incorrect username or password"})", "");
    EXPECT_EQ(r.text, "unauthorized: incorrect username or password");
    const Error e = request_error(R"(Get "https://registry-1.docker.io/v2/")", r);
    EXPECT_EQ(e.code, Errc::unauthorized);
    EXPECT_EQ(
        e.message,
        R"(Get "https://registry-1.docker.io/v2/": unauthorized: incorrect username or password)");
    const ErrorResponse limited = parse_error_response(429, R"({"details":"slow down"})", "");
    EXPECT_EQ(limited.text, "toomanyrequests: slow down");
    EXPECT_EQ(pull_error(ref("x"), limited).code, Errc::unavailable);
}

TEST(RegistryErrors, ServerErrorsAndUnreadableBodies) {
    const ErrorResponse busy = parse_error_response(503, "<html>busy</html>", "");
    EXPECT_EQ(busy.text, "received unexpected HTTP status: 503 Service Unavailable");
    EXPECT_EQ(pull_error(ref("x"), busy).code, Errc::unavailable);

    const ErrorResponse html = parse_error_response(404, "404 page not found\n", "");
    EXPECT_EQ(html.text,
              "error parsing HTTP 404 response body: invalid JSON: \"404 page not found\\n\"");
    EXPECT_EQ(pull_error(ref("x"), html).code, Errc::not_found);

    const ErrorResponse empty = parse_error_response(403, R"({"errors":[]})", "");
    EXPECT_EQ(empty.text,
              "error parsing HTTP 403 response body: no error details found in HTTP response "
              "body: \"{\\\"errors\\\":[]}\"");
    EXPECT_EQ(pull_error(ref("x"), empty).code, Errc::forbidden);
}

TEST(RegistryErrors, UnknownCodesKeepTheirText) {
    const ErrorResponse r = parse_error_response(
        400, R"({"errors":[{"code":"NAME_INVALID","message":"invalid repository name"}]})", "");
    EXPECT_EQ(r.text, "name invalid: invalid repository name");
    EXPECT_EQ(pull_error(ref("x"), r).code, Errc::invalid_argument);
    const ErrorResponse odd =
        parse_error_response(400, R"({"errors":[{"code":"SOMETHING_NEW","message":"m"}]})", "");
    EXPECT_EQ(odd.text, "something new: m");
}

TEST(RegistryErrors, StatusTextAsGo) {
    EXPECT_EQ(status_text(404), "Not Found");
    EXPECT_EQ(status_text(401), "Unauthorized");
    EXPECT_EQ(status_text(503), "Service Unavailable");
}

}  // namespace
}  // namespace sockerless::registry
