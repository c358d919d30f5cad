#include "http/stdcopy.h"

#include <random>

#include <gtest/gtest.h>

namespace sockerless::http {
namespace {

std::string header_string(StdStream stream, std::uint32_t size) {
    auto h = stdcopy_header(stream, size);
    return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

std::vector<StdcopyDecoder::Frame> drain(StdcopyDecoder& decoder) {
    std::vector<StdcopyDecoder::Frame> frames;
    while (auto frame = decoder.next())
        frames.push_back(std::move(*frame));
    return frames;
}

TEST(Stdcopy, HeaderLayout) {
    EXPECT_EQ(header_string(StdStream::stdout_, 5), std::string("\x01\0\0\0\0\0\0\x05", 8));
    EXPECT_EQ(header_string(StdStream::stderr_, 0x01020304),
              std::string("\x02\0\0\0\x01\x02\x03\x04", 8));
    EXPECT_EQ(header_string(StdStream::stdin_, 0xFFFFFFFF),
              std::string("\0\0\0\0\xFF\xFF\xFF\xFF", 8));
    EXPECT_EQ(header_string(StdStream::systemerr, 256), std::string("\x03\0\0\0\0\0\x01\0", 8));
}

TEST(Stdcopy, AppendFrame) {
    std::string out = "prefix";
    append_frame(out, StdStream::stdout_, "hello");
    EXPECT_EQ(out, "prefix" + header_string(StdStream::stdout_, 5) + "hello");
}

TEST(Stdcopy, EmptyPayloadAppendsNothing) {
    std::string out;
    append_frame(out, StdStream::stderr_, "");
    EXPECT_TRUE(out.empty());
}

TEST(Stdcopy, DecoderReadsZeroLengthFrames) {
    StdcopyDecoder decoder;
    decoder.feed(header_string(StdStream::stdout_, 0) + header_string(StdStream::stderr_, 1) + "x");
    auto frames = drain(decoder);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].stream, StdStream::stdout_);
    EXPECT_EQ(frames[0].payload, "");
    EXPECT_EQ(frames[1].stream, StdStream::stderr_);
    EXPECT_EQ(frames[1].payload, "x");
    EXPECT_EQ(decoder.buffered(), 0u);
    EXPECT_FALSE(decoder.error());
}

TEST(Stdcopy, HeaderFedByteByByte) {
    std::string wire;
    append_frame(wire, StdStream::stderr_, "boom\n");
    append_frame(wire, StdStream::stdout_, "ok");
    StdcopyDecoder decoder;
    std::vector<StdcopyDecoder::Frame> frames;
    for (std::size_t i = 0; i < wire.size(); ++i) {
        decoder.feed(std::string_view(&wire[i], 1));
        auto got = drain(decoder);
        // A frame completes exactly on its last byte, never earlier.
        if (i + 1 == 8 + 5 || i + 1 == wire.size()) {
            ASSERT_EQ(got.size(), 1u) << i;
        } else {
            ASSERT_TRUE(got.empty()) << i;
        }
        for (auto& f : got)
            frames.push_back(std::move(f));
    }
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].payload, "boom\n");
    EXPECT_EQ(frames[1].payload, "ok");
    EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(Stdcopy, SpanFeed) {
    std::string wire;
    append_frame(wire, StdStream::stdout_, "abc");
    std::vector<unsigned char> bytes(wire.begin(), wire.end());
    StdcopyDecoder decoder;
    decoder.feed(std::span<const unsigned char>(bytes));
    auto frame = decoder.next();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->payload, "abc");
}

TEST(Stdcopy, LargeFrame) {
    std::string payload(3 * 1024 * 1024 + 17, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<char>(i * 31);
    std::string wire;
    append_frame(wire, StdStream::stdout_, payload);
    ASSERT_EQ(wire.size(), payload.size() + 8);
    EXPECT_EQ(wire.substr(0, 8),
              header_string(StdStream::stdout_, static_cast<std::uint32_t>(payload.size())));

    StdcopyDecoder decoder;
    constexpr std::size_t kPiece = 64 * 1024 + 3;
    std::vector<StdcopyDecoder::Frame> frames;
    for (std::size_t off = 0; off < wire.size(); off += kPiece) {
        decoder.feed(std::string_view(wire).substr(off, kPiece));
        for (auto& f : drain(decoder))
            frames.push_back(std::move(f));
        // Nothing is kept beyond what the unfinished frame needs.
        EXPECT_LE(decoder.buffered(), wire.size());
    }
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].payload, payload);
}

TEST(Stdcopy, BadStreamByteIsAnError) {
    StdcopyDecoder decoder;
    std::string wire = header_string(StdStream::stdout_, 1) + "a";
    wire += std::string("\x04\0\0\0\0\0\0\x01", 8) + "b";
    decoder.feed(wire);
    auto first = decoder.next();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->payload, "a");
    EXPECT_FALSE(decoder.next());
    EXPECT_TRUE(decoder.error());
    // The error sticks: later valid bytes are not decoded.
    decoder.feed(header_string(StdStream::stdout_, 1) + "c");
    EXPECT_FALSE(decoder.next());
    EXPECT_TRUE(decoder.error());
}

TEST(Stdcopy, PartialHeaderIsNotAnError) {
    StdcopyDecoder decoder;
    decoder.feed(std::string("\x01\0\0", 3));
    EXPECT_FALSE(decoder.next());
    EXPECT_FALSE(decoder.error());
    EXPECT_EQ(decoder.buffered(), 3u);
}

// decode(encode(x)) == x for random frames split at random points (fixed seed: reproducible).
TEST(Stdcopy, RandomRoundTrips) {
    std::mt19937 rng(20240601);
    for (int round = 0; round < 200; ++round) {
        std::vector<StdcopyDecoder::Frame> sent;
        std::string wire;
        const int count = std::uniform_int_distribution<int>(1, 20)(rng);
        for (int i = 0; i < count; ++i) {
            const auto stream =
                static_cast<StdStream>(std::uniform_int_distribution<int>(0, 3)(rng));
            // Mostly small, sometimes past the decoder's compaction threshold.
            const std::size_t size =
                std::uniform_int_distribution<int>(0, 9)(rng) == 0
                    ? std::uniform_int_distribution<std::size_t>(0, 200000)(rng)
                    : std::uniform_int_distribution<std::size_t>(0, 300)(rng);
            std::string payload(size, '\0');
            for (char& c : payload)
                c = static_cast<char>(rng());
            append_frame(wire, stream, payload);
            if (!payload.empty()) sent.push_back({stream, std::move(payload)});
        }
        StdcopyDecoder decoder;
        std::vector<StdcopyDecoder::Frame> got;
        std::size_t off = 0;
        while (off < wire.size()) {
            const std::size_t n = std::min(
                wire.size() - off, std::uniform_int_distribution<std::size_t>(1, 70000)(rng));
            decoder.feed(std::string_view(wire).substr(off, n));
            off += n;
            for (auto& f : drain(decoder))
                got.push_back(std::move(f));
        }
        ASSERT_FALSE(decoder.error());
        ASSERT_EQ(decoder.buffered(), 0u);
        ASSERT_EQ(got.size(), sent.size()) << "round " << round;
        for (std::size_t i = 0; i < sent.size(); ++i) {
            EXPECT_EQ(got[i].stream, sent[i].stream);
            ASSERT_EQ(got[i].payload, sent[i].payload) << "round " << round << " frame " << i;
        }
    }
}

}  // namespace
}  // namespace sockerless::http
