#include "query_protocol.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sockerless::awssim {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

ApiError invalid_value(std::string message) {
    return ApiError{400, "InvalidParameterValue", std::move(message)};
}

// "12" -> 12; nullopt for anything but a plain decimal number.
std::optional<long> parse_index(std::string_view s) {
    long value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value < 0) return std::nullopt;
    return value;
}

}  // namespace

std::string form_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
                   hex_digit(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

QueryParams parse_form(std::string_view form) {
    QueryParams out;
    while (!form.empty()) {
        std::size_t amp = form.find('&');
        std::string_view item = form.substr(0, amp);
        if (!item.empty()) {
            std::size_t eq = item.find('=');
            std::string key = form_decode(item.substr(0, eq));
            std::string value =
                eq == std::string_view::npos ? std::string() : form_decode(item.substr(eq + 1));
            out[std::move(key)] = std::move(value);
        }
        if (amp == std::string_view::npos) break;
        form.remove_prefix(amp + 1);
    }
    return out;
}

QueryParams query_params(std::string_view target, std::string_view content_type,
                         std::string_view body) {
    QueryParams out;
    if (std::size_t q = target.find('?'); q != std::string_view::npos)
        out = parse_form(target.substr(q + 1));
    std::string type(content_type.substr(0, content_type.find(';')));
    std::ranges::transform(type, type.begin(), [](unsigned char c) { return std::tolower(c); });
    if (type == "application/x-www-form-urlencoded") {
        for (auto& [k, v] : parse_form(body))
            out[k] = std::move(v);
    }
    return out;
}

ApiResult<std::vector<std::string>> member_list(const QueryParams& params, std::string_view name) {
    std::string prefix = std::string(name) + ".";
    std::vector<std::pair<long, std::string>> items;
    for (auto it = params.lower_bound(prefix); it != params.end(); ++it) {
        std::string_view key = it->first;
        if (!key.starts_with(prefix)) break;
        auto index = parse_index(key.substr(prefix.size()));
        if (!index) return invalid_value("Invalid parameter name: " + it->first);
        items.emplace_back(*index, it->second);
    }
    std::ranges::sort(items, {}, &std::pair<long, std::string>::first);
    std::vector<std::string> out;
    out.reserve(items.size());
    for (auto& [index, value] : items)
        out.push_back(std::move(value));
    return out;
}

ApiResult<std::vector<QueryFilter>> query_filters(const QueryParams& params) {
    constexpr std::string_view kPrefix = "Filter.";
    // Filter index -> (name, value index -> value)
    std::map<long, std::pair<std::optional<std::string>, std::map<long, std::string>>> by_index;
    for (auto it = params.lower_bound(kPrefix); it != params.end(); ++it) {
        std::string_view key = it->first;
        if (!key.starts_with(kPrefix)) break;
        key.remove_prefix(kPrefix.size());
        std::size_t dot = key.find('.');
        auto index = parse_index(key.substr(0, dot));
        if (!index || dot == std::string_view::npos)
            return invalid_value("Invalid parameter name: " + it->first);
        std::string_view member = key.substr(dot + 1);
        auto& entry = by_index[*index];
        if (member == "Name") {
            entry.first = it->second;
        } else if (member.starts_with("Value.")) {
            auto value_index = parse_index(member.substr(6));
            if (!value_index) return invalid_value("Invalid parameter name: " + it->first);
            entry.second[*value_index] = it->second;
        } else {
            return invalid_value("Invalid parameter name: " + it->first);
        }
    }
    std::vector<QueryFilter> out;
    for (auto& [index, entry] : by_index) {
        if (!entry.first) {
            return ApiError{
                400, "MissingParameter",
                "The request must contain the parameter Filter." + std::to_string(index) + ".Name"};
        }
        QueryFilter filter{std::move(*entry.first), {}};
        for (auto& [value_index, value] : entry.second)
            filter.values.push_back(std::move(value));
        out.push_back(std::move(filter));
    }
    return out;
}

ApiResult<std::optional<long>> query_int(const QueryParams& params, std::string_view name) {
    auto it = params.find(name);
    if (it == params.end()) return std::optional<long>{};
    long value = 0;
    const std::string& s = it->second;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty())
        return invalid_value("Invalid value '" + s + "' for " + std::string(name));
    return std::optional<long>(value);
}

ApiResult<std::optional<bool>> query_bool(const QueryParams& params, std::string_view name) {
    auto it = params.find(name);
    if (it == params.end()) return std::optional<bool>{};
    std::string v = it->second;
    std::ranges::transform(v, v.begin(), [](unsigned char c) { return std::tolower(c); });
    if (v == "true") return std::optional<bool>(true);
    if (v == "false") return std::optional<bool>(false);
    return invalid_value("Invalid value '" + it->second + "' for " + std::string(name));
}

bool wildcard_match(std::string_view pattern, std::string_view value) {
    // Iterative glob matching with backtracking to the last '*'.
    std::size_t p = 0, v = 0;
    std::size_t star = std::string_view::npos, resume = 0;
    while (v < value.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == value[v])) {
            ++p;
            ++v;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = v;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            v = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

}  // namespace sockerless::awssim
