#pragma once
// The one simulated AWS account every resource belongs to.

#include <string_view>

namespace sockerless::awssim {

inline constexpr std::string_view kAccountId = "000000000000";

}  // namespace sockerless::awssim
