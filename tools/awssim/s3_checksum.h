#pragma once
// The digests S3 checks and returns: Content-MD5 and the ETag (MD5), and the flexible checksums
// (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256), all base64 of the big-endian
// digest bytes, plus the aws-chunked payload encoding that carries a checksum as a trailer.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockerless::awssim {

std::string base64_encode(std::string_view bytes);
// Strict: canonical padding, no whitespace; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

std::string md5_raw(std::string_view data);
std::string md5_hex(std::string_view data);

std::uint32_t crc32(std::string_view data);
std::uint32_t crc32c(std::string_view data);
std::uint64_t crc64nvme(std::string_view data);

// An S3 flexible-checksum algorithm by its header suffix ("crc32", "sha256", ...).
struct ChecksumAlgorithm {
    std::string_view name;    // "CRC32", as x-amz-sdk-checksum-algorithm and listings spell it
    std::string_view header;  // "x-amz-checksum-crc32"
};

// The algorithms the simulator can verify.
const std::vector<ChecksumAlgorithm>& checksum_algorithms();
// base64 of `algorithm`'s digest of data; `algorithm` is one of checksum_algorithms().
std::string checksum_base64(const ChecksumAlgorithm& algorithm, std::string_view data);

// A decoded aws-chunked body: the payload and the trailing headers (names lowercase).
struct AwsChunkedBody {
    std::string payload;
    std::vector<std::pair<std::string, std::string>> trailers;
};
// Decodes "<hex size>[;ext]\r\n<bytes>\r\n ... 0\r\n<trailers>\r\n"; nullopt when malformed.
std::optional<AwsChunkedBody> decode_aws_chunked(std::string_view body);

}  // namespace sockerless::awssim
