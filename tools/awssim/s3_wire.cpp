#include "s3_wire.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "base/hex.h"
#include "s3_checksum.h"
#include "s3_xml.h"
#include "sigv4_verify.h"

namespace sockerless::awssim {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

// "host[:port]" -> host; IPv6 literals are left alone (they never name a bucket).
std::string_view strip_port(std::string_view host) {
    if (host.starts_with('[')) return host;
    std::size_t colon = host.rfind(':');
    return colon == std::string_view::npos ? host : host.substr(0, colon);
}

bool looks_like_ipv4(std::string_view name) {
    int parts = 0;
    while (true) {
        std::size_t dot = name.find('.');
        std::string_view part = name.substr(0, dot);
        if (part.empty() || part.size() > 3 ||
            !std::ranges::all_of(part, [](unsigned char c) { return std::isdigit(c); }))
            return false;
        ++parts;
        if (dot == std::string_view::npos) break;
        name.remove_prefix(dot + 1);
    }
    return parts == 4;
}

}  // namespace

bool S3Target::has_param(std::string_view name) const {
    return std::ranges::any_of(query, [&](const auto& p) { return p.first == name; });
}

std::optional<std::string> S3Target::param(std::string_view name) const {
    for (const auto& [k, v] : query) {
        if (k == name) return v;
    }
    return std::nullopt;
}

std::optional<std::string> virtual_host_bucket(std::string_view host_header) {
    std::string host = lower(strip_port(trim(host_header)));
    std::string_view h = host;
    auto prefix_before = [&](std::string_view suffix) -> std::optional<std::string> {
        if (h.size() <= suffix.size() || !h.ends_with(suffix)) return std::nullopt;
        return std::string(h.substr(0, h.size() - suffix.size()));
    };
    if (auto b = prefix_before(".s3.amazonaws.com")) return b;
    if (h.ends_with(".amazonaws.com")) {
        std::string_view rest = h.substr(0, h.size() - std::string_view(".amazonaws.com").size());
        std::size_t s3 = rest.rfind(".s3.");
        if (s3 == std::string_view::npos || s3 == 0) return std::nullopt;
        std::string_view region = rest.substr(s3 + 4);
        if (region.empty() || region.find('.') != std::string_view::npos) return std::nullopt;
        return std::string(rest.substr(0, s3));
    }
    if (auto b = prefix_before(".s3.localhost")) return b;
    if (auto b = prefix_before(".localhost"); b && *b != "s3") return b;
    return std::nullopt;
}

S3Target parse_s3_target(std::string_view host, std::string_view target) {
    S3Target out;
    out.query = decode_query(target);
    std::string_view path = target.substr(0, target.find('?'));
    if (path.starts_with('/')) path.remove_prefix(1);
    if (auto bucket = virtual_host_bucket(host)) {
        out.virtual_host = true;
        out.bucket = std::move(*bucket);
        out.key = uri_decode(path);
        return out;
    }
    std::size_t slash = path.find('/');
    out.bucket = uri_decode(path.substr(0, slash));
    if (slash != std::string_view::npos) out.key = uri_decode(path.substr(slash + 1));
    return out;
}

std::string s3_error_document(const S3Error& error, std::string_view request_id,
                              std::string_view host_id) {
    XmlWriter xml;
    xml.open("Error").element("Code", error.code).element("Message", error.message);
    for (const auto& [name, value] : error.extra)
        xml.element(name, value);
    xml.element("RequestId", request_id).element("HostId", host_id);
    return xml.finish();
}

std::string s3_request_id(std::string_view request_id) {
    std::string out;
    for (char c : request_id) {
        if (c == '-') continue;
        out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
        if (out.size() == 16) break;
    }
    return out;
}

std::string s3_host_id(std::string_view request_id) {
    auto digest = hex_decode(sha256_hex(request_id));
    return base64_encode(digest ? *digest : std::string(request_id));
}

std::string iso8601_millis(std::chrono::system_clock::time_point t) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
    return out;
}

std::string http_date(std::chrono::system_clock::time_point t) {
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s) {
    std::string text(trim(s));
    for (const char* format :
         {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
        std::tm tm{};
        const char* end = strptime(text.c_str(), format, &tm);
        if (end && *end == '\0') return std::chrono::system_clock::from_time_t(timegm(&tm));
    }
    return std::nullopt;
}

bool etag_matches(std::string_view header, std::string_view etag) {
    header = trim(header);
    if (header == "*") return true;
    while (!header.empty()) {
        std::size_t comma = header.find(',');
        std::string_view item = trim(header.substr(0, comma));
        if (item.starts_with("W/")) item.remove_prefix(2);
        std::string quoted =
            item.starts_with('"') ? std::string(item) : "\"" + std::string(item) + "\"";
        if (quoted == etag) return true;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

RangeResult parse_range(std::string_view header, std::uint64_t size, ByteRange& out) {
    header = trim(header);
    if (!header.starts_with("bytes=")) return RangeResult::whole;
    std::string_view spec = trim(header.substr(6));
    std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos)
        return RangeResult::whole;
    std::string_view a = trim(spec.substr(0, dash));
    std::string_view b = trim(spec.substr(dash + 1));
    if (a.empty()) {
        auto n = parse_u64(b);
        if (!n) return RangeResult::whole;
        if (*n == 0 || size == 0) return RangeResult::unsatisfiable;
        out.length = std::min(*n, size);
        out.first = size - out.length;
        return RangeResult::partial;
    }
    auto first = parse_u64(a);
    if (!first) return RangeResult::whole;
    std::optional<std::uint64_t> last;
    if (!b.empty()) {
        last = parse_u64(b);
        if (!last || *last < *first) return RangeResult::whole;
    }
    if (*first >= size) return RangeResult::unsatisfiable;
    std::uint64_t end = last ? std::min(*last, size - 1) : size - 1;
    out.first = *first;
    out.length = end - *first + 1;
    return RangeResult::partial;
}

bool valid_bucket_name(std::string_view name) {
    if (name.size() < 3 || name.size() > 63) return false;
    auto alnum = [](unsigned char c) { return std::islower(c) || std::isdigit(c); };
    if (!alnum(name.front()) || !alnum(name.back())) return false;
    for (unsigned char c : name) {
        if (!alnum(c) && c != '.' && c != '-') return false;
    }
    if (name.find("..") != std::string_view::npos || looks_like_ipv4(name)) return false;
    for (std::string_view prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
        if (name.starts_with(prefix)) return false;
    }
    for (std::string_view suffix : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}) {
        if (name.ends_with(suffix)) return false;
    }
    return true;
}

}  // namespace sockerless::awssim
