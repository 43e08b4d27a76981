#include "http/form.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <ostream>
#include <string>

namespace tessera::http {

// GoogleTest finds these by argument-dependent lookup, so they live beside FormError.
void PrintTo(FormError e, std::ostream* os) { *os << to_string(e); }

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using namespace std::string_literals;

std::string describe(const std::expected<FormPairs, FormError>& result) {
  if (!result) return "error: " + std::string(to_string(result.error()));
  std::string out = "pairs:";
  for (const auto& [name, value] : *result) out += " (" + name + ", " + value + ")";
  return out;
}

// The pairs of a form that must parse.
FormPairs parsed(std::string_view body) {
  auto pairs = parse_form(body);
  if (!pairs) {
    ADD_FAILURE() << "\"" << body << "\" did not parse: " << to_string(pairs.error());
    return {};
  }
  return std::move(*pairs);
}

TEST(ParseForm, SplitsPairsOnAmpersandAndEquals) {
  EXPECT_THAT(parsed("a=1&b=2"), ElementsAre(Pair("a", "1"), Pair("b", "2")));
}

TEST(ParseForm, PlusIsASpace) {
  EXPECT_THAT(parsed("name=John+Smith&a+b=c"),
              ElementsAre(Pair("name", "John Smith"), Pair("a b", "c")));
}

TEST(ParseForm, PercentEscapesDecode) {
  EXPECT_THAT(parsed("a=%41%62&b=%2B&c=p%40ss%3D1%26x"),
              ElementsAre(Pair("a", "Ab"), Pair("b", "+"), Pair("c", "p@ss=1&x")));
}

TEST(ParseForm, EscapedNamesDecode) {
  EXPECT_THAT(parsed("user%5Fname=x"), ElementsAre(Pair("user_name", "x")));
}

TEST(ParseForm, HexDigitsMayBeEitherCase) {
  EXPECT_THAT(parsed("a=%c3%a4&b=%C3%A4"),
              ElementsAre(Pair("a", "\xc3\xa4"), Pair("b", "\xc3\xa4")));
}

TEST(ParseForm, PercentEncodedUtf8ArrivesAsItsBytes) {
  // "명수" and "pässwörd ✓".
  EXPECT_THAT(parsed("username=%EB%AA%85%EC%88%98&password=p%C3%A4ssw%C3%B6rd+%E2%9C%93"),
              ElementsAre(Pair("username", "\xeb\xaa\x85\xec\x88\x98"),
                          Pair("password", "p\xc3\xa4ssw\xc3\xb6rd \xe2\x9c\x93")));
}

TEST(ParseForm, RawNonAsciiBytesPassAsTheyAre) {
  EXPECT_THAT(parsed("a=\xc3\xa4\xff"), ElementsAre(Pair("a", "\xc3\xa4\xff")));
}

// No identifier, password or token has a NUL, and a C string further on would end at it
// ("admin%00x" read as "admin" by libpq).
TEST(ParseForm, NulBytesAreRefusedEscapedOrRaw) {
  for (const std::string& body : {"username=admin%00x"s, "password=ab%00cd"s, "a%00b=1"s,
                                  "username=admin\0x"s, "x=1&client_id=%00"s}) {
    const auto pairs = parse_form(body);
    ASSERT_FALSE(pairs.has_value()) << ::testing::PrintToString(body);
    EXPECT_EQ(pairs.error(), FormError::kNulByte);
  }
  EXPECT_EQ(form_decode("a%00").error(), FormError::kNulByte);
}

TEST(ParseForm, EmptyValueIsKept) {
  EXPECT_THAT(parsed("a=&b=2"), ElementsAre(Pair("a", ""), Pair("b", "2")));
}

TEST(ParseForm, NameWithoutEqualsHasAnEmptyValue) {
  EXPECT_THAT(parsed("flag&b=2"), ElementsAre(Pair("flag", ""), Pair("b", "2")));
}

TEST(ParseForm, OnlyTheFirstEqualsSplits) {
  EXPECT_THAT(parsed("a=b=c"), ElementsAre(Pair("a", "b=c")));
}

TEST(ParseForm, EmptyFieldsAreSkipped) {
  EXPECT_THAT(parsed("a=1&&b=2"), ElementsAre(Pair("a", "1"), Pair("b", "2")));
  EXPECT_THAT(parsed("a=1&b=2&"), ElementsAre(Pair("a", "1"), Pair("b", "2")));
  EXPECT_THAT(parsed("&a=1"), ElementsAre(Pair("a", "1")));
}

TEST(ParseForm, EmptyBodyHasNoPairs) {
  EXPECT_THAT(parsed(""), IsEmpty());
  EXPECT_THAT(parsed("&&&"), IsEmpty());
}

// Deciding what a repetition means is the caller's (RFC 6749 section 3.2 refuses it).
TEST(ParseForm, RepeatedNamesAreKeptInOrder) {
  EXPECT_THAT(parsed("scope=b&x=1&scope=a"),
              ElementsAre(Pair("scope", "b"), Pair("x", "1"), Pair("scope", "a")));
}

// A mangled password is refused rather than checked as some other string.
TEST(ParseForm, BadEscapesAreRefused) {
  for (const std::string_view body : {"a=%", "a=%4", "a=%zz", "a=%G1", "a=%1G", "a=x%", "a=%%41",
                                      "a=%4&b=1", "%=1", "%4x=1", "a=%+1", "a=% 1"}) {
    const auto result = parse_form(body);
    ASSERT_FALSE(result.has_value()) << body << " gave " << describe(result);
    EXPECT_EQ(result.error(), FormError::kBadEscape) << body;
  }
}

TEST(ParseForm, AcceptsAtMost64Fields) {
  std::string body;
  for (std::size_t i = 0; i < kMaxFormFields; ++i) body += "f" + std::to_string(i) + "=v&";
  const auto at_limit = parse_form(body);
  ASSERT_TRUE(at_limit.has_value()) << describe(at_limit);
  EXPECT_EQ(at_limit->size(), kMaxFormFields);

  const auto over = parse_form(body + "one=more");
  ASSERT_FALSE(over.has_value()) << describe(over);
  EXPECT_EQ(over.error(), FormError::kTooManyFields);
}

// Empty fields are not fields: they do not count against the limit.
TEST(ParseForm, EmptyFieldsDoNotCountTowardsTheLimit) {
  std::string body;
  for (std::size_t i = 0; i < kMaxFormFields; ++i) body += "f=v&&&";
  const auto result = parse_form(body);
  ASSERT_TRUE(result.has_value()) << describe(result);
  EXPECT_EQ(result->size(), kMaxFormFields);
}

TEST(FormDecode, DecodesPlusAndEscapes) {
  const auto decoded = form_decode("a+b%2Bc%25");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, "a b+c%");
}

