#include "s3_checksum.h"

#include <array>
#include <cctype>

#include <openssl/evp.h>

#include "base/hex.h"

namespace sockerless::awssim {
namespace {

// Reflected CRC tables, one per polynomial, built once.
template <class T, T kPolynomial>
const std::array<T, 256>& crc_table() {
    static const std::array<T, 256> table = [] {
        std::array<T, 256> t{};
        for (std::size_t i = 0; i < 256; ++i) {
            T c = static_cast<T>(i);
            for (int bit = 0; bit < 8; ++bit)
                c = (c & 1) ? static_cast<T>((c >> 1) ^ kPolynomial) : static_cast<T>(c >> 1);
            t[i] = c;
        }
        return t;
    }();
    return table;
}

template <class T, T kPolynomial>
T reflected_crc(std::string_view data) {
    const auto& table = crc_table<T, kPolynomial>();
    T c = static_cast<T>(~T{0});
    for (unsigned char byte : data)
        c = static_cast<T>(table[(c ^ byte) & 0xff] ^ (c >> 8));
    return static_cast<T>(~c);
}

template <class T>
std::string big_endian(T value) {
    std::string out(sizeof(T), '\0');
    for (std::size_t i = 0; i < sizeof(T); ++i)
        out[sizeof(T) - 1 - i] = static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
}

std::string evp_digest(const EVP_MD* md, std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr);
    return std::string(reinterpret_cast<const char*>(digest), len);
}

std::optional<std::size_t> parse_hex_size(std::string_view s) {
    if (s.empty() || s.size() > 15) return std::nullopt;
    std::size_t n = 0;
    for (char c : s) {
        int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                            : -1;
        if (d < 0) return std::nullopt;
        n = n * 16 + static_cast<std::size_t>(d);
    }
    return n;
}

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

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=')
        ++pad;
    for (char c : text.substr(0, text.size() - pad)) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/')
            return std::nullopt;
    }
    std::string out(3 * text.size() / 4, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    // EVP_DecodeBlock counts the padding as zero bytes.
    if (n < 0 || static_cast<std::size_t>(n) < pad) return std::nullopt;
    out.resize(static_cast<std::size_t>(n) - pad);
    return out;
}

std::string md5_raw(std::string_view data) {
    return evp_digest(EVP_md5(), data);
}

std::string md5_hex(std::string_view data) {
    std::string raw = md5_raw(data);
    return hex_encode(std::span(reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
}

std::uint32_t crc32(std::string_view data) {
    return reflected_crc<std::uint32_t, 0xEDB88320u>(data);
}

std::uint32_t crc32c(std::string_view data) {
    return reflected_crc<std::uint32_t, 0x82F63B78u>(data);
}

std::uint64_t crc64nvme(std::string_view data) {
    return reflected_crc<std::uint64_t, 0x9A6C9329AC4BC9B5ull>(data);
}

const std::vector<ChecksumAlgorithm>& checksum_algorithms() {
    static const std::vector<ChecksumAlgorithm> algorithms = {
        {"CRC32", "x-amz-checksum-crc32"},         {"CRC32C", "x-amz-checksum-crc32c"},
        {"CRC64NVME", "x-amz-checksum-crc64nvme"}, {"SHA1", "x-amz-checksum-sha1"},
        {"SHA256", "x-amz-checksum-sha256"},
    };
    return algorithms;
}

std::string checksum_base64(const ChecksumAlgorithm& algorithm, std::string_view data) {
    if (algorithm.name == "CRC32") return base64_encode(big_endian(crc32(data)));
    if (algorithm.name == "CRC32C") return base64_encode(big_endian(crc32c(data)));
    if (algorithm.name == "CRC64NVME") return base64_encode(big_endian(crc64nvme(data)));
    if (algorithm.name == "SHA1") return base64_encode(evp_digest(EVP_sha1(), data));
    return base64_encode(evp_digest(EVP_sha256(), data));
}

std::optional<AwsChunkedBody> decode_aws_chunked(std::string_view body) {
    AwsChunkedBody out;
    while (true) {
        std::size_t eol = body.find("\r\n");
        if (eol == std::string_view::npos) return std::nullopt;
        std::string_view header = body.substr(0, eol);
        auto size = parse_hex_size(header.substr(0, header.find(';')));
        if (!size) return std::nullopt;
        body.remove_prefix(eol + 2);
        if (*size == 0) break;
        if (body.size() < *size + 2 || body.substr(*size, 2) != "\r\n") return std::nullopt;
        out.payload.append(body.substr(0, *size));
        body.remove_prefix(*size + 2);
    }
    while (true) {
        std::size_t eol = body.find("\r\n");
        if (eol == std::string_view::npos) return std::nullopt;
        std::string_view line = body.substr(0, eol);
        body.remove_prefix(eol + 2);
        if (line.empty()) break;
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        out.trailers.emplace_back(lower(trim(line.substr(0, colon))),
                                  std::string(trim(line.substr(colon + 1))));
    }
    if (!body.empty()) return std::nullopt;
    return out;
}

}  // namespace sockerless::awssim
