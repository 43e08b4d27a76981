// count_failure: the throttle rules both stores apply (store/throttle.h), without a database.
#include "store/throttle.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

namespace tessera::store {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const core::TimePoint kT0 = std::chrono::sys_seconds{seconds{1700000000}};
constexpr ThrottlePolicy kPolicy{
    .threshold = 3, .window = minutes(15), .first_lockout = minutes(1), .max_lockout = minutes(5)};

// `n` failures at `at`, from `record`.
ThrottleRecord fail(std::optional<ThrottleRecord> record, int n, core::TimePoint at) {
  for (int i = 0; i < n; ++i) record = count_failure(record, at, kPolicy).record;
  return *record;
}

TEST(CountFailure, TheFirstFailureStartsAWindowAtItsSecond) {
  const auto counted = count_failure(std::nullopt, kT0 + std::chrono::milliseconds(700), kPolicy);
  EXPECT_EQ(counted.record.failures, 1);
  EXPECT_EQ(counted.record.window_start, kT0);
  EXPECT_EQ(counted.record.lockouts, 0);
  EXPECT_FALSE(counted.record.locked_until.has_value());
  EXPECT_FALSE(counted.state.locked_until.has_value());
}

TEST(CountFailure, TheThresholdLocksForTheFirstLockoutAndStartsANewWindow) {
  const ThrottleRecord two = fail(std::nullopt, 2, kT0);
  const auto third = count_failure(two, kT0 + seconds(10), kPolicy);
  ASSERT_TRUE(third.state.locked_until.has_value());
  EXPECT_EQ(*third.state.locked_until, kT0 + seconds(10) + minutes(1));
  EXPECT_EQ(third.state.lockouts, 1);
  EXPECT_EQ(third.record.failures, 0);
  EXPECT_EQ(third.record.window_start, kT0 + seconds(10));
  EXPECT_EQ(third.record.locked_until, third.state.locked_until);
}

TEST(CountFailure, EachLockoutInARowDoublesUpToTheMaximum) {
  ThrottleRecord record = fail(std::nullopt, 3, kT0);
  std::vector<minutes> lengths;
  core::TimePoint t = kT0;
  for (int round = 0; round < 4; ++round) {
    t += hours(1);
    record = fail(record, 2, t);
    const auto counted = count_failure(record, t, kPolicy);
    lengths.push_back(std::chrono::duration_cast<minutes>(*counted.state.locked_until - t));
    record = counted.record;
  }
  EXPECT_EQ(lengths, (std::vector<minutes>{minutes(2), minutes(4), minutes(5), minutes(5)}));
}

TEST(CountFailure, AnOldWindowStartsOver) {
  const ThrottleRecord two = fail(std::nullopt, 2, kT0);
  const auto later = count_failure(two, kT0 + minutes(15), kPolicy);
  EXPECT_EQ(later.record.failures, 1);
  EXPECT_EQ(later.record.window_start, kT0 + minutes(15));
  EXPECT_FALSE(later.state.locked_until.has_value());
}

// A failure counted during a lock (by another process that did not see it) keeps the lock.
TEST(CountFailure, ALockStillInForceIsKeptAndAnEndedOneForgotten) {
  const ThrottleRecord locked = fail(std::nullopt, 3, kT0);
  const auto during = count_failure(locked, kT0 + seconds(30), kPolicy);
  EXPECT_EQ(during.record.locked_until, kT0 + minutes(1));
  EXPECT_FALSE(during.state.locked_until.has_value()) << "this failure locked nothing";
  const auto after = count_failure(locked, kT0 + minutes(1), kPolicy);
  EXPECT_FALSE(after.record.locked_until.has_value());
}

}  // namespace
}  // namespace tessera::store
