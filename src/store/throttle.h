// The rules of throttle counting, in one pure function that both stores apply inside their
// transaction: what one more failed credential check does to a key's counters.
//
//   ThrottleRecord before = ...;                         // as stored, or std::nullopt
//   auto counted = count_failure(before, now, policy);   // write counted.record back
//   if (counted.state.locked_until) log_lockout();
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "core/clock.h"

namespace tessera::store {

struct ThrottlePolicy {
  std::int64_t threshold;  // failures within `window` that lock the key
  std::chrono::seconds window;
  std::chrono::seconds first_lockout;  // doubled with each lockout in a row
  std::chrono::seconds max_lockout;
};

// A key's counters as stored. Times are whole seconds.
struct ThrottleRecord {
  std::int64_t failures = 0;  // in the current window
  core::TimePoint window_start{};
  std::int64_t lockouts = 0;  // in a row, since the last success
  std::optional<core::TimePoint> locked_until;
};

// What a failure did, for the caller to log.
struct ThrottleState {
  std::int64_t failures = 0;  // in the current window, this one included
  std::int64_t lockouts = 0;  // in a row
  // Set when this failure locked the key: until when.
  std::optional<core::TimePoint> locked_until;
};

struct CountedFailure {
  ThrottleRecord record;  // to store
  ThrottleState state;
};

// One more failure at `now`: a window older than policy.window starts over; reaching the
// threshold locks the key for first_lockout * 2^(lockouts in a row), at most max_lockout, and
// starts a new window. A lock still in force at `now` is kept.
CountedFailure count_failure(const std::optional<ThrottleRecord>& before, core::TimePoint now,
                             const ThrottlePolicy& policy);

}  // namespace tessera::store
