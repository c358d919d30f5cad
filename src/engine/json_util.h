#pragma once
// Lenient readers and writers for the engine's JSON documents (the store's documents and the
// Docker API's objects). A member that is absent or of another type reads as empty; callers
// that must refuse bad input check types themselves (routes/ does, with Docker's messages).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace sockerless::engine {

std::string string_of(const boost::json::object& o, std::string_view key);
std::int64_t int_of(const boost::json::object& o, std::string_view key);
bool bool_of(const boost::json::object& o, std::string_view key);
std::vector<std::string> strings_of(const boost::json::object& o, std::string_view key);
// nullopt when absent or null; the strings otherwise (a lone string as Docker's strslice does).
std::optional<std::vector<std::string>> optional_strings_of(const boost::json::object& o,
                                                            std::string_view key);
// {"k":"v"} members that are strings.
std::map<std::string, std::string> map_of(const boost::json::object& o, std::string_view key);

boost::json::array strings_to_json(const std::vector<std::string>& v);
// A set as Docker's map-of-empty-objects ({"80/tcp":{}}), or null when empty.
boost::json::value strings_to_json(const std::set<std::string>& v);
boost::json::object map_to_json(const std::map<std::string, std::string>& m);

}  // namespace sockerless::engine