TEST(FormDecode, DecodesRunsOfPlusesAndEscapesInAnyOrder) {
  const auto decoded = form_decode("+%41++%42%43+x%2b%2B+");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, " A  BC x++ ");
}

// Every string of up to six characters over an alphabet of the special characters, hex digits
// and a plain one decodes as a character-by-character reading of the WHATWG rules says.
TEST(FormDecode, AgreesWithACharacterByCharacterDecoder) {
  const auto reference = [](std::string_view text) -> std::optional<std::string> {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '+') {
        out += ' ';
      } else if (text[i] != '%') {
        out += text[i];
      } else if (i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
        out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        return std::nullopt;
      }
    }
    return out;
  };
  constexpr std::string_view kAlphabet = "+%4aFx";
  std::size_t checked = 0;
  for (std::size_t length = 0; length <= 6; ++length) {
    std::size_t combinations = 1;
    for (std::size_t i = 0; i < length; ++i) combinations *= kAlphabet.size();
    for (std::size_t n = 0; n < combinations; ++n) {
      std::string text;
      for (std::size_t k = 0, rest = n; k < length; ++k, rest /= kAlphabet.size()) {
        text += kAlphabet[rest % kAlphabet.size()];
      }
      const auto decoded = form_decode(text);
      const auto expected = reference(text);
      ASSERT_EQ(decoded.has_value(), expected.has_value()) << text;
      if (expected) {
        ASSERT_EQ(*decoded, *expected) << text;
      } else {
        ASSERT_EQ(decoded.error(), FormError::kBadEscape) << text;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 55987u);  // 6^0 + 6^1 + ... + 6^6
}

TEST(FormDecode, LeavesOtherCharactersAlone) {
  const auto decoded = form_decode("a=b&c;d");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, "a=b&c;d");
}

TEST(FormDecode, RefusesBadEscapes) {
  for (const std::string_view text : {"%", "%4", "%zz", "%G1", "abc%"}) {
    const auto decoded = form_decode(text);
    ASSERT_FALSE(decoded.has_value()) << text;
    EXPECT_EQ(decoded.error(), FormError::kBadEscape) << text;
  }
}

TEST(FormError, HasAReadableDescription) {
  EXPECT_EQ(to_string(FormError::kBadEscape), "the form has a malformed percent-escape");
  EXPECT_EQ(to_string(FormError::kTooManyFields), "the form has too many fields");
  EXPECT_EQ(to_string(FormError::kNulByte), "the form has a NUL byte");
}

}  // namespace
}  // namespace tessera::http
