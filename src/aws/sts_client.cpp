#include "aws/sts_client.h"

#include <utility>
#include <vector>

namespace sockerless::aws {

ServiceId sts_service_id() {
    return ServiceId{"STS", "sts", "sts"};
}

Result<CallerIdentity> parse_caller_identity(const XmlElement& response) {
    const XmlElement* result = response.child("GetCallerIdentityResult");
    if (result == nullptr) {
        return make_error(Errc::internal, "sts GetCallerIdentity: no GetCallerIdentityResult in <" +
                                              response.name + ">");
    }
    CallerIdentity out;
    out.account = result->child_text("Account");
    out.arn = result->child_text("Arn");
    out.user_id = result->child_text("UserId");
    return out;
}

boost::asio::awaitable<Result<CallerIdentity>> StsClient::get_caller_identity() {
    Result<XmlElement> doc = co_await client_.call_query(
        "GetCallerIdentity", std::string(kStsApiVersion), std::vector<NameValue>{});
    if (!doc) co_return doc.error();
    co_return parse_caller_identity(*doc);
}

}  // namespace sockerless::aws
