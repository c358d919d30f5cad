#include "registry/auth.h"

#include <algorithm>
#include <cctype>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "registry/json_read.h"

namespace sockerless::registry {
namespace {

constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::int64_t kMinTokenLifetime = 60;

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

std::string encode_with(std::string_view data, std::string_view alphabet) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        const auto n = (static_cast<unsigned>(static_cast<unsigned char>(data[i])) << 16) |
                       (static_cast<unsigned>(static_cast<unsigned char>(data[i + 1])) << 8) |
                       static_cast<unsigned>(static_cast<unsigned char>(data[i + 2]));
        out.push_back(alphabet[(n >> 18) & 63]);
        out.push_back(alphabet[(n >> 12) & 63]);
        out.push_back(alphabet[(n >> 6) & 63]);
        out.push_back(alphabet[n & 63]);
    }
    const std::size_t rest = data.size() - i;
    if (rest > 0) {
        unsigned n = static_cast<unsigned>(static_cast<unsigned char>(data[i])) << 16;
        if (rest == 2) n |= static_cast<unsigned>(static_cast<unsigned char>(data[i + 1])) << 8;
        out.push_back(alphabet[(n >> 18) & 63]);
        out.push_back(alphabet[(n >> 12) & 63]);
        out.push_back(rest == 2 ? alphabet[(n >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

Error invalid_header(std::string_view why) {
    return make_error(Errc::invalid_argument,
                      "invalid X-Registry-Auth header: " + std::string(why));
}

bool is_tchar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// A cursor over a WWW-Authenticate value.
struct Scanner {
    std::string_view s;
    std::size_t pos = 0;

    void skip_spaces() {
        while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t'))
            ++pos;
    }
    void skip_spaces_and_commas() {
        while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == ','))
            ++pos;
    }
    std::string_view token() {
        const std::size_t start = pos;
        while (pos < s.size() && is_tchar(s[pos]))
            ++pos;
        return s.substr(start, pos - start);
    }
    [[nodiscard]] bool at(char c) const { return pos < s.size() && s[pos] == c; }
    std::string quoted() {
        std::string out;
        ++pos;  // the opening quote
        while (pos < s.size() && s[pos] != '"') {
            if (s[pos] == '\\' && pos + 1 < s.size()) ++pos;
            out.push_back(s[pos++]);
        }
        if (pos < s.size()) ++pos;  // the closing quote
        return out;
    }
};

// Reads "name=value" at the cursor into `params`; false (cursor unchanged) when the text there
// is not a parameter, i.e. the next challenge's scheme begins.
bool read_param(Scanner& sc, std::map<std::string, std::string>& params) {
    const std::size_t start = sc.pos;
    const std::string_view name = sc.token();
    sc.skip_spaces();
    if (name.empty() || !sc.at('=')) {
        sc.pos = start;
        return false;
    }
    ++sc.pos;
    sc.skip_spaces();
    std::string value = sc.at('"') ? sc.quoted() : std::string(sc.token());
    params[lower(name)] = std::move(value);
    return true;
}

// Go's url.QueryEscape: unreserved bytes stay, space is '+', everything else %XX.
std::string query_escape(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(c);
        } else if (c == ' ') {
            out.push_back('+');
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 15]);
        }
    }
    return out;
}

std::string join_scopes(const std::vector<std::string>& scopes) {
    std::string out;
    for (const std::string& scope : scopes) {
        if (!out.empty()) out += ' ';
        out += scope;
    }
    return out;
}

}  // namespace

