#pragma once
// AWS STS over the query protocol (signing name "sts"): form-encoded Action/Version parameters in,
// XML out, errors as <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>.
// GetCallerIdentity answers for the account root and for role sessions the simulator issued.

#include <string>
#include <string_view>

#include "service.h"

namespace sockerless::awssim {

inline constexpr std::string_view kStsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";
inline constexpr std::string_view kStsVersion = "2011-06-15";

class StsService final : public Service {
public:
    [[nodiscard]] std::string operation(const Request& request) const override;
    Response handle(const Call& call) override;
    [[nodiscard]] Response error(const Request& request, const ApiError& error,
                                 std::string_view request_id) const override;
};

}  // namespace sockerless::awssim
