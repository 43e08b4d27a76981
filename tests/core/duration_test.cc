#include "core/duration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>

namespace tessera::core {
namespace {

using std::chrono::seconds;

// GoogleTest 1.12 cannot print std::expected; this names what was parsed or why not.
std::string outcome(const std::expected<seconds, std::string>& result) {
  if (!result) return "error: " + result.error();
  return std::to_string(result->count()) + "s";
}

std::string ok(seconds s) { return std::to_string(s.count()) + "s"; }
std::string error(std::string_view why) { return "error: " + std::string(why); }

constexpr std::string_view kNotADuration =
    "' is not a duration; use a whole number with s, m, h or d, e.g. 15m";

std::string not_a_duration(std::string_view text) {
  return error("'" + std::string(text) + std::string(kNotADuration));
}

TEST(ParseDuration, ReadsABareNumberAsSeconds) {
  EXPECT_EQ(outcome(parse_duration("900")), ok(seconds{900}));
}

TEST(ParseDuration, ReadsEachUnitSuffix) {
  EXPECT_EQ(outcome(parse_duration("900s")), ok(seconds{900}));
  EXPECT_EQ(outcome(parse_duration("15m")), ok(seconds{15 * 60}));
  EXPECT_EQ(outcome(parse_duration("12h")), ok(seconds{12 * 3600}));
  EXPECT_EQ(outcome(parse_duration("30d")), ok(seconds{30 * 86400}));
  EXPECT_EQ(outcome(parse_duration("1s")), ok(seconds{1}));
}

TEST(ParseDuration, AcceptsExactlyOneHundredYears) {
  EXPECT_EQ(outcome(parse_duration("36500d")), ok(seconds{36500LL * 86400}));
  EXPECT_EQ(outcome(parse_duration("3153600000")), ok(seconds{3153600000LL}));
}

TEST(ParseDuration, RejectsTheEmptyText) {
  EXPECT_EQ(outcome(parse_duration("")), error("is empty; expected a duration such as 15m"));
}

TEST(ParseDuration, RejectsZero) {
  EXPECT_EQ(outcome(parse_duration("0")), error("must be greater than zero"));
  EXPECT_EQ(outcome(parse_duration("0m")), error("must be greater than zero"));
}

TEST(ParseDuration, RejectsNegativeDurations) {
  EXPECT_EQ(outcome(parse_duration("-5m")), error("must be greater than zero"));
  EXPECT_EQ(outcome(parse_duration("-1")), error("must be greater than zero"));
}

TEST(ParseDuration, RejectsAnUnknownUnit) {
  EXPECT_EQ(outcome(parse_duration("15x")), not_a_duration("15x"));
  EXPECT_EQ(outcome(parse_duration("15M")), not_a_duration("15M"));
  EXPECT_EQ(outcome(parse_duration("15ms")), not_a_duration("15ms"));
  EXPECT_EQ(outcome(parse_duration("1w")), not_a_duration("1w"));
}

TEST(ParseDuration, RejectsAUnitWithoutANumber) {
  EXPECT_EQ(outcome(parse_duration("m")), not_a_duration("m"));
  EXPECT_EQ(outcome(parse_duration("s")), not_a_duration("s"));
}

TEST(ParseDuration, RejectsFractions) {
  EXPECT_EQ(outcome(parse_duration("1.5h")), not_a_duration("1.5h"));
  EXPECT_EQ(outcome(parse_duration("1e3")), not_a_duration("1e3"));
}

TEST(ParseDuration, RejectsWhitespace) {
  EXPECT_EQ(outcome(parse_duration(" 15m")), not_a_duration(" 15m"));
  EXPECT_EQ(outcome(parse_duration("15m ")), not_a_duration("15m "));
  EXPECT_EQ(outcome(parse_duration("15 m")), not_a_duration("15 m"));
}

TEST(ParseDuration, RejectsSignsAndOtherNumberSpellings) {
  EXPECT_EQ(outcome(parse_duration("+5m")), not_a_duration("+5m"));
  EXPECT_EQ(outcome(parse_duration("0x10")), not_a_duration("0x10"));
  EXPECT_EQ(outcome(parse_duration("15mm")), not_a_duration("15mm"));
}

TEST(ParseDuration, RejectsMoreThanOneHundredYears) {
  EXPECT_EQ(outcome(parse_duration("36501d")), error("is too long"));
  EXPECT_EQ(outcome(parse_duration("3153600001")), error("is too long"));
  // Large enough that n * unit would overflow a 64-bit count.
  EXPECT_EQ(outcome(parse_duration("9223372036854775807d")), error("is too long"));
  EXPECT_EQ(outcome(parse_duration("9223372036854775807")), error("is too long"));
}

TEST(ParseDuration, RejectsANumberTooLargeForAnyInteger) {
  EXPECT_EQ(outcome(parse_duration("99999999999999999999")),
            not_a_duration("99999999999999999999"));
  EXPECT_EQ(outcome(parse_duration("99999999999999999999d")),
            not_a_duration("99999999999999999999d"));
}

TEST(ParseDuration, ErrorsAreOneLine) {
  for (const std::string_view text : {"", "0", "-5m", "15x", "36501d", "1\n5m"}) {
    const auto result = parse_duration(text);
    ASSERT_FALSE(result.has_value()) << text;
    EXPECT_EQ(result.error().find('\n'), std::string::npos) << result.error();
  }
}

TEST(ParseDuration, EscapesControlCharactersItQuotes) {
  EXPECT_EQ(outcome(parse_duration("1\n5m")), not_a_duration("1\\x0a5m"));
  EXPECT_EQ(outcome(parse_duration("\x1b[31m")), not_a_duration("\\x1b[31m"));
}

TEST(FormatDuration, PicksTheLargestExactUnit) {
  EXPECT_EQ(format_duration(seconds{900}), "15m");
  EXPECT_EQ(format_duration(seconds{86400}), "1d");
  EXPECT_EQ(format_duration(seconds{90}), "90s");
  EXPECT_EQ(format_duration(seconds{3600}), "1h");
  EXPECT_EQ(format_duration(seconds{90000}), "25h");
  EXPECT_EQ(format_duration(seconds{30 * 86400}), "30d");
  EXPECT_EQ(format_duration(seconds{1}), "1s");
  EXPECT_EQ(format_duration(seconds{3601}), "3601s");
}

TEST(FormatDuration, WritesZeroInSeconds) { EXPECT_EQ(format_duration(seconds{0}), "0s"); }

TEST(FormatDuration, RoundTripsThroughParseDuration) {
  for (const long long s : {1LL, 59LL, 60LL, 61LL, 900LL, 3599LL, 3600LL, 86399LL, 86400LL, 90000LL,
                            2592000LL, 3153600000LL}) {
    const std::string text = format_duration(seconds{s});
    EXPECT_EQ(outcome(parse_duration(text)), ok(seconds{s})) << text;
  }
}

}  // namespace
}  // namespace tessera::core
