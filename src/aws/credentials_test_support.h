#pragma once
// Test doubles for the credential chain, shared by credentials_test.cpp and
// metadata_credentials_test.cpp: the process's world as plain maps, a fetcher that answers by
// route and records every request, and the endpoint answers as AWS documents them.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aws/credentials.h"

namespace sockerless::aws::test_support {

constexpr SystemClock::time_point at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    namespace c = std::chrono;
    return c::sys_days{c::year{y} / c::month{mo} / c::day{d}} + c::hours{h} + c::minutes{mi} +
           c::seconds{s};
}

inline constexpr SystemClock::time_point kNow = at(2024, 5, 1, 12, 0, 0);

// The process's world, as plain maps.
struct FakeWorld {
    std::map<std::string, std::string, std::less<>> vars{{"HOME", "/home/dev"}};
    std::map<std::string, std::string> files;
    SystemClock::time_point now = kNow;

    Environment env() {
        return Environment{
            .getenv = [this](std::string_view name) -> std::optional<std::string> {
                auto it = vars.find(name);
                if (it == vars.end()) return std::nullopt;
                return it->second;
            },
            .read_file = [this](const std::string& path) -> std::optional<std::string> {
                auto it = files.find(path);
                if (it == files.end()) return std::nullopt;
                return it->second;
            },
            .now = [this] { return now; },
        };
    }
};

// Answers by (method, url) and records every request. Unknown routes are refused, as a host
// with nothing listening would.
class FakeFetcher final : public CredentialFetcher {
public:
    std::vector<FetchRequest> calls;
    std::map<std::pair<std::string, std::string>, Result<FetchResponse>> routes;

    void answer(std::string method, std::string url, int status, std::string body) {
        routes.insert_or_assign({std::move(method), std::move(url)},
                                FetchResponse{status, std::move(body)});
    }
    void fail(std::string method, std::string url, Errc code, std::string message) {
        routes.insert_or_assign({std::move(method), std::move(url)},
                                make_error(code, std::move(message)));
    }

    Result<FetchResponse> fetch(const FetchRequest& request) override {
        calls.push_back(request);
        auto it = routes.find({request.method, request.url});
        if (it == routes.end()) {
            return make_error(Errc::unavailable, "connect " + request.url + ": Connection refused");
        }
        return it->second;
    }
};

inline std::string header(const FetchRequest& req, std::string_view name) {
    for (const auto& [n, v] : req.headers) {
        if (n == name) return v;
    }
    return "<missing>";
}

inline bool has_header(const FetchRequest& req, std::string_view name) {
    return header(req, name) != "<missing>";
}

// The ECS agent's answer at /v2/credentials/<id>.
inline constexpr std::string_view kContainerAnswer = R"({
    "RoleArn": "arn:aws:iam::123456789012:role/sockerless-task",
    "AccessKeyId": "ASIAIOSFODNN7CONTAIN",
    "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCONTAINER",
    "Token": "IQoJb3JpZ2luX2VjECAaCXVzLWVhc3QtMSJGMEQCIBcontainer==",
    "Expiration": "2024-05-01T18:00:00Z"
})";

// IMDS's answer at /latest/meta-data/iam/security-credentials/<role>.
inline constexpr std::string_view kImdsAnswer = R"({
  "Code" : "Success",
  "LastUpdated" : "2024-05-01T11:47:12Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : "ASIAIOSFODNN7INSTANC",
  "SecretAccessKey" : "wJalrXUtnFEMI/K7MDENG/bPxRfiCYINSTANCE",
  "Token" : "IQoJb3JpZ2luX2VjEInstance==",
  "Expiration" : "2024-05-01T17:59:33Z"
})";

inline constexpr std::string_view kImdsToken =
    "AQAEAFTNrA4eEGx0AQgJ1arIq_Cc-t4tWt3fB0Hd8RKhXlKc5ccvhg==";
inline constexpr std::string_view kImdsBase = "http://169.254.169.254";
inline constexpr std::string_view kRolesUrl =
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/";

// Serves the IMDSv2 flow for role "sockerless-host-role" at `base`.
inline void serve_imds(FakeFetcher& f, const std::string& base = std::string(kImdsBase)) {
    const std::string roles = base + "/latest/meta-data/iam/security-credentials/";
    f.answer("PUT", base + "/latest/api/token", 200, std::string(kImdsToken));
    f.answer("GET", roles, 200, "sockerless-host-role");
    f.answer("GET", roles + "sockerless-host-role", 200, std::string(kImdsAnswer));
}

}  // namespace sockerless::aws::test_support
