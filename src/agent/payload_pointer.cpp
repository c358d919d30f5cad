#include "agent/payload_pointer.h"

#include <array>
#include <charconv>

#include "agentproto/launch.h"
#include "aws/sigv4.h"

namespace sockerless::agent {
namespace {
namespace ap = agentproto;

Error malformed(std::string_view variable, std::string_view why) {
    return make_error(Errc::invalid_argument, std::string(variable) + " " + std::string(why));
}

Result<std::string> read_sha256(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) break;
        out.push_back(c);
    }
    if (out.size() != 64 || text.size() != 64)
        return malformed(ap::kEnvPayloadSha256, "must be 64 hexadecimal digits");
    return out;
}

Result<std::uint64_t> read_length(std::string_view text) {
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size())
        return malformed(ap::kEnvPayloadLength, "must be a decimal number of bytes");
    if (value > ap::kMaxLaunchPayload) {
        return malformed(ap::kEnvPayloadLength, "is " + std::to_string(value) +
                                                    " bytes, over the agent's limit of " +
                                                    std::to_string(ap::kMaxLaunchPayload));
    }
    return value;
}

std::string region_of(const GetEnv& getenv) {
    for (std::string_view name : {ap::kEnvPayloadRegion, std::string_view("AWS_REGION"),
                                  std::string_view("AWS_DEFAULT_REGION")}) {
        if (auto value = getenv(name)) return *value;
    }
    return "us-east-1";
}

Result<ObjectRequest> with_path(Url url, std::string raw_path) {
    url.target = aws::uri_encode(raw_path, /*keep_slash=*/true);
    return ObjectRequest{std::move(url), std::move(raw_path)};
}

}  // namespace

Result<S3Object> parse_s3_uri(std::string_view uri) {
    constexpr std::string_view kScheme = "s3://";
    if (!uri.starts_with(kScheme))
        return malformed(ap::kEnvPayloadUri, "\"" + std::string(uri) + "\" is not s3://BUCKET/KEY");
    std::string_view rest = uri.substr(kScheme.size());
    const std::size_t slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos || slash + 1 == rest.size())
        return malformed(ap::kEnvPayloadUri,
                         "\"" + std::string(uri) + "\" must name a bucket and a key");
    return S3Object{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

Result<std::optional<PayloadPointer>> read_payload_pointer(const GetEnv& getenv) {
    auto uri = getenv(ap::kEnvPayloadUri);
    if (!uri) {
        for (std::string_view other : {ap::kEnvPayloadSha256, ap::kEnvPayloadLength,
                                       ap::kEnvPayloadEndpoint, ap::kEnvPayloadRegion}) {
            if (getenv(other))
                return malformed(ap::kEnvPayloadUri,
                                 "is not set, but " + std::string(other) + " is");
        }
        return std::optional<PayloadPointer>{};
    }
    PayloadPointer pointer;
    pointer.uri = *uri;
    auto object = parse_s3_uri(*uri);
    if (!object) return object.error();
    pointer.object = std::move(*object);

    auto sha = getenv(ap::kEnvPayloadSha256);
    if (!sha) return malformed(ap::kEnvPayloadSha256, "is not set");
    auto digest = read_sha256(*sha);
    if (!digest) return digest.error();
    pointer.sha256 = std::move(*digest);

    auto length_text = getenv(ap::kEnvPayloadLength);
    if (!length_text) return malformed(ap::kEnvPayloadLength, "is not set");
    auto length = read_length(*length_text);
    if (!length) return length.error();
    pointer.length = *length;

    if (auto endpoint = getenv(ap::kEnvPayloadEndpoint)) {
        auto url = parse_url(*endpoint);
        if (!url) return malformed(ap::kEnvPayloadEndpoint, url.error().message);
        if (url->target.find('?') != std::string::npos)
            return malformed(ap::kEnvPayloadEndpoint, "must not have a query");
        pointer.endpoint = *endpoint;
    }
    pointer.region = region_of(getenv);
    return std::optional<PayloadPointer>{std::move(pointer)};
}

Result<ObjectRequest> object_request(const PayloadPointer& pointer) {
    const S3Object& object = pointer.object;
    if (!pointer.endpoint.empty()) {
        auto url = parse_url(pointer.endpoint);
        if (!url) return url.error();
        std::string base = url->target;
        while (base.ends_with('/'))
            base.pop_back();
        return with_path(std::move(*url), base + "/" + object.bucket + "/" + object.key);
    }
    const std::string suffix =
        pointer.region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
    Url url;
    url.scheme = "https";
    url.port = 443;
    if (object.bucket.find('.') != std::string::npos) {
        url.host = "s3." + pointer.region + suffix;
        return with_path(std::move(url), "/" + object.bucket + "/" + object.key);
    }
    url.host = object.bucket + ".s3." + pointer.region + suffix;
    return with_path(std::move(url), "/" + object.key);
}

}  // namespace sockerless::agent
