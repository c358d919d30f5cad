#include "base/error.h"

#include <cstring>
#include <stdexcept>

namespace sockerless {

std::string_view errc_name(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_argument:
            return "invalid-argument";
        case Errc::not_found:
            return "not-found";
        case Errc::conflict:
            return "conflict";
        case Errc::not_modified:
            return "not-modified";
        case Errc::unauthorized:
            return "unauthorized";
        case Errc::forbidden:
            return "forbidden";
        case Errc::unavailable:
            return "unavailable";
        case Errc::timeout:
            return "timeout";
        case Errc::not_implemented:
            return "not-implemented";
        case Errc::internal:
            return "internal";
    }
    return "internal";
}

Error Error::wrap(std::string_view context) const& {
    Error copy = *this;
    return std::move(copy).wrap(context);
}

Error Error::wrap(std::string_view context) && {
    std::string joined;
    joined.reserve(context.size() + 2 + message.size());
    joined.append(context).append(": ").append(message);
    message = std::move(joined);
    return std::move(*this);
}

Error errno_error(std::string_view what, int err) {
    Errc code = Errc::internal;
    switch (err) {
        case ENOENT:
            code = Errc::not_found;
            break;
        case EACCES:
        case EPERM:
            code = Errc::forbidden;
            break;
        case EINVAL:
            code = Errc::invalid_argument;
            break;
        case ETIMEDOUT:
            code = Errc::timeout;
            break;
        case ECONNREFUSED:
        case EHOSTUNREACH:
        case ENETUNREACH:
            code = Errc::unavailable;
            break;
        default:
            break;
    }
    std::string message(what);
    message.append(": ").append(std::strerror(err));
    return Error{code, std::move(message)};
}

void throw_exception_from_error(const Error& e, const boost::source_location& /*loc*/) {
    throw std::logic_error("unchecked error result: " + e.message);
}

}  // namespace sockerless
