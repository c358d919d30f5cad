#pragma once
// The process's environment as a map, for the mains that hand it to configuration loaders.

#include <map>
#include <string>

namespace sockerless {

// NAME -> value for every entry of environ (entries without '=' are skipped).
std::map<std::string, std::string> process_variables();

}  // namespace sockerless
