#include "logs_service.h"

#include <algorithm>
#include <charconv>

#include <boost/json.hpp>

#include "base/hex.h"
#include "json_protocol.h"

namespace sockerless::awssim {
namespace json = boost::json;
namespace {

constexpr long kMaxDescribeLimit = 50;
constexpr long kMaxEventsLimit = 10000;
constexpr std::size_t kMaxFilterStreamNames = 100;

ApiError invalid(std::string message) {
    return ApiError{400, "InvalidParameterException", std::move(message)};
}
ApiError group_not_found() {
    return ApiError{400, "ResourceNotFoundException", "The specified log group does not exist."};
}
ApiError stream_not_found() {
    return ApiError{400, "ResourceNotFoundException", "The specified log stream does not exist."};
}

ApiResult<std::optional<bool>> opt_bool(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return std::optional<bool>{};
    if (!v->is_bool())
        return ApiError{
            400, "SerializationException",
            "Unexpected value for field '" + std::string(key) + "': expected a boolean"};
    return std::optional<bool>(v->as_bool());
}

ApiResult<std::string> required_string(const json::object& o, std::string_view key) {
    auto v = opt_string(o, key);
    if (!v) return v.error();
    if (!*v || (*v)->empty())
        return invalid("1 validation error detected: Value null at '" + std::string(key) +
                       "' failed to satisfy constraint: Member must not be null");
    return **v;
}

ApiError pattern_error(std::string_view value, std::string_view key, std::string_view pattern) {
    return invalid("1 validation error detected: Value '" + std::string(value) + "' at '" +
                   std::string(key) +
                   "' failed to satisfy constraint: Member must satisfy regular expression "
                   "pattern: " +
                   std::string(pattern));
}

ApiResult<long> limit_of(const json::object& in, long fallback, long max) {
    auto limit = opt_int(in, "limit");
    if (!limit) return limit.error();
    long value = limit->value_or(fallback);
    if (value < 1 || value > max) {
        return invalid("1 validation error detected: Value '" + std::to_string(value) +
                       "' at 'limit' failed to satisfy constraint: Member must have value "
                       "between 1 and " +
                       std::to_string(max));
    }
    // Explicitly the value: an integer would also initialize an ApiError's status.
    return ApiResult<long>(boost::system::in_place_value, value);
}

// Describe* paging: the token is the (hex-encoded) number of items already returned.
ApiResult<std::size_t> offset_of(const json::object& in) {
    auto token = opt_string(in, "nextToken");
    if (!token) return token.error();
    if (!*token) return ApiResult<std::size_t>(boost::system::in_place_value, 0);
    auto text = hex_decode(**token);
    std::size_t offset = 0;
    if (!text ||
        std::from_chars(text->data(), text->data() + text->size(), offset).ec != std::errc())
        return invalid("The specified nextToken is invalid.");
    return ApiResult<std::size_t>(boost::system::in_place_value, offset);
}

std::string offset_token(std::size_t offset) {
    std::string text = std::to_string(offset);
    return hex_encode(std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

std::string group_name_from(std::string_view identifier) {
    constexpr std::string_view kMarker = ":log-group:";
    std::size_t at = identifier.find(kMarker);
    if (!identifier.starts_with("arn:") || at == std::string_view::npos)
        return std::string(identifier);
    std::string_view name = identifier.substr(at + kMarker.size());
    if (name.ends_with(":*")) name.remove_suffix(2);
    return std::string(name);
}

json::object group_json(const LogsState& state, const LogGroup& g) {
    json::object out{
        {"logGroupName", g.name},
        {"creationTime", g.creation_time},
        {"metricFilterCount", 0},
        {"arn", state.group_arn(g.name) + ":*"},
        {"storedBytes", g.stored_bytes()},
        {"logGroupClass", g.log_group_class},
        {"logGroupArn", state.group_arn(g.name)},
        {"deletionProtectionEnabled", false},
    };
    if (g.retention_days) out["retentionInDays"] = *g.retention_days;
    if (!g.kms_key_id.empty()) out["kmsKeyId"] = g.kms_key_id;
    return out;
}

json::object stream_json(const LogsState& state, const LogGroup& g, const LogStream& s) {
    json::object out{
        {"logStreamName", s.name},
        {"creationTime", s.creation_time},
        {"arn", state.stream_arn(g.name, s.name)},
        {"storedBytes", s.stored_bytes},
    };
    if (!s.events.empty()) {
        auto [first, last] = std::ranges::minmax_element(
            s.events, [](const auto& a, const auto& b) { return a.timestamp < b.timestamp; });
        out["firstEventTimestamp"] = first->timestamp;
        out["lastEventTimestamp"] = last->timestamp;
        out["lastIngestionTime"] =
            std::ranges::max_element(s.events, [](const auto& a, const auto& b) {
                return a.ingestion_time < b.ingestion_time;
            })->ingestion_time;
        out["uploadSequenceToken"] = std::to_string(s.events.back().sequence);
    }
    return out;
}

ApiResult<std::vector<InputLogEvent>> input_events(const json::object& in) {
    auto list = opt_objects(in, "logEvents");
    if (!list) return list.error();
    std::vector<InputLogEvent> events;
    if (!*list) return events;
    for (const auto& item : **list) {
        const auto& o = item.as_object();
        auto ts = opt_int(o, "timestamp");
        if (!ts) return ts.error();
        auto message = opt_string(o, "message");
        if (!message) return message.error();
        if (!*ts || !*message) return invalid("A log event needs a timestamp and a message.");
        events.push_back(InputLogEvent{**ts, **message});
    }
    return events;
}

ApiResult<void> time_range(const json::object& in, std::optional<std::int64_t>& start,
                           std::optional<std::int64_t>& end) {
    auto s = opt_int(in, "startTime");
    if (!s) return s.error();
    auto e = opt_int(in, "endTime");
    if (!e) return e.error();
    start = *s;
    end = *e;
    return {};
}

}  // namespace

ApiResult<json::object> LogsService::call(std::string_view operation, const Json& input) {
    if (operation == "CreateLogGroup") return create_log_group(input);
    if (operation == "DeleteLogGroup") return delete_log_group(input);
    if (operation == "DescribeLogGroups") return describe_log_groups(input);
    if (operation == "CreateLogStream") return create_log_stream(input);
    if (operation == "DeleteLogStream") return delete_log_stream(input);
    if (operation == "DescribeLogStreams") return describe_log_streams(input);
    if (operation == "PutLogEvents") return put_log_events(input);
    if (operation == "GetLogEvents") return get_log_events(input);
    if (operation == "FilterLogEvents") return filter_log_events(input);
    if (operation == "PutRetentionPolicy") return put_retention_policy(input);
    if (operation == "DeleteRetentionPolicy") return delete_retention_policy(input);
    return ApiError{400, "UnknownOperationException", ""};
}

std::int64_t LogsService::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch())
        .count();
}

ApiResult<LogGroup*> LogsService::group_of(const Json& in, bool identifier_allowed) {
    auto name = opt_string(in, "logGroupName");
    if (!name) return name.error();
    std::optional<std::string> identifier;
    if (identifier_allowed) {
        auto id = opt_string(in, "logGroupIdentifier");
        if (!id) return id.error();
        identifier = *id;
    }
    if (*name && identifier)
        return invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
    if (!*name && !identifier)
        return invalid("Either logGroupName or logGroupIdentifier must be specified.");
    LogGroup* group = state_.find_group(*name ? **name : group_name_from(*identifier));
    if (!group) return group_not_found();
    return group;
}

ApiResult<json::object> LogsService::create_log_group(const Json& in) {
    auto name = required_string(in, "logGroupName");
    if (!name) return name.error();
    if (!valid_log_group_name(*name))
        return pattern_error(*name, "logGroupName", "[\\.\\-_/#A-Za-z0-9]+");
    auto kms = opt_string(in, "kmsKeyId");
    if (!kms) return kms.error();
    auto cls = opt_string(in, "logGroupClass");
    if (!cls) return cls.error();
    std::string group_class = cls->value_or("STANDARD");
    if (group_class != "STANDARD" && group_class != "INFREQUENT_ACCESS" &&
        group_class != "DELIVERY")
        return invalid("Invalid logGroupClass: '" + group_class + "'.");
    auto group = state_.create_group(*name, now_ms());
    if (!group) return group.error();
    (*group)->kms_key_id = kms->value_or("");
    (*group)->log_group_class = group_class;
    return json::object{};
}

ApiResult<json::object> LogsService::delete_log_group(const Json& in) {
    auto name = required_string(in, "logGroupName");
    if (!name) return name.error();
    if (!state_.delete_group(*name)) return group_not_found();
    return json::object{};
}

ApiResult<json::object> LogsService::describe_log_groups(const Json& in) {
    auto prefix = opt_string(in, "logGroupNamePrefix");
    if (!prefix) return prefix.error();
    auto pattern = opt_string(in, "logGroupNamePattern");
    if (!pattern) return pattern.error();
    if (*prefix && *pattern)
        return invalid(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive "
            "parameters.");
    auto limit = limit_of(in, kMaxDescribeLimit, kMaxDescribeLimit);
    if (!limit) return limit.error();
    auto offset = offset_of(in);
    if (!offset) return offset.error();
    std::vector<const LogGroup*> selected;
    for (const LogGroup* g : state_.groups()) {
        if (*prefix && !g->name.starts_with(**prefix)) continue;
        if (*pattern && g->name.find(**pattern) == std::string::npos) continue;
        selected.push_back(g);
    }
    json::array groups;
    std::size_t end = std::min(selected.size(), *offset + static_cast<std::size_t>(*limit));
    for (std::size_t i = *offset; i < end; ++i)
        groups.push_back(group_json(state_, *selected[i]));
    json::object out{{"logGroups", std::move(groups)}};
    if (end < selected.size()) out["nextToken"] = offset_token(end);
    return out;
}

ApiResult<json::object> LogsService::create_log_stream(const Json& in) {
    auto group_name = required_string(in, "logGroupName");
    if (!group_name) return group_name.error();
    auto name = required_string(in, "logStreamName");
    if (!name) return name.error();
    if (!valid_log_stream_name(*name)) return pattern_error(*name, "logStreamName", "[^:*]*");
    LogGroup* group = state_.find_group(*group_name);
    if (!group) return group_not_found();
    auto stream = LogsState::create_stream(*group, *name, now_ms());
    if (!stream) return stream.error();
    return json::object{};
}

ApiResult<json::object> LogsService::delete_log_stream(const Json& in) {
    auto group_name = required_string(in, "logGroupName");
    if (!group_name) return group_name.error();
    auto name = required_string(in, "logStreamName");
    if (!name) return name.error();
    LogGroup* group = state_.find_group(*group_name);
    if (!group) return group_not_found();
    if (group->streams.erase(*name) == 0) return stream_not_found();
    return json::object{};
}

ApiResult<json::object> LogsService::describe_log_streams(const Json& in) {
    auto group = group_of(in, true);
    if (!group) return group.error();
    auto prefix = opt_string(in, "logStreamNamePrefix");
    if (!prefix) return prefix.error();
    auto order = opt_string(in, "orderBy");
    if (!order) return order.error();
    auto descending = opt_bool(in, "descending");
    if (!descending) return descending.error();
    std::string order_by = order->value_or("LogStreamName");
    if (order_by != "LogStreamName" && order_by != "LastEventTime")
        return invalid("Invalid orderBy: '" + order_by + "'.");
    if (order_by == "LastEventTime" && *prefix)
        return invalid("Cannot order by LastEventTime with a logStreamNamePrefix.");
    auto limit = limit_of(in, kMaxDescribeLimit, kMaxDescribeLimit);
    if (!limit) return limit.error();
    auto offset = offset_of(in);
    if (!offset) return offset.error();

    std::vector<const LogStream*> selected;
    for (const auto& [name, stream] : (*group)->streams) {
        if (!*prefix || name.starts_with(**prefix)) selected.push_back(&stream);
    }
    if (order_by == "LastEventTime") {
        auto last = [](const LogStream* s) {
            return s->events.empty() ? s->creation_time : s->events.back().timestamp;
        };
        std::ranges::stable_sort(
            selected, [&](const LogStream* a, const LogStream* b) { return last(a) < last(b); });
    }
    if (descending->value_or(false)) std::ranges::reverse(selected);
    json::array streams;
    std::size_t end = std::min(selected.size(), *offset + static_cast<std::size_t>(*limit));
    for (std::size_t i = *offset; i < end; ++i)
        streams.push_back(stream_json(state_, **group, *selected[i]));
    json::object out{{"logStreams", std::move(streams)}};
    if (end < selected.size()) out["nextToken"] = offset_token(end);
    return out;
}

ApiResult<json::object> LogsService::put_log_events(const Json& in) {
    auto group_name = required_string(in, "logGroupName");
    if (!group_name) return group_name.error();
    auto name = required_string(in, "logStreamName");
    if (!name) return name.error();
    auto events = input_events(in);
    if (!events) return events.error();
    LogGroup* group = state_.find_group(*group_name);
    if (!group) return group_not_found();
    LogStream* stream = LogsState::find_stream(*group, *name);
    if (!stream) return stream_not_found();
    auto now = now_ms();
    auto verdict = check_batch(*events, now, group->retention_days);
    if (!verdict) return verdict.error();
    std::vector<InputLogEvent> accepted;
    for (std::size_t i : verdict->accepted)
        accepted.push_back(std::move((*events)[i]));
    state_.append(*stream, accepted, now);
    json::object out{{"nextSequenceToken", state_.sequence_token()}};
    json::object rejected;
    if (verdict->too_new_start)
        rejected["tooNewLogEventStartIndex"] = static_cast<std::int64_t>(*verdict->too_new_start);
    if (verdict->too_old_end)
        rejected["tooOldLogEventEndIndex"] = static_cast<std::int64_t>(*verdict->too_old_end);
    if (verdict->expired_end)
        rejected["expiredLogEventEndIndex"] = static_cast<std::int64_t>(*verdict->expired_end);
    if (!rejected.empty()) out["rejectedLogEventsInfo"] = std::move(rejected);
    return out;
}

ApiResult<json::object> LogsService::get_log_events(const Json& in) {
    auto group = group_of(in, true);
    if (!group) return group.error();
    auto name = required_string(in, "logStreamName");
    if (!name) return name.error();
    GetEventsQuery query;
    if (auto st = time_range(in, query.start_time, query.end_time); !st) return st.error();
    auto token = opt_string(in, "nextToken");
    if (!token) return token.error();
    query.token = *token;
    auto head = opt_bool(in, "startFromHead");
    if (!head) return head.error();
    query.start_from_head = head->value_or(false);
    auto limit = limit_of(in, kMaxEventsLimit, kMaxEventsLimit);
    if (!limit) return limit.error();
    query.limit = *limit;
    LogStream* stream = LogsState::find_stream(**group, *name);
    if (!stream) return stream_not_found();
    auto page = get_events(*stream, query);
    if (!page) return page.error();
    json::array events;
    for (const LogEvent* e : page->events) {
        events.push_back(json::object{{"timestamp", e->timestamp},
                                      {"message", e->message},
                                      {"ingestionTime", e->ingestion_time}});
    }
    return json::object{{"events", std::move(events)},
                        {"nextForwardToken", page->forward_token},
                        {"nextBackwardToken", page->backward_token}};
}

ApiResult<json::object> LogsService::filter_log_events(const Json& in) {
    auto group = group_of(in, true);
    if (!group) return group.error();
    FilterQuery query;
    auto names = opt_strings(in, "logStreamNames");
    if (!names) return names.error();
    auto prefix = opt_string(in, "logStreamNamePrefix");
    if (!prefix) return prefix.error();
    if (*names && *prefix)
        return invalid(
            "logStreamNames and logStreamNamePrefix are mutually exclusive "
            "parameters.");
    if (*names && (*names)->size() > kMaxFilterStreamNames)
        return invalid("logStreamNames can have at most 100 items.");
    query.stream_names = names->value_or(std::vector<std::string>{});
    query.stream_prefix = prefix->value_or("");
    if (auto st = time_range(in, query.start_time, query.end_time); !st) return st.error();
    auto pattern = opt_string(in, "filterPattern");
    if (!pattern) return pattern.error();
    auto parsed = parse_filter_pattern(pattern->value_or(""));
    if (!parsed) return parsed.error();
    query.pattern = std::move(*parsed);
    auto token = opt_string(in, "nextToken");
    if (!token) return token.error();
    query.token = *token;
    auto limit = limit_of(in, kMaxEventsLimit, kMaxEventsLimit);
    if (!limit) return limit.error();
    query.limit = *limit;
    auto page = filter_events(**group, query);
    if (!page) return page.error();
    json::array events;
    for (const auto& f : page->events) {
        events.push_back(json::object{{"logStreamName", f.stream->name},
                                      {"timestamp", f.event->timestamp},
                                      {"message", f.event->message},
                                      {"ingestionTime", f.event->ingestion_time},
                                      {"eventId", event_id(*f.event)}});
    }
    json::array searched;
    for (const LogStream* s : page->searched)
        searched.push_back(json::object{{"logStreamName", s->name}, {"searchedCompletely", true}});
    json::object out{{"events", std::move(events)}, {"searchedLogStreams", std::move(searched)}};
    if (page->next_token) out["nextToken"] = *page->next_token;
    return out;
}

ApiResult<json::object> LogsService::put_retention_policy(const Json& in) {
    auto name = required_string(in, "logGroupName");
    if (!name) return name.error();
    auto days = opt_int(in, "retentionInDays");
    if (!days) return days.error();
    if (!*days || !valid_retention_days(**days)) {
        return invalid("1 validation error detected: Value '" +
                       (*days ? std::to_string(**days) : std::string("null")) +
                       "' at 'retentionInDays' failed to satisfy constraint: Member must satisfy "
                       "enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, "
                       "731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]");
    }
    LogGroup* group = state_.find_group(*name);
    if (!group) return group_not_found();
    group->retention_days = static_cast<int>(**days);
    return json::object{};
}

ApiResult<json::object> LogsService::delete_retention_policy(const Json& in) {
    auto name = required_string(in, "logGroupName");
    if (!name) return name.error();
    LogGroup* group = state_.find_group(*name);
    if (!group) return group_not_found();
    group->retention_days.reset();
    return json::object{};
}

}  // namespace sockerless::awssim
