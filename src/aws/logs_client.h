#pragma once
// Amazon CloudWatch Logs (JSON 1.1, target prefix Logs_20140328): the awslogs groups and streams
// the ECS backend sets up, and reading a stopped task's output back.
//
// Reads are one page per call: log output can be large and the caller decides how far to follow
// the tokens (GetLogEvents repeats its forward token once the end is reached).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "aws/client.h"
#include "base/error.h"

namespace sockerless::aws {

inline constexpr std::string_view kLogsTargetPrefix = "Logs_20140328";

ServiceId logs_service_id();

struct LogEvent {
    std::int64_t timestamp = 0;  // milliseconds since the epoch
    std::string message;
    std::int64_t ingestion_time = 0;
    std::string log_stream_name;  // FilterLogEvents only
    std::string event_id;         // FilterLogEvents only
};

struct GetLogEventsRequest {
    std::string log_group_name;
    std::string log_stream_name;
    std::optional<std::int64_t> start_time;  // ms since the epoch, inclusive
    std::optional<std::int64_t> end_time;    // exclusive
    std::string next_token;
    int limit = 0;  // 0: the service's default (up to 1 MB, 10,000 events)
    bool start_from_head = true;
};

struct GetLogEventsPage {
    std::vector<LogEvent> events;
    std::string next_forward_token;
    std::string next_backward_token;
};

struct FilterLogEventsRequest {
    std::string log_group_name;
    std::vector<std::string> log_stream_names;
    std::string log_stream_name_prefix;
    std::optional<std::int64_t> start_time;
    std::optional<std::int64_t> end_time;
    std::string filter_pattern;
    std::string next_token;
    int limit = 0;
};

struct FilterLogEventsPage {
    std::vector<LogEvent> events;
    std::string next_token;  // "" on the last page
};

// ---- Pure request building and response parsing (unit-tested) ----------------------------------

boost::json::object get_log_events_input(const GetLogEventsRequest& request);
boost::json::object filter_log_events_input(const FilterLogEventsRequest& request);
GetLogEventsPage parse_get_log_events(const boost::json::object& output);
FilterLogEventsPage parse_filter_log_events(const boost::json::object& output);

// ---- The client
// -----------------------------------------------------------------------------------

class LogsClient {
public:
    // `client` must be set up for logs_service_id() and outlive this object.
    explicit LogsClient(AwsClient& client) : client_(client) {}

    // Errc::conflict (ResourceAlreadyExistsException) when it exists.
    boost::asio::awaitable<Status> create_log_group(std::string log_group_name,
                                                    std::vector<NameValue> tags = {});
    boost::asio::awaitable<Status> create_log_stream(std::string log_group_name,
                                                     std::string log_stream_name);
    boost::asio::awaitable<Status> put_retention_policy(std::string log_group_name,
                                                        int retention_in_days);
    boost::asio::awaitable<Result<GetLogEventsPage>> get_log_events(GetLogEventsRequest request);
    boost::asio::awaitable<Result<FilterLogEventsPage>> filter_log_events(
        FilterLogEventsRequest request);

private:
    boost::asio::awaitable<Result<boost::json::object>> call(std::string operation,
                                                             boost::json::object input);

    AwsClient& client_;
};

}  // namespace sockerless::aws
