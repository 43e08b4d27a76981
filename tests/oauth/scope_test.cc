#include "oauth/scope.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace tessera::oauth {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;
using namespace std::string_literals;

// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
TEST(IsScopeToken, AcceptsEveryCharacterOfTheGrammar) {
  std::string all;
  for (int c = 0x21; c <= 0x7e; ++c) {
    if (c != '"' && c != '\\') all.push_back(static_cast<char>(c));
  }
  // 92 characters: within the 128-byte limit.
  ASSERT_EQ(all.size(), 92u);
  EXPECT_TRUE(is_scope_token(all));
  EXPECT_TRUE(is_scope_token("finance:read"));
  // The edges of each range.
  for (const char* token : {"!", "#", "[", "]", "~"}) EXPECT_TRUE(is_scope_token(token)) << token;
}

TEST(IsScopeToken, RefusesSpaceQuoteBackslashAndControls) {
  for (const std::string& token :
       {"a b"s, "\"a\""s, "a\\b"s, "a\tb"s, "a\nb"s, "a\0b"s, "\x7f"s, "\x1f"s}) {
    EXPECT_FALSE(is_scope_token(token)) << ::testing::PrintToString(token);
  }
}

TEST(IsScopeToken, RefusesNonAscii) {
  EXPECT_FALSE(is_scope_token("caf\xc3\xa9"));
  EXPECT_FALSE(is_scope_token("\x80"));
  EXPECT_FALSE(is_scope_token("\xff"));
}

TEST(IsScopeToken, RefusesEmpty) { EXPECT_FALSE(is_scope_token("")); }

TEST(IsScopeToken, AcceptsAtMost128Bytes) {
  EXPECT_TRUE(is_scope_token(std::string(kMaxScopeTokenBytes, 'a')));
  EXPECT_FALSE(is_scope_token(std::string(kMaxScopeTokenBytes + 1, 'a')));
}

TEST(ParseScope, SortsAndRemovesDuplicates) {
  EXPECT_THAT(parse_scope("write read write admin"),
              Optional(ElementsAre("admin", "read", "write")));
}

TEST(ParseScope, ToleratesRunsOfSpacesAndSpacesAtTheEnds) {
  EXPECT_THAT(parse_scope("  b   a  "), Optional(ElementsAre("a", "b")));
}

TEST(ParseScope, ReadsNothingAsTheEmptySet) {
  EXPECT_THAT(parse_scope(""), Optional(IsEmpty()));
  EXPECT_THAT(parse_scope("   "), Optional(IsEmpty()));
}

TEST(ParseScope, RefusesTheWholeListForOneBadToken) {
  EXPECT_EQ(parse_scope("read wr\"ite"), std::nullopt);
  EXPECT_EQ(parse_scope("read " + std::string(kMaxScopeTokenBytes + 1, 'x')), std::nullopt);
}

// Only SP separates scope tokens; other whitespace is part of a (then invalid) token.
TEST(ParseScope, RefusesTabsAndNewlinesAsSeparators) {
  EXPECT_EQ(parse_scope("read\twrite"), std::nullopt);
  EXPECT_EQ(parse_scope("read\nwrite"), std::nullopt);
}

TEST(ParseScope, AcceptsAtMost64Tokens) {
  std::string text;
  for (std::size_t i = 0; i < kMaxScopes; ++i) text += "s" + std::to_string(i) + " ";
  const auto parsed = parse_scope(text);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->size(), kMaxScopes);
  EXPECT_EQ(parse_scope(text + "one-too-many"), std::nullopt);
}

TEST(FormatScope, JoinsWithSingleSpacesInSetOrder) {
  EXPECT_EQ(format_scope({"a", "b", "c:d"}), "a b c:d");
  EXPECT_EQ(format_scope({"only"}), "only");
  EXPECT_EQ(format_scope({}), "");
}

TEST(FormatScope, RoundTripsThroughParseScope) {
  const auto parsed = parse_scope(" z  y x ");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(format_scope(*parsed), "x y z");
  EXPECT_EQ(parse_scope(format_scope(*parsed)), parsed);
}

TEST(MakeScopeSet, SortsAndRemovesDuplicates) {
  EXPECT_THAT(make_scope_set({"b", "a", "b", "c", "a"}), ElementsAre("a", "b", "c"));
}

TEST(Intersect, KeepsWhatBothSetsHave) {
  EXPECT_THAT(intersect({"a", "b", "c"}, {"b", "c", "d"}), ElementsAre("b", "c"));
  EXPECT_THAT(intersect({"a"}, {"b"}), IsEmpty());
  EXPECT_THAT(intersect({}, {"a"}), IsEmpty());
}

TEST(IsSubset, HoldsForEqualAndSmallerSetsOnly) {
  EXPECT_TRUE(is_subset({"a"}, {"a", "b"}));
  EXPECT_TRUE(is_subset({"a", "b"}, {"a", "b"}));
  EXPECT_TRUE(is_subset({}, {"a"}));
  EXPECT_TRUE(is_subset({}, {}));
  EXPECT_FALSE(is_subset({"a", "c"}, {"a", "b"}));
  EXPECT_FALSE(is_subset({"a"}, {}));
}

TEST(Contains, FindsMembersOnly) {
  EXPECT_TRUE(contains({"a", "b"}, "b"));
  EXPECT_FALSE(contains({"a", "b"}, "c"));
  EXPECT_FALSE(contains({}, "a"));
}

}  // namespace
}  // namespace tessera::oauth
