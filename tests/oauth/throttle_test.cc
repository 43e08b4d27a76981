// The brute-force throttle (throttle.h) over the real store: an account locks after its
// threshold of failures within the window, an address after its own larger one, each lockout
// in a row lasts twice the one before, and a success clears the account's count.
#include "oauth/throttle.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/metrics.h"
#include "oauth/oauth_test_support.h"

namespace tessera::oauth {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kAddress = "192.0.2.7";

class LoginThrottleTest : public ::testing::Test {
 protected:
  void fail(std::int64_t times, std::string_view account = "user:alice",
            std::string_view address = kAddress) {
    for (std::int64_t i = 0; i < times; ++i) throttle_.failed(account, address);
  }

  // How long `account` must wait from `address`, or 0s when it may try now.
  std::chrono::seconds wait(std::string_view account = "user:alice",
                            std::string_view address = kAddress) {
    const auto open = throttle_.check(account, address);
    if (open) return 0s;
    EXPECT_EQ(open.error().code, ErrorCode::kTooManyAttempts) << describe(open);
    EXPECT_EQ(open.error().description, "too many failed attempts; try again later");
    return open.error().retry_after.value_or(0s);
  }

  test::OAuthWorld world_;
  LoginThrottle throttle_{world_.store->throttles(), world_.clock};
};

TEST_F(LoginThrottleTest, AnAccountLocksAtItsThresholdAndNotBefore) {
  fail(kAccountThrottle.threshold - 1);
  EXPECT_EQ(wait(), 0s);
  fail(1);
  EXPECT_EQ(wait(), kAccountThrottle.first_lockout);
}

TEST_F(LoginThrottleTest, TheWaitCountsDownAndTheLockRunsOut) {
  fail(kAccountThrottle.threshold);
  world_.clock.advance(20s);
  EXPECT_EQ(wait(), kAccountThrottle.first_lockout - 20s);
  world_.clock.advance(kAccountThrottle.first_lockout - 20s - 500ms);
  EXPECT_EQ(wait(), 1s);  // never "try again in 0 seconds"
  world_.clock.advance(500ms);
  EXPECT_EQ(wait(), 0s);
}

TEST_F(LoginThrottleTest, AnAccountIsLockedFromEveryAddress) {
  fail(kAccountThrottle.threshold);
  EXPECT_EQ(wait("user:alice", "198.51.100.1"), kAccountThrottle.first_lockout);
  EXPECT_EQ(wait("user:bob", kAddress), 0s);
}

TEST_F(LoginThrottleTest, EachLockoutInARowLastsTwiceAsLongUpToTheMaximum) {
  std::chrono::seconds expected = kAccountThrottle.first_lockout;
  for (int lockout = 0; lockout < 8; ++lockout) {
    // From a new address each time, so that only the account's lock is in play.
    const std::string address = "198.51.100." + std::to_string(lockout);
    fail(kAccountThrottle.threshold, "user:alice", address);
    EXPECT_EQ(wait("user:alice", address), expected) << "lockout " << lockout + 1;
    world_.clock.advance(expected);
    expected = std::min(expected * 2, std::chrono::seconds(kAccountThrottle.max_lockout));
  }
  EXPECT_EQ(expected, kAccountThrottle.max_lockout);
}

TEST_F(LoginThrottleTest, ASuccessClearsTheAccountsCount) {
  fail(kAccountThrottle.threshold - 1);
  throttle_.succeeded("user:alice");
  fail(kAccountThrottle.threshold - 1);
  EXPECT_EQ(wait(), 0s);
}

TEST_F(LoginThrottleTest, FailuresOlderThanTheWindowAreForgotten) {
  fail(kAccountThrottle.threshold - 1);
  world_.clock.advance(kAccountThrottle.window);
  fail(kAccountThrottle.threshold - 1);
  EXPECT_EQ(wait(), 0s);
}

// One address guessing many accounts locks itself out, not the accounts elsewhere.
TEST_F(LoginThrottleTest, AnAddressLocksAtItsOwnLargerThreshold) {
  for (std::int64_t i = 0; i < kAddressThrottle.threshold - 1; ++i) {
    fail(1, "user:guess" + std::to_string(i));
  }
  EXPECT_EQ(wait("user:someone", kAddress), 0s);
  fail(1, "user:last-guess");
  EXPECT_EQ(wait("user:someone", kAddress), kAddressThrottle.first_lockout);
  EXPECT_EQ(wait("user:someone", "198.51.100.1"), 0s);
  EXPECT_EQ(wait("user:guess0", "198.51.100.1"), 0s);
}

TEST_F(LoginThrottleTest, EveryFailureAndLockoutIsCounted) {
  auto& failures = core::metrics().counter("tessera_credential_failures_total", "");
  auto& lockouts = core::metrics().counter("tessera_lockouts_total", "");
  const auto failures_before = failures.value();
  const auto lockouts_before = lockouts.value();
  fail(kAccountThrottle.threshold);
  EXPECT_EQ(failures.value() - failures_before,
            static_cast<std::uint64_t>(kAccountThrottle.threshold));
  EXPECT_EQ(lockouts.value() - lockouts_before, 1U);
}

}  // namespace
}  // namespace tessera::oauth
