#pragma once
// The admin route that hands out role-session credentials, so tests (and tools) can act as a
// task role without running a task: POST /_awssim/sessions with
// {"role_arn": "arn:aws:iam::000000000000:role/R", "session_name": "S", "duration_seconds": N}
// answers {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"}, the shape of the
// ECS container-credentials endpoint. session_name defaults to "awssim-session" and
// duration_seconds to 3600 (900 to 43200).

#include <chrono>

#include "identity.h"
#include "service.h"

namespace sockerless::awssim {

Response serve_sessions_admin(IdentityStore& identities, std::chrono::system_clock::time_point now,
                              const Request& request);

}  // namespace sockerless::awssim
