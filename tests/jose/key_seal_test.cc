// KeySealer (key_seal.h): AES-256-GCM under a key derived by HKDF-SHA256, with associated
// data, for private keys at rest.
#include "jose/key_seal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "core/random.h"
#include "jose/evp_key.h"
#include "jose/jose_test_support.h"

namespace tessera::jose {
namespace {

using namespace testing_support;

constexpr std::string_view kCannotOpen =
    "cannot decrypt: wrong key-encryption key, or the data was altered";
constexpr std::size_t kOverhead = 1 + 12 + 16;  // version, nonce, tag

// Hands out the given bytes, then repeats them: a nonce the test knows in advance.
class FixedRandom final : public core::Random {
 public:
  explicit FixedRandom(std::string bytes) : bytes_(std::move(bytes)) {}
  void fill(std::span<std::byte> out) override {
    for (std::byte& b : out) b = static_cast<std::byte>(bytes_[next_++ % bytes_.size()]);
  }

 private:
  std::string bytes_;
  std::size_t next_ = 0;
};

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  EXPECT_EQ(hex.size() % 2, 0u);
  return out;
}

KeySealer sealer_from(std::string_view secret) {
  auto sealer = KeySealer::from_secret(secret);
  EXPECT_TRUE(sealer.has_value()) << sealer.error();
  return std::move(sealer.value());
}

const std::string kSecret(32, 'K');
const std::string kAssociated = "kid-1|EdDSA";

class KeySealerTest : public testing::Test {
 protected:
  void SetUp() override {
    // A real PKCS#8 Ed25519 key, what the sealer is for.
    plaintext_ = EvpKey::generate(Algorithm::kEdDSA).value()->private_pkcs8().value();
    auto sealed = sealer_.seal(plaintext_, kAssociated, random_);
    ASSERT_TRUE(Accepted(sealed));
    sealed_ = *sealed;
  }
  core::SystemRandom random_;
  KeySealer sealer_ = sealer_from(kSecret);
  std::string plaintext_;
  std::string sealed_;
};

TEST_F(KeySealerTest, OpensWhatItSealed) {
  const auto opened = sealer_.open(sealed_, kAssociated);
  ASSERT_TRUE(Accepted(opened));
  EXPECT_EQ(*opened, plaintext_);
}

TEST_F(KeySealerTest, WritesVersionNonceCiphertextAndTag) {
  ASSERT_EQ(sealed_.size(), plaintext_.size() + kOverhead);
  EXPECT_EQ(sealed_[0], '\x01');
  // The plaintext does not appear in the sealed value.
  EXPECT_EQ(sealed_.find(plaintext_.substr(plaintext_.size() - 16)), std::string::npos);
}

TEST_F(KeySealerTest, RoundTripsEmptyAndLongPlaintexts) {
  for (const std::string& plaintext :
       {std::string(), std::string(1, '\0'), std::string(10000, 'x')}) {
    const auto sealed = sealer_.seal(plaintext, kAssociated, random_);
    ASSERT_TRUE(Accepted(sealed));
    EXPECT_EQ(sealed->size(), plaintext.size() + kOverhead);
    EXPECT_EQ(sealer_.open(*sealed, kAssociated).value_or("not opened"), plaintext);
  }
}

TEST_F(KeySealerTest, RefusesOtherAssociatedData) {
  // A sealed key copied into another key's row does not open there.
  for (const std::string& other : {std::string("kid-2|EdDSA"), std::string("kid-1|ES256"),
                                   std::string(), kAssociated + " ", std::string("kid-1|EdDS")}) {
    EXPECT_TRUE(RefusedWith(sealer_.open(sealed_, other), kCannotOpen)) << other;
  }
}

TEST_F(KeySealerTest, DerivesOneKeyPerPurposeAndSecret) {
  const std::string refresh = sealer_.derive_key("refresh").value();
  ASSERT_EQ(refresh.size(), 32u);
  // The same for every instance holding the secret; another for another purpose or secret.
  EXPECT_EQ(sealer_from(kSecret).derive_key("refresh").value(), refresh);
  EXPECT_NE(sealer_.derive_key("nonces").value(), refresh);
  EXPECT_NE(sealer_from(std::string(32, 'L')).derive_key("refresh").value(), refresh);
  // Not the sealing key: a sealer made from the derived key opens nothing sealed here.
  EXPECT_TRUE(RefusedWith(sealer_from(refresh).open(sealed_, kAssociated), kCannotOpen));
}

TEST_F(KeySealerTest, RefusesAnotherKeyEncryptionKey) {
  for (const std::string& secret :
       {std::string(32, 'L'), std::string(33, 'K'), std::string(31, 'K') + 'L'}) {
    EXPECT_TRUE(RefusedWith(sealer_from(secret).open(sealed_, kAssociated), kCannotOpen)) << secret;
  }
}

TEST_F(KeySealerTest, RefusesEverySingleBitFlipOfTheSealedValue) {
  for (std::size_t bit = 0; bit < sealed_.size() * 8; ++bit) {
    std::string flipped = sealed_;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_TRUE(RefusedWith(sealer_.open(flipped, kAssociated), kCannotOpen)) << "bit " << bit;
  }
}

TEST_F(KeySealerTest, RefusesEveryTruncationAndAnyAddedByte) {
  for (std::size_t size = 0; size < sealed_.size(); ++size) {
    EXPECT_TRUE(RefusedWith(sealer_.open(sealed_.substr(0, size), kAssociated), kCannotOpen))
        << size << " bytes";
    EXPECT_TRUE(
        RefusedWith(sealer_.open(sealed_.substr(sealed_.size() - size), kAssociated), kCannotOpen))
        << "the last " << size << " bytes";
  }
  EXPECT_TRUE(RefusedWith(sealer_.open(sealed_ + '\0', kAssociated), kCannotOpen));
}

TEST_F(KeySealerTest, RefusesAnyOtherVersionByte) {
  for (int version = 0; version < 256; ++version) {
    if (version == 1) continue;
    std::string other = sealed_;
    other[0] = static_cast<char>(version);
    EXPECT_TRUE(RefusedWith(sealer_.open(other, kAssociated), kCannotOpen)) << version;
  }
}

TEST_F(KeySealerTest, SealsTheSamePlaintextDifferentlyEachTime) {
  // A random 96-bit nonce per seal (NIST SP 800-38D section 8.2.2): never reused under a KEK.
  std::set<std::string> sealed;
  std::set<std::string> nonces;
  for (int i = 0; i < 50; ++i) {
    const std::string s = sealer_.seal(plaintext_, kAssociated, random_).value();
    sealed.insert(s);
    nonces.insert(s.substr(1, 12));
    EXPECT_EQ(sealer_.open(s, kAssociated).value_or(""), plaintext_);
  }
  EXPECT_EQ(sealed.size(), 50u);
  EXPECT_EQ(nonces.size(), 50u);
}

TEST_F(KeySealerTest, TakesTheNonceFromTheRandomSource) {
  FixedRandom fixed(std::string("\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b", 12));
  const std::string sealed = sealer_.seal(plaintext_, kAssociated, fixed).value();
  EXPECT_EQ(sealed.substr(1, 12),
            std::string("\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b", 12));
}

TEST(KeySealer, RefusesASecretShorterThan32Bytes) {
  for (const std::size_t size : {0u, 1u, 16u, 31u}) {
    EXPECT_TRUE(RefusedWith(KeySealer::from_secret(std::string(size, 'k')),
                            "a key-encryption key must be at least 32 bytes"))
        << size;
  }
  EXPECT_TRUE(Accepted(KeySealer::from_secret(std::string(32, 'k'))));
  EXPECT_TRUE(Accepted(KeySealer::from_secret(std::string(1000, 'k'))));
}

TEST(KeySealer, TwoSealersFromTheSameSecretOpenEachOthersValues) {
  // HKDF is deterministic: a restart derives the same key from the same secret.
  core::SystemRandom random;
  const KeySealer a = sealer_from(kSecret);
  const KeySealer b = sealer_from(kSecret);
  EXPECT_EQ(b.open(a.seal("pkcs8 bytes", kAssociated, random).value(), kAssociated).value_or(""),
            "pkcs8 bytes");
  EXPECT_EQ(a.open(b.seal("more bytes", kAssociated, random).value(), kAssociated).value_or(""),
            "more bytes");
}

TEST(KeySealer, KeepsWorkingAfterAMove) {
  core::SystemRandom random;
  KeySealer a = sealer_from(kSecret);
  const std::string sealed = a.seal("pkcs8", kAssociated, random).value();
  KeySealer b = std::move(a);
  EXPECT_EQ(b.open(sealed, kAssociated).value_or(""), "pkcs8");
  KeySealer c = sealer_from(std::string(40, 'z'));
  c = std::move(b);
  EXPECT_EQ(c.open(sealed, kAssociated).value_or(""), "pkcs8");
}

TEST(KeySealer, SealsExactlyAsAnIndependentImplementationDoes) {
  // tests/data/key_seal_known_answer.txt: computed by Python's cryptography from the format
  // key_seal.h documents (HKDF-SHA256, AES-256-GCM, 0x01 || nonce || ciphertext || tag).
  const auto v = read_vectors("key_seal_known_answer.txt");
  const std::string nonce = from_hex(vector_value(v, "nonce"));
  ASSERT_EQ(nonce.size(), 12u);
  FixedRandom fixed(nonce);
  const KeySealer sealer = sealer_from(vector_value(v, "secret"));
  const auto sealed =
      sealer.seal(vector_value(v, "plaintext"), vector_value(v, "associated_data"), fixed);
  ASSERT_TRUE(Accepted(sealed));
  EXPECT_EQ(*sealed, from_hex(vector_value(v, "sealed")));
  // And it opens the value Python sealed.
  EXPECT_EQ(sealer.open(from_hex(vector_value(v, "sealed")), vector_value(v, "associated_data"))
                .value_or("not opened"),
            vector_value(v, "plaintext"));
}

}  // namespace
}  // namespace tessera::jose
