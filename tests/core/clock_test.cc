// core/clock.h: Unix times and their RFC 3339 form.
#include "core/clock.h"

#include <gtest/gtest.h>

#include <chrono>

namespace tessera::core {
namespace {

const TimePoint kT = std::chrono::sys_seconds{std::chrono::seconds{1700000000}};

TEST(FormatUtc, WritesRfc3339InUtc) {
  EXPECT_EQ(format_utc(kT), "2023-11-14T22:13:20Z");
  EXPECT_EQ(format_utc(TimePoint{}), "1970-01-01T00:00:00Z");
}

TEST(FormatUtc, WritesMillisecondsWhenAskedAndTruncatesBelowThem) {
  const TimePoint t = kT + std::chrono::microseconds(7'999);
  EXPECT_EQ(format_utc(t, /*milliseconds=*/true), "2023-11-14T22:13:20.007Z");
  EXPECT_EQ(format_utc(t), "2023-11-14T22:13:20Z");
}

TEST(UnixMilliseconds, RoundTrips) {
  const TimePoint t = kT + std::chrono::milliseconds(123);
  EXPECT_EQ(unix_milliseconds(t), 1700000000123);
  EXPECT_EQ(from_unix_milliseconds(1700000000123), t);
  EXPECT_EQ(unix_seconds(t), 1700000000);
}

}  // namespace
}  // namespace tessera::core
