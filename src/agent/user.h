#pragma once
// Resolution of Docker's `--user` forms against the image's /etc/passwd and /etc/group, read as
// plain files so that it works in a static binary with no NSS (and in images that have no libc).

#include <sys/types.h>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sockerless::agent {

struct Credentials {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary groups, from /etc/group membership
    std::string home;           // from /etc/passwd; "/" when the user has no entry
    std::string name;           // empty when the user has no entry
};

// `spec` is "", "user", "uid", "user:group", "uid:gid" or any mix. Names must exist in the files;
// numeric ids need not (as in Docker). `passwd` and `group` are the files' contents.
Result<Credentials> resolve_user(std::string_view spec, std::string_view passwd,
                                 std::string_view group);

// Reads /etc/passwd and /etc/group below `root` (normally "/") and resolves `spec`.
Result<Credentials> resolve_user_in(std::string_view spec, const std::string& root = "/");

}  // namespace sockerless::agent
