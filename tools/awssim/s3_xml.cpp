#include "s3_xml.h"

#include <memory>

#include <expat.h>

namespace sockerless::awssim {
namespace {

constexpr std::size_t kMaxDepth = 32;
// Separates a namespace URI from the local name in the names expat reports.
constexpr char kNamespaceSeparator = '\x01';

struct ParserDeleter {
    void operator()(XML_ParserStruct* parser) const { XML_ParserFree(parser); }
};
using ParserPtr = std::unique_ptr<XML_ParserStruct, ParserDeleter>;

struct ParseState {
    XML_Parser parser = nullptr;
    std::vector<XmlNode> stack;  // open elements, innermost last
    std::optional<XmlNode> root;
    bool too_deep = false;
};

std::string local_name(const XML_Char* name) {
    std::string_view full(name);
    std::size_t sep = full.rfind(kNamespaceSeparator);
    return std::string(sep == std::string_view::npos ? full : full.substr(sep + 1));
}

void on_start(void* data, const XML_Char* name, const XML_Char** /*attributes*/) {
    auto* state = static_cast<ParseState*>(data);
    if (state->stack.size() >= kMaxDepth) {
        state->too_deep = true;
        XML_StopParser(state->parser, XML_FALSE);
        return;
    }
    state->stack.push_back(XmlNode{local_name(name), {}, {}});
}

void on_end(void* data, const XML_Char* /*name*/) {
    auto* state = static_cast<ParseState*>(data);
    XmlNode done = std::move(state->stack.back());
    state->stack.pop_back();
    if (state->stack.empty())
        state->root = std::move(done);
    else
        state->stack.back().children.push_back(std::move(done));
}

void on_text(void* data, const XML_Char* text, int len) {
    auto* state = static_cast<ParseState*>(data);
    if (!state->stack.empty()) state->stack.back().text.append(text, static_cast<std::size_t>(len));
}

}  // namespace

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

XmlWriter::XmlWriter() : out_("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") {}

XmlWriter& XmlWriter::open(std::string_view name, std::string_view xmlns) {
    out_.append("<").append(name);
    if (!xmlns.empty()) out_.append(" xmlns=\"").append(xml_escape(xmlns)).append("\"");
    out_.append(">");
    open_.emplace_back(name);
    return *this;
}

XmlWriter& XmlWriter::close() {
    if (!open_.empty()) {
        out_.append("</").append(open_.back()).append(">");
        open_.pop_back();
    }
    return *this;
}

XmlWriter& XmlWriter::element(std::string_view name, std::string_view text) {
    out_.append("<").append(name).append(">").append(xml_escape(text));
    out_.append("</").append(name).append(">");
    return *this;
}

XmlWriter& XmlWriter::text(std::string_view text) {
    out_.append(xml_escape(text));
    return *this;
}

std::string XmlWriter::finish() {
    while (!open_.empty())
        close();
    return std::move(out_);
}

const XmlNode* XmlNode::child(std::string_view child_name) const {
    for (const auto& c : children) {
        if (c.name == child_name) return &c;
    }
    return nullptr;
}

std::vector<const XmlNode*> XmlNode::all(std::string_view child_name) const {
    std::vector<const XmlNode*> out;
    for (const auto& c : children) {
        if (c.name == child_name) out.push_back(&c);
    }
    return out;
}

std::optional<std::string> XmlNode::child_text(std::string_view child_name) const {
    const XmlNode* c = child(child_name);
    if (!c) return std::nullopt;
    return c->text;
}

std::optional<XmlNode> parse_xml(std::string_view document) {
    ParserPtr parser(XML_ParserCreateNS(nullptr, kNamespaceSeparator));
    if (!parser) return std::nullopt;
    ParseState state;
    state.parser = parser.get();
    XML_SetUserData(parser.get(), &state);
    XML_SetElementHandler(parser.get(), on_start, on_end);
    XML_SetCharacterDataHandler(parser.get(), on_text);
    if (document.size() > static_cast<std::size_t>(INT32_MAX)) return std::nullopt;
    auto status =
        XML_Parse(parser.get(), document.data(), static_cast<int>(document.size()), XML_TRUE);
    if (status != XML_STATUS_OK || state.too_deep || !state.root) return std::nullopt;
    return std::move(state.root);
}

}  // namespace sockerless::awssim
