#pragma once
// The AWS query protocol as EC2 speaks it: parameters form-encoded in a POST body (or in the query
// string of a GET), "Action" and "Version" among them; lists flattened as Name.1, Name.2...,
// structures as Name.N.Member. Responses are XML in the service's namespace, written with
// XmlWriter from s3_xml.h (ec2_service.cpp).

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api_error.h"

namespace sockerless::awssim {

using QueryParams = std::map<std::string, std::string, std::less<>>;

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte. A malformed escape is
// kept literally, as the query services do.
std::string form_decode(std::string_view s);

// "a=1&b=2" -> {a:1, b:2}. A repeated name keeps its last value; a name without '=' has "".
QueryParams parse_form(std::string_view form);

// The parameters of a query request: the URL's query string and, for a form POST, the body.
QueryParams query_params(std::string_view target, std::string_view content_type,
                         std::string_view body);

// The values of a flattened list: `name`.1, `name`.2, ... in index order. Indexes need not be
// contiguous (AWS accepts gaps); a non-numeric index is InvalidParameterValue.
ApiResult<std::vector<std::string>> member_list(const QueryParams& params, std::string_view name);

struct QueryFilter {
    std::string name;
    std::vector<std::string> values;
};

// Filter.N.Name / Filter.N.Value.M, in N order. A filter without a name is MissingParameter.
ApiResult<std::vector<QueryFilter>> query_filters(const QueryParams& params);

// An integer parameter; nullopt when absent, InvalidParameterValue when not a number.
ApiResult<std::optional<long>> query_int(const QueryParams& params, std::string_view name);

// "true"/"false" (any case); nullopt when absent, InvalidParameterValue otherwise.
ApiResult<std::optional<bool>> query_bool(const QueryParams& params, std::string_view name);

// A shell-style wildcard match ('*' any run, '?' one character), as EC2 filter values are.
bool wildcard_match(std::string_view pattern, std::string_view value);

}  // namespace sockerless::awssim
