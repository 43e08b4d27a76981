#include "core/base64.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::core {
namespace {

using namespace std::string_literals;

struct Vector {
  std::string input;
  std::string base64;  // padded, as RFC 4648 prints it
};

// Reads tests/data/rfc4648_section10.txt: lines of the form BASE64("input") = "output".
std::vector<Vector> rfc4648_vectors() {
  std::ifstream in(std::string(TESSERA_TEST_DATA) + "/rfc4648_section10.txt");
  EXPECT_TRUE(in.is_open()) << "cannot open rfc4648_section10.txt";
  std::vector<Vector> vectors;
  std::string line;
  constexpr std::string_view kOpen = "BASE64(\"";
  constexpr std::string_view kMiddle = "\") = \"";
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    const std::size_t middle = line.find(kMiddle);
    if (!line.starts_with(kOpen) || middle == std::string::npos || !line.ends_with('"')) {
      ADD_FAILURE() << "unreadable vector line: " << line;
      continue;
    }
    const std::size_t out_begin = middle + kMiddle.size();
    vectors.push_back({line.substr(kOpen.size(), middle - kOpen.size()),
                       line.substr(out_begin, line.size() - 1 - out_begin)});
  }
  EXPECT_EQ(vectors.size(), 7u);
  return vectors;
}

