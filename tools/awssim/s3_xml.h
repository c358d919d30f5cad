#pragma once
// XML as the REST-XML (S3) and query (STS) protocols use it: a writer for response documents and
// a small reader for request bodies (CreateBucketConfiguration, Delete, LifecycleConfiguration...).
//
// The reader keeps element local names (namespace prefixes and URIs dropped: S3 accepts its
// documents with or without the xmlns), character data and children; attributes are ignored
// because no S3 request body the simulator reads carries meaning in them.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockerless::awssim {

// Escapes &, <, >, " and ' for element text and attribute values.
std::string xml_escape(std::string_view text);

class XmlWriter {
public:
    // Starts the document with the XML declaration S3 sends.
    XmlWriter();

    // Opens <name> (with xmlns="..." when given); close() ends the innermost open element.
    XmlWriter& open(std::string_view name, std::string_view xmlns = {});
    XmlWriter& close();
    // <name>text</name>
    XmlWriter& element(std::string_view name, std::string_view text);
    // Character data inside the innermost open element.
    XmlWriter& text(std::string_view text);

    // Closes what is still open and returns the document.
    [[nodiscard]] std::string finish();

private:
    std::string out_;
    std::vector<std::string> open_;
};

struct XmlNode {
    std::string name;  // local name
    std::string text;  // character data directly inside this element, untrimmed
    std::vector<XmlNode> children;

    // The first child named `name`, or nullptr.
    [[nodiscard]] const XmlNode* child(std::string_view child_name) const;
    // Every child named `name`, in document order.
    [[nodiscard]] std::vector<const XmlNode*> all(std::string_view child_name) const;
    // The text of the first child named `name`, or nullopt when there is none.
    [[nodiscard]] std::optional<std::string> child_text(std::string_view child_name) const;
};

// The root element of a well-formed document; nullopt for anything else (not well-formed, empty,
// nested deeper than 32 levels).
std::optional<XmlNode> parse_xml(std::string_view document);

}  // namespace sockerless::awssim
