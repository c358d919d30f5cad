#include "base/environ.h"

#include <unistd.h>

namespace sockerless {

std::map<std::string, std::string> process_variables() {
    std::map<std::string, std::string> out;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string item(*entry);
        const auto eq = item.find('=');
        if (eq != std::string::npos) out.emplace(item.substr(0, eq), item.substr(eq + 1));
    }
    return out;
}

}  // namespace sockerless
