#include "sts_service.h"

#include <boost/beast/http.hpp>

#include "query_protocol.h"
#include "s3_xml.h"

namespace sockerless::awssim {
namespace http = boost::beast::http;
namespace {

constexpr std::string_view kXmlContentType = "text/xml";

ApiError invalid_action(std::string_view action, std::string_view version) {
    return ApiError{
        400, "InvalidAction",
        "Could not find operation " + std::string(action) + " for version " + std::string(version)};
}

QueryParams request_params(const Request& request) {
    return query_params(request.target(), request[http::field::content_type], request.body());
}

}  // namespace

std::string StsService::operation(const Request& request) const {
    auto params = request_params(request);
    auto action = params.find("Action");
    return action == params.end() ? "" : action->second;
}

Response StsService::handle(const Call& call) {
    auto params = request_params(call.request);
    auto action = params.find("Action");
    if (action == params.end())
        return error(call.request, ApiError{400, "MissingAction", "Missing Action"},
                     call.request_id);
    auto version = params.find("Version");
    std::string_view v = version == params.end() ? kStsVersion : std::string_view(version->second);
    if (action->second != "GetCallerIdentity" || v != kStsVersion)
        return error(call.request, invalid_action(action->second, v), call.request_id);

    const Identity& who = call.identity;
    XmlWriter xml;
    xml.open("GetCallerIdentityResponse", kStsNamespace)
        .open("GetCallerIdentityResult")
        .element("Arn", who.arn)
        .element("UserId", who.user_id)
        .element("Account", who.account_id)
        .close()
        .open("ResponseMetadata")
        .element("RequestId", call.request_id);
    auto res = make_response(call.request, 200, kXmlContentType, xml.finish());
    res.set("x-amzn-RequestId", call.request_id);
    return res;
}

Response StsService::error(const Request& request, const ApiError& error,
                           std::string_view request_id) const {
    ApiError e = error;
    if (error.code == "UnrecognizedClientException") {
        e = ApiError{403, "InvalidClientTokenId",
                     "The security token included in the request is invalid."};
    } else if (error.code == "InvalidSignatureException") {
        e.code = "SignatureDoesNotMatch";
    } else if (error.code == "MissingAuthenticationTokenException") {
        e = ApiError{403, "MissingAuthenticationToken", "Request is missing Authentication Token"};
    } else if (error.code == "IncompleteSignatureException") {
        e = ApiError{400, "IncompleteSignature", error.message};
    } else if (error.code == "ThrottlingException") {
        e = ApiError{400, "Throttling", "Rate exceeded"};
    }
    XmlWriter xml;
    xml.open("ErrorResponse", kStsNamespace)
        .open("Error")
        .element("Type", e.status >= 500 ? "Receiver" : "Sender")
        .element("Code", e.code)
        .element("Message", e.message)
        .close()
        .element("RequestId", request_id);
    auto res = make_response(request, e.status, kXmlContentType, xml.finish());
    res.set("x-amzn-RequestId", request_id);
    return res;
}

}  // namespace sockerless::awssim
