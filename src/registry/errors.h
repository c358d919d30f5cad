#pragma once
// Registry error answers read as distribution's client reads them, and turned into the errors
// `docker pull` reports, with dockerd's wording:
//
//   MANIFEST_UNKNOWN  Errc::not_found    "manifest for busybox:nope not found: manifest unknown:
//                                         manifest unknown"
//   NAME_UNKNOWN      Errc::not_found    "repository x not found: name unknown: <message>"
//   DENIED            Errc::not_found    "pull access denied for x, repository does not exist or
//                                         may require 'docker login': denied: <message>"
//   UNAUTHORIZED      Errc::unauthorized "unauthorized: <message>"
//   TOOMANYREQUESTS   Errc::unavailable  "toomanyrequests: <message>"
//   5xx without body  Errc::unavailable  "received unexpected HTTP status: 503 Service Unavailable"
//
// (dockerd reports a denied pull as not found because a registry cannot say whether the
// repository exists without giving it away.)

#include <string>
#include <string_view>

#include "base/error.h"
#include "registry/reference.h"

namespace sockerless::registry {

struct ErrorResponse {
    int status = 0;
    std::string code;     // "MANIFEST_UNKNOWN", "UNAUTHORIZED", ... or "" when none was sent
    std::string message;  // the registry's message for `code`
    std::string text;     // how Docker prints it: "manifest unknown: manifest unknown"
};

// Reads an error answer: a Bearer challenge's error parameter (invalid_token, insufficient_scope)
// first, then the body's "errors" list (the first entry counts) or a legacy "details" field, then
// the status alone.
ErrorResponse parse_error_response(int status, std::string_view body,
                                   std::string_view www_authenticate);

// The error a pull of `ref` reports for a failed manifest or blob request.
Error pull_error(const Reference& ref, const ErrorResponse& response);

// The error for any other failed registry request (login, token service): classified by code and
// status, with `context` ("Get \"https://host/v2/\"") prefixed.
Error request_error(std::string_view context, const ErrorResponse& response);

// "Not Found" for 404 and so on, as Go's http.StatusText.
std::string_view status_text(int status);

}  // namespace sockerless::registry