std::string without_padding(std::string s) {
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

TEST(Base64url, EncodesRfc4648VectorsWithoutPadding) {
  for (const Vector& v : rfc4648_vectors()) {
    EXPECT_EQ(base64url_encode(v.input), without_padding(v.base64)) << "input: " << v.input;
  }
}

TEST(Base64url, DecodesRfc4648VectorsWithoutPadding) {
  for (const Vector& v : rfc4648_vectors()) {
    EXPECT_EQ(base64url_decode(without_padding(v.base64)), v.input) << "text: " << v.base64;
  }
}

TEST(Base64url, RejectsRfc4648VectorsWithTheirPadding) {
  for (const Vector& v : rfc4648_vectors()) {
    if (v.base64.ends_with('=')) {
      EXPECT_EQ(base64url_decode(v.base64), std::nullopt) << "text: " << v.base64;
    }
  }
}

TEST(Base64, DecodesRfc4648VectorsWithPadding) {
  for (const Vector& v : rfc4648_vectors()) {
    EXPECT_EQ(base64_decode(v.base64), v.input) << "text: " << v.base64;
  }
}

TEST(Base64, RejectsRfc4648VectorsWithoutTheirPadding) {
  for (const Vector& v : rfc4648_vectors()) {
    if (v.base64.ends_with('=')) {
      EXPECT_EQ(base64_decode(without_padding(v.base64)), std::nullopt) << "text: " << v.base64;
    }
  }
}

TEST(Base64url, RoundTripsRandomBytesOfEveryLengthUpTo64) {
  std::mt19937 rng(20240601);  // fixed seed: a failure reproduces
  std::uniform_int_distribution<int> byte(0, 255);
  for (std::size_t n = 0; n <= 64; ++n) {
    for (int round = 0; round < 8; ++round) {
      std::string bytes(n, '\0');
      for (char& c : bytes) c = static_cast<char>(byte(rng));
      const std::string text = base64url_encode(bytes);
      EXPECT_EQ(text.size(), (n * 4 + 2) / 3) << "length " << n;
      EXPECT_EQ(text.find_first_not_of(
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                std::string::npos)
          << text;
      EXPECT_EQ(base64url_decode(text), bytes) << "length " << n;
    }
  }
}

TEST(Base64url, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string text = base64url_encode(all);
  // 0xfb 0xff encodes to characters 62 and 63, which differ between the two alphabets.
  EXPECT_NE(text.find('-'), std::string::npos);
  EXPECT_NE(text.find('_'), std::string::npos);
  EXPECT_EQ(base64url_decode(text), all);
}

TEST(Base64url, UsesTheUrlAlphabetForCharacters62And63) {
  EXPECT_EQ(base64url_encode("\xfb\xff"s), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), "\xfb\xff"s);
}

TEST(Base64url, RejectsPadding) {
  EXPECT_EQ(base64url_decode("Zg=="), std::nullopt);
  EXPECT_EQ(base64url_decode("Zm8="), std::nullopt);
  EXPECT_EQ(base64url_decode("Zg"), "f");
  EXPECT_EQ(base64url_decode("Zm9v===="), std::nullopt);
  EXPECT_EQ(base64url_decode("="), std::nullopt);
  EXPECT_EQ(base64url_decode("Z=g"), std::nullopt);
}

TEST(Base64url, RejectsTheStandardAlphabetsPlusAndSlash) {
  EXPECT_EQ(base64url_decode("+_8"), std::nullopt);
  EXPECT_EQ(base64url_decode("-/8"), std::nullopt);
  EXPECT_EQ(base64url_decode("+/8"), std::nullopt);
}

TEST(Base64url, RejectsWhitespaceAnywhere) {
  for (const std::string text :
       {" Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n", "Zm9v\r\n", "\tZm9v", "Zm9v\f", "Zm9v\v"}) {
    EXPECT_EQ(base64url_decode(text), std::nullopt) << "text: [" << text << "]";
  }
}

TEST(Base64url, RejectsALengthThatLeavesOneCharacterInTheLastGroup) {
  EXPECT_EQ(base64url_decode("A"), std::nullopt);
  EXPECT_EQ(base64url_decode("Q"), std::nullopt);
  EXPECT_EQ(base64url_decode("Zm9vA"), std::nullopt);
  EXPECT_EQ(base64url_decode("Zm9vYmFyA"), std::nullopt);
}

TEST(Base64url, RejectsNonZeroTrailingBits) {
  // "QQ" is the one encoding of "A"; "QR".."QZ" carry the same byte with stray low bits.
  EXPECT_EQ(base64url_decode("QQ"), "A");
  EXPECT_EQ(base64url_decode("QR"), std::nullopt);
  EXPECT_EQ(base64url_decode("QZ"), std::nullopt);
  EXPECT_EQ(base64url_decode("QUE"), "AA");
  EXPECT_EQ(base64url_decode("QUF"), std::nullopt);
  EXPECT_EQ(base64url_decode("Zm9"), std::nullopt);  // "Zm8" is canonical for "fo"
  EXPECT_EQ(base64url_decode("Zm8"), "fo");
}

// Strictness as a property: over every text of two and three characters, a text decodes if
// and only if it is exactly the encoding of what it decodes to.
TEST(Base64url, DecodesOnlyCanonicalTextsOfTwoAndThreeCharacters) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  int accepted2 = 0;
  int accepted3 = 0;
  std::string text(3, ' ');
  for (const char a : kAlphabet) {
    for (const char b : kAlphabet) {
      const std::string two{a, b};
      if (const auto bytes = base64url_decode(two)) {
        ++accepted2;
        ASSERT_EQ(base64url_encode(*bytes), two);
      }
      for (const char c : kAlphabet) {
        text = {a, b, c};
        if (const auto bytes = base64url_decode(text)) {
          ++accepted3;
          ASSERT_EQ(base64url_encode(*bytes), text);
        }
      }
    }
  }
  // Exactly one text per byte string: 256 one-byte and 65536 two-byte values.
  EXPECT_EQ(accepted2, 256);
  EXPECT_EQ(accepted3, 65536);
}

TEST(Base64url, RejectsNonAsciiBytes) {
  EXPECT_EQ(base64url_decode("Zm9v\xc3\xa9"), std::nullopt);  // U+00E9 in UTF-8
  for (int c = 0x80; c <= 0xff; ++c) {
    const std::string text = "Zm9v" + std::string(1, static_cast<char>(c)) + "A";
    EXPECT_EQ(base64url_decode(text), std::nullopt) << "byte " << c;
  }
}

TEST(Base64url, RejectsEveryAsciiCharacterOutsideItsAlphabet) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int c = 0; c < 0x80; ++c) {
    if (kAlphabet.find(static_cast<char>(c)) != std::string_view::npos) continue;
    const std::string text = "Zm" + std::string(1, static_cast<char>(c)) + "v";
    EXPECT_EQ(base64url_decode(text), std::nullopt) << "character " << c;
  }
}

