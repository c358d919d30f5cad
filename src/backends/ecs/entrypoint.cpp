#include "backends/ecs/entrypoint.h"

#include <string_view>

#include "base/hex.h"

namespace sockerless::ecs {
namespace {

inline constexpr std::size_t kTokenBytes = 32;

// "/usr/bin/tail" -> "tail"
std::string_view base_name(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_idle_argv(const std::vector<std::string_view>& argv) {
    if (argv.size() == 3 && base_name(argv[0]) == "tail") {
        return (argv[1] == "-f" || argv[1] == "-F") && argv[2] == "/dev/null";
    }
    if (argv.size() == 2 && base_name(argv[0]) == "sleep") {
        return argv[1] == "infinity" || argv[1] == "inf";
    }
    return false;
}

std::vector<std::string_view> split_blanks(std::string_view script) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < script.size()) {
        const std::size_t start = script.find_first_not_of(" \t\n", i);
        if (start == std::string_view::npos) break;
        std::size_t end = script.find_first_of(" \t\n", start);
        if (end == std::string_view::npos) end = script.size();
        words.push_back(script.substr(start, end - start));
        i = end;
    }
    return words;
}

bool is_shell(std::string_view path) {
    const std::string_view name = base_name(path);
    return name == "sh" || name == "bash" || name == "ash" || name == "dash";
}

}  // namespace

bool is_keep_alive(const std::vector<std::string>& entrypoint,
                   const std::vector<std::string>& cmd) {
    std::vector<std::string_view> argv(entrypoint.begin(), entrypoint.end());
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    if (is_idle_argv(argv)) return true;
    if (argv.size() != 3 || !is_shell(argv[0]) || argv[1] != "-c") return false;
    std::vector<std::string_view> words = split_blanks(argv[2]);
    if (!words.empty() && words.front() == "exec") words.erase(words.begin());
    return is_idle_argv(words);
}

std::vector<std::string> agent_command(const agentproto::LaunchSpec& spec) {
    if (spec.keep_alive) return {};
    std::vector<std::string> out = spec.entrypoint;
    out.insert(out.end(), spec.cmd.begin(), spec.cmd.end());
    return out;
}

Result<std::string> new_agent_token() {
    return random_hex_token(kTokenBytes);
}

}  // namespace sockerless::ecs
