#pragma once
// The simulator's wire error vocabulary: an AWS error code, its message and the HTTP status AWS
// answers with. AWS codes are the contract here (boto3 and the daemon branch on them), so they are
// kept verbatim rather than folded into sockerless::Errc; they are rendered to the wire in one
// place per protocol (json_protocol for JSON 1.1).

#include <string>
#include <utility>

#include <boost/system/result.hpp>

namespace sockerless::awssim {

struct ApiError {
    int status = 400;
    std::string code;
    std::string message;
};

template <class T>
using ApiResult = boost::system::result<T, ApiError>;

// Required by boost::system::result for value(); the simulator reads results with
// has_value()/operator*, so reaching this is a bug.
[[noreturn]] void throw_exception_from_error(const ApiError& e, const boost::source_location& loc);

inline ApiError client_exception(std::string message) {
    return ApiError{400, "ClientException", std::move(message)};
}
inline ApiError invalid_parameter(std::string message) {
    return ApiError{400, "InvalidParameterException", std::move(message)};
}

}  // namespace sockerless::awssim
