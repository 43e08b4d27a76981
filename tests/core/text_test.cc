// core/text.h: UTF-8 decoding and the replacement of invalid sequences in log lines.
#include "core/text.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <string>

#include "core/log.h"

namespace tessera::core {
namespace {

using namespace std::string_literals;

TEST(DecodeUtf8, ReadsEachLengthOfSequence) {
  EXPECT_EQ(decode_utf8("a", 0)->code_point, U'a');
  EXPECT_EQ(decode_utf8("\xc3\xa4", 0)->code_point, U'\u00e4');
  EXPECT_EQ(decode_utf8("\xeb\xaa\x85", 0)->length, 3u);
  EXPECT_EQ(decode_utf8("\xf0\x9f\x98\x80", 0)->code_point, U'\U0001F600');
}

TEST(DecodeUtf8, RefusesWhatRfc3629Forbids) {
  for (const std::string& bad :
       {"\xff"s, "\x80"s, "\xc3"s, "\xc3("s, "\xc0\xaf"s, "\xe0\x80\xaf"s,
        "\xed\xa0\x80"s /* surrogate */, "\xf4\x90\x80\x80"s, "\xf5\x80\x80\x80"s, "\xe2\x82"s}) {
    EXPECT_FALSE(decode_utf8(bad, 0).has_value()) << testing::PrintToString(bad);
  }
}

TEST(ReplaceInvalidUtf8, KeepsValidTextAsItIs) {
  const std::string text = "alice \xeb\xaa\x85\xec\x88\x98 Zo\xc3\xab \xf0\x9f\x98\x80";
  EXPECT_EQ(replace_invalid_utf8(text), text);
}

TEST(ReplaceInvalidUtf8, ReplacesEachBadByteWithU_FFFD) {
  EXPECT_EQ(replace_invalid_utf8("a\xff"
                                 "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(replace_invalid_utf8("\xc3"), "\xef\xbf\xbd");
  EXPECT_EQ(replace_invalid_utf8("\xed\xa0\x80!"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!");
  EXPECT_EQ(replace_invalid_utf8("\xc3\xa4\x80"), "\xc3\xa4\xef\xbf\xbd");
}

// The audit's finding: a user name typed as %FF made its own login_failed line unreadable.
TEST(Log, ALineWithInvalidUtf8IsStillValidJsonAndUtf8) {
  testing::internal::CaptureStderr();
  audit("login_failed", {{"user", "bob\xff\xfe"}, {"note", "caf\xc3\xa9"}});
  const std::string line = testing::internal::GetCapturedStderr();
  boost::json::error_code ec;
  const auto parsed = boost::json::parse(line, ec);  // refuses invalid UTF-8
  ASSERT_FALSE(ec) << ec.message() << ": " << line;
  EXPECT_EQ(parsed.at("user").as_string(), "bob\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(parsed.at("note").as_string(), "caf\xc3\xa9");
}

}  // namespace
}  // namespace tessera::core
