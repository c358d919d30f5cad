#include "engine/container_log.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace sockerless::engine {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t k16KiB = std::size_t{16} * 1024;

class ContainerLog : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "container-log-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        path_ = (dir_ / "container.log").string();
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    LogWriter writer() {
        auto w = LogWriter::open(path_);
        EXPECT_TRUE(w.has_value()) << w.error().message;
        return std::move(*w);
    }

    LogChunk read(const LogQuery& query = {}, std::uint64_t offset = 0) {
        auto chunk = read_log(path_, offset, query);
        EXPECT_TRUE(chunk.has_value()) << chunk.error().message;
        return chunk.has_value() ? std::move(*chunk) : LogChunk{};
    }

    // Each record as "<o|e><time>:<line>".
    std::vector<std::string> records(const LogQuery& query = {}, std::uint64_t offset = 0) {
        std::vector<std::string> out;
        for (const LogRecord& r : read(query, offset).records)
            out.push_back((r.stream == 2 ? "e" : "o") + std::to_string(r.time) + ":" + r.line);
        return out;
    }

    std::string file_bytes() const {
        std::ifstream in(path_, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

    void append_raw(std::string_view bytes) const {
        std::ofstream out(path_, std::ios::binary | std::ios::app);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }

    // Five records: o10 a1, e20 e1, o30 a2, e40 e2, o50 a3.
    void write_sample() {
        LogWriter w = writer();
        ASSERT_TRUE(w.write(1, "a1\n", 10));
        ASSERT_TRUE(w.write(2, "e1\n", 20));
        ASSERT_TRUE(w.write(1, "a2\n", 30));
        ASSERT_TRUE(w.write(2, "e2\n", 40));
        ASSERT_TRUE(w.write(1, "a3\n", 50));
    }

    fs::path dir_;
    std::string path_;
};

using Lines = std::vector<std::string>;

// The documented layout: 8-byte LE time, stream byte, 4-byte LE length, the line.
TEST_F(ContainerLog, RecordLayoutOnDisk) {
    LogWriter w = writer();
    ASSERT_TRUE(w.write(2, "hi\n", 0x0102030405060708));
    const std::string expected(
        "\x08\x07\x06\x05\x04\x03\x02\x01"
        "\x02"
        "\x03\x00\x00\x00"
        "hi\n",
        16);
    EXPECT_EQ(file_bytes(), expected);
}

TEST_F(ContainerLog, MissingFileReadsAsEmpty) {
    const LogChunk chunk = read({}, 7);
    EXPECT_TRUE(chunk.records.empty());
    EXPECT_EQ(chunk.next_offset, 7u);
}

TEST_F(ContainerLog, OpenFailsInAMissingDirectory) {
    auto w = LogWriter::open((dir_ / "no-such-dir" / "container.log").string());
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error().code, Errc::not_found);
}

TEST_F(ContainerLog, OneRecordPerLine) {
    LogWriter w = writer();
    ASSERT_TRUE(w.write(1, "a\nbb\n\nccc\n", 5));
    EXPECT_EQ(records(), (Lines{"o5:a\n", "o5:bb\n", "o5:\n", "o5:ccc\n"}));
}

TEST_F(ContainerLog, PartialLinesWaitForTheirNewline) {
    LogWriter w = writer();
    ASSERT_TRUE(w.write(1, "hel", 1));
    EXPECT_EQ(records(), Lines{});
    ASSERT_TRUE(w.write(1, "lo\nwor", 2));
    EXPECT_EQ(records(), Lines{"o2:hello\n"});  // the time the line was completed
    ASSERT_TRUE(w.write(1, "ld", 3));
    ASSERT_TRUE(w.flush(4));
    EXPECT_EQ(records(), (Lines{"o2:hello\n", "o4:world"}));
    // Nothing is held any more: another flush writes nothing.
    ASSERT_TRUE(w.flush(5));
    EXPECT_EQ(records(), (Lines{"o2:hello\n", "o4:world"}));
}

TEST_F(ContainerLog, StreamsAreSplitSeparately) {
    LogWriter w = writer();
    ASSERT_TRUE(w.write(1, "out-", 1));
    ASSERT_TRUE(w.write(2, "err-", 2));
    ASSERT_TRUE(w.write(2, "line\n", 3));
    ASSERT_TRUE(w.write(1, "line\nrest", 4));
    ASSERT_TRUE(w.write(2, "tail", 5));
    ASSERT_TRUE(w.flush(6));
    EXPECT_EQ(records(), (Lines{"e3:err-line\n", "o4:out-line\n", "o6:rest", "e6:tail"}));
}

