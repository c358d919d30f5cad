// Test helper for sigv4_botocore_diff.py: signs requests with sockerless::aws and prints the
// results, so the script can compare them with botocore's. One JSON object per line in, one out:
//
//   in:  {"id", "mode": "sign"|"presign", "method", "host", "path", "query": [[n, v]...],
//         "headers": [[n, v]...], "body_hex", "access_key", "secret_key", "token", "region",
//         "service", "epoch", "unsigned_payload", "content_sha256_header", "expires", "scheme"}
//   out: {"id", "headers": [[n, v]...]} (sign) or {"id", "url"} (presign), plus
//        "canonical_request" for diagnosing mismatches. A malformed line ends the run (exit 2).

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>

#include <boost/json.hpp>

#include "aws/sigv4.h"
#include "base/hex.h"

namespace {

namespace json = boost::json;
namespace aws = sockerless::aws;

std::vector<aws::NameValue> pairs(const json::value& v) {
    std::vector<aws::NameValue> out;
    for (const json::value& item : v.as_array()) {
        const json::array& pair = item.as_array();
        out.emplace_back(json::value_to<std::string>(pair.at(0)),
                         json::value_to<std::string>(pair.at(1)));
    }
    return out;
}

json::array to_json(const std::vector<aws::NameValue>& nvs) {
    json::array out;
    for (const auto& [name, value] : nvs)
        out.push_back(json::array{name.c_str(), value.c_str()});
    return out;
}

std::string str(const json::object& o, std::string_view key) {
    return json::value_to<std::string>(o.at(key));
}

aws::HttpRequest request(const json::object& in) {
    auto body = sockerless::hex_decode(str(in, "body_hex"));
    if (!body) throw std::invalid_argument(body.error().message);
    return aws::HttpRequest{.method = str(in, "method"),
                            .host = str(in, "host"),
                            .path = str(in, "path"),
                            .query = pairs(in.at("query")),
                            .headers = pairs(in.at("headers")),
                            .body = std::move(*body)};
}

json::object run(const json::object& in) {
    const aws::Credentials creds{str(in, "access_key"), str(in, "secret_key"), str(in, "token")};
    const std::string region = str(in, "region");
    const std::string service = str(in, "service");
    const std::chrono::system_clock::time_point now{
        std::chrono::seconds{in.at("epoch").as_int64()}};
    aws::HttpRequest req = request(in);
    json::object out{{"id", in.at("id")}};

    if (str(in, "mode") == "presign") {
        const aws::PresignOptions options{
            .expires = std::chrono::seconds{in.at("expires").as_int64()},
            .scheme = str(in, "scheme")};
        out["url"] = aws::presign_url(req, creds, region, service, now, options);
        const auto query = aws::presign_query(req, creds, region, service, now, options);
        out["canonical_request"] = aws::canonical_request(
            req.method, aws::canonical_uri(req.path, false), aws::canonical_query_string(query),
            aws::canonical_headers(req.headers, req.host), aws::kUnsignedPayload);
        return out;
    }
    const aws::SignOptions options{
        .payload = in.at("unsigned_payload").as_bool() ? aws::PayloadSigning::unsigned_payload
                                                       : aws::PayloadSigning::sha256,
        .content_sha256_header = in.at("content_sha256_header").as_bool()};
    aws::sign(req, creds, region, service, now, options);
    out["headers"] = to_json(req.headers);
    out["canonical_request"] = aws::canonical_request(req, service, options);
    return out;
}

}  // namespace

// Exceptions are fine here: this is a test tool, and a malformed line is the script's bug.
int main() {
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        try {
            std::cout << json::serialize(run(json::parse(line).as_object())) << '\n';
        } catch (const std::exception& e) {
            std::cerr << "sigv4_tool: " << e.what() << " in: " << line << '\n';
            return 2;
        }
    }
    return std::cout.good() ? 0 : 1;
}
