#pragma once
// Amazon CloudWatch Logs (JSON 1.1, target prefix Logs_20140328, signing name "logs"): log
// groups and streams, PutLogEvents with AWS's batch limits, GetLogEvents and FilterLogEvents with
// their paging, and retention policies. Shapes follow botocore's logs/2014-03-28 model. Task
// output reaches the same state through the awslogs driver of the task runner.

#include <chrono>
#include <functional>
#include <string_view>

#include <boost/json/object.hpp>

#include "api_error.h"
#include "logs_state.h"

namespace sockerless::awssim {

inline constexpr std::string_view kLogsTargetPrefix = "Logs_20140328";

class LogsService {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;
    using Json = boost::json::object;

    LogsService(LogsState& state, Clock clock) : state_(state), clock_(std::move(clock)) {}

    // Dispatches by operation name; unknown operations are UnknownOperationException.
    ApiResult<Json> call(std::string_view operation, const Json& input);

    ApiResult<Json> create_log_group(const Json& in);
    ApiResult<Json> delete_log_group(const Json& in);
    ApiResult<Json> describe_log_groups(const Json& in);
    ApiResult<Json> create_log_stream(const Json& in);
    ApiResult<Json> delete_log_stream(const Json& in);
    ApiResult<Json> describe_log_streams(const Json& in);
    ApiResult<Json> put_log_events(const Json& in);
    ApiResult<Json> get_log_events(const Json& in);
    ApiResult<Json> filter_log_events(const Json& in);
    ApiResult<Json> put_retention_policy(const Json& in);
    ApiResult<Json> delete_retention_policy(const Json& in);

private:
    [[nodiscard]] std::int64_t now_ms() const;
    // The group named by logGroupName or logGroupIdentifier (a name or an ARN).
    ApiResult<LogGroup*> group_of(const Json& in, bool identifier_allowed);

    LogsState& state_;
    Clock clock_;
};

}  // namespace sockerless::awssim
