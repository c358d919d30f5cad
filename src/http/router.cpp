#include "http/server.h"

namespace sockerless::http {

namespace {

// "/a/b/" -> {"a", "b", ""}: empty segments are kept, so "/containers/json/" does not match
// "/containers/json" (gorilla/mux without StrictSlash does not either).
std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    if (path.starts_with('/')) path.remove_prefix(1);
    while (true) {
        const std::size_t slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

bool is_param(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool is_tail(std::string_view segment) {
    return is_param(segment) && segment[segment.size() - 2] == '*';
}

// The parameter's name without braces and star.
std::string param_name(std::string_view segment) {
    segment = segment.substr(1, segment.size() - 2);
    if (segment.ends_with('*')) segment.remove_suffix(1);
    return std::string(segment);
}

// Fills `params` when `path` matches the route's segments.
bool match_segments(const std::vector<std::string>& pattern, std::string_view path,
                    std::vector<std::pair<std::string, std::string>>& params) {
    params.clear();
    std::size_t i = 0;
    for (const std::string& segment : pattern) {
        if (is_tail(segment)) {
            // The rest of the path, slashes included; never empty.
            if (path.empty() || (i > 0 && path.front() != '/')) return false;
            std::string_view rest = i > 0 ? path.substr(1) : path;
            if (rest.empty()) return false;
            params.emplace_back(param_name(segment), std::string(rest));
            return true;
        }
        if (i > 0) {
            if (!path.starts_with('/')) return false;
            path.remove_prefix(1);
        }
        const std::size_t slash = path.find('/');
        const std::string_view actual = path.substr(0, slash);
        if (is_param(segment)) {
            if (actual.empty()) return false;
            params.emplace_back(param_name(segment), std::string(actual));
        } else if (actual != segment) {
            return false;
        }
        path.remove_prefix(actual.size());
        ++i;
    }
    return path.empty();
}

}  // namespace

void Router::add(std::string method, const std::string& pattern, Handler handler) {
    std::vector<std::string> segments;
    for (std::string_view segment : split_path(pattern))
        segments.emplace_back(segment);
    routes_.push_back(Route{std::move(method), std::move(segments), std::move(handler)});
}

const Handler* Router::match(Request& request, bool& method_mismatch) const {
    method_mismatch = false;
    std::string_view path = request.path;
    if (path.starts_with('/')) path.remove_prefix(1);
    std::vector<std::pair<std::string, std::string>> params;
    for (const Route& route : routes_) {
        if (!match_segments(route.segments, path, params)) continue;
        if (route.method != request.method) {
            method_mismatch = true;
            continue;
        }
        request.params = std::move(params);
        return &route.handler;
    }
    return nullptr;
}

}  // namespace sockerless::http
