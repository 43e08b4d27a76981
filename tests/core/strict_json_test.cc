#include "core/strict_json.h"

#include <gtest/gtest.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::core {
namespace {

using namespace std::string_literals;

// GoogleTest 1.12 cannot print std::expected: this names the outcome, so that a failure
// reads "JSON object has a duplicate key" rather than a dump of bytes.
std::string outcome(const std::expected<boost::json::value, JsonError>& result) {
  if (!result) return "error: " + std::string(to_string(result.error()));
  return "ok: " + boost::json::serialize(*result);
}

std::string error(JsonError e) { return "error: " + std::string(to_string(e)); }

std::string parse(std::string_view text, JsonLimits limits = {}) {
  return outcome(parse_strict_json(text, limits));
}

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(StrictJson, ParsesAnOrdinaryObject) {
  const auto value = parse_strict_json(R"({"alg":"EdDSA","n":[1,2.5,true,null],"o":{"k":"v"}})");
  ASSERT_TRUE(value.has_value()) << to_string(value.error());
  ASSERT_TRUE(value->is_object());
  EXPECT_EQ(value->at("alg"), "EdDSA");
  EXPECT_EQ(value->at("n").as_array().size(), 4u);
  EXPECT_EQ(value->at("o").at("k"), "v");
}

TEST(StrictJson, ParsesScalarsAtTopLevel) {
  EXPECT_EQ(parse("true"), "ok: true");
  EXPECT_EQ(parse("null"), "ok: null");
  EXPECT_EQ(parse("\"x\""), "ok: \"x\"");
  EXPECT_EQ(parse("-0"), "ok: 0");
}

TEST(StrictJson, RejectsADuplicateKeyAtTopLevel) {
  EXPECT_EQ(parse(R"({"alg":"HS256","alg":"none"})"), error(JsonError::kDuplicateKey));
  EXPECT_EQ(parse(R"({"a":1,"b":2,"a":1})"), error(JsonError::kDuplicateKey));
}

TEST(StrictJson, RejectsADuplicateKeyInANestedObject) {
  EXPECT_EQ(parse(R"({"outer":{"k":1,"k":2}})"), error(JsonError::kDuplicateKey));
  EXPECT_EQ(parse(R"([{"k":1},{"k":1,"k":2}])"), error(JsonError::kDuplicateKey));
}

TEST(StrictJson, ComparesKeysAfterUnescaping) {
  // "\u0061" is "a": the two keys are the same string however they are spelled.
  EXPECT_EQ(parse(R"({"a":1,"\u0061":2})"), error(JsonError::kDuplicateKey));
  EXPECT_EQ(parse(R"({"\/":1,"/":2})"), error(JsonError::kDuplicateKey));
}

TEST(StrictJson, AcceptsKeysThatOnlyLookAlike) {
  EXPECT_EQ(parse(R"({"a":1,"A":2,"a ":3})"), R"(ok: {"a":1,"A":2,"a ":3})");
}

TEST(StrictJson, AcceptsTheSameKeyInSiblingAndNestedObjects) {
  EXPECT_EQ(parse(R"([{"k":1},{"k":2}])"), R"(ok: [{"k":1},{"k":2}])");
  EXPECT_EQ(parse(R"({"a":{"k":1},"b":{"k":2}})"), R"(ok: {"a":{"k":1},"b":{"k":2}})");
  EXPECT_EQ(parse(R"({"k":{"k":{"k":1}}})"), R"(ok: {"k":{"k":{"k":1}}})");
}

TEST(StrictJson, AcceptsNestingUpToTheDepthLimit) {
  EXPECT_EQ(parse(nested_arrays(16)), "ok: " + nested_arrays(16));
  EXPECT_EQ(parse(nested_arrays(4), {.max_depth = 4}), "ok: " + nested_arrays(4));
  EXPECT_EQ(parse(R"({"a":{"b":{"c":{}}}})", {.max_depth = 4}), R"(ok: {"a":{"b":{"c":{}}}})");
}

TEST(StrictJson, RejectsNestingBeyondTheDepthLimit) {
  EXPECT_EQ(parse(nested_arrays(17)), error(JsonError::kTooDeep));
  EXPECT_EQ(parse(nested_arrays(5), {.max_depth = 4}), error(JsonError::kTooDeep));
  EXPECT_EQ(parse(R"({"a":{"b":{"c":{"d":{}}}}})", {.max_depth = 4}), error(JsonError::kTooDeep));
  // Deep enough to exhaust a recursive parser's stack, if this one were recursive.
  EXPECT_EQ(parse(nested_arrays(30000)), error(JsonError::kTooDeep));
}

TEST(StrictJson, AcceptsTextOfExactlyTheSizeLimit) {
  const std::string text = "\"" + std::string(62, 'x') + "\"";
  ASSERT_EQ(text.size(), 64u);
  EXPECT_EQ(parse(text, {.max_size = 64}), "ok: " + text);
}

TEST(StrictJson, RejectsTextOverTheSizeLimit) {
  const std::string text = "\"" + std::string(63, 'x') + "\"";
  EXPECT_EQ(parse(text, {.max_size = 64}), error(JsonError::kTooLarge));
  // The default limit is 64 KiB, whitespace included.
  EXPECT_EQ(parse("{}" + std::string(64 * 1024 - 2, ' ')), "ok: {}");
  EXPECT_EQ(parse("{}" + std::string(64 * 1024 - 1, ' ')), error(JsonError::kTooLarge));
}

TEST(StrictJson, AcceptsSurroundingWhitespace) { EXPECT_EQ(parse(" \t\r\n{} \t\r\n"), "ok: {}"); }

TEST(StrictJson, RejectsTrailingData) {
  EXPECT_EQ(parse("{} x"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("{}{}"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("{},"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("1 2"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("{}\0"s), error(JsonError::kSyntax));
  EXPECT_EQ(parse("{}\0{\"a\":1}"s), error(JsonError::kSyntax));
}

TEST(StrictJson, RejectsEmptyAndTruncatedText) {
  EXPECT_EQ(parse(""), error(JsonError::kSyntax));
  EXPECT_EQ(parse("   "), error(JsonError::kSyntax));
  EXPECT_EQ(parse("{"), error(JsonError::kSyntax));
  EXPECT_EQ(parse(R"({"a":)"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("[1,2"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("\"abc"), error(JsonError::kSyntax));
}

TEST(StrictJson, RejectsComments) {
  EXPECT_EQ(parse("/* c */ {}"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("{} // c"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("{\"a\": /* c */ 1}"), error(JsonError::kSyntax));
}

TEST(StrictJson, RejectsTrailingCommas) {
  EXPECT_EQ(parse("[1,]"), error(JsonError::kSyntax));
  EXPECT_EQ(parse(R"({"a":1,})"), error(JsonError::kSyntax));
}

TEST(StrictJson, RejectsWhatOnlyJavaScriptAccepts) {
  EXPECT_EQ(parse("{'a':1}"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("{a:1}"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("NaN"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("Infinity"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("01"), error(JsonError::kSyntax));
  EXPECT_EQ(parse(".5"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("1."), error(JsonError::kSyntax));
  EXPECT_EQ(parse("+1"), error(JsonError::kSyntax));
  EXPECT_EQ(parse("0x10"), error(JsonError::kSyntax));
}

TEST(StrictJson, RejectsInvalidUtf8) {
  EXPECT_EQ(parse("\"\xff\""), error(JsonError::kSyntax));
  EXPECT_EQ(parse("\"\x80\""), error(JsonError::kSyntax));              // lone continuation byte
  EXPECT_EQ(parse("\"\xc3\""), error(JsonError::kSyntax));              // truncated sequence
  EXPECT_EQ(parse("\"\xc0\xaf\""), error(JsonError::kSyntax));          // overlong '/'
  EXPECT_EQ(parse("\"\xed\xa0\x80\""), error(JsonError::kSyntax));      // encoded surrogate
  EXPECT_EQ(parse("\"\xf4\x90\x80\x80\""), error(JsonError::kSyntax));  // beyond U+10FFFF
  EXPECT_EQ(parse("{\"\xff\":1}"), error(JsonError::kSyntax));          // in a key
  EXPECT_EQ(parse("\xef\xbb\xbf{}"), error(JsonError::kSyntax));        // byte order mark
}

TEST(StrictJson, AcceptsValidUtf8) {
  EXPECT_EQ(parse("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""),
            "ok: \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
}

TEST(StrictJson, RejectsRawControlCharactersInStrings) {
  EXPECT_EQ(parse("\"a\nb\""), error(JsonError::kSyntax));
  EXPECT_EQ(parse("\"a\0b\""s), error(JsonError::kSyntax));
}

TEST(StrictJson, RejectsLoneSurrogateEscapes) {
  // Boost.JSON refuses them; a string that cannot be UTF-8 must not get through.
  EXPECT_EQ(parse(R"("\ud800")"), error(JsonError::kSyntax));
  EXPECT_EQ(parse(R"("\udc00")"), error(JsonError::kSyntax));
  EXPECT_EQ(parse(R"("\ud800\u0041")"), error(JsonError::kSyntax));
  EXPECT_EQ(parse(R"({"\ud800":1})"), error(JsonError::kSyntax));
}

TEST(StrictJson, AcceptsASurrogatePairEscape) {
  EXPECT_EQ(parse(R"("\ud83d\ude00")"), "ok: \"\xf0\x9f\x98\x80\"");
}

TEST(StrictJson, KeepsIntegersThatFitExactly) {
  const auto max_u = parse_strict_json("18446744073709551615");
  ASSERT_TRUE(max_u.has_value());
  ASSERT_TRUE(max_u->is_uint64());
  EXPECT_EQ(max_u->get_uint64(), UINT64_MAX);

  const auto min_i = parse_strict_json("-9223372036854775808");
  ASSERT_TRUE(min_i.has_value());
  ASSERT_TRUE(min_i->is_int64());
  EXPECT_EQ(min_i->get_int64(), INT64_MIN);
}

TEST(StrictJson, ReadsIntegersBeyond64BitsAsDoubles) {
  for (const std::string_view text :
       {"18446744073709551616", "-9223372036854775809", "123456789012345678901234567890"}) {
    const auto value = parse_strict_json(text);
    ASSERT_TRUE(value.has_value()) << text;
    EXPECT_TRUE(value->is_double()) << text;
  }
}

TEST(StrictJson, RefusesNumbersBeyondTheRangeOfADouble) {
  // 1e400 and 10,000 nines would read as infinity, which JSON cannot write back.
  for (const std::string& text :
       {std::string("1e400"), std::string("-1e400"), std::string(10000, '9')}) {
    const auto value = parse_strict_json(text);
    ASSERT_FALSE(value.has_value()) << text.substr(0, 16);
    EXPECT_EQ(value.error(), JsonError::kSyntax);
  }
}

TEST(StrictJson, RefusesAnObjectWithMoreKeysThanTheLimit) {
  std::string text = "{";
  for (int i = 0; i < 5; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  text += "}";
  EXPECT_TRUE(parse_strict_json(text, {.max_size = 1024, .max_depth = 4, .max_object_keys = 5})
                  .has_value());
  const auto refused =
      parse_strict_json(text, {.max_size = 1024, .max_depth = 4, .max_object_keys = 4});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), JsonError::kTooLarge);
}

TEST(StrictJson, NamesEachErrorInOneLine) {
  for (const JsonError e :
       {JsonError::kTooLarge, JsonError::kTooDeep, JsonError::kDuplicateKey, JsonError::kSyntax}) {
    EXPECT_FALSE(to_string(e).empty());
    EXPECT_EQ(to_string(e).find('\n'), std::string_view::npos);
  }
  EXPECT_NE(to_string(JsonError::kDuplicateKey), to_string(JsonError::kSyntax));
}

TEST(StrictJson, ForgetsTheKeysOfAClosedObject) {
  // Siblings may reuse names; a closed object's keys must not count against its parent's.
  EXPECT_EQ(parse(R"([{"k":1},{"k":2}])"), R"(ok: [{"k":1},{"k":2}])");
  EXPECT_EQ(parse(R"({"a":{"b":1},"b":{"a":2}})"), R"(ok: {"a":{"b":1},"b":{"a":2}})");
  EXPECT_EQ(parse(R"({"a":{"b":1},"c":1,"a":2})"), error(JsonError::kDuplicateKey));
}

TEST(StrictJson, HandlesKeysLargerThanItsStackBuffers) {
  const std::string long_key(5000, 'k');
  const std::string text = R"({")" + long_key + R"(":{")" + long_key + R"(":1},"x":2})";
  EXPECT_TRUE(parse_strict_json(text).has_value());
  const std::string twice = R"({")" + long_key + R"(":1,")" + long_key + R"(":2})";
  EXPECT_EQ(parse(twice), error(JsonError::kDuplicateKey));
}

TEST(StrictJson, AllocatesTheValueFromTheGivenResource) {
  unsigned char buffer[1024];
  boost::json::monotonic_resource resource(buffer, sizeof buffer);
  const auto value =
      parse_strict_json(R"({"kid":"a key id longer than any short string"})", {}, &resource);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(value->storage().get(), &resource);
  EXPECT_EQ(value->at("kid"), "a key id longer than any short string");
}

// StrictJsonMembers must accept and refuse exactly what parse_strict_json does, and report
// the top-level members the value would hold.
TEST(StrictJsonMembers, AgreesWithParseStrictJson) {
  const std::string texts[] = {
      R"({"alg":"HS256","typ":"at+jwt","kid":"k1"})",
      R"({"alg":"HS256","alg":"none"})",
      R"({"alg":"HS256","x":{"k":1,"k":2}})",
      R"({"alg":"HS256","x":[{"k":1},{"k":1,"k":2}]})",
      R"({"a":1,"\u0061":2})",
      R"({"k\u0069d":"x\u0079z","n":1,"b":true,"z":null,"o":{"s":"t"},"l":["u"]})",
      R"({"i":-9223372036854775808,"u":18446744073709551615,"d":1.5e3,"f":-0.25,"e":1E2})",
      R"({"n":[1,2],"m":{"n":3},"k":1,"l":[{"x":"y"}],"s":"t"})",
      R"({"alg":"HS256"} {})",
      R"({"alg":"HS256",})",
      R"({"alg":"HS256"/* c */})",
      R"({"x":1e400})",
      R"({"x":[[[[1]]]]})",
      "{\"x\":\"\xff\"}",
      R"([{"alg":"HS256"}])",
      R"(["a","b"])",
      R"("HS256")",
      "256",
      "null",
      "",
      "{",
  };
  const JsonLimits limits{.max_size = 2048, .max_depth = 4};
  for (const std::string& text : texts) {
    const auto value = parse_strict_json(text, limits);
    StrictJsonMembers members;
    const auto scanned = members.parse(text, limits);
    ASSERT_EQ(value.has_value(), scanned.has_value()) << text;
    if (!value) {
      EXPECT_EQ(value.error(), scanned.error()) << text;
      continue;
    }
    ASSERT_EQ(members.is_object(), value->is_object()) << text;
    if (!value->is_object()) {
      EXPECT_TRUE(members.members().empty()) << text;
      continue;
    }
    const boost::json::object& object = value->get_object();
    ASSERT_EQ(members.members().size(), object.size()) << text;
    for (const auto& [name, v] : object) {
      const StrictJsonMembers::Member* m = members.find(name);
      ASSERT_NE(m, nullptr) << text << " " << name;
      EXPECT_EQ(m->string.has_value(), v.is_string()) << text << " " << name;
      if (v.is_string()) {
        EXPECT_EQ(*m->string, std::string_view(v.get_string())) << text;
      }
      using Kind = StrictJsonMembers::Kind;
      const Kind want = v.is_string()   ? Kind::kString
                        : v.is_number() ? Kind::kNumber
                        : v.is_bool()   ? Kind::kBool
                        : v.is_null()   ? Kind::kNull
                        : v.is_array()  ? Kind::kArray
                                        : Kind::kObject;
      EXPECT_EQ(m->kind, want) << text << " " << name;
      // The same number, of the same JSON kind (int64, uint64 or double), or none.
      using Number = decltype(m->number);
      const Number number = v.is_int64()    ? Number(v.get_int64())
                            : v.is_uint64() ? Number(v.get_uint64())
                            : v.is_double() ? Number(v.get_double())
                                            : Number();
      EXPECT_TRUE(m->number == number) << text << " " << name;
    }
  }
}

TEST(StrictJsonMembers, RefusesTooLargeAndTooManyKeys) {
  StrictJsonMembers members;
  const auto big = members.parse(R"({"x":")" + std::string(100, 'x') + R"("})", {.max_size = 64});
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error(), JsonError::kTooLarge);
  const auto many = members.parse(R"({"a":1,"b":2,"c":3})", {.max_object_keys = 2});
  ASSERT_FALSE(many.has_value());
  EXPECT_EQ(many.error(), JsonError::kTooLarge);
}

TEST(StrictJsonMembers, CanBeReusedForAnotherText) {
  StrictJsonMembers members;
  ASSERT_TRUE(members.parse(R"({"alg":"EdDSA","kid":"one"})").has_value());
  ASSERT_TRUE(members.parse(R"({"alg":"ES256"})").has_value());
  ASSERT_EQ(members.members().size(), 1u);
  EXPECT_EQ(members.find("kid"), nullptr);
  EXPECT_EQ(members.find("alg")->string, "ES256");
}

}  // namespace
}  // namespace tessera::core
