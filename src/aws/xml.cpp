#include "aws/xml.h"

#include <expat.h>

#include <limits>
#include <memory>

namespace sockerless::aws {
namespace {

struct ParserDeleter {
    void operator()(XML_ParserStruct* parser) const { XML_ParserFree(parser); }
};
using ParserPtr = std::unique_ptr<XML_ParserStruct, ParserDeleter>;

std::string_view local_name(std::string_view name) {
    const std::size_t colon = name.rfind(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Open elements live by value on `open`; a closed element is moved into its parent, so no
// pointer into a growing vector is ever held.
struct Builder {
    XML_Parser parser = nullptr;
    std::vector<XmlElement> open;
    XmlElement root;
    bool have_root = false;
    bool too_deep = false;

    void start(const XML_Char* name) {
        if (static_cast<int>(open.size()) >= kMaxXmlDepth) {
            too_deep = true;
            XML_StopParser(parser, XML_FALSE);
            return;
        }
        open.push_back(XmlElement{.name = std::string(local_name(name))});
    }

    void end() {
        XmlElement done = std::move(open.back());
        open.pop_back();
        if (open.empty()) {
            root = std::move(done);
            have_root = true;
        } else {
            open.back().children.push_back(std::move(done));
        }
    }

    void text(const XML_Char* data, int len) {
        if (!open.empty()) open.back().text.append(data, static_cast<std::size_t>(len));
    }
};

void on_start(void* user, const XML_Char* name, const XML_Char** /*attributes*/) {
    static_cast<Builder*>(user)->start(name);
}

void on_end(void* user, const XML_Char* /*name*/) {
    static_cast<Builder*>(user)->end();
}

void on_text(void* user, const XML_Char* data, int len) {
    static_cast<Builder*>(user)->text(data, len);
}

}  // namespace

const XmlElement* XmlElement::child(std::string_view child_name) const {
    for (const XmlElement& c : children) {
        if (c.name == child_name) return &c;
    }
    return nullptr;
}

std::string_view XmlElement::child_text(std::string_view child_name) const {
    const XmlElement* c = child(child_name);
    return c == nullptr ? std::string_view{} : std::string_view{c->text};
}

Result<XmlElement> parse_xml(std::string_view document) {
    ParserPtr parser(XML_ParserCreate("UTF-8"));
    if (!parser) return make_error(Errc::internal, "xml: cannot create parser");
    Builder builder;
    builder.parser = parser.get();
    XML_SetUserData(parser.get(), &builder);
    XML_SetElementHandler(parser.get(), on_start, on_end);
    XML_SetCharacterDataHandler(parser.get(), on_text);

    // XML_Parse takes an int length; AWS documents are far below that, larger input is refused.
    if (document.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        return make_error(Errc::invalid_argument, "xml: document too large");
    }
    const XML_Status status =
        XML_Parse(parser.get(), document.data(), static_cast<int>(document.size()), XML_TRUE);
    if (builder.too_deep) {
        return make_error(Errc::invalid_argument,
                          "xml: nesting deeper than " + std::to_string(kMaxXmlDepth));
    }
    if (status != XML_STATUS_OK || !builder.have_root) {
        const char* why = XML_ErrorString(XML_GetErrorCode(parser.get()));
        return make_error(Errc::invalid_argument,
                          std::string("xml: ") + (why != nullptr ? why : "no root element") +
                              " at line " + std::to_string(XML_GetCurrentLineNumber(parser.get())));
    }
    return std::move(builder.root);
}

}  // namespace sockerless::aws
