#pragma once
// The AWS SDKs' "standard" retry mode as a pure decision object: the transport reports how each
// attempt ended and is told whether to try again and after how long. No sleeping, no clock.
//
// Behaviour follows botocore's retries/standard.py and retries/quota.py (1.43, standard mode):
//   - retryable: throttling codes, transient codes, HTTP 500/502/503/504, transport failures;
//   - at most `max_attempts` attempts in all (the first one included);
//   - delay before retry n (1-based) = random[0,1) * min(base_delay * 2^(n-1), max_backoff);
//   - a client-wide quota: each retry takes retry_cost (timeout_retry_cost after a timeout) and
//     is refused when the quota cannot pay; a call that succeeds gives back what its last retry
//     took, or no_retry_increment when it needed no retry.
// The quota makes a struggling service see fewer retries from every call at once, instead of
// each call independently tripling its load.

#include <chrono>
#include <functional>
#include <mutex>
#include <string_view>

namespace sockerless::aws {

enum class TransportFailure {
    none,        // an HTTP response arrived
    connection,  // refused, reset, unreachable, TLS or protocol failure
    timeout,     // connect or read timeout
};

// How one attempt ended. A 2xx is reported through RetryPolicy::on_success instead.
struct AttemptOutcome {
    int http_status = 0;          // 0 when no response arrived
    std::string_view error_code;  // the parsed AWS error code; "" when none
    TransportFailure transport = TransportFailure::none;
};

struct RetryOptions {
    int max_attempts = 3;
    std::chrono::milliseconds base_delay{1000};
    std::chrono::milliseconds max_backoff{20'000};
    int quota_capacity = 500;
    int retry_cost = 5;
    int timeout_retry_cost = 10;
    int no_retry_increment = 1;
};

// Returns a number uniformly distributed in [0, 1). Called under the policy's lock.
using RandomSource = std::function<double()>;

// A Mersenne twister seeded from std::random_device: jitter needs spread, not secrecy.
RandomSource default_random_source();

struct RetryDecision {
    enum class Verdict { retry, not_retryable, attempts_exhausted, quota_exhausted };
    Verdict verdict = Verdict::not_retryable;
    std::chrono::milliseconds delay{0};  // how long to wait before the retry; 0 unless retry

    [[nodiscard]] bool should_retry() const { return verdict == Verdict::retry; }
};

std::string_view verdict_name(RetryDecision::Verdict verdict);

// Per-call bookkeeping, one per API call across all its attempts: how much quota the call's
// latest retry holds, so success can return it.
struct RetryToken {
    int quota_held = 0;
};

// True for outcomes the standard mode retries, regardless of attempts and quota.
bool is_retryable(const AttemptOutcome& outcome);

// One per client (service endpoint), shared by its concurrent calls; thread-safe.
class RetryPolicy {
public:
    explicit RetryPolicy(RetryOptions options = {}, RandomSource random = default_random_source());

    // `attempt` is the 1-based number of the attempt that just failed.
    RetryDecision on_failure(int attempt, const AttemptOutcome& outcome, RetryToken& token);

    // The call finally got a 2xx.
    void on_success(const RetryToken& token);

    [[nodiscard]] int quota_available() const;
    [[nodiscard]] const RetryOptions& options() const { return options_; }

private:
    std::chrono::milliseconds backoff(int attempt);

    RetryOptions options_;
    RandomSource random_;
    mutable std::mutex mutex_;
    int quota_;
};

}  // namespace sockerless::aws
