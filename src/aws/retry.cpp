#include "aws/retry.h"

#include <algorithm>
#include <random>

#include "aws/errors.h"

namespace sockerless::aws {

RandomSource default_random_source() {
    return [engine = std::mt19937_64{std::random_device{}()},
            dist = std::uniform_real_distribution<double>(0.0, 1.0)]() mutable {
        return dist(engine);
    };
}

std::string_view verdict_name(RetryDecision::Verdict verdict) {
    switch (verdict) {
        case RetryDecision::Verdict::retry:
            return "retry";
        case RetryDecision::Verdict::not_retryable:
            return "not retryable";
        case RetryDecision::Verdict::attempts_exhausted:
            return "max attempts reached";
        case RetryDecision::Verdict::quota_exhausted:
            return "retry quota exhausted";
    }
    return "not retryable";
}

bool is_retryable(const AttemptOutcome& outcome) {
    if (outcome.transport != TransportFailure::none) return true;
    if (is_throttling_code(outcome.error_code) || is_transient_code(outcome.error_code)) {
        return true;
    }
    const int s = outcome.http_status;
    return s == 500 || s == 502 || s == 503 || s == 504;
}

RetryPolicy::RetryPolicy(RetryOptions options, RandomSource random)
    : options_(options), random_(std::move(random)), quota_(options.quota_capacity) {}

RetryDecision RetryPolicy::on_failure(int attempt, const AttemptOutcome& outcome,
                                      RetryToken& token) {
    using Verdict = RetryDecision::Verdict;
    if (!is_retryable(outcome)) return {Verdict::not_retryable};
    if (attempt >= options_.max_attempts) return {Verdict::attempts_exhausted};

    const int cost = outcome.transport == TransportFailure::timeout ? options_.timeout_retry_cost
                                                                    : options_.retry_cost;
    std::lock_guard lock(mutex_);
    if (cost > quota_) return {Verdict::quota_exhausted};
    quota_ -= cost;
    token.quota_held = cost;
    return {Verdict::retry, backoff(attempt)};
}

void RetryPolicy::on_success(const RetryToken& token) {
    const int refund = token.quota_held > 0 ? token.quota_held : options_.no_retry_increment;
    std::lock_guard lock(mutex_);
    quota_ = std::min(options_.quota_capacity, quota_ + refund);
}

int RetryPolicy::quota_available() const {
    std::lock_guard lock(mutex_);
    return quota_;
}

// Full jitter: spreading retries uniformly over the whole window keeps clients that failed
// together from retrying together. Called with mutex_ held (random_ need not be thread-safe).
std::chrono::milliseconds RetryPolicy::backoff(int attempt) {
    using std::chrono::milliseconds;
    const long long cap = options_.max_backoff.count();
    long long window = options_.base_delay.count();
    for (int i = 1; i < attempt && window < cap; ++i)
        window *= 2;
    window = std::min(window, cap);
    const double r = std::clamp(random_(), 0.0, 1.0);
    return milliseconds(static_cast<long long>(r * static_cast<double>(window)));
}

}  // namespace sockerless::aws
