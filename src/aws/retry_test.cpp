#include "aws/retry.h"

#include <gtest/gtest.h>

// Expected behaviour: botocore 1.43 retries/standard.py and retries/quota.py in standard mode
// (ExponentialBackoff with base 2 and a 20 s cap, RetryQuotaChecker costs 5/10, refund 1).

namespace sockerless::aws {
namespace {

using std::chrono::milliseconds;
using Verdict = RetryDecision::Verdict;

RandomSource constant(double value) {
    return [value] { return value; };
}

constexpr AttemptOutcome kThrottled{400, "ThrottlingException"};
constexpr AttemptOutcome kServerError{500, ""};
constexpr AttemptOutcome kTimeout{0, "", TransportFailure::timeout};
constexpr AttemptOutcome kReset{0, "", TransportFailure::connection};
constexpr AttemptOutcome kValidation{400, "ValidationException"};

TEST(RetryClassify, WhatTheStandardModeRetries) {
    EXPECT_TRUE(is_retryable(kThrottled));
    EXPECT_TRUE(is_retryable({400, "RequestLimitExceeded"}));
    EXPECT_TRUE(is_retryable({503, "SlowDown"}));
    EXPECT_TRUE(is_retryable({400, "RequestTimeout"}));
    EXPECT_TRUE(is_retryable({400, "RequestTimeoutException"}));
    EXPECT_TRUE(is_retryable({400, "PriorRequestNotComplete"}));
    for (int status : {500, 502, 503, 504})
        EXPECT_TRUE(is_retryable({status, ""})) << status;
    EXPECT_TRUE(is_retryable(kTimeout));
    EXPECT_TRUE(is_retryable(kReset));

    EXPECT_FALSE(is_retryable(kValidation));
    EXPECT_FALSE(is_retryable({404, "NoSuchKey"}));
    EXPECT_FALSE(is_retryable({501, "NotImplemented"}));
    EXPECT_FALSE(is_retryable({429, ""}));  // botocore retries 429 only by its throttling code
    EXPECT_FALSE(is_retryable({403, "ExpiredToken"}));
    EXPECT_FALSE(is_retryable({0, ""}));
}

TEST(RetryPolicy, ThreeAttemptsByDefault) {
    RetryPolicy policy({}, constant(0.5));
    RetryToken token;
    EXPECT_EQ(policy.on_failure(1, kThrottled, token).verdict, Verdict::retry);
    EXPECT_EQ(policy.on_failure(2, kThrottled, token).verdict, Verdict::retry);
    EXPECT_EQ(policy.on_failure(3, kThrottled, token).verdict, Verdict::attempts_exhausted);
}

TEST(RetryPolicy, MaxAttemptsIsConfigurable) {
    RetryPolicy one({.max_attempts = 1}, constant(0.5));
    RetryToken token;
    EXPECT_EQ(one.on_failure(1, kServerError, token).verdict, Verdict::attempts_exhausted);
    EXPECT_EQ(one.quota_available(), 500);

    RetryPolicy five({.max_attempts = 5}, constant(0.5));
    for (int attempt = 1; attempt < 5; ++attempt) {
        EXPECT_TRUE(five.on_failure(attempt, kServerError, token).should_retry()) << attempt;
    }
    EXPECT_FALSE(five.on_failure(5, kServerError, token).should_retry());
}

TEST(RetryPolicy, NonRetryableGivesUpAtOnceAndTakesNoQuota) {
    RetryPolicy policy({}, constant(0.5));
    RetryToken token;
    const RetryDecision d = policy.on_failure(1, kValidation, token);
    EXPECT_EQ(d.verdict, Verdict::not_retryable);
    EXPECT_FALSE(d.should_retry());
    EXPECT_EQ(d.delay, milliseconds(0));
    EXPECT_EQ(policy.quota_available(), 500);
    EXPECT_EQ(token.quota_held, 0);
}

// delay = r * min(2^(attempt-1) s, 20 s)
TEST(RetryPolicy, ExponentialBackoffCappedAtTwentySeconds) {
    RetryPolicy policy({.max_attempts = 10}, constant(0.5));
    RetryToken token;
    const long long expected[] = {500, 1000, 2000, 4000, 8000, 10'000, 10'000, 10'000, 10'000};
    for (int attempt = 1; attempt <= 9; ++attempt) {
        EXPECT_EQ(policy.on_failure(attempt, kThrottled, token).delay,
                  milliseconds(expected[attempt - 1]))
            << attempt;
    }
}

TEST(RetryPolicy, FullJitterSpansTheWholeWindow) {
    RetryToken token;
    RetryPolicy low({}, constant(0.0));
    EXPECT_EQ(low.on_failure(2, kThrottled, token).delay, milliseconds(0));
    RetryPolicy high({}, constant(0.999));
    EXPECT_EQ(high.on_failure(2, kThrottled, token).delay, milliseconds(1998));
    // A source outside [0, 1) cannot stretch the cap.
    RetryPolicy broken({.max_attempts = 50}, constant(7.0));
    EXPECT_EQ(broken.on_failure(40, kThrottled, token).delay, milliseconds(20'000));
}

TEST(RetryPolicy, BaseAndCapAreConfigurable) {
    RetryPolicy policy(
        {.max_attempts = 10, .base_delay = milliseconds(50), .max_backoff = milliseconds(300)},
        constant(1.0));
    RetryToken token;
    EXPECT_EQ(policy.on_failure(1, kReset, token).delay, milliseconds(50));
    EXPECT_EQ(policy.on_failure(3, kReset, token).delay, milliseconds(200));
    EXPECT_EQ(policy.on_failure(4, kReset, token).delay, milliseconds(300));
}

TEST(RetryPolicy, QuotaCostsFivePerRetryAndTenAfterATimeout) {
    RetryPolicy policy({.max_attempts = 100}, constant(0.5));
    RetryToken token;
    ASSERT_TRUE(policy.on_failure(1, kThrottled, token).should_retry());
    EXPECT_EQ(policy.quota_available(), 495);
    EXPECT_EQ(token.quota_held, 5);
    ASSERT_TRUE(policy.on_failure(2, kTimeout, token).should_retry());
    EXPECT_EQ(policy.quota_available(), 485);
    EXPECT_EQ(token.quota_held, 10);
    ASSERT_TRUE(policy.on_failure(3, kReset, token).should_retry());
    EXPECT_EQ(policy.quota_available(), 480);
}

TEST(RetryPolicy, EmptyQuotaRefusesRetries) {
    RetryPolicy policy({.max_attempts = 1000}, constant(0.5));
    RetryToken token;
    for (int i = 1; i <= 100; ++i) {
        ASSERT_TRUE(policy.on_failure(i, kServerError, token).should_retry()) << i;
    }
    EXPECT_EQ(policy.quota_available(), 0);
    const RetryDecision d = policy.on_failure(101, kServerError, token);
    EXPECT_EQ(d.verdict, Verdict::quota_exhausted);
    EXPECT_EQ(policy.quota_available(), 0);
}

// A timeout needs 10; 5 left is enough for a plain retry but not for it.
TEST(RetryPolicy, TimeoutNeedsTheLargerCost) {
    RetryPolicy policy({.max_attempts = 1000, .quota_capacity = 5}, constant(0.5));
    RetryToken token;
    EXPECT_EQ(policy.on_failure(1, kTimeout, token).verdict, Verdict::quota_exhausted);
    EXPECT_EQ(policy.on_failure(1, kThrottled, token).verdict, Verdict::retry);
}

TEST(RetryPolicy, SuccessRefundsWhatTheLastRetryTookOrOne) {
    RetryPolicy policy({.max_attempts = 10}, constant(0.5));
    RetryToken a;
    RetryToken b;
    ASSERT_TRUE(policy.on_failure(1, kThrottled, a).should_retry());  // 495
    ASSERT_TRUE(policy.on_failure(2, kTimeout, a).should_retry());    // 485
    ASSERT_TRUE(policy.on_failure(1, kThrottled, b).should_retry());  // 480
    policy.on_success(a);                                             // +10
    EXPECT_EQ(policy.quota_available(), 490);
    policy.on_success(b);  // +5
    EXPECT_EQ(policy.quota_available(), 495);
    policy.on_success(RetryToken{});  // no retry: +1
    EXPECT_EQ(policy.quota_available(), 496);
}

TEST(RetryPolicy, RefundsNeverExceedCapacity) {
    RetryPolicy policy({}, constant(0.5));
    for (int i = 0; i < 10; ++i)
        policy.on_success(RetryToken{});
    EXPECT_EQ(policy.quota_available(), 500);
}

// The transport's loop: throttled twice, then fine.
TEST(RetryPolicy, ACallThatRecovers) {
    RetryPolicy policy({}, constant(0.25));
    RetryToken token;
    milliseconds waited{0};
    int attempt = 1;
    for (const AttemptOutcome& outcome : {kThrottled, kThrottled}) {
        const RetryDecision d = policy.on_failure(attempt++, outcome, token);
        ASSERT_TRUE(d.should_retry());
        waited += d.delay;
    }
    policy.on_success(token);
    EXPECT_EQ(attempt, 3);
    EXPECT_EQ(waited, milliseconds(250 + 500));
    EXPECT_EQ(policy.quota_available(), 495);
}

TEST(RetryPolicy, DefaultRandomSourceStaysInRange) {
    RandomSource r = default_random_source();
    for (int i = 0; i < 1000; ++i) {
        const double v = r();
        ASSERT_GE(v, 0.0);
        ASSERT_LT(v, 1.0);
    }
    RetryPolicy policy;
    RetryToken token;
    const RetryDecision d = policy.on_failure(1, kThrottled, token);
    ASSERT_TRUE(d.should_retry());
    EXPECT_LT(d.delay, milliseconds(1000));
}

TEST(RetryPolicy, VerdictNames) {
    EXPECT_EQ(verdict_name(Verdict::retry), "retry");
    EXPECT_EQ(verdict_name(Verdict::not_retryable), "not retryable");
    EXPECT_EQ(verdict_name(Verdict::attempts_exhausted), "max attempts reached");
    EXPECT_EQ(verdict_name(Verdict::quota_exhausted), "retry quota exhausted");
}

}  // namespace
}  // namespace sockerless::aws
