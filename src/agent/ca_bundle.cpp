#include "agent/ca_bundle.h"

#include <fstream>
#include <sstream>

namespace sockerless::agent {

// Defined by the generated source (cmake/EmbedFile.cmake).
extern const unsigned char embedded_ca_bundle_data[];
extern const std::size_t embedded_ca_bundle_size;

std::string_view builtin_ca_bundle() noexcept {
    return {reinterpret_cast<const char*>(embedded_ca_bundle_data), embedded_ca_bundle_size};
}

Result<std::string> trusted_ca_pem(const GetEnv& getenv) {
    auto path = getenv(kEnvCaBundle);
    if (!path) return std::string(builtin_ca_bundle());
    std::ifstream in(*path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in || text.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        return make_error(Errc::invalid_argument, std::string(kEnvCaBundle) + " " + *path +
                                                      ": not a readable PEM certificate file");
    }
    return text.str();
}

}  // namespace sockerless::agent
