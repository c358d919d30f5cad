#include "http/target.h"

namespace sockerless::http {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        std::string_view piece = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (piece.empty()) continue;
        const std::size_t eq = piece.find('=');
        if (eq == std::string_view::npos) {
            out.emplace_back(percent_decode(piece, true), std::string());
        } else {
            out.emplace_back(percent_decode(piece.substr(0, eq), true),
                             percent_decode(piece.substr(eq + 1), true));
        }
    }
    return out;
}

Target parse_target(std::string_view target) {
    Target out;
    const std::size_t question = target.find('?');
    std::string_view path = target.substr(0, question);
    if (question != std::string_view::npos) out.query = parse_query(target.substr(question + 1));

    if (path.starts_with("/v")) {
        const std::size_t end = path.find('/', 2);
        const std::string_view text =
            path.substr(2, end == std::string_view::npos ? path.npos : end - 2);
        if (auto version = parse_api_version(text)) {
            out.version = *version;
            out.version_text = std::string(text);
            path = end == std::string_view::npos ? std::string_view{} : path.substr(end);
        }
    }
    out.path = percent_decode(path, false);
    if (out.path.empty()) out.path = "/";
    return out;
}

std::optional<std::string> version_refusal(const Target& target, bool strict) {
    if (!target.version) return std::nullopt;
    if (*target.version < kMinApiVersion) {
        return "client version " + target.version_text +
               " is too old. Minimum supported API version is " + kMinApiVersion.str() +
               ", please upgrade your client to a newer version";
    }
    if (strict && *target.version > kApiVersion) {
        return "client version " + target.version_text +
               " is too new. Maximum supported API version is " + kApiVersion.str();
    }
    return std::nullopt;
}

}  // namespace sockerless::http