TEST(Base64url, DecodesTheEmptyTextToNoBytes) { EXPECT_EQ(base64url_decode(""), ""); }

TEST(Base64url, DecodeIntoAgreesWithDecodeForRandomTextsOfEveryLengthUpTo64) {
  std::mt19937 rng(7);
  constexpr std::string_view kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= ";
  for (std::size_t length = 0; length <= 64; ++length) {
    for (int round = 0; round < 50; ++round) {
      std::string text(length, '\0');
      // Mostly the URL alphabet, sometimes a character outside it.
      for (char& c : text) c = kChars[rng() % (round % 5 == 0 ? kChars.size() : 64)];
      char buffer[64];
      const auto into = base64url_decode_into(text, buffer);
      const auto whole = base64url_decode(text);
      ASSERT_EQ(into.has_value(), whole.has_value()) << text;
      if (whole) {
        EXPECT_EQ(*into, *whole) << text;
        EXPECT_EQ(into->data(), buffer);
      }
    }
  }
}

TEST(Base64url, DecodeIntoRefusesABufferOneByteTooSmall) {
  const std::string text = base64url_encode("twelve bytes");
  char buffer[12];
  EXPECT_EQ(base64url_decode_into(text, buffer), "twelve bytes");
  EXPECT_EQ(base64url_decode_into(text, std::span(buffer, 11)), std::nullopt);
}

TEST(Base64url, DecodeIntoRefusesWhatDecodeRefuses) {
  char buffer[16];
  for (const std::string_view text : {"Zg=", "Zh", "Z", "Zm9v+", "Zm 9v", "Zm9\x80"}) {
    EXPECT_EQ(base64url_decode_into(text, buffer), std::nullopt) << text;
  }
}

TEST(Base64, DecodesHttpBasicCredentials) {
  EXPECT_EQ(base64_decode("YWxpY2U6c2VjcmV0"), "alice:secret");
}

TEST(Base64, UsesTheStandardAlphabetForCharacters62And63) {
  EXPECT_EQ(base64_decode("+/8="), "\xfb\xff"s);
}

TEST(Base64, RejectsTheUrlAlphabetsMinusAndUnderscore) {
  EXPECT_EQ(base64_decode("-/8="), std::nullopt);
  EXPECT_EQ(base64_decode("+_8="), std::nullopt);
  EXPECT_EQ(base64_decode("-_8="), std::nullopt);
}

TEST(Base64, RejectsMissingPadding) {
  EXPECT_EQ(base64_decode("Zg"), std::nullopt);
  EXPECT_EQ(base64_decode("Zg="), std::nullopt);
  EXPECT_EQ(base64_decode("Zm8"), std::nullopt);
  EXPECT_EQ(base64_decode("YWxpY2U6c2VjcmV0Zg"), std::nullopt);
}

TEST(Base64, RejectsTooMuchPadding) {
  EXPECT_EQ(base64_decode("Zg==="), std::nullopt);
  EXPECT_EQ(base64_decode("Zg======"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm8=="), std::nullopt);
  EXPECT_EQ(base64_decode("Zm9v===="), std::nullopt);
  EXPECT_EQ(base64_decode("Z==="), std::nullopt);
  EXPECT_EQ(base64_decode("===="), std::nullopt);
}

TEST(Base64, RejectsPaddingBeforeTheEnd) {
  EXPECT_EQ(base64_decode("Zg==Zg=="), std::nullopt);
  EXPECT_EQ(base64_decode("Zm8=Zm9v"), std::nullopt);
  EXPECT_EQ(base64_decode("Z=g="), std::nullopt);
}

TEST(Base64, RejectsNonZeroTrailingBits) {
  EXPECT_EQ(base64_decode("QQ=="), "A");
  EXPECT_EQ(base64_decode("QR=="), std::nullopt);
  EXPECT_EQ(base64_decode("QUF="), std::nullopt);
}

TEST(Base64, RejectsWhitespaceAndNonAscii) {
  EXPECT_EQ(base64_decode(" Zm9v"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm9v\r\n"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm 9v"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm\xc3\xa9"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm9v\0AAA"s), std::nullopt);
}

}  // namespace
}  // namespace tessera::core
