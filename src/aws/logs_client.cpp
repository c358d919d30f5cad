#include "aws/logs_client.h"

#include <utility>

#include <boost/json/array.hpp>

#include "aws/json_fields.h"

namespace sockerless::aws {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using json_fields::array_of;
using json_fields::int_of;
using json_fields::string_of;

LogEvent parse_event(const json::object& e) {
    LogEvent out;
    out.timestamp = int_of(e, "timestamp").value_or(0);
    out.message = string_of(e, "message");
    out.ingestion_time = int_of(e, "ingestionTime").value_or(0);
    out.log_stream_name = string_of(e, "logStreamName");
    out.event_id = string_of(e, "eventId");
    return out;
}

std::vector<LogEvent> parse_events(const json::object& output) {
    std::vector<LogEvent> out;
    for (const json::value& e : array_of(output, "events")) {
        if (e.is_object()) out.push_back(parse_event(e.get_object()));
    }
    return out;
}

void set_range(json::object& in, const std::optional<std::int64_t>& start,
               const std::optional<std::int64_t>& end) {
    if (start) in["startTime"] = *start;
    if (end) in["endTime"] = *end;
}

}  // namespace

ServiceId logs_service_id() {
    return ServiceId{"CloudWatch Logs", "logs", "logs"};
}

json::object get_log_events_input(const GetLogEventsRequest& r) {
    json::object in;
    in["logGroupName"] = r.log_group_name;
    in["logStreamName"] = r.log_stream_name;
    set_range(in, r.start_time, r.end_time);
    if (!r.next_token.empty()) in["nextToken"] = r.next_token;
    if (r.limit > 0) in["limit"] = r.limit;
    in["startFromHead"] = r.start_from_head;
    return in;
}

json::object filter_log_events_input(const FilterLogEventsRequest& r) {
    json::object in;
    in["logGroupName"] = r.log_group_name;
    if (!r.log_stream_names.empty()) {
        json::array names;
        for (const std::string& n : r.log_stream_names)
            names.emplace_back(n);
        in["logStreamNames"] = std::move(names);
    }
    if (!r.log_stream_name_prefix.empty()) in["logStreamNamePrefix"] = r.log_stream_name_prefix;
    set_range(in, r.start_time, r.end_time);
    if (!r.filter_pattern.empty()) in["filterPattern"] = r.filter_pattern;
    if (!r.next_token.empty()) in["nextToken"] = r.next_token;
    if (r.limit > 0) in["limit"] = r.limit;
    return in;
}

GetLogEventsPage parse_get_log_events(const json::object& output) {
    GetLogEventsPage page;
    page.events = parse_events(output);
    page.next_forward_token = string_of(output, "nextForwardToken");
    page.next_backward_token = string_of(output, "nextBackwardToken");
    return page;
}

FilterLogEventsPage parse_filter_log_events(const json::object& output) {
    FilterLogEventsPage page;
    page.events = parse_events(output);
    page.next_token = string_of(output, "nextToken");
    return page;
}

asio::awaitable<Result<json::object>> LogsClient::call(std::string operation, json::object input) {
    co_return co_await client_.call_json(std::string(kLogsTargetPrefix), std::move(operation),
                                         std::move(input));
}

asio::awaitable<Status> LogsClient::create_log_group(std::string log_group_name,
                                                     std::vector<NameValue> tags) {
    json::object in;
    in["logGroupName"] = log_group_name;
    if (!tags.empty()) {
        json::object t;
        for (const auto& [k, v] : tags)
            t[k] = v;
        in["tags"] = std::move(t);
    }
    Result<json::object> out = co_await call("CreateLogGroup", std::move(in));
    if (!out) co_return out.error();
    co_return ok();
}

asio::awaitable<Status> LogsClient::create_log_stream(std::string log_group_name,
                                                      std::string log_stream_name) {
    json::object in;
    in["logGroupName"] = log_group_name;
    in["logStreamName"] = log_stream_name;
    Result<json::object> out = co_await call("CreateLogStream", std::move(in));
    if (!out) co_return out.error();
    co_return ok();
}

asio::awaitable<Status> LogsClient::put_retention_policy(std::string log_group_name,
                                                         int retention_in_days) {
    json::object in;
    in["logGroupName"] = log_group_name;
    in["retentionInDays"] = retention_in_days;
    Result<json::object> out = co_await call("PutRetentionPolicy", std::move(in));
    if (!out) co_return out.error();
    co_return ok();
}

asio::awaitable<Result<GetLogEventsPage>> LogsClient::get_log_events(GetLogEventsRequest request) {
    Result<json::object> out = co_await call("GetLogEvents", get_log_events_input(request));
    if (!out) co_return out.error();
    co_return parse_get_log_events(*out);
}

asio::awaitable<Result<FilterLogEventsPage>> LogsClient::filter_log_events(
    FilterLogEventsRequest request) {
    Result<json::object> out = co_await call("FilterLogEvents", filter_log_events_input(request));
    if (!out) co_return out.error();
    co_return parse_filter_log_events(*out);
}

}  // namespace sockerless::aws
