#include "jose/hmac_key.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.h"

namespace tessera::jose {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";  // exactly 32 bytes

std::shared_ptr<HmacKey> make_key(std::string_view secret) {
  auto key = HmacKey::create(secret);
  EXPECT_TRUE(key.has_value()) << key.error();
  return key ? *key : nullptr;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

struct MacVector {
  std::string name;
  std::string key;
  std::string data;
  std::string mac;
};

// tests/data/rfc4231_hmac_sha256.txt: case, key (hex), data, HMAC-SHA-256 (hex), by tabs.
std::vector<MacVector> rfc4231_vectors() {
  std::ifstream in(std::string(TESSERA_TEST_DATA) + "/rfc4231_hmac_sha256.txt");
  EXPECT_TRUE(in.is_open()) << "cannot open rfc4231_hmac_sha256.txt";
  std::vector<MacVector> vectors;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      fields.push_back(line.substr(start, tab - start));
    }
    fields.push_back(line.substr(start));
    if (fields.size() != 4) {
      ADD_FAILURE() << "not four tab-separated fields: " << line;
      continue;
    }
    vectors.push_back(
        {"RFC 4231 test case " + fields[0], from_hex(fields[1]), fields[2], from_hex(fields[3])});
  }
  EXPECT_EQ(vectors.size(), 2u);
  return vectors;
}

TEST(HmacKey, RefusesASecretShorterThan32Bytes) {
  for (const std::size_t n : {0u, 1u, 16u, 31u}) {
    const auto key = HmacKey::create(std::string(n, 'k'));
    ASSERT_FALSE(key.has_value()) << n << " bytes";
    EXPECT_EQ(key.error(), "an HS256 secret must be at least 32 bytes");
  }
}

TEST(HmacKey, AcceptsASecretOf32BytesOrMore) {
  EXPECT_TRUE(HmacKey::create(std::string(32, 'k')).has_value());
  EXPECT_TRUE(HmacKey::create(std::string(1000, 'k')).has_value());
}

TEST(HmacKey, TakesTheSecretsBytesAsGiven) {
  // Any bytes, NUL and non-UTF-8 included: TESSERA_SECRET_KEY is "the string's bytes".
  std::string secret(32, '\0');
  secret[5] = '\xff';
  const auto with_nul = make_key(secret);
  const auto other = make_key(std::string(32, '\0'));
  ASSERT_TRUE(with_nul && other);
  EXPECT_NE(with_nul->kid(), other->kid());
}

TEST(HmacKey, ComputesTheRfc4231Vectors) {
  for (const MacVector& v : rfc4231_vectors()) {
    SCOPED_TRACE(v.name);
    const auto key = make_key(v.key);
    ASSERT_TRUE(key);
    const auto mac = key->sign(v.data);
    ASSERT_TRUE(mac.has_value()) << to_string(mac.error());
    EXPECT_EQ(core::base64url_encode(*mac), core::base64url_encode(v.mac));
    EXPECT_TRUE(key->verify(v.data, v.mac));
  }
}

TEST(HmacKey, IsAnHs256Key) {
  const auto key = make_key(kSecret);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->algorithm(), Algorithm::kHS256);
}

TEST(HmacKey, KidIsStableForTheSameSecret) {
  const auto a = make_key(kSecret);
  const auto b = make_key(kSecret);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->kid().empty());
  EXPECT_EQ(a->kid(), b->kid());
}

TEST(HmacKey, KidDiffersForAnotherSecret) {
  const auto a = make_key(kSecret);
  std::string other = kSecret;
  other.back() ^= 1;
  const auto b = make_key(other);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->kid(), b->kid());
}

TEST(HmacKey, KidIsShortBase64urlAndHoldsNoPartOfTheSecret) {
  const auto key = make_key(kSecret);
  ASSERT_TRUE(key);
  const auto decoded = core::base64url_decode(key->kid());
  ASSERT_TRUE(decoded.has_value()) << key->kid();
  EXPECT_EQ(decoded->size(), 12u);
  EXPECT_EQ(kSecret.find(key->kid()), std::string::npos);
  EXPECT_EQ(key->kid().find(kSecret.substr(0, 8)), std::string::npos);
}

TEST(HmacKey, SignsAndVerifiesARoundTrip) {
  const auto key = make_key(kSecret);
  ASSERT_TRUE(key);
  const auto sig = key->sign("header.payload");
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(sig->size(), 32u);
  EXPECT_TRUE(key->verify("header.payload", *sig));
  EXPECT_FALSE(key->verify("header.payload2", *sig));
  EXPECT_FALSE(key->verify("", *sig));
}

TEST(HmacKey, SigningIsDeterministic) {
  const auto key = make_key(kSecret);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->sign("abc").value(), key->sign("abc").value());
  EXPECT_NE(key->sign("abc").value(), key->sign("abd").value());
}

TEST(HmacKey, AnotherSecretDoesNotVerify) {
  const auto key = make_key(kSecret);
  const auto other = make_key(std::string(32, 'x'));
  ASSERT_TRUE(key && other);
  const auto sig = key->sign("header.payload");
  ASSERT_TRUE(sig.has_value());
  EXPECT_FALSE(other->verify("header.payload", *sig));
}

TEST(HmacKey, RefusesASignatureOfTheWrongLength) {
  const auto key = make_key(kSecret);
  ASSERT_TRUE(key);
  const std::string sig = key->sign("header.payload").value();
  EXPECT_FALSE(key->verify("header.payload", ""));
  EXPECT_FALSE(key->verify("header.payload", sig.substr(0, 31)));
  EXPECT_FALSE(key->verify("header.payload", sig.substr(0, 16)));
  EXPECT_FALSE(key->verify("header.payload", sig + '\0'));
  EXPECT_FALSE(key->verify("header.payload", sig + sig));
}

TEST(HmacKey, RefusesEverySingleBitFlipOfASignature) {
  const auto key = make_key(kSecret);
  ASSERT_TRUE(key);
  const std::string sig = key->sign("header.payload").value();
  for (std::size_t bit = 0; bit < sig.size() * 8; ++bit) {
    std::string flipped = sig;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(key->verify("header.payload", flipped)) << "bit " << bit;
  }
}

TEST(HmacKey, IsSharedSafelyAcrossManyUses) {
  // Each MAC starts from a copy of the keyed context; a stale state would change the result.
  const auto key = make_key(kSecret);
  ASSERT_TRUE(key);
  const std::string first = key->sign("x").value();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(key->sign(std::to_string(i)).has_value());
  EXPECT_EQ(key->sign("x").value(), first);
}

}  // namespace
}  // namespace tessera::jose
