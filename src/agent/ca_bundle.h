#pragma once
// The certificate authorities the agent trusts for https. The agent runs in images that may have
// no CA files at all (scratch, distroless), so it carries Debian's bundle inside the binary,
// generated at build time (cmake/EmbedFile.cmake); SOCKERLESS_AGENT_CA_BUNDLE names a PEM file
// to trust instead, for tests and private CAs.

#include <string>
#include <string_view>

#include "agent/payload_pointer.h"
#include "base/error.h"

namespace sockerless::agent {

inline constexpr std::string_view kEnvCaBundle = "SOCKERLESS_AGENT_CA_BUNDLE";

// The compiled-in bundle, PEM.
std::string_view builtin_ca_bundle() noexcept;

// The file SOCKERLESS_AGENT_CA_BUNDLE names when set, else the compiled-in bundle.
// invalid_argument when the file cannot be read or holds no PEM certificate.
Result<std::string> trusted_ca_pem(const GetEnv& getenv);

}  // namespace sockerless::agent