Result<std::string> base64_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=')
        text.remove_suffix(1);
    if (text.size() % 4 == 1) {
        return make_error(Errc::invalid_argument, "base64: truncated input");
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    unsigned buffer = 0;
    int bits = 0;
    for (char c : text) {
        const int v = base64_value(c);
        if (v < 0) return make_error(Errc::invalid_argument, "base64: illegal character");
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    return out;
}

std::string base64_encode(std::string_view data) {
    return encode_with(data, kStdAlphabet);
}

std::string basic_authorization(std::string_view username, std::string_view password) {
    std::string pair(username);
    pair += ':';
    pair += password;
    return "Basic " + base64_encode(pair);
}

Result<Credentials> decode_registry_auth(std::string_view header) {
    while (!header.empty() && (header.back() == ' ' || header.back() == '\t'))
        header.remove_suffix(1);
    while (!header.empty() && (header.front() == ' ' || header.front() == '\t'))
        header.remove_prefix(1);
    Credentials creds;
    if (header.empty()) return creds;
    Result<std::string> json = base64_decode(header);
    if (!json) return invalid_header(json.error().message);
    if (*json == "null") return creds;
    Result<boost::json::object> obj = json_read::parse_object(*json, "auth config");
    if (!obj) return invalid_header(obj.error().message);
    struct Field {
        std::string_view key;
        std::string* out;
    };
    std::string auth;
    std::string email;
    for (const Field& f : {Field{"username", &creds.username}, Field{"password", &creds.password},
                           Field{"auth", &auth}, Field{"email", &email},
                           Field{"serveraddress", &creds.server_address},
                           Field{"identitytoken", &creds.identity_token},
                           Field{"registrytoken", &creds.registry_token}}) {
        Result<std::string> value = json_read::string_field(*obj, f.key, "auth config");
        if (!value) return invalid_header(value.error().message);
        *f.out = std::move(*value);
    }
    if (!auth.empty() && creds.username.empty() && creds.password.empty()) {
        Result<std::string> pair = base64_decode(auth);
        if (!pair) return invalid_header("auth: " + pair.error().message);
        const std::size_t colon = pair->find(':');
        if (colon == std::string::npos) return invalid_header("auth: want base64 of user:password");
        creds.username = pair->substr(0, colon);
        creds.password = pair->substr(colon + 1);
    }
    return creds;
}

std::string encode_registry_auth(const Credentials& creds) {
    boost::json::object obj;
    if (!creds.username.empty()) obj["username"] = creds.username;
    if (!creds.password.empty()) obj["password"] = creds.password;
    if (!creds.server_address.empty()) obj["serveraddress"] = creds.server_address;
    if (!creds.identity_token.empty()) obj["identitytoken"] = creds.identity_token;
    if (!creds.registry_token.empty()) obj["registrytoken"] = creds.registry_token;
    return encode_with(boost::json::serialize(obj), kUrlAlphabet);
}

std::string Challenge::param(std::string_view name) const {
    const auto it = params.find(std::string(name));
    return it == params.end() ? std::string() : it->second;
}

std::vector<Challenge> parse_challenges(std::string_view header_value) {
    std::vector<Challenge> out;
    Scanner sc{header_value};
    while (true) {
        sc.skip_spaces_and_commas();
        const std::string_view scheme = sc.token();
        if (scheme.empty()) break;
        Challenge challenge;
        challenge.scheme = lower(scheme);
        while (true) {
            sc.skip_spaces();
            if (!read_param(sc, challenge.params)) break;
            sc.skip_spaces();
            if (!sc.at(',')) break;
            ++sc.pos;
            sc.skip_spaces_and_commas();
        }
        out.push_back(std::move(challenge));
    }
    return out;
}

std::string pull_scope(std::string_view repository_path) {
    return "repository:" + std::string(repository_path) + ":pull";
}

TokenRequest token_request(const Challenge& bearer, const std::vector<std::string>& scopes,
                           const Credentials& creds, bool offline) {
    TokenRequest req;
    const std::string service = bearer.param("service");
    if (!creds.identity_token.empty()) {
        req.method = "POST";
        std::vector<Param> form = {{"grant_type", "refresh_token"},
                                   {"refresh_token", creds.identity_token},
                                   {"client_id", std::string(kClientId)},
                                   {"scope", join_scopes(scopes)}};
        if (!service.empty()) form.emplace_back("service", service);
        req.form_body = form_encode(std::move(form));
        return req;
    }
    req.method = "GET";
    if (!service.empty()) req.query.emplace_back("service", service);
    for (const std::string& scope : scopes)
        req.query.emplace_back("scope", scope);
    if (offline) {
        req.query.emplace_back("offline_token", "true");
        req.query.emplace_back("client_id", std::string(kClientId));
    }
    if (!creds.username.empty() && !creds.password.empty()) {
        req.query.emplace_back("account", creds.username);
        req.authorization = basic_authorization(creds.username, creds.password);
    }
    return req;
}

Result<Token> parse_token_response(std::string_view body) {
    constexpr std::string_view kWhat = "token response";
    Result<boost::json::object> obj = json_read::parse_object(body, kWhat);
    if (!obj) return obj.error();
    Token out;
    Result<std::string> token = json_read::string_field(*obj, "token", kWhat);
    Result<std::string> access = json_read::string_field(*obj, "access_token", kWhat);
    Result<std::string> refresh = json_read::string_field(*obj, "refresh_token", kWhat);
    Result<std::optional<std::int64_t>> expires = json_read::int_field(*obj, "expires_in", kWhat);
    if (!token) return token.error();
    if (!access) return access.error();
    if (!refresh) return refresh.error();
    if (!expires) return expires.error();
    out.token = access->empty() ? std::move(*token) : std::move(*access);
    if (out.token.empty()) {
        return make_error(Errc::invalid_argument,
                          "authorization server did not include a token in the response");
    }
    out.refresh_token = std::move(*refresh);
    out.expires_in = std::chrono::seconds(std::max(expires->value_or(0), kMinTokenLifetime));
    return out;
}

std::string form_encode(std::vector<Param> params) {
    std::stable_sort(params.begin(), params.end(),
                     [](const Param& a, const Param& b) { return a.first < b.first; });
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty()) out += '&';
        out += query_escape(name) + "=" + query_escape(value);
    }
    return out;
}

}  // namespace sockerless::registry