TEST_F(ContainerLog, UnknownStreamsAreStdout) {
    LogWriter w = writer();
    ASSERT_TRUE(w.write(0, "zero\n", 1));
    ASSERT_TRUE(w.write(7, "seven\n", 2));
    EXPECT_EQ(records(), (Lines{"o1:zero\n", "o2:seven\n"}));
    EXPECT_EQ(read().records.at(0).stream, 1);
}

TEST_F(ContainerLog, ALineWithoutNewlineIsWrittenIn16KiBPieces) {
    LogWriter w = writer();
    ASSERT_TRUE(w.write(1, std::string(40'000, 'x'), 1));
    LogChunk chunk = read();
    ASSERT_EQ(chunk.records.size(), 2u);
    EXPECT_EQ(chunk.records[0].line, std::string(k16KiB, 'x'));
    EXPECT_EQ(chunk.records[1].line, std::string(k16KiB, 'x'));
    ASSERT_TRUE(w.flush(2));
    chunk = read();
    ASSERT_EQ(chunk.records.size(), 3u);
    EXPECT_EQ(chunk.records[2].line, std::string(40'000 - 2 * k16KiB, 'x'));
    EXPECT_EQ(chunk.records[2].time, 2);
}

TEST_F(ContainerLog, ALongLineEndsWithItsNewline) {
    LogWriter w = writer();
    ASSERT_TRUE(w.write(1, std::string(20'000, 'y') + "\n", 1));
    const LogChunk chunk = read();
    ASSERT_EQ(chunk.records.size(), 2u);
    EXPECT_EQ(chunk.records[0].line, std::string(k16KiB, 'y'));
    EXPECT_EQ(chunk.records[1].line, std::string(20'000 - k16KiB, 'y') + "\n");
}

TEST_F(ContainerLog, ALongLineAcrossWritesIsSplitTheSameWay) {
    LogWriter w = writer();
    ASSERT_TRUE(w.write(2, std::string(10'000, 'a'), 1));
    ASSERT_TRUE(w.write(2, std::string(10'000, 'a'), 2));
    ASSERT_TRUE(w.write(2, "a\nnext\n", 3));
    const LogChunk chunk = read();
    ASSERT_EQ(chunk.records.size(), 3u);
    EXPECT_EQ(chunk.records[0].line, std::string(k16KiB, 'a'));
    EXPECT_EQ(chunk.records[0].time, 2);
    EXPECT_EQ(chunk.records[1].line, std::string(20'001 - k16KiB, 'a') + "\n");
    EXPECT_EQ(chunk.records[2].line, "next\n");
    EXPECT_EQ(chunk.records[2].stream, 2);
}

// Docker's 16 KiB buffer fills before the newline arrives: the newline is a record of its own.
TEST_F(ContainerLog, ALineOfExactly16KiB) {
    LogWriter w = writer();
    ASSERT_TRUE(w.write(1, std::string(k16KiB - 1, 'z') + "\n", 1));
    ASSERT_TRUE(w.write(1, std::string(k16KiB, 'z') + "\n", 2));
    const LogChunk chunk = read();
    ASSERT_EQ(chunk.records.size(), 3u);
    EXPECT_EQ(chunk.records[0].line, std::string(k16KiB - 1, 'z') + "\n");
    EXPECT_EQ(chunk.records[1].line, std::string(k16KiB, 'z'));
    EXPECT_EQ(chunk.records[2].line, "\n");
}

TEST_F(ContainerLog, SelectsStreams) {
    write_sample();
    EXPECT_EQ(records(), (Lines{"o10:a1\n", "e20:e1\n", "o30:a2\n", "e40:e2\n", "o50:a3\n"}));
    EXPECT_EQ(records({.stdout = false}), (Lines{"e20:e1\n", "e40:e2\n"}));
    EXPECT_EQ(records({.stderr = false}), (Lines{"o10:a1\n", "o30:a2\n", "o50:a3\n"}));
    EXPECT_EQ(records({.stdout = false, .stderr = false}), Lines{});
}

// As Docker's json-file reader: since and until are both inclusive.
TEST_F(ContainerLog, SinceAndUntilAreInclusive) {
    write_sample();
    EXPECT_EQ(records({.since = 30}), (Lines{"o30:a2\n", "e40:e2\n", "o50:a3\n"}));
    EXPECT_EQ(records({.since = 31}), (Lines{"e40:e2\n", "o50:a3\n"}));
    EXPECT_EQ(records({.until = 30}), (Lines{"o10:a1\n", "e20:e1\n", "o30:a2\n"}));
    EXPECT_EQ(records({.until = 29}), (Lines{"o10:a1\n", "e20:e1\n"}));
    EXPECT_EQ(records({.since = 20, .until = 40}), (Lines{"e20:e1\n", "o30:a2\n", "e40:e2\n"}));
    EXPECT_EQ(records({.since = 60}), Lines{});
    EXPECT_EQ(records({.stderr = false, .since = 20, .until = 40}), Lines{"o30:a2\n"});
}

TEST_F(ContainerLog, TailKeepsTheLastSelectedRecords) {
    write_sample();
    EXPECT_EQ(records({.tail = 2}), (Lines{"e40:e2\n", "o50:a3\n"}));
    EXPECT_EQ(records({.tail = 0}), Lines{});
    EXPECT_EQ(records({.tail = 99}).size(), 5u);
    EXPECT_EQ(records({.tail = -1}).size(), 5u);  // Docker's "all"
    EXPECT_EQ(records({.stdout = false, .tail = 1}), Lines{"e40:e2\n"});
    EXPECT_EQ(records({.until = 30, .tail = 2}), (Lines{"e20:e1\n", "o30:a2\n"}));
    EXPECT_EQ(records({.since = 40, .tail = 3}), (Lines{"e40:e2\n", "o50:a3\n"}));
}

TEST_F(ContainerLog, FollowersReadOnFromNextOffset) {
    LogWriter w = writer();
    ASSERT_TRUE(w.write(1, "one\n", 1));
    LogChunk first = read();
    EXPECT_EQ(first.records.size(), 1u);
    EXPECT_EQ(first.next_offset, 13u + 4u);
    EXPECT_EQ(first.next_offset, file_bytes().size());

    LogChunk nothing_new = read({}, first.next_offset);
    EXPECT_TRUE(nothing_new.records.empty());
    EXPECT_EQ(nothing_new.next_offset, first.next_offset);

    ASSERT_TRUE(w.write(2, "two\nthree\n", 2));
    EXPECT_EQ(records({}, first.next_offset), (Lines{"e2:two\n", "e2:three\n"}));
    // Records left out by the query still advance the offset.
    LogChunk filtered = read({.stderr = false}, first.next_offset);
    EXPECT_TRUE(filtered.records.empty());
    EXPECT_EQ(filtered.next_offset, file_bytes().size());
}

TEST_F(ContainerLog, AnOffsetPastTheEndReadsNothing) {
    write_sample();
    const LogChunk chunk = read({}, 10'000);
    EXPECT_TRUE(chunk.records.empty());
    EXPECT_EQ(chunk.next_offset, 10'000u);
}

TEST_F(ContainerLog, ARecordCutShortIsIgnoredUntilComplete) {
    {
        LogWriter w = writer();
        ASSERT_TRUE(w.write(1, "whole\n", 1));
    }
    const std::uint64_t whole = file_bytes().size();
    // A record for "cut\n" whose header is written but only two bytes of its line.
    const std::string header(
        "\x02\x00\x00\x00\x00\x00\x00\x00"
        "\x01"
        "\x04\x00\x00\x00",
        13);
    append_raw(header);
    append_raw("cu");
    LogChunk chunk = read();
    EXPECT_EQ(chunk.records.size(), 1u);
    EXPECT_EQ(chunk.next_offset, whole);  // a follower reads the cut record again

    append_raw("t\n");
    EXPECT_EQ(records({}, chunk.next_offset), Lines{"o2:cut\n"});
}

TEST_F(ContainerLog, AHeaderCutShortIsIgnored) {
    {
        LogWriter w = writer();
        ASSERT_TRUE(w.write(1, "whole\n", 1));
    }
    const std::uint64_t whole = file_bytes().size();
    append_raw(std::string("\x05\x00\x00\x00\x00", 5));
    const LogChunk chunk = read();
    EXPECT_EQ(records(), Lines{"o1:whole\n"});
    EXPECT_EQ(chunk.next_offset, whole);
}

TEST_F(ContainerLog, AReopenedWriterAppends) {
    {
        LogWriter w = writer();
        ASSERT_TRUE(w.write(1, "first run\n", 1));
    }
    LogWriter w = writer();
    ASSERT_TRUE(w.write(1, "second run\n", 2));
    EXPECT_EQ(records(), (Lines{"o1:first run\n", "o2:second run\n"}));
}

}  // namespace
}  // namespace sockerless::engine
