#include "registry/errors.h"

#include <algorithm>
#include <cctype>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "registry/auth.h"
#include "registry/json_read.h"

namespace sockerless::registry {
namespace {

// distribution's errcode descriptors: the message a code carries when the body gives none.
std::string_view default_message(std::string_view code) {
    static constexpr std::pair<std::string_view, std::string_view> kMessages[] = {
        {"UNKNOWN", "unknown error"},
        {"UNSUPPORTED", "The operation is unsupported."},
        {"UNAUTHORIZED", "authentication required"},
        {"DENIED", "requested access to the resource is denied"},
        {"UNAVAILABLE", "service unavailable"},
        {"TOOMANYREQUESTS", "too many requests"},
        {"BLOB_UNKNOWN", "blob unknown to registry"},
        {"DIGEST_INVALID", "provided digest did not match uploaded content"},
        {"NAME_INVALID", "invalid repository name"},
        {"TAG_INVALID", "manifest tag did not match URI"},
        {"NAME_UNKNOWN", "repository name not known to registry"},
        {"MANIFEST_UNKNOWN", "manifest unknown"},
        {"MANIFEST_INVALID", "manifest invalid"},
        {"MANIFEST_BLOB_UNKNOWN", "blob unknown to registry"},
    };
    for (const auto& [c, m] : kMessages) {
        if (c == code) return m;
    }
    return "unknown error";
}

// errcode's rendering: the code lowercased with '_' as ' ', then the message.
std::string render(std::string_view code, std::string_view message) {
    std::string out(code);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return c == '_' ? ' ' : static_cast<char>(std::tolower(c));
    });
    return out + ": " + std::string(message);
}

// Go's %q of a body, shortened: enough to recognise what answered.
std::string quoted(std::string_view body) {
    constexpr std::size_t kMax = 200;
    std::string out = "\"";
    for (char c : body.substr(0, kMax)) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += ' ';
        } else {
            out += c;
        }
    }
    if (body.size() > kMax) out += "...";
    return out + "\"";
}

void set(ErrorResponse& r, std::string code, std::string message) {
    if (message.empty()) message = default_message(code);
    r.text = render(code, message);
    r.code = std::move(code);
    r.message = std::move(message);
}

// The body's first error, or its legacy "details"; false when it has neither.
bool read_body(ErrorResponse& r, std::string_view body) {
    Result<boost::json::object> obj = json_read::parse_object(body, "error body");
    if (!obj) return false;
    Result<std::string> details = json_read::string_field(*obj, "details", "error body");
    if (details && !details->empty()) {
        const char* code = r.status == 401   ? "UNAUTHORIZED"
                           : r.status == 429 ? "TOOMANYREQUESTS"
                                             : "UNKNOWN";
        set(r, code, std::move(*details));
        return true;
    }
    Result<const boost::json::array*> errors = json_read::array_field(*obj, "errors", "error body");
    if (!errors || *errors == nullptr || (*errors)->empty() || !(**errors)[0].is_object())
        return false;
    const boost::json::object& first = (**errors)[0].as_object();
    Result<std::string> code = json_read::string_field(first, "code", "error");
    Result<std::string> message = json_read::string_field(first, "message", "error");
    if (!code || code->empty()) return false;
    set(r, std::move(*code), message ? std::move(*message) : std::string());
    return true;
}

Errc classify(const ErrorResponse& r) {
    const std::string& c = r.code;
    if (c == "MANIFEST_UNKNOWN" || c == "NAME_UNKNOWN" || c == "BLOB_UNKNOWN" ||
        c == "MANIFEST_BLOB_UNKNOWN")
        return Errc::not_found;
    if (c == "UNAUTHORIZED") return Errc::unauthorized;
    if (c == "DENIED") return Errc::forbidden;
    if (c == "TOOMANYREQUESTS" || c == "UNAVAILABLE") return Errc::unavailable;
    if (c == "NAME_INVALID" || c == "TAG_INVALID" || c == "MANIFEST_INVALID" ||
        c == "DIGEST_INVALID")
        return Errc::invalid_argument;
    if (c == "UNSUPPORTED") return Errc::not_implemented;
    switch (r.status) {
        case 401:
            return Errc::unauthorized;
        case 403:
            return Errc::forbidden;
        case 404:
            return Errc::not_found;
        default:
            return Errc::unavailable;
    }
}

}  // namespace

ErrorResponse parse_error_response(int status, std::string_view body,
                                   std::string_view www_authenticate) {
    ErrorResponse r;
    r.status = status;
    if (status < 400 || status >= 500) {
        r.text = "received unexpected HTTP status: " + std::to_string(status) + " " +
                 std::string(status_text(status));
        return r;
    }
    for (const Challenge& c : parse_challenges(www_authenticate)) {
        if (c.scheme != "bearer") continue;
        const std::string error = c.param("error");
        const char* code = error == "invalid_token"        ? "UNAUTHORIZED"
                           : error == "insufficient_scope" ? "DENIED"
                                                           : nullptr;
        if (code == nullptr) continue;
        set(r, code, c.param("error_description"));
        return r;
    }
    if (read_body(r, body)) return r;
    if (status == 401) {
        set(r, "UNAUTHORIZED", "");
        return r;
    }
    boost::system::error_code ec;
    boost::json::parse(body, ec);
    r.text = "error parsing HTTP " + std::to_string(status) + " response body: " +
             (ec ? "invalid JSON" : "no error details found in HTTP response body") + ": " +
             quoted(body);
    return r;
}

Error pull_error(const Reference& ref, const ErrorResponse& r) {
    if (r.code == "MANIFEST_UNKNOWN") {
        return make_error(Errc::not_found,
                          "manifest for " + ref.familiar_string() + " not found: " + r.text);
    }
    if (r.code == "NAME_UNKNOWN") {
        return make_error(Errc::not_found,
                          "repository " + ref.familiar_name() + " not found: " + r.text);
    }
    if (r.code == "DENIED") {
        return make_error(Errc::not_found, "pull access denied for " + ref.familiar_name() +
                                               ", repository does not exist or may require "
                                               "'docker login': " +
                                               r.text);
    }
    return make_error(classify(r), r.text);
}

Error request_error(std::string_view context, const ErrorResponse& r) {
    const Errc code = r.code == "DENIED" ? Errc::unauthorized : classify(r);
    return make_error(code, std::string(context) + ": " + r.text);
}

std::string_view status_text(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 307:
            return "Temporary Redirect";
        case 308:
            return "Permanent Redirect";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "";
    }
}

}  // namespace sockerless::registry
