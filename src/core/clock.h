// Time as the rest of Tessera sees it. Components take a Clock so that tests control time
// and nothing sleeps to wait for an expiry.
//
//   tessera::core::ManualClock clock(std::chrono::sys_seconds{std::chrono::seconds{1700000000}});
//   clock.advance(std::chrono::minutes{16});   // a 15-minute token is now expired
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace tessera::core {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A clock that moves only when told to; safe to read and move from several threads.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(TimePoint::duration(now_.load())); }
  void set(TimePoint t) { now_.store(t.time_since_epoch().count()); }
  void advance(std::chrono::system_clock::duration d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<TimePoint::rep> now_;
};

// Seconds since the Unix epoch, as JWT NumericDate values are written (RFC 7519 section 2).
std::int64_t unix_seconds(TimePoint t);

// RFC 3339 in UTC, as logs and the admin commands show times: "2026-11-26T22:01:49Z", or
// "2026-11-26T22:01:49.123Z" with milliseconds.
std::string format_utc(TimePoint t, bool milliseconds = false);

// Milliseconds since the Unix epoch, and back: for times kept finer than a second.
std::int64_t unix_milliseconds(TimePoint t);
TimePoint from_unix_milliseconds(std::int64_t ms);

}  // namespace tessera::core
