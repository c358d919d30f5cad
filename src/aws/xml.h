#pragma once
// A minimal element tree over expat, for the XML that S3 (REST-XML) and EC2 (query) answer with.
// AWS documents carry their data in element text only, so attributes, comments and processing
// instructions are dropped, and namespace prefixes are stripped from names (AWS puts everything
// in one default namespace; matching on local names keeps callers simple).

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace sockerless::aws {

struct XmlElement {
    std::string name;  // local name, prefix stripped
    std::string text;  // character data directly inside this element, untrimmed
    std::vector<XmlElement> children;

    // The first child named `child_name`, or nullptr.
    [[nodiscard]] const XmlElement* child(std::string_view child_name) const;

    // The text of the first child named `child_name`; "" when there is none.
    [[nodiscard]] std::string_view child_text(std::string_view child_name) const;
};

// Nesting deeper than this is rejected: no AWS response comes close, and it bounds the recursion
// in XmlElement's destructor.
inline constexpr int kMaxXmlDepth = 128;

// Parses a whole document. Malformed XML, or nesting past kMaxXmlDepth, is invalid_argument.
Result<XmlElement> parse_xml(std::string_view document);

}  // namespace sockerless::aws
