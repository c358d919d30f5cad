#include "logs_state.h"

#include <gtest/gtest.h>

#include "awslogs_writer.h"

namespace sockerless::awssim {
namespace {

constexpr std::int64_t kNow = 1700000000000;
constexpr std::int64_t kHour = std::int64_t{3600} * 1000;

std::vector<std::string> messages(const GetEventsPage& page) {
    std::vector<std::string> out;
    for (const auto* e : page.events)
        out.push_back(e->message);
    return out;
}

class LogsStateTest : public ::testing::Test {
protected:
    void SetUp() override {
        group_ = *logs_.create_group("g", kNow);
        stream_ = *LogsState::create_stream(*group_, "s", kNow);
        std::vector<InputLogEvent> events;
        events.reserve(7);
        for (int i = 0; i < 7; ++i)
            events.push_back(InputLogEvent{kNow + i, "e" + std::to_string(i)});
        logs_.append(*stream_, events, kNow);
    }

    GetEventsPage page(const GetEventsQuery& query) {
        auto out = get_events(*stream_, query);
        EXPECT_TRUE(out) << (out ? "" : out.error().message);
        return out ? *out : GetEventsPage{};
    }

    LogsState logs_{"us-east-1"};
    LogGroup* group_ = nullptr;
    LogStream* stream_ = nullptr;
};

TEST_F(LogsStateTest, ForwardPagingFromHeadEndsWithTheSameToken) {
    auto first = page({.limit = 3, .start_from_head = true});
    EXPECT_EQ(messages(first), (std::vector<std::string>{"e0", "e1", "e2"}));
    EXPECT_TRUE(first.forward_token.starts_with("f/"));
    EXPECT_TRUE(first.backward_token.starts_with("b/"));
    EXPECT_EQ(first.forward_token.size(), 2u + 56 + 2);
    auto second = page({.token = first.forward_token, .limit = 3});
    EXPECT_EQ(messages(second), (std::vector<std::string>{"e3", "e4", "e5"}));
    auto third = page({.token = second.forward_token, .limit = 3});
    EXPECT_EQ(messages(third), (std::vector<std::string>{"e6"}));
    auto end = page({.token = third.forward_token, .limit = 3});
    EXPECT_TRUE(end.events.empty());
    EXPECT_EQ(end.forward_token, third.forward_token);
    // New events appear after the end token.
    logs_.append(*stream_, {InputLogEvent{kNow + 10, "late"}}, kNow);
    EXPECT_EQ(messages(page({.token = end.forward_token})), std::vector<std::string>{"late"});
}

TEST_F(LogsStateTest, WithoutTokenTheNewestEventsComeBackAndBackwardTokensGoOlder) {
    auto tail = page({.limit = 3});
    EXPECT_EQ(messages(tail), (std::vector<std::string>{"e4", "e5", "e6"}));
    auto older = page({.token = tail.backward_token, .limit = 3});
    EXPECT_EQ(messages(older), (std::vector<std::string>{"e1", "e2", "e3"}));
    auto oldest = page({.token = older.backward_token, .limit = 3});
    EXPECT_EQ(messages(oldest), (std::vector<std::string>{"e0"}));
    auto none = page({.token = oldest.backward_token, .limit = 3});
    EXPECT_TRUE(none.events.empty());
    EXPECT_EQ(none.backward_token, oldest.backward_token);
    // Forward again from a backward page picks up right after it.
    EXPECT_EQ(messages(page({.token = oldest.forward_token, .limit = 2})),
              (std::vector<std::string>{"e1", "e2"}));
}

TEST_F(LogsStateTest, TimeWindowIsStartInclusiveEndExclusive) {
    auto out = page({.start_time = kNow + 2, .end_time = kNow + 5, .start_from_head = true});
    EXPECT_EQ(messages(out), (std::vector<std::string>{"e2", "e3", "e4"}));
}

TEST_F(LogsStateTest, RejectsForeignTokens) {
    for (const char* bad :
         {"", "f/123", "x/00000000000000000000000000000000000000000000000000000000",
          "f/0000000000000000000000000000000000000000000000000000000a"}) {
        EXPECT_FALSE(get_events(*stream_, {.token = std::string(bad)})) << bad;
    }
}

TEST_F(LogsStateTest, OutOfOrderBatchesAreStoredInTimestampOrder) {
    logs_.append(*stream_, {InputLogEvent{kNow + 3, "between"}}, kNow);
    auto all = page({.start_from_head = true});
    EXPECT_EQ(messages(all),
              (std::vector<std::string>{"e0", "e1", "e2", "e3", "between", "e4", "e5", "e6"}));
}

TEST(LogsBatchTest, WholeBatchRefusals) {
    std::string big(kMaxEventBytes - kEventOverheadBytes + 1, 'x');
    auto too_big = check_batch({{kNow, big}}, kNow, std::nullopt);
    ASSERT_FALSE(too_big);
    EXPECT_EQ(too_big.error().message, "Log event too large: 262145 bytes exceeds limit of 262144");
    big.pop_back();
    EXPECT_TRUE(check_batch({{kNow, big}}, kNow, std::nullopt));

    std::vector<InputLogEvent> batch(5, InputLogEvent{kNow, std::string(209690, 'y')});
    auto upload = check_batch(batch, kNow, std::nullopt);
    ASSERT_FALSE(upload);
    EXPECT_EQ(upload.error().message, "Upload too large: 1048580 bytes exceeds limit of 1048576");

    auto order = check_batch({{kNow, "b"}, {kNow - 1, "a"}}, kNow, std::nullopt);
    ASSERT_FALSE(order);
    EXPECT_EQ(order.error().message,
              "Log events in a single PutLogEvents request must be in chronological order.");
    auto span = check_batch({{kNow - 25 * kHour, "a"}, {kNow, "b"}}, kNow, std::nullopt);
    ASSERT_FALSE(span);
    EXPECT_EQ(span.error().code, "InvalidParameterException");
    std::vector<InputLogEvent> many(kMaxBatchEvents + 1, InputLogEvent{kNow, "m"});
    EXPECT_FALSE(check_batch(many, kNow, std::nullopt));
    many.pop_back();
    EXPECT_TRUE(check_batch(many, kNow, std::nullopt));
}

TEST(LogsBatchTest, TooOldTooNewAndExpiredEventsAreRejectedOneByOne) {
    std::int64_t day = 24 * kHour;
    std::vector<InputLogEvent> old_ones{{kNow - 14 * day - 2 * kHour, "old"},
                                        {kNow - 14 * day - kHour, "old"},
                                        {kNow - 14 * day + kHour, "ok"}};
    auto verdict = check_batch(old_ones, kNow, std::nullopt);
    ASSERT_TRUE(verdict);
    EXPECT_EQ(verdict->too_old_end, 1u);
    EXPECT_EQ(verdict->accepted, std::vector<std::size_t>{2});

    std::vector<InputLogEvent> new_ones{{kNow, "ok"}, {kNow + 3 * kHour, "new"}};
    verdict = check_batch(new_ones, kNow, std::nullopt);
    ASSERT_TRUE(verdict);
    EXPECT_EQ(verdict->too_new_start, 1u);
    EXPECT_EQ(verdict->accepted, std::vector<std::size_t>{0});

    std::vector<InputLogEvent> expired{{kNow - day - kHour, "expired"}, {kNow - 2 * kHour, "ok"}};
    verdict = check_batch(expired, kNow, 1);
    ASSERT_TRUE(verdict);
    EXPECT_EQ(verdict->expired_end, 0u);
    EXPECT_EQ(verdict->accepted, std::vector<std::size_t>{1});
}

TEST(LogsNamesTest, ValidationAndRetention) {
    EXPECT_TRUE(valid_log_group_name("/ecs/app_1-x#y.z"));
    EXPECT_FALSE(valid_log_group_name("bad name"));
    EXPECT_FALSE(valid_log_group_name(""));
    EXPECT_FALSE(valid_log_group_name(std::string(513, 'a')));
    EXPECT_TRUE(valid_log_stream_name("prefix/app/123"));
    EXPECT_FALSE(valid_log_stream_name("a:b"));
    EXPECT_FALSE(valid_log_stream_name("a*"));
    EXPECT_TRUE(valid_retention_days(1));
    EXPECT_TRUE(valid_retention_days(3653));
    EXPECT_FALSE(valid_retention_days(2));
    EXPECT_FALSE(valid_retention_days(0));
}

TEST(FilterPatternTest, TermsPhrasesExclusionsAndAlternatives) {
    auto p = parse_filter_pattern(R"(ERROR "disk full" -ignored)");
    ASSERT_TRUE(p);
    EXPECT_TRUE(matches(*p, "ERROR: disk full on /dev/sda"));
    EXPECT_FALSE(matches(*p, "ERROR: disk is full"));
    EXPECT_FALSE(matches(*p, "ERROR: disk full (ignored)"));
    EXPECT_FALSE(matches(*p, "error: disk full"));
    auto any = parse_filter_pattern("?WARN ?ERROR");
    ASSERT_TRUE(any);
    EXPECT_TRUE(matches(*any, "a WARN b"));
    EXPECT_TRUE(matches(*any, "an ERROR"));
    EXPECT_FALSE(matches(*any, "INFO"));
    auto all = parse_filter_pattern("");
    ASSERT_TRUE(all);
    EXPECT_TRUE(matches(*all, "anything"));
    EXPECT_FALSE(parse_filter_pattern(R"({ $.level = "error" })"));
    EXPECT_FALSE(parse_filter_pattern(R"("unterminated)"));
}

TEST(FilterEventsTest, InterleavesStreamsAndPages) {
    LogsState logs{"us-east-1"};
    LogGroup* group = *logs.create_group("g", kNow);
    LogStream* a = *LogsState::create_stream(*group, "app/a", kNow);
    LogStream* b = *LogsState::create_stream(*group, "app/b", kNow);
    LogStream* other = *LogsState::create_stream(*group, "other", kNow);
    logs.append(*a, {{kNow + 1, "a1 hit"}, {kNow + 4, "a4 hit"}}, kNow);
    logs.append(*b, {{kNow + 2, "b2 hit"}, {kNow + 3, "b3 miss"}}, kNow);
    logs.append(*other, {{kNow + 2, "o2 hit"}}, kNow);
    FilterQuery query;
    query.stream_prefix = "app/";
    query.pattern = *parse_filter_pattern("hit");
    query.limit = 2;
    auto first = filter_events(*group, query);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->events.size(), 2u);
    EXPECT_EQ(first->events[0].event->message, "a1 hit");
    EXPECT_EQ(first->events[1].event->message, "b2 hit");
    EXPECT_EQ(first->searched.size(), 2u);
    ASSERT_TRUE(first->next_token);
    query.token = first->next_token;
    auto second = filter_events(*group, query);
    ASSERT_TRUE(second);
    ASSERT_EQ(second->events.size(), 1u);
    EXPECT_EQ(second->events[0].event->message, "a4 hit");
    EXPECT_FALSE(second->next_token);
    EXPECT_EQ(event_id(*first->events[0].event).size(), 56u);
}

TEST(AwsLogsWriterTest, LinesBecomeEventsAndLongLinesSplit) {
    LogsState logs{"us-east-1"};
    LogGroup* group = *logs.create_group("g", kNow);
    auto clock = [] {
        return std::chrono::system_clock::time_point(std::chrono::milliseconds(kNow));
    };
    AwsLogsWriter writer(logs, "g", "p/app/t", clock);
    writer.open();
    LogStream* stream = LogsState::find_stream(*group, "p/app/t");
    ASSERT_NE(stream, nullptr);
    writer.write(0, "hel");
    writer.write(1, "oops\n");
    writer.write(0, "lo\n\nworld");
    ASSERT_EQ(stream->events.size(), 2u);
    EXPECT_EQ(stream->events[0].message, "oops");
    EXPECT_EQ(stream->events[1].message, "hello");
    writer.flush();
    ASSERT_EQ(stream->events.size(), 3u);
    EXPECT_EQ(stream->events[2].message, "world");
    EXPECT_EQ(stream->events[2].timestamp, kNow);

    // U+00E9 straddling the split point stays whole.
    std::string line(kMaxEventMessageBytes - 1, 'x');
    line += "\xC3\xA9tail\n";
    writer.write(0, line);
    ASSERT_EQ(stream->events.size(), 5u);
    EXPECT_EQ(stream->events[3].message.size(), kMaxEventMessageBytes - 1);
    EXPECT_EQ(stream->events[4].message, "\xC3\xA9tail");
}

}  // namespace
}  // namespace sockerless::awssim
