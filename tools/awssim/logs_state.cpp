#include "logs_state.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include "account.h"
#include "base/hex.h"

namespace sockerless::awssim {
namespace {

constexpr std::int64_t kHourMs = std::int64_t{3600} * 1000;
constexpr std::int64_t kDayMs = 24 * kHourMs;
constexpr long kDefaultEventsLimit = 10000;
constexpr std::size_t kTokenDigits = 56;

constexpr std::array<long, 22> kRetentionDays{1,    3,    5,    7,    14,   30,  60,  90,
                                              120,  150,  180,  365,  400,  545, 731, 1096,
                                              1827, 2192, 2557, 2922, 3288, 3653};

ApiError invalid(std::string message) {
    return ApiError{400, "InvalidParameterException", std::move(message)};
}

std::string zero_padded(std::uint64_t value, std::size_t width) {
    std::string digits = std::to_string(value);
    return std::string(width - std::min(width, digits.size()), '0') + digits;
}

// Timestamps may be negative in principle; flipping the sign bit keeps their order unsigned.
std::uint64_t sortable(std::int64_t timestamp) {
    return static_cast<std::uint64_t>(timestamp) ^ (std::uint64_t{1} << 63);
}
std::int64_t unsortable(std::uint64_t value) {
    return static_cast<std::int64_t>(value ^ (std::uint64_t{1} << 63));
}

std::string key_digits(EventKey key) {
    return zero_padded(sortable(key.timestamp), 20) + zero_padded(key.sequence, 36);
}

std::string paging_token(char direction, EventKey key) {
    return std::string(1, direction) + "/" + key_digits(key) + "/s";
}

struct PagingToken {
    char direction = 'f';
    EventKey key;
};

ApiResult<PagingToken> parse_paging_token(std::string_view token) {
    auto bad = [] { return invalid("The specified nextToken is invalid."); };
    if (token.size() < 2 + kTokenDigits || (token[0] != 'f' && token[0] != 'b') || token[1] != '/')
        return bad();
    std::string_view digits = token.substr(2, kTokenDigits);
    std::string_view rest = token.substr(2 + kTokenDigits);
    if (!rest.empty() && rest.front() != '/') return bad();
    std::uint64_t ts = 0;
    std::uint64_t seq = 0;
    auto ts_digits = digits.substr(0, 20);
    auto seq_digits = digits.substr(20);
    // Sequence numbers fit in 20 digits; the field is wider to keep AWS's token length.
    if (seq_digits.find_first_not_of('0') < 16) return bad();
    seq_digits.remove_prefix(16);
    auto r1 = std::from_chars(ts_digits.data(), ts_digits.data() + ts_digits.size(), ts);
    auto r2 = std::from_chars(seq_digits.data(), seq_digits.data() + seq_digits.size(), seq);
    if (r1.ec != std::errc() || r1.ptr != ts_digits.data() + ts_digits.size() ||
        r2.ec != std::errc() || r2.ptr != seq_digits.data() + seq_digits.size())
        return bad();
    return PagingToken{token[0], EventKey{unsortable(ts), seq}};
}

bool in_window(const LogEvent& e, std::optional<std::int64_t> start,
               std::optional<std::int64_t> end) {
    return (!start || e.timestamp >= *start) && (!end || e.timestamp < *end);
}

std::vector<LogEvent>::const_iterator after(const std::vector<LogEvent>& events, EventKey key) {
    return std::upper_bound(events.begin(), events.end(), key,
                            [](const EventKey& k, const LogEvent& e) { return k < key_of(e); });
}

ApiResult<std::string> take_quoted(std::string_view& rest) {
    rest.remove_prefix(1);
    std::string out;
    while (!rest.empty() && rest.front() != '"') {
        if (rest.front() == '\\' && rest.size() > 1) rest.remove_prefix(1);
        out.push_back(rest.front());
        rest.remove_prefix(1);
    }
    if (rest.empty()) return invalid("Invalid filter pattern: unterminated quoted phrase.");
    rest.remove_prefix(1);
    return out;
}

}  // namespace

std::uint64_t LogGroup::stored_bytes() const {
    std::uint64_t total = 0;
    for (const auto& entry : streams)
        total += entry.second.stored_bytes;
    return total;
}

ApiResult<BatchVerdict> check_batch(const std::vector<InputLogEvent>& events, std::int64_t now_ms,
                                    std::optional<int> retention_days) {
    if (events.empty()) return invalid("logEvents must contain at least one event.");
    if (events.size() > kMaxBatchEvents)
        return invalid("The batch of log events exceeds the limit of 10000 events.");
    std::size_t total = 0;
    for (const auto& e : events) {
        std::size_t size = e.message.size() + kEventOverheadBytes;
        if (size > kMaxEventBytes) {
            return invalid("Log event too large: " + std::to_string(size) +
                           " bytes exceeds limit of " + std::to_string(kMaxEventBytes));
        }
        total += size;
    }
    if (total > kMaxBatchBytes) {
        return invalid("Upload too large: " + std::to_string(total) + " bytes exceeds limit of " +
                       std::to_string(kMaxBatchBytes));
    }
    for (std::size_t i = 1; i < events.size(); ++i) {
        if (events[i].timestamp < events[i - 1].timestamp)
            return invalid(
                "Log events in a single PutLogEvents request must be in chronological order.");
    }
    if (events.back().timestamp - events.front().timestamp > kDayMs)
        return invalid(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 "
            "hours.");
    BatchVerdict verdict;
    for (std::size_t i = 0; i < events.size(); ++i) {
        std::int64_t ts = events[i].timestamp;
        if (ts > now_ms + 2 * kHourMs) {
            if (!verdict.too_new_start) verdict.too_new_start = i;
        } else if (ts < now_ms - 14 * kDayMs) {
            verdict.too_old_end = i;
        } else if (retention_days && ts < now_ms - *retention_days * kDayMs) {
            verdict.expired_end = i;
        } else {
            verdict.accepted.push_back(i);
        }
    }
    return verdict;
}

bool valid_retention_days(long days) {
    return std::ranges::find(kRetentionDays, days) != kRetentionDays.end();
}

bool valid_log_group_name(std::string_view name) {
    return !name.empty() && name.size() <= 512 && std::ranges::all_of(name, [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '/' || c == '#';
    });
}

bool valid_log_stream_name(std::string_view name) {
    return !name.empty() && name.size() <= 512 &&
           name.find_first_of(":*") == std::string_view::npos;
}

ApiResult<GetEventsPage> get_events(const LogStream& stream, const GetEventsQuery& query) {
    const auto& events = stream.events;
    std::size_t limit = static_cast<std::size_t>(query.limit.value_or(kDefaultEventsLimit));
    char direction = query.start_from_head ? 'f' : 'b';
    EventKey boundary = query.start_from_head
                            ? EventKey{std::numeric_limits<std::int64_t>::min(), 0}
                            : EventKey{std::numeric_limits<std::int64_t>::max(),
                                       std::numeric_limits<std::uint64_t>::max()};
    if (query.token) {
        auto token = parse_paging_token(*query.token);
        if (!token) return token.error();
        direction = token->direction;
        boundary = token->key;
    }
    GetEventsPage page;
    std::size_t bytes = 0;
    auto fits = [&](const LogEvent& e) {
        std::size_t size = e.message.size() + kEventOverheadBytes;
        if (!page.events.empty() &&
            (page.events.size() >= limit || bytes + size > kMaxGetEventsBytes))
            return false;
        bytes += size;
        return true;
    };
    auto start = after(events, boundary);
    if (direction == 'f') {
        for (auto it = start; it != events.end(); ++it) {
            if (!in_window(*it, query.start_time, query.end_time)) continue;
            if (!fits(*it)) break;
            page.events.push_back(&*it);
        }
    } else {
        for (auto it = std::make_reverse_iterator(start); it != events.rend(); ++it) {
            if (!in_window(*it, query.start_time, query.end_time)) continue;
            if (!fits(*it)) break;
            page.events.push_back(&*it);
        }
        std::ranges::reverse(page.events);
    }
    if (page.events.empty()) {
        page.forward_token = paging_token('f', boundary);
        page.backward_token = paging_token('b', boundary);
        return page;
    }
    EventKey first = key_of(*page.events.front());
    page.forward_token = paging_token('f', key_of(*page.events.back()));
    page.backward_token = paging_token('b', EventKey{first.timestamp, first.sequence - 1});
    return page;
}

ApiResult<FilterPattern> parse_filter_pattern(std::string_view pattern) {
    FilterPattern out;
    std::string_view rest = pattern;
    while (true) {
        while (!rest.empty() && rest.front() == ' ')
            rest.remove_prefix(1);
        if (rest.empty()) break;
        if (rest.front() == '{' || rest.front() == '[') {
            return invalid(
                "Invalid filter pattern: the simulator supports terms and quoted phrases, not "
                "JSON or space-delimited patterns.");
        }
        auto* list = &out.required;
        if (rest.front() == '-' || rest.front() == '?') {
            list = rest.front() == '-' ? &out.excluded : &out.any_of;
            rest.remove_prefix(1);
        }
        std::string term;
        if (!rest.empty() && rest.front() == '"') {
            auto quoted = take_quoted(rest);
            if (!quoted) return quoted.error();
            term = std::move(*quoted);
        } else {
            std::size_t end = rest.find(' ');
            term = std::string(rest.substr(0, end));
            rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
        }
        if (!term.empty()) list->push_back(std::move(term));
    }
    return out;
}

bool matches(const FilterPattern& pattern, std::string_view message) {
    auto has = [&](const std::string& term) { return message.find(term) != std::string::npos; };
    return std::ranges::all_of(pattern.required, has) &&
           std::ranges::none_of(pattern.excluded, has) &&
           (pattern.any_of.empty() || std::ranges::any_of(pattern.any_of, has));
}

ApiResult<FilterPage> filter_events(const LogGroup& group, const FilterQuery& query) {
    EventKey boundary{std::numeric_limits<std::int64_t>::min(), 0};
    if (query.token) {
        auto text = hex_decode(*query.token);
        std::size_t colon = text ? text->find(':') : std::string::npos;
        std::int64_t ts = 0;
        std::uint64_t seq = 0;
        bool ok = colon != std::string::npos &&
                  std::from_chars(text->data(), text->data() + colon, ts).ec == std::errc() &&
                  std::from_chars(text->data() + colon + 1, text->data() + text->size(), seq).ec ==
                      std::errc();
        if (!ok) return invalid("The specified nextToken is invalid.");
        boundary = EventKey{ts, seq};
    }
    FilterPage page;
    for (const auto& [name, stream] : group.streams) {
        bool selected = query.stream_names.empty() ? name.starts_with(query.stream_prefix)
                                                   : std::ranges::find(query.stream_names, name) !=
                                                         query.stream_names.end();
        if (selected) page.searched.push_back(&stream);
    }
    std::vector<FilteredEvent> found;
    for (const LogStream* stream : page.searched) {
        for (auto it = after(stream->events, boundary); it != stream->events.end(); ++it) {
            if (in_window(*it, query.start_time, query.end_time) &&
                matches(query.pattern, it->message))
                found.push_back(FilteredEvent{stream, &*it});
        }
    }
    std::ranges::sort(found, [](const FilteredEvent& a, const FilteredEvent& b) {
        return key_of(*a.event) < key_of(*b.event);
    });
    std::size_t limit = static_cast<std::size_t>(query.limit);
    if (found.size() > limit) {
        found.resize(limit);
        const LogEvent& last = *found.back().event;
        std::string text = std::to_string(last.timestamp) + ":" + std::to_string(last.sequence);
        page.next_token =
            hex_encode(std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
    }
    page.events = std::move(found);
    return page;
}

std::string event_id(const LogEvent& event) {
    return key_digits(key_of(event));
}

std::string LogsState::group_arn(std::string_view group) const {
    return "arn:aws:logs:" + region_ + ":" + std::string(kAccountId) +
           ":log-group:" + std::string(group);
}

std::string LogsState::stream_arn(std::string_view group, std::string_view stream) const {
    return group_arn(group) + ":log-stream:" + std::string(stream);
}

LogGroup* LogsState::find_group(std::string_view name) {
    auto it = groups_.find(name);
    return it == groups_.end() ? nullptr : &it->second;
}

ApiResult<LogGroup*> LogsState::create_group(const std::string& name, std::int64_t now_ms) {
    if (groups_.contains(name))
        return ApiError{400, "ResourceAlreadyExistsException",
                        "The specified log group already exists"};
    LogGroup& group = groups_[name];
    group.name = name;
    group.creation_time = now_ms;
    return &group;
}

bool LogsState::delete_group(std::string_view name) {
    auto it = groups_.find(name);
    if (it == groups_.end()) return false;
    groups_.erase(it);
    return true;
}

std::vector<const LogGroup*> LogsState::groups() const {
    std::vector<const LogGroup*> out;
    for (const auto& [name, group] : groups_)
        out.push_back(&group);
    return out;
}

LogStream* LogsState::find_stream(LogGroup& group, std::string_view name) {
    auto it = group.streams.find(name);
    return it == group.streams.end() ? nullptr : &it->second;
}

ApiResult<LogStream*> LogsState::create_stream(LogGroup& group, const std::string& name,
                                               std::int64_t now_ms) {
    if (group.streams.contains(name))
        return ApiError{400, "ResourceAlreadyExistsException",
                        "The specified log stream already exists"};
    LogStream& stream = group.streams[name];
    stream.name = name;
    stream.creation_time = now_ms;
    return &stream;
}

void LogsState::append(LogStream& stream, const std::vector<InputLogEvent>& events,
                       std::int64_t now_ms) {
    for (const auto& in : events) {
        LogEvent e{in.timestamp, now_ms, next_sequence_++, in.message};
        stream.stored_bytes += e.message.size();
        if (stream.events.empty() || stream.events.back().timestamp <= e.timestamp) {
            stream.events.push_back(std::move(e));
            continue;
        }
        auto at = std::upper_bound(
            stream.events.begin(), stream.events.end(), e.timestamp,
            [](std::int64_t ts, const LogEvent& existing) { return ts < existing.timestamp; });
        stream.events.insert(at, std::move(e));
    }
}

std::string LogsState::sequence_token() const {
    return zero_padded(next_sequence_, 56);
}

}  // namespace sockerless::awssim
