#include "engine/filters.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <regex>
#include <system_error>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

namespace sockerless::engine {

namespace json = boost::json;

struct Filters::Pattern {
    std::regex regex;
};

namespace {

const Filters::Values no_values;

Error bad_json() {
    // Docker answers any undecodable parameter with this bare text.
    return make_error(Errc::invalid_argument, "invalid filter");
}

std::string_view view(json::string_view s) {
    return {s.data(), s.size()};
}

// Key to values, a key possibly without any.
using Fields = std::map<std::string, std::vector<std::string>>;

// {"key":{"value":true,...},...}; false and null values are dropped. nullopt if the document is
// not of this form.
std::optional<Fields> read_sets(const json::object& doc) {
    Fields out;
    for (const auto& [key, values] : doc) {
        std::vector<std::string>& field = out[std::string(view(key))];
        if (values.is_null()) continue;
        const json::object* set = values.if_object();
        if (set == nullptr) return std::nullopt;
        for (const auto& [value, flag] : *set) {
            if (flag.is_null()) continue;
            const bool* on = flag.if_bool();
            if (on == nullptr) return std::nullopt;
            if (*on) field.emplace_back(view(value));
        }
    }
    return out;
}

// {"key":["value",...],...}; a null element is the empty string (as Go decodes it). nullopt if
// the document is not of this form.
std::optional<Fields> read_lists(const json::object& doc) {
    Fields out;
    for (const auto& [key, values] : doc) {
        std::vector<std::string>& field = out[std::string(view(key))];
        if (values.is_null()) continue;
        const json::array* list = values.if_array();
        if (list == nullptr) return std::nullopt;
        for (const json::value& value : *list) {
            if (value.is_null()) {
                field.emplace_back();
                continue;
            }
            const json::string* text = value.if_string();
            if (text == nullptr) return std::nullopt;
            field.emplace_back(view(*text));
        }
    }
    return out;
}

// Go's %q, enough for the strconv messages: quotes and backslashes escaped.
std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

// strconv.Atoi on a 64-bit platform: an optional sign and decimal digits, nothing else.
Result<std::int64_t> atoi(std::string_view text) {
    std::string_view digits = text;
    if (digits.starts_with('+') || digits.starts_with('-')) digits.remove_prefix(1);
    const bool syntax = !digits.empty() && std::all_of(digits.begin(), digits.end(),
                                                       [](char c) { return c >= '0' && c <= '9'; });
    if (!syntax) {
        return make_error(Errc::invalid_argument,
                          "strconv.Atoi: parsing " + quoted(text) + ": invalid syntax");
    }
    // from_chars takes a '-' but not a '+'.
    const char* first = text.starts_with('-') ? text.data() : digits.data();
    std::int64_t value = 0;
    if (std::from_chars(first, text.data() + text.size(), value).ec != std::errc()) {
        return make_error(Errc::invalid_argument,
                          "strconv.Atoi: parsing " + quoted(text) + ": value out of range");
    }
    return value;
}

}  // namespace

Error invalid_filter(std::string_view key) {
    return make_error(Errc::invalid_argument, "invalid filter '" + std::string(key) + "'");
}

Error invalid_filter(std::string_view key, std::string_view value) {
    return make_error(Errc::invalid_argument,
                      "invalid filter '" + std::string(key) + "=" + std::string(value) + "'");
}

Result<Filters> Filters::parse(std::string_view text) {
    if (text.empty()) return Filters();
    boost::system::error_code ec;
    const json::value doc = json::parse(json::string_view(text.data(), text.size()), ec);
    if (ec) return bad_json();
    if (doc.is_null()) return Filters();
    const json::object* fields = doc.if_object();
    if (fields == nullptr) return bad_json();
    // Docker tries the current form first and falls back to the old one for the whole document,
    // so a document mixing the two is refused.
    std::optional<Fields> read = read_sets(*fields);
    if (!read) read = read_lists(*fields);
    if (!read) return bad_json();
    Filters out;
    for (auto& [key, values] : *read) {
        out.fields_.try_emplace(key);
        for (std::string& value : values)
            out.add(key, std::move(value));
    }
    return out;
}

void Filters::add(std::string key, std::string value) {
    auto [it, inserted] = fields_[key].insert(std::move(value));
    if (!inserted || it->size() > kMaxPatternLength) return;
    try {
        std::shared_ptr<const Pattern> pattern =
            std::make_shared<Pattern>(Pattern{std::regex(*it)});
        patterns_[std::move(key)].push_back(std::move(pattern));
    } catch (const std::regex_error&) {
        // Not an expression: the value still matches exactly.
    }
}

Status Filters::validate(std::initializer_list<std::string_view> accepted) const {
    return validate(std::span<const std::string_view>(accepted.begin(), accepted.size()));
}

Status Filters::validate(std::span<const std::string_view> accepted) const {
    for (const auto& [key, values] : fields_) {
        if (std::find(accepted.begin(), accepted.end(), key) == accepted.end()) {
            return invalid_filter(key);
        }
    }
    return ok();
}

bool Filters::contains(std::string_view key) const {
    return fields_.find(key) != fields_.end();
}

std::vector<std::string> Filters::keys() const {
    std::vector<std::string> out;
    out.reserve(fields_.size());
    for (const auto& [key, values] : fields_)
        out.push_back(key);
    return out;
}

const Filters::Values& Filters::values(std::string_view key) const {
    auto it = fields_.find(key);
    return it == fields_.end() ? no_values : it->second;
}

bool Filters::match_exact(std::string_view key, std::string_view source) const {
    const Values& vs = values(key);
    return vs.empty() || vs.contains(source);
}

bool Filters::match_unique_exact(std::string_view key, std::string_view source) const {
    const Values& vs = values(key);
    if (vs.empty()) return true;
    return vs.size() == 1 && *vs.begin() == source;
}

bool Filters::match_prefix(std::string_view key, std::string_view source) const {
    const Values& vs = values(key);
    if (vs.empty() || vs.contains(source)) return true;
    return std::any_of(vs.begin(), vs.end(),
                       [&](const std::string& prefix) { return source.starts_with(prefix); });
}

bool Filters::match(std::string_view key, std::string_view source) const {
    const Values& vs = values(key);
    if (vs.empty() || vs.contains(source)) return true;
    auto it = patterns_.find(key);
    if (it == patterns_.end()) return false;
    for (const auto& pattern : it->second) {
        try {
            if (std::regex_search(source.begin(), source.end(), pattern->regex)) return true;
        } catch (const std::regex_error&) {
            // Too complex to evaluate: treated as not matching, like a pattern Docker skips.
        }
    }
    return false;
}

bool Filters::match_kv(std::string_view key,
                       const std::map<std::string, std::string>& labels) const {
    const Values& vs = values(key);
    if (vs.empty()) return true;
    if (labels.empty()) return false;
    for (const std::string& v : vs) {
        const std::size_t eq = v.find('=');
        auto label = labels.find(v.substr(0, eq));
        if (label == labels.end()) return false;
        if (eq != std::string::npos && label->second != std::string_view(v).substr(eq + 1)) {
            return false;
        }
    }
    return true;
}

bool Filters::match_labels(const std::map<std::string, std::string>& labels) const {
    if (!match_kv("label", labels)) return false;
    return !(contains("label!") && match_kv("label!", labels));
}

Result<bool> Filters::get_bool(std::string_view key, bool fallback) const {
    auto it = fields_.find(key);
    if (it == fields_.end()) return fallback;
    const Values& vs = it->second;
    if (vs.empty()) return invalid_filter(key);
    const bool is_false = vs.contains("0") || vs.contains("false");
    const bool is_true = vs.contains("1") || vs.contains("true");
    if (is_false == is_true) {
        // Go prints the []string as "[a b]".
        std::string list = "[";
        for (const std::string& v : vs) {
            if (list.size() > 1) list += ' ';
            list += v;
        }
        list += ']';
        return invalid_filter(key, list);
    }
    return is_true;
}

Result<std::vector<std::int64_t>> Filters::get_ints(std::string_view key) const {
    std::vector<std::int64_t> out;
    for (const std::string& v : values(key)) {
        auto n = atoi(v);
        if (!n) return n.error();
        out.push_back(*n);
    }
    return out;
}

Status Filters::check_values(std::string_view key,
                             std::initializer_list<std::string_view> allowed) const {
    for (const std::string& v : values(key)) {
        if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
            return invalid_filter(key, v);
        }
    }
    return ok();
}

}  // namespace sockerless::engine
