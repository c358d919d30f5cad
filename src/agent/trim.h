#pragma once
// Memory the agent used once, given back before it settles into its idle life as PID 1.
//
// Fetching a launch payload initialises OpenSSL, which reads through much of libcrypto: several
// MiB of the static binary's code and read-only data become resident, and would stay counted in
// the task's memory for as long as the task runs. Those pages are clean copies of the executable
// file, so they can be dropped and fault back in if ever needed again.

namespace sockerless::agent {

// Returns freed heap to the kernel and drops the resident pages of the executable's read-only
// segments (never its writable ones, whose pages may hold state). Best effort; no errors.
void release_startup_memory() noexcept;

}  // namespace sockerless::agent
