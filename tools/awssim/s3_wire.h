#pragma once
// S3's REST-XML wire details as pure functions: where the bucket and key are (path-style or
// virtual-host style), the error document, S3's timestamp formats, ETag conditions and byte
// ranges. The service (s3_service.cpp) builds on these; they are tested without a simulator.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sockerless::awssim {

inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

// What a request addresses.
struct S3Target {
    std::string bucket;  // "" for the service (ListBuckets)
    std::string key;     // "" for the bucket itself
    bool virtual_host = false;
    std::vector<std::pair<std::string, std::string>> query;  // decoded, in order

    [[nodiscard]] bool has_param(std::string_view name) const;
    [[nodiscard]] std::optional<std::string> param(std::string_view name) const;
};

// The bucket named by a Host header in virtual-host style, or nullopt for path style. Recognises
// <bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com, <bucket>.s3.localhost and
// <bucket>.localhost, each with an optional :port.
std::optional<std::string> virtual_host_bucket(std::string_view host);

// Splits a request-target (raw path and query) given the Host header.
S3Target parse_s3_target(std::string_view host, std::string_view target);

// An S3 error: the code, message and HTTP status, and the extra elements S3 adds for it
// (<Key>, <BucketName>, <Condition>...).
struct S3Error {
    int status = 400;
    std::string code;
    std::string message;
    std::vector<std::pair<std::string, std::string>> extra;
};

// <Error><Code/><Message/>extra...<RequestId/><HostId/></Error>
std::string s3_error_document(const S3Error& error, std::string_view request_id,
                              std::string_view host_id);

// S3's request id (16 upper-case hex digits) and extended request id derived from the
// simulator's request id.
std::string s3_request_id(std::string_view request_id);
std::string s3_host_id(std::string_view request_id);

// "2009-10-12T17:50:30.000Z", as S3's XML documents carry timestamps.
std::string iso8601_millis(std::chrono::system_clock::time_point t);
// "Wed, 12 Oct 2009 17:50:30 GMT", as in Last-Modified.
std::string http_date(std::chrono::system_clock::time_point t);
// Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime); nullopt when it is none of them.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s);

// Whether an If-Match / If-None-Match value ("*", or a list of quoted or bare ETags) names
// `etag` (quoted).
bool etag_matches(std::string_view header, std::string_view etag);

// A single byte range resolved against an object of `size` bytes.
struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t length = 0;
};
enum class RangeResult { whole, partial, unsatisfiable };
// "bytes=a-b", "bytes=a-", "bytes=-n". Syntactically invalid or multi-range headers are ignored
// (the whole object is served), as S3 does.
RangeResult parse_range(std::string_view header, std::uint64_t size, ByteRange& out);

// Whether S3 accepts `name` for a new bucket (length, characters, shape, reserved forms).
bool valid_bucket_name(std::string_view name);

}  // namespace sockerless::awssim
