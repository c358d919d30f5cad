#include "engine/signals.h"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <string>
#include <utility>

namespace sockerless::engine {

namespace {

// Docker's values on Linux, whatever the daemon's own libc reserves: the signal goes to a
// process on another machine.
constexpr int kRtMin = 34;
constexpr int kRtMax = 64;

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<int> parse_signal(std::string_view text) {
    if (text.empty()) return std::nullopt;
    if (all_digits(text)) {
        if (text.size() > 3) return std::nullopt;
        const int n = std::stoi(std::string(text));
        // Docker's kill refuses numbers that name no Linux signal (0, 32, 33, over 64).
        if (n <= 0 || n > kRtMax || n == 32 || n == 33) return std::nullopt;
        return n;
    }
    std::string name(text);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (name.starts_with("SIG")) name.erase(0, 3);
    static constexpr std::pair<std::string_view, int> kSignals[] = {
        {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
        {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
        {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
        {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
        {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
        {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
        {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
        {"SYS", SIGSYS},       {"CLD", SIGCHLD}};
    for (const auto& [n, value] : kSignals)
        if (n == name) return value;
    if (name == "RTMIN") return kRtMin;
    if (name == "RTMAX") return kRtMax;
    // Docker names RTMIN+1..RTMIN+15 and RTMAX-14..RTMAX-1, written without leading zeros.
    if (name.starts_with("RTMIN+") || name.starts_with("RTMAX-")) {
        const std::string_view rest = std::string_view(name).substr(6);
        if (!all_digits(rest) || rest.size() > 2 || rest.front() == '0') return std::nullopt;
        const int offset = std::stoi(std::string(rest));
        if (name[4] == 'N') return offset <= 15 ? std::optional(kRtMin + offset) : std::nullopt;
        return offset <= 14 ? std::optional(kRtMax - offset) : std::nullopt;
    }
    return std::nullopt;
}

}  // namespace sockerless::engine
