#include "agent/log_buffer.h"

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace sockerless::agent {
namespace {

using agentproto::LogsRequest;
using agentproto::Stream;

Chunk chunk_of(std::string_view text, std::size_t capacity = 0) {
    Chunk c = Chunk::allocate(std::max(capacity, text.size()));
    std::memcpy(c.data.get(), text.data(), text.size());
    return c;
}

std::string text_of(const LogEntry& e, std::size_t offset = 0) {
    auto b = e.bytes().subspan(offset);
    return {b.begin(), b.end()};
}

// What a request selects, as "<o|e><time>:<text>" per piece.
std::vector<std::string> selected(const LogBuffer& buffer, const LogsRequest& request) {
    std::vector<std::string> out;
    for (const LogPiece& p : buffer.select(request)) {
        out.push_back(std::string(p.entry->stream == Stream::err ? "e" : "o") +
                      std::to_string(p.entry->time) + ":" + text_of(*p.entry, p.offset));
    }
    return out;
}

LogBuffer sample() {
    LogBuffer b(1 << 20);
    b.append(Stream::out, 1, chunk_of("a1\na2\n"), 6, 10);
    b.append(Stream::err, 1, chunk_of("e1\n"), 3, 20);
    b.append(Stream::out, 1, chunk_of("a3 part"), 7, 30);
    b.append(Stream::err, 1, chunk_of("e2\ne3"), 5, 40);
    b.append(Stream::out, 1, chunk_of(" end\na4\n"), 8, 50);
    return b;
}

TEST(LogBuffer, SelectsEverythingInOrderByDefault) {
    auto b = sample();
    EXPECT_EQ(selected(b, LogsRequest{}),
              (std::vector<std::string>{"o10:a1\na2\n", "e20:e1\n", "o30:a3 part", "e40:e2\ne3",
                                        "o50: end\na4\n"}));
}

TEST(LogBuffer, FiltersStreamsAndInclusiveTimeBounds) {
    auto b = sample();
    EXPECT_EQ(selected(b, LogsRequest{.stdout = false}),
              (std::vector<std::string>{"e20:e1\n", "e40:e2\ne3"}));
    EXPECT_EQ(selected(b, LogsRequest{.stderr = false, .since = 30}),
              (std::vector<std::string>{"o30:a3 part", "o50: end\na4\n"}));
    EXPECT_EQ(selected(b, LogsRequest{.since = 20, .until = 40}),
              (std::vector<std::string>{"e20:e1\n", "o30:a3 part", "e40:e2\ne3"}));
    EXPECT_TRUE(selected(b, LogsRequest{.since = 51}).empty());
}

TEST(LogBuffer, TailCountsLinesPerStreamAcrossEntries) {
    auto b = sample();
    // Lines, newest last: o"a1" o"a2" e"e1" o"a3 part end" e"e2" e"e3"(open) o"a4".
    EXPECT_EQ(selected(b, LogsRequest{.tail = 1}), (std::vector<std::string>{"o50:a4\n"}));
    // "e3" starts inside the entry at 40; the out line "a3 part end" starts at 30.
    EXPECT_EQ(selected(b, LogsRequest{.tail = 2}),
              (std::vector<std::string>{"e40:e3", "o50: end\na4\n"}));
    EXPECT_EQ(selected(b, LogsRequest{.tail = 4}),
              (std::vector<std::string>{"o30:a3 part", "e40:e2\ne3", "o50: end\na4\n"}));
    EXPECT_EQ(selected(b, LogsRequest{.stderr = false, .tail = 2}),
              (std::vector<std::string>{"o30:a3 part", "o50: end\na4\n"}));
    EXPECT_EQ(selected(b, LogsRequest{.stderr = false, .tail = 3}),
              (std::vector<std::string>{"o10:a2\n", "o30:a3 part", "o50: end\na4\n"}));
    EXPECT_EQ(selected(b, LogsRequest{.tail = 100}).size(), 5u);
    EXPECT_TRUE(selected(b, LogsRequest{.tail = 0}).empty());
    EXPECT_EQ(selected(b, LogsRequest{.until = 30, .tail = 1}),
              (std::vector<std::string>{"o30:a3 part"}));
}

TEST(LogBuffer, ANewRunStartsNewLinesAndTimesNeverDecrease) {
    LogBuffer b(1 << 20);
    b.append(Stream::out, 1, chunk_of("unterminated"), 12, 100);
    const LogEntry& second = b.append(Stream::out, 2, chunk_of("run2\n"), 5, 90);
    EXPECT_TRUE(second.starts_line);
    EXPECT_EQ(second.time, 100);  // the clock stepped back: kept in order
    EXPECT_EQ(selected(b, LogsRequest{.tail = 1}), (std::vector<std::string>{"o100:run2\n"}));
}

TEST(LogBuffer, DropsTheOldestEntriesBeyondItsCapacityAndCountsThem) {
    const std::size_t per_entry = 100 + LogBuffer::kEntryOverhead;
    LogBuffer b(3 * per_entry);
    std::string line(99, 'x');
    for (int i = 0; i < 5; ++i)
        b.append(Stream::out, 1, chunk_of(line + std::to_string(i)), 100, i);
    ASSERT_EQ(b.entries().size(), 3u);
    EXPECT_EQ(b.entries().front().time, 2);
    EXPECT_EQ(b.dropped(), 200u);
    EXPECT_EQ(b.charged(), 3 * per_entry);
    // The newest entry stays even when it alone is over the capacity.
    b.append(Stream::err, 1, chunk_of(std::string(4 * per_entry, 'y')), 4 * per_entry, 9);
    ASSERT_EQ(b.entries().size(), 1u);
    EXPECT_EQ(b.entries().front().stream, Stream::err);
}

TEST(LogBuffer, MostlyEmptyBuffersAreStoredAtTheirSize) {
    LogBuffer b(1 << 20);
    const LogEntry& small = b.append(Stream::out, 1, chunk_of("hi\n", 256 << 10), 3, 1);
    EXPECT_EQ(small.chunk.size, 3u);
    EXPECT_EQ(text_of(small), "hi\n");
    const LogEntry& full = b.append(Stream::out, 1, chunk_of(std::string(900, 'z'), 1000), 900, 2);
    EXPECT_EQ(full.chunk.size, 1000u);  // within a quarter of its size: kept as read
    EXPECT_EQ(b.charged(), 3 + 1000 + 2 * LogBuffer::kEntryOverhead);
}

TEST(LogBuffer, ReplayIsTheNewestOfTheCurrentRunWithinItsBytes) {
    LogBuffer b(1 << 20);
    b.append(Stream::out, 1, chunk_of("old-run\n"), 8, 1);
    b.append(Stream::out, 2, chunk_of("aaaa"), 4, 2);
    b.append(Stream::err, 2, chunk_of("bbbb"), 4, 3);
    b.append(Stream::out, 2, chunk_of("cccc"), 4, 4);
    auto texts = [](const std::vector<const LogEntry*>& entries) {
        std::vector<std::string> out;
        out.reserve(entries.size());
        for (const LogEntry* e : entries)
            out.push_back(text_of(*e));
        return out;
    };
    EXPECT_EQ(texts(b.newest_of_run(2, 100)), (std::vector<std::string>{"aaaa", "bbbb", "cccc"}));
    EXPECT_EQ(texts(b.newest_of_run(2, 8)), (std::vector<std::string>{"bbbb", "cccc"}));
    EXPECT_EQ(texts(b.newest_of_run(2, 1)), (std::vector<std::string>{"cccc"}));
    EXPECT_TRUE(b.newest_of_run(3, 100).empty());
}

}  // namespace
}  // namespace sockerless::agent
