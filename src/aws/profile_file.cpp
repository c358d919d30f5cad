#include "aws/profile_file.h"

#include <optional>

namespace sockerless::aws {
namespace {

constexpr std::string_view kBlank = " \t\r";

std::string_view trim(std::string_view s) {
    const std::size_t first = s.find_first_not_of(kBlank);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(kBlank) - first + 1);
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

bool is_comment(std::string_view trimmed) {
    return trimmed.starts_with('#') || trimmed.starts_with(';');
}

// Cuts a value at the first '#' or ';' that follows whitespace.
std::string_view strip_inline_comment(std::string_view value) {
    for (std::size_t i = 1; i < value.size(); ++i) {
        const bool marker = value[i] == '#' || value[i] == ';';
        if (marker && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
            return trim(value.substr(0, i));
        }
    }
    return value;
}

// The profile a section header names, or nullopt when the line is not a well-formed header or
// the section is not a profile.
std::optional<std::string> profile_of_header(std::string_view line, ProfileFileKind kind) {
    const std::size_t close = line.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view after = trim(line.substr(close + 1));
    if (!after.empty() && !is_comment(after)) return std::nullopt;
    const std::string_view name = trim(line.substr(1, close - 1));
    if (name.empty()) return std::nullopt;
    if (kind == ProfileFileKind::credentials || name == "default") return std::string(name);
    constexpr std::string_view kPrefix = "profile";
    if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) return std::nullopt;
    const char sep = name[kPrefix.size()];
    if (sep != ' ' && sep != '\t') return std::nullopt;
    std::string_view profile = trim(name.substr(kPrefix.size()));
    if (profile.empty()) return std::nullopt;
    return std::string(profile);
}

class Parser {
public:
    explicit Parser(ProfileFileKind kind) : kind_(kind) {}

    void line(std::string_view raw) {
        const std::string_view text = trim(raw);
        if (text.empty() || is_comment(text)) return;
        if (text.front() == '[') {
            section(text);
            return;
        }
        const bool indented = raw.front() == ' ' || raw.front() == '\t';
        if (indented && in_property_) return;  // a nested setting: see the header
        property(text);
    }

    Profiles take() { return std::move(profiles_); }

private:
    void section(std::string_view text) {
        in_property_ = false;
        std::optional<std::string> name = profile_of_header(text, kind_);
        current_ = name ? &profiles_[*name] : nullptr;
    }

    void property(std::string_view text) {
        const std::size_t eq = text.find('=');
        if (eq == std::string_view::npos || current_ == nullptr) return;
        const std::string_view key = trim(text.substr(0, eq));
        if (key.empty()) return;
        (*current_)[to_lower(key)] = std::string(strip_inline_comment(trim(text.substr(eq + 1))));
        in_property_ = true;
    }

    ProfileFileKind kind_;
    Profiles profiles_;
    ProfileSettings* current_ = nullptr;  // std::map nodes are stable, so this stays valid
    bool in_property_ = false;
};

}  // namespace

Profiles parse_profile_file(std::string_view text, ProfileFileKind kind) {
    Parser parser(kind);
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // editors on Windows add a BOM
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        parser.line(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }
    return parser.take();
}

}  // namespace sockerless::aws
