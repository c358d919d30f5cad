#include "registry/progress.h"

#include "registry/digest.h"

namespace sockerless::registry {
namespace {

constexpr std::string_view kNewline = "\r\n";

// The length of the valid UTF-8 sequence at the start of `s`, or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s) {
    const auto b0 = static_cast<unsigned char>(s[0]);
    std::size_t n = 0;
    unsigned min = 0;
    unsigned cp = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        n = 2, cp = b0 & 0x1fU, min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        n = 3, cp = b0 & 0x0fU, min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        n = 4, cp = b0 & 0x07U, min = 0x10000;
    } else {
        return 0;
    }
    if (s.size() < n) return 0;
    for (std::size_t i = 1; i < n; ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if ((b & 0xc0U) != 0x80U) return 0;
        cp = (cp << 6) | (b & 0x3fU);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

void append_u(std::string& out, unsigned code) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4)
        out.push_back(kHex[(code >> shift) & 15U]);
}

}  // namespace

std::string go_json_string(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                case '<':
                case '>':
                case '&':
                    append_u(out, c);
                    break;
                default:
                    if (c < 0x20) {
                        append_u(out, c);
                    } else {
                        out.push_back(static_cast<char>(c));
                    }
            }
            ++i;
            continue;
        }
        const std::size_t n = utf8_sequence(s.substr(i));
        if (n == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        const std::string_view seq = s.substr(i, n);
        if (seq == "\xe2\x80\xa8" || seq == "\xe2\x80\xa9") {
            out += seq == "\xe2\x80\xa8" ? "\\u2028" : "\\u2029";
        } else {
            out += seq;
        }
        i += n;
    }
    out += '"';
    return out;
}

std::string status_line(std::string_view status, std::string_view id) {
    std::string out = "{\"status\":" + go_json_string(status);
    if (!id.empty()) out += ",\"id\":" + go_json_string(id);
    out += "}";
    out += kNewline;
    return out;
}

std::string layer_line(std::string_view status, std::string_view id) {
    std::string out = "{\"status\":" + go_json_string(status) + ",\"progressDetail\":{}";
    if (!id.empty()) out += ",\"id\":" + go_json_string(id);
    out += "}";
    out += kNewline;
    return out;
}

std::string error_line(std::string_view message) {
    const std::string m = go_json_string(message);
    std::string out = "{\"errorDetail\":{\"message\":" + m + "},\"error\":" + m + "}";
    out += kNewline;
    return out;
}

std::string pull_header(const Reference& ref) {
    return status_line("Pulling from " + ref.path, ref.manifest_reference());
}

std::string pull_body(const Reference& ref, const Image& image, const PullReport& report) {
    std::string out;
    if (!report.up_to_date) {
        // A layer shared by several positions of the image shows once, as dockerd keys its
        // progress by layer id.
        std::set<std::string> seen;
        std::vector<std::string> fresh;
        for (const Layer& layer : image.layers) {
            const std::string id = short_id(layer.digest);
            if (!seen.insert(id).second) continue;
            if (report.known_layers.contains(layer.digest)) {
                out += layer_line("Already exists", id);
            } else {
                out += layer_line("Pulling fs layer", id);
                fresh.push_back(id);
            }
        }
        for (const std::string& id : fresh)
            out += layer_line("Download complete", id);
        for (const std::string& id : fresh)
            out += layer_line("Pull complete", id);
    }
    out += status_line("Digest: " + image.manifest_digest);
    out += status_line((report.up_to_date ? "Status: Image is up to date for "
                                          : "Status: Downloaded newer image for ") +
                       ref.familiar_string());
    return out;
}

}  // namespace sockerless::registry
