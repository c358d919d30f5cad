#include "agent/user.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

namespace sockerless::agent {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        std::size_t pos = s.find(sep, start);
        out.push_back(
            s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

std::optional<std::uint32_t> parse_id(std::string_view s) {
    std::uint32_t v = 0;
    if (s.empty()) return std::nullopt;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

struct PasswdEntry {
    std::string_view name;
    uid_t uid;
    gid_t gid;
    std::string_view home;
};

struct GroupEntry {
    std::string_view name;
    gid_t gid;
    std::vector<std::string_view> members;
};

// Lines that do not have the file format's field count or numeric ids are skipped, as libc does.
std::vector<PasswdEntry> parse_passwd(std::string_view text) {
    std::vector<PasswdEntry> out;
    for (std::string_view line : split(text, '\n')) {
        if (line.empty() || line.front() == '#') continue;
        auto f = split(line, ':');
        if (f.size() < 7) continue;
        auto uid = parse_id(f[2]);
        auto gid = parse_id(f[3]);
        if (!uid || !gid) continue;
        out.push_back({f[0], *uid, *gid, f[5]});
    }
    return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
    std::vector<GroupEntry> out;
    for (std::string_view line : split(text, '\n')) {
        if (line.empty() || line.front() == '#') continue;
        auto f = split(line, ':');
        if (f.size() < 4) continue;
        auto gid = parse_id(f[2]);
        if (!gid) continue;
        GroupEntry g{f[0], *gid, {}};
        if (!f[3].empty()) g.members = split(f[3], ',');
        out.push_back(std::move(g));
    }
    return out;
}

}  // namespace

Result<Credentials> resolve_user(std::string_view spec, std::string_view passwd_text,
                                 std::string_view group_text) {
    auto users = parse_passwd(passwd_text);
    auto groups = parse_group(group_text);
    std::string_view user_part = spec.substr(0, spec.find(':'));
    std::optional<std::string_view> group_part;
    if (auto colon = spec.find(':'); colon != std::string_view::npos)
        group_part = spec.substr(colon + 1);
    if (user_part.empty()) user_part = "0";

    Credentials creds;
    const PasswdEntry* entry = nullptr;
    if (auto id = parse_id(user_part)) {
        creds.uid = *id;
        auto it = std::find_if(users.begin(), users.end(),
                               [&](const PasswdEntry& e) { return e.uid == *id; });
        if (it != users.end()) entry = &*it;
    } else {
        auto it = std::find_if(users.begin(), users.end(),
                               [&](const PasswdEntry& e) { return e.name == user_part; });
        if (it == users.end()) {
            return make_error(Errc::not_found, "unable to find user " + std::string(user_part) +
                                                   ": no matching entries in passwd file");
        }
        entry = &*it;
        creds.uid = entry->uid;
    }
    creds.gid = entry != nullptr ? entry->gid : 0;
    creds.home = entry != nullptr && !entry->home.empty() ? std::string(entry->home) : "/";
    if (entry != nullptr) creds.name = std::string(entry->name);

    if (group_part) {
        if (group_part->empty())
            return make_error(Errc::invalid_argument,
                              "empty group in user \"" + std::string(spec) + "\"");
        if (auto id = parse_id(*group_part)) {
            creds.gid = *id;
        } else {
            auto it = std::find_if(groups.begin(), groups.end(),
                                   [&](const GroupEntry& g) { return g.name == *group_part; });
            if (it == groups.end()) {
                return make_error(Errc::not_found, "unable to find group " +
                                                       std::string(*group_part) +
                                                       ": no matching entries in group file");
            }
            creds.gid = it->gid;
        }
    } else if (entry != nullptr) {
        // Supplementary groups only when the primary group was not given explicitly, as runc does.
        for (const auto& g : groups) {
            if (std::find(g.members.begin(), g.members.end(), entry->name) != g.members.end() &&
                g.gid != creds.gid) {
                creds.groups.push_back(g.gid);
            }
        }
    }
    return creds;
}

Result<Credentials> resolve_user_in(std::string_view spec, const std::string& root) {
    auto slurp = [](const std::string& path) {
        std::ifstream in(path);
        std::ostringstream ss;
        if (in) ss << in.rdbuf();
        return ss.str();  // a missing file reads as empty, like an image without /etc/passwd
    };
    std::string base = root.empty() || root.back() != '/' ? root + "/" : root;
    return resolve_user(spec, slurp(base + "etc/passwd"), slurp(base + "etc/group"));
}

}  // namespace sockerless::agent
