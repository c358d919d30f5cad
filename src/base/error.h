#pragma once
// The project's one error vocabulary. Errors are classified where they arise, gain context at
// each layer boundary (Error::wrap) and are mapped to HTTP statuses or protocol codes in one place
// per protocol. No exception crosses a layer: fallible functions return Result<T>.

#include <string>
#include <string_view>
#include <utility>

#include <boost/system/result.hpp>

namespace sockerless {

enum class Errc {
    invalid_argument,  // the caller sent something malformed or out of range
    not_found,         // the named object does not exist
    conflict,          // the object exists but is in the wrong state for the request
    not_modified,      // the request would change nothing (Docker's 304)
    unauthorized,      // missing or wrong credentials
    forbidden,         // credentials fine, action not allowed
    unavailable,       // a dependency is unreachable or not ready; retrying may help
    timeout,           // a deadline passed
    not_implemented,   // a valid request this system does not support
    internal,          // a bug or an unexpected system failure
};

std::string_view errc_name(Errc code) noexcept;

struct Error {
    Errc code = Errc::internal;
    std::string message;

    // Prefixes context ("what we were doing"), keeping the classification.
    [[nodiscard]] Error wrap(std::string_view context) const&;
    [[nodiscard]] Error wrap(std::string_view context) &&;
};

inline Error make_error(Errc code, std::string message) {
    return Error{code, std::move(message)};
}

// An Error built from errno (or a given errno value) with the failing operation named.
Error errno_error(std::string_view what, int err);

// Required by boost::system::result to turn value() on an error into an exception. The project
// reads results with has_value()/operator*, so reaching this is a bug.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;
using Status = boost::system::result<void, Error>;

inline Status ok() {
    return {};
}

}  // namespace sockerless
