#pragma once
// Container names as Docker makes and checks them. Names are kept in Docker's internal form
// with a leading "/" ("/eager_hopper"), which is what inspect's Name and the name index hold.

#include <cstddef>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"

namespace sockerless::engine {

// A user-chosen name: one optional leading "/", then [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so at least two
// characters). Returns the name with its leading "/"; anything else is invalid_argument with
// Docker's message, quoting the name as given:
//   Invalid container name (NAME), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed
Result<std::string> validate_name(std::string_view name);

// Whether a name (with its leading "/") already belongs to a container.
using IsTaken = std::function<bool(std::string_view name)>;

// How many random names generate_name tries before falling back to the id.
inline constexpr int kNameAttempts = 6;
// Length of the id prefix used as the fallback name (Docker's short id).
inline constexpr std::size_t kShortIdLength = 12;

// One random "adjective_surname"; with retry > 0 a random digit is appended, which makes a
// collision on a retry less likely.
std::string random_name(std::mt19937_64& rng, int retry);

// A free name for a new container, as Docker picks one: up to kNameAttempts random names (the
// first without a digit), then "/" + the first kShortIdLength characters of `id`. Every name
// returned is valid by validate_name. If even the fallback is taken the result is conflict.
Result<std::string> generate_name(std::mt19937_64& rng, const IsTaken& is_taken,
                                  std::string_view id);

// The word lists, for tests and tooling.
std::span<const std::string_view> name_adjectives();
std::span<const std::string_view> name_surnames();

}  // namespace sockerless::engine
