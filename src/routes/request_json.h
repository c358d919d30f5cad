#pragma once
// Reading request bodies as Docker does: JSON decoded into typed fields, where a member of the
// wrong type is refused with the message Go's encoding/json gives (clients and users know it),
// unknown members are ignored, and null means "not given".

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "base/error.h"

namespace sockerless::routes {

// Parses a request body that must be a JSON object (an empty body is `empty_ok` ? {} : error).
Result<boost::json::object> parse_body(std::string_view body, bool empty_ok = true);

// Typed members of `o`; `where` names the Go struct in messages ("Config", "HostConfig").
class JsonReader {
public:
    JsonReader(const boost::json::object& o, std::string where) : o_(o), where_(std::move(where)) {}

    Status read(std::string_view key, std::string& out);
    Status read(std::string_view key, bool& out);
    Status read(std::string_view key, std::int64_t& out);
    Status read(std::string_view key, int& out);
    Status read(std::string_view key, std::optional<int>& out);
    Status read(std::string_view key, std::vector<std::string>& out);
    // Docker's strslice: a string or an array of strings; null leaves nullopt.
    Status read_strslice(std::string_view key, std::optional<std::vector<std::string>>& out);
    Status read(std::string_view key, std::map<std::string, std::string>& out);
    // A map whose keys are the values (ExposedPorts, Volumes): {"80/tcp": {}}.
    Status read_keys(std::string_view key, std::set<std::string>& out);
    // The member's object, or nullptr when absent or null; an error when of another type.
    Result<const boost::json::object*> object(std::string_view key);

    // The first error of several reads.
    Status first_error() const { return error_; }

private:
    Error type_error(std::string_view key, const boost::json::value& v, std::string_view type);
    const boost::json::object& o_;
    std::string where_;
    Status error_;
};

}  // namespace sockerless::routes
