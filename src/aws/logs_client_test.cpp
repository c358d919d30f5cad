#include "aws/logs_client.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

// Bodies follow botocore 1.43's CloudWatch Logs model (logs/2014-03-28/service-2.json: shapes
// GetLogEventsResponse, OutputLogEvent, FilterLogEventsResponse, FilteredLogEvent).

namespace sockerless::aws {
namespace {

namespace json = boost::json;

TEST(LogsRequests, GetLogEventsInput) {
    GetLogEventsRequest r;
    r.log_group_name = "/sockerless/tasks";
    r.log_stream_name = "main/main/0b69d5c0d0e4";
    r.start_time = 1714564800000;
    r.limit = 500;
    EXPECT_EQ(json::serialize(get_log_events_input(r)),
              R"({"logGroupName":"/sockerless/tasks","logStreamName":"main/main/0b69d5c0d0e4",)"
              R"("startTime":1714564800000,"limit":500,"startFromHead":true})");
}

TEST(LogsRequests, FilterLogEventsInput) {
    FilterLogEventsRequest r;
    r.log_group_name = "g";
    r.log_stream_names = {"s1", "s2"};
    r.end_time = 5;
    r.next_token = "n";
    EXPECT_EQ(json::serialize(filter_log_events_input(r)),
              R"({"logGroupName":"g","logStreamNames":["s1","s2"],"endTime":5,"nextToken":"n"})");
}

TEST(LogsParse, GetLogEvents) {
    const GetLogEventsPage page = parse_get_log_events(json::parse(R"({
      "events": [
        {"timestamp": 1714564800000, "message": "hello", "ingestionTime": 1714564800512},
        {"timestamp": 1714564800001, "message": "", "ingestionTime": 1714564800513}
      ],
      "nextForwardToken": "f/38282782737273737373737373737373737373737373737373737373",
      "nextBackwardToken": "b/38282782737273737373737373737373737373737373737373737372"
    })")
                                                           .as_object());
    ASSERT_EQ(page.events.size(), 2U);
    EXPECT_EQ(page.events[0].timestamp, 1714564800000);
    EXPECT_EQ(page.events[0].message, "hello");
    EXPECT_EQ(page.events[0].ingestion_time, 1714564800512);
    EXPECT_EQ(page.events[1].message, "");
    EXPECT_TRUE(page.next_forward_token.starts_with("f/"));
    EXPECT_TRUE(page.next_backward_token.starts_with("b/"));
}

TEST(LogsParse, FilterLogEvents) {
    const FilterLogEventsPage page = parse_filter_log_events(json::parse(R"({
      "events": [{"logStreamName": "main/main/t1", "timestamp": 1, "message": "x",
                  "ingestionTime": 2, "eventId": "3753620938276837"}],
      "searchedLogStreams": [{"logStreamName": "main/main/t1", "searchedCompletely": true}]
    })")
                                                                 .as_object());
    ASSERT_EQ(page.events.size(), 1U);
    EXPECT_EQ(page.events[0].log_stream_name, "main/main/t1");
    EXPECT_EQ(page.events[0].event_id, "3753620938276837");
    EXPECT_EQ(page.next_token, "");
}

}  // namespace
}  // namespace sockerless::aws
