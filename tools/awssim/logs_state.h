#pragma once
// CloudWatch Logs data of the simulated account: log groups, their streams and events, and the
// pure rules of the API over them: PutLogEvents' batch limits, GetLogEvents' forward and backward
// paging tokens, FilterLogEvents' term patterns and paging. Not thread-safe: the simulator serves
// every request (and every task's output) from one strand.
//
// Events of a stream are kept ordered by (timestamp, ingestion sequence); the sequence is
// unique across the account, so an (timestamp, sequence) key names a position between events
// that stays valid while later batches arrive. Paging tokens carry such keys.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api_error.h"

namespace sockerless::awssim {

struct LogEvent {
    std::int64_t timestamp = 0;       // milliseconds since the epoch, as given
    std::int64_t ingestion_time = 0;  // milliseconds since the epoch
    std::uint64_t sequence = 0;       // account-wide ingestion order, from 1
    std::string message;
};

// A position in a stream: after every event whose key is <= it.
struct EventKey {
    std::int64_t timestamp = 0;
    std::uint64_t sequence = 0;
    friend bool operator<(const EventKey& a, const EventKey& b) {
        return a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.sequence < b.sequence;
    }
};
inline EventKey key_of(const LogEvent& e) {
    return {e.timestamp, e.sequence};
}

struct LogStream {
    std::string name;
    std::int64_t creation_time = 0;
    std::vector<LogEvent> events;
    std::uint64_t stored_bytes = 0;
};

struct LogGroup {
    std::string name;
    std::int64_t creation_time = 0;
    std::optional<int> retention_days;
    std::string kms_key_id;
    std::string log_group_class = "STANDARD";
    std::map<std::string, LogStream, std::less<>> streams;
    [[nodiscard]] std::uint64_t stored_bytes() const;
};

// An event as PutLogEvents (or the awslogs driver) hands it in.
struct InputLogEvent {
    std::int64_t timestamp = 0;
    std::string message;
};

// PutLogEvents' limits.
inline constexpr std::size_t kEventOverheadBytes = 26;
inline constexpr std::size_t kMaxEventBytes = 262144;  // message bytes + overhead
inline constexpr std::size_t kMaxBatchBytes = 1048576;
inline constexpr std::size_t kMaxBatchEvents = 10000;
inline constexpr std::size_t kMaxGetEventsBytes = 1048576;

// Which events of a valid batch are stored; the others are reported as rejected, as AWS does.
struct BatchVerdict {
    std::optional<std::size_t> too_new_start;  // first index more than 2 h in the future
    std::optional<std::size_t> too_old_end;    // last index older than 14 days
    std::optional<std::size_t> expired_end;    // last index older than the retention period
    std::vector<std::size_t> accepted;
};

// Checks a PutLogEvents batch at `now_ms`: an InvalidParameterException for a batch AWS refuses
// as a whole (sizes, count, order, span), else what to store and what to reject.
ApiResult<BatchVerdict> check_batch(const std::vector<InputLogEvent>& events, std::int64_t now_ms,
                                    std::optional<int> retention_days);

// The retention values PutRetentionPolicy accepts.
bool valid_retention_days(long days);
// Log group names: [\.\-_/#A-Za-z0-9]+, 1 to 512 characters. Stream names: no ':' or '*'.
bool valid_log_group_name(std::string_view name);
bool valid_log_stream_name(std::string_view name);

struct GetEventsQuery {
    std::optional<std::int64_t> start_time;  // inclusive
    std::optional<std::int64_t> end_time;    // exclusive
    std::optional<std::string> token;
    std::optional<long> limit;  // 1..10000
    bool start_from_head = false;
};
struct GetEventsPage {
    std::vector<const LogEvent*> events;
    std::string forward_token;
    std::string backward_token;
};
// GetLogEvents over one stream. Without a token, the oldest events (startFromHead) or the newest
// ones; a forward token continues after, a backward token before, the page it came with. At
// either end the same token comes back, which is how clients know they are done.
ApiResult<GetEventsPage> get_events(const LogStream& stream, const GetEventsQuery& query);

// FilterLogEvents' patterns: space-separated terms that must all occur, "quoted phrases",
// -terms that must not occur and ?terms of which one must occur. Case-sensitive. JSON and
// space-delimited patterns ({...}, [...]) are not supported.
struct FilterPattern {
    std::vector<std::string> required;
    std::vector<std::string> excluded;
    std::vector<std::string> any_of;
};
ApiResult<FilterPattern> parse_filter_pattern(std::string_view pattern);
bool matches(const FilterPattern& pattern, std::string_view message);

struct FilterQuery {
    std::vector<std::string> stream_names;  // empty: every stream
    std::string stream_prefix;
    std::optional<std::int64_t> start_time;
    std::optional<std::int64_t> end_time;
    FilterPattern pattern;
    std::optional<std::string> token;
    long limit = 10000;
};
struct FilteredEvent {
    const LogStream* stream;
    const LogEvent* event;
};
struct FilterPage {
    std::vector<FilteredEvent> events;
    std::vector<const LogStream*> searched;
    std::optional<std::string> next_token;
};
// Matching events of the group's selected streams, interleaved by time.
ApiResult<FilterPage> filter_events(const LogGroup& group, const FilterQuery& query);

// The 56-digit event id FilterLogEvents reports.
std::string event_id(const LogEvent& event);

class LogsState {
public:
    explicit LogsState(std::string region) : region_(std::move(region)) {}

    [[nodiscard]] const std::string& region() const { return region_; }
    [[nodiscard]] std::string group_arn(std::string_view group) const;
    [[nodiscard]] std::string stream_arn(std::string_view group, std::string_view stream) const;

    LogGroup* find_group(std::string_view name);
    // ResourceAlreadyExistsException when it exists.
    ApiResult<LogGroup*> create_group(const std::string& name, std::int64_t now_ms);
    bool delete_group(std::string_view name);
    // Every group, by name.
    std::vector<const LogGroup*> groups() const;

    static LogStream* find_stream(LogGroup& group, std::string_view name);
    // ResourceAlreadyExistsException when it exists.
    static ApiResult<LogStream*> create_stream(LogGroup& group, const std::string& name,
                                               std::int64_t now_ms);

    // Stores events (already checked) in timestamp order, stamping ingestion time and sequence.
    void append(LogStream& stream, const std::vector<InputLogEvent>& events, std::int64_t now_ms);
    // The stream's upload sequence token, which changes with every append.
    [[nodiscard]] std::string sequence_token() const;

private:
    std::string region_;
    std::map<std::string, LogGroup, std::less<>> groups_;
    std::uint64_t next_sequence_ = 1;
};

}  // namespace sockerless::awssim
