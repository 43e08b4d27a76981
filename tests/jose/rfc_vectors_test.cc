// The published JOSE examples, each read from tests/data/ (where a note says where it came
// from and how it was checked): RFC 8037 appendix A (Ed25519), RFC 7515 appendices A.2
// (RS256), A.3 (ES256) and A.5 (unsecured), RFC 7638 section 3.1 (thumbprint). RFC 7515 A.1
// (HS256) is in jws_test.cc.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "jose/evp_key.h"
#include "jose/hmac_key.h"
#include "jose/jose_test_support.h"
#include "jose/jws.h"

namespace tessera::jose {
namespace {

namespace json = boost::json;
using namespace testing_support;

constexpr Algorithm kEverything[] = {Algorithm::kHS256, Algorithm::kEdDSA, Algorithm::kES256,
                                     Algorithm::kRS256, Algorithm::kPS256};

// The payload of RFC 7515 A.1, which A.2, A.3 and A.5 sign too.
constexpr std::string_view kA1Payload =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

std::shared_ptr<EvpKey> import(const json::object& jwk,
                               std::optional<Algorithm> alg = std::nullopt) {
  auto key = EvpKey::from_jwk(jwk, alg);
  EXPECT_TRUE(key.has_value()) << key.error();
  return key ? *key : nullptr;
}

json::object without(json::object jwk, std::initializer_list<std::string_view> names) {
  for (const std::string_view name : names) jwk.erase(name);
  return jwk;
}

std::string flip_bit(std::string bytes, std::size_t bit) {
  bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
  return bytes;
}

// --- RFC 8037 appendix A: Ed25519 --------------------------------------------------------

class Rfc8037 : public testing::Test {
 protected:
  void SetUp() override {
    vectors_ = read_vectors("rfc8037_a.txt");
    private_jwk_ = json_object(vector_value(vectors_, "private_jwk"));
    public_jwk_ = json_object(vector_value(vectors_, "public_jwk"));
    signing_input_ = vector_value(vectors_, "signing_input");
    signature_ = vector_value(vectors_, "signature");
    jws_ = vector_value(vectors_, "jws");
  }
  std::map<std::string, std::string> vectors_;
  json::object private_jwk_;
  json::object public_jwk_;
  std::string signing_input_;
  std::string signature_;
  std::string jws_;
};

TEST_F(Rfc8037, A1PrivateKeyImportsAsAnEdDsaKeyWithTheA2PublicKey) {
  const auto key = import(private_jwk_);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->algorithm(), Algorithm::kEdDSA);
  EXPECT_TRUE(key->has_private());
  EXPECT_EQ(key->public_jwk().at("x"), public_jwk_.at("x"));
  EXPECT_EQ(key->public_jwk().at("crv"), "Ed25519");
  EXPECT_FALSE(key->public_jwk().contains("d"));
}

TEST_F(Rfc8037, A3ThumbprintIsTheKidOfTheA2PublicKey) {
  const auto a3 = read_vectors("rfc8037_a3.txt");
  const auto thumbprint = jwk_thumbprint(public_jwk_);
  ASSERT_TRUE(Accepted(thumbprint));
  EXPECT_EQ(*thumbprint, vector_value(a3, "thumbprint"));
  const auto key = import(public_jwk_);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->kid(), vector_value(a3, "thumbprint"));
  // The private members do not enter the thumbprint (RFC 7638 section 3.2.1).
  EXPECT_EQ(jwk_thumbprint(private_jwk_).value_or(""), vector_value(a3, "thumbprint"));
}

TEST_F(Rfc8037, A4SigningWithTheA1KeyGivesTheA4Signature) {
  const auto key = import(private_jwk_);
  ASSERT_TRUE(key);
  EXPECT_EQ(b64_decode(signing_input_.substr(0, signing_input_.find('.'))), R"({"alg":"EdDSA"})");
  const auto signature = key->sign(signing_input_);
  ASSERT_TRUE(Succeeds(signature));
  EXPECT_EQ(b64(*signature), signature_);
  EXPECT_EQ(jws_, signing_input_ + "." + signature_);
}

TEST_F(Rfc8037, A5ValidatesTheA4JwsWithTheA2PublicKey) {
  KeySet keys;
  keys.add(import(public_jwk_));
  const auto verified = verify_compact(jws_, keys, kEverything);
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->alg(), Algorithm::kEdDSA);
  EXPECT_EQ(verified->kid(), "");
  EXPECT_EQ(verified->payload(), "Example of Ed25519 signing");
}

TEST_F(Rfc8037, A5RefusesEverySingleBitFlipOfTheA4Signature) {
  KeySet keys;
  keys.add(import(public_jwk_));
  const std::string signature = b64_decode(signature_);
  ASSERT_EQ(signature.size(), 64u);
  for (std::size_t bit = 0; bit < signature.size() * 8; ++bit) {
    EXPECT_TRUE(FailsWith(
        verify_compact(signing_input_ + "." + b64(flip_bit(signature, bit)), keys, kEverything),
        Error::kBadSignature))
        << "bit " << bit;
  }
}

TEST_F(Rfc8037, A5RefusesTheA4JwsWhereEdDsaIsNotAllowed) {
  KeySet keys;
  keys.add(import(public_jwk_));
  constexpr Algorithm kEs256Only[] = {Algorithm::kES256};
  EXPECT_TRUE(FailsWith(verify_compact(jws_, keys, kEs256Only), Error::kAlgorithmNotAllowed));
}

// --- RFC 7515 A.2: RS256 -----------------------------------------------------------------

class Rfc7515A2 : public testing::Test {
 protected:
  void SetUp() override {
    const auto vectors = read_vectors("rfc7515_a2.txt");
    jwk_ = json_object(vector_value(vectors, "jwk"));
    signing_input_ = vector_value(vectors, "signing_input");
    signature_ = vector_value(vectors, "signature");
  }
  json::object jwk_;
  std::string signing_input_;
  std::string signature_;
};

TEST_F(Rfc7515A2, SigningTheExampleInputWithTheImportedKeyGivesTheExampleSignature) {
  // RSASSA-PKCS1-v1_5 is deterministic: the same key and input give the same bytes.
  const auto key = import(jwk_, Algorithm::kRS256);
  ASSERT_TRUE(key);
  EXPECT_TRUE(key->has_private());
  const auto signature = key->sign(signing_input_);
  ASSERT_TRUE(Succeeds(signature));
  EXPECT_EQ(b64(*signature), signature_);
}

TEST_F(Rfc7515A2, AKeyWithoutTheCrtMembersGivesTheSameSignature) {
  // RFC 7518 section 6.3.2: p, q, dp, dq and qi are optional; n, e and d alone sign.
  const auto key = import(without(jwk_, {"p", "q", "dp", "dq", "qi"}), Algorithm::kRS256);
  ASSERT_TRUE(key);
  const auto signature = key->sign(signing_input_);
  ASSERT_TRUE(Succeeds(signature));
  EXPECT_EQ(b64(*signature), signature_);
}

TEST_F(Rfc7515A2, TheKeyThroughPkcs8StillGivesTheExampleSignature) {
  const auto key = import(jwk_, Algorithm::kRS256);
  ASSERT_TRUE(key);
  const auto der = key->private_pkcs8();
  ASSERT_TRUE(Accepted(der));
  const auto again = EvpKey::from_pkcs8(Algorithm::kRS256, *der, key->kid());
  ASSERT_TRUE(Accepted(again));
  EXPECT_EQ(b64((*again)->sign(signing_input_).value_or("")), signature_);
}

TEST_F(Rfc7515A2, VerifiesTheExampleJwsWithThePublicKeyAlone) {
  KeySet keys;
  keys.add(import(without(jwk_, {"d", "p", "q", "dp", "dq", "qi"}), Algorithm::kRS256));
  const auto verified = verify_compact(signing_input_ + "." + signature_, keys, kEverything);
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->alg(), Algorithm::kRS256);
  EXPECT_EQ(verified->payload(), kA1Payload);
}

TEST_F(Rfc7515A2, RefusesEverySingleBitFlipOfTheExampleSignature) {
  KeySet keys;
  keys.add(import(without(jwk_, {"d", "p", "q", "dp", "dq", "qi"}), Algorithm::kRS256));
  const std::string signature = b64_decode(signature_);
  ASSERT_EQ(signature.size(), 256u);
  for (std::size_t bit = 0; bit < signature.size() * 8; ++bit) {
    EXPECT_TRUE(FailsWith(
        verify_compact(signing_input_ + "." + b64(flip_bit(signature, bit)), keys, kEverything),
        Error::kBadSignature))
        << "bit " << bit;
  }
}

TEST_F(Rfc7515A2, ThePs256FormOfTheSameKeyDoesNotVerifyTheRs256Example) {
  // A key is used with its own algorithm only: under PS256 the token's RS256 names no key.
  const auto ps256 = import(without(jwk_, {"d", "p", "q", "dp", "dq", "qi"}), Algorithm::kPS256);
  ASSERT_TRUE(ps256);
  KeySet keys;
  keys.add(ps256);
  EXPECT_TRUE(FailsWith(verify_compact(signing_input_ + "." + signature_, keys, kEverything),
                        Error::kUnknownKey));
  EXPECT_FALSE(ps256->verify(signing_input_, b64_decode(signature_)));
}

// --- RFC 7515 A.3: ES256 -----------------------------------------------------------------

class Rfc7515A3 : public testing::Test {
 protected:
  void SetUp() override {
    const auto vectors = read_vectors("rfc7515_a3.txt");
    jwk_ = json_object(vector_value(vectors, "jwk"));
    signing_input_ = vector_value(vectors, "signing_input");
    signature_ = b64_decode(vector_value(vectors, "signature"));
    ASSERT_EQ(signature_.size(), 64u);
    public_key_ = import(without(jwk_, {"d"}));
    ASSERT_TRUE(public_key_);
    keys_.add(public_key_);
  }
  std::expected<VerifiedJws, Error> verify_with(std::string_view raw_signature) {
    return verify_compact(signing_input_ + "." + b64(raw_signature), keys_, kEverything);
  }
  json::object jwk_;
  std::string signing_input_;
  std::string signature_;
  std::shared_ptr<EvpKey> public_key_;
  KeySet keys_;
  P256Order order_;
};

TEST_F(Rfc7515A3, ThePublicKeyIsAnEs256KeyWithoutPrivatePart) {
  EXPECT_EQ(public_key_->algorithm(), Algorithm::kES256);
  EXPECT_FALSE(public_key_->has_private());
  EXPECT_TRUE(RefusedWith(public_key_->private_pkcs8(), "the key has no private part"));
}

TEST_F(Rfc7515A3, VerifiesTheExampleJwsWithThePublicKey) {
  const auto verified = verify_with(signature_);
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->alg(), Algorithm::kES256);
  EXPECT_EQ(verified->payload(), kA1Payload);
}

TEST_F(Rfc7515A3, TheExampleSignatureHasAHighSAndIsAcceptedAsIsAndInItsLowForm) {
  // JWS does not require low S (RFC 7518 section 3.4 says nothing of it), and the RFC's own
  // signer did not write one: refusing high S would refuse the RFC's example.
  EXPECT_FALSE(order_.s_is_low(signature_));
  EXPECT_TRUE(Succeeds(verify_with(signature_)));
  const std::string low = order_.with_other_s(signature_);
  EXPECT_TRUE(order_.s_is_low(low));
  EXPECT_TRUE(Succeeds(verify_with(low)));
}

TEST_F(Rfc7515A3, RefusesEverySingleBitFlipOfTheExampleSignature) {
  for (std::size_t bit = 0; bit < signature_.size() * 8; ++bit) {
    EXPECT_TRUE(FailsWith(verify_with(flip_bit(signature_, bit)), Error::kBadSignature))
        << "bit " << bit;
  }
}

TEST_F(Rfc7515A3, ThePrivateKeySignsWhatThePublicKeyVerifies) {
  const auto key = import(jwk_);
  ASSERT_TRUE(key);
  EXPECT_TRUE(key->has_private());
  EXPECT_EQ(key->kid(), public_key_->kid());
  const auto signature = key->sign(signing_input_);
  ASSERT_TRUE(Succeeds(signature));
  EXPECT_TRUE(order_.s_is_low(*signature));
  EXPECT_TRUE(Succeeds(verify_with(*signature)));
}

// --- RFC 7515 A.5: the unsecured JWS -----------------------------------------------------

TEST(Rfc7515A5, TheUnsecuredExampleIsRefusedWhateverKeysAndAlgorithmsAreAllowed) {
  const std::string jws = vector_value(read_vectors("rfc7515_a5.txt"), "jws");
  ASSERT_TRUE(jws.ends_with('.'));
  KeySet keys;
  for (const Algorithm alg : {Algorithm::kEdDSA, Algorithm::kES256, Algorithm::kRS256}) {
    keys.add(EvpKey::generate(alg).value());
  }
  keys.add(HmacKey::create(std::string(32, 'k')).value());
  // An empty signature is not a compact JWS here at all.
  EXPECT_TRUE(FailsWith(verify_compact(jws, keys, kEverything), Error::kMalformed));
  // With any signature bytes, "none" is no algorithm of ours, in any spelling.
  const std::string payload = jws.substr(jws.find('.') + 1, jws.size() - jws.find('.') - 2);
  for (const std::string_view none : {"none", "None", "NONE", "nOnE"}) {
    const std::string header = b64(R"({"alg":")" + std::string(none) + R"("})");
    EXPECT_TRUE(FailsWith(verify_compact(header + "." + payload + ".AAAA", keys, kEverything),
                          Error::kUnknownAlgorithm))
        << none;
  }
}

// --- RFC 7638 section 3.1: the RSA thumbprint --------------------------------------------

class Rfc7638 : public testing::Test {
 protected:
  void SetUp() override {
    vectors_ = read_vectors("rfc7638_s3_1.txt");
    jwk_ = json_object(vector_value(vectors_, "jwk"));
    thumbprint_ = vector_value(vectors_, "thumbprint");
  }
  std::map<std::string, std::string> vectors_;
  json::object jwk_;
  std::string thumbprint_;
};

TEST_F(Rfc7638, TheExampleThumbprintIsTheBase64urlSha256OfTheCanonicalJson) {
  // Computed here without the code under test.
  const std::string canonical = vector_value(vectors_, "canonical");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  ASSERT_EQ(EVP_Digest(canonical.data(), canonical.size(), md, &n, EVP_sha256(), nullptr), 1);
  EXPECT_EQ(b64(std::string_view(reinterpret_cast<char*>(md), n)), thumbprint_);
  EXPECT_EQ(thumbprint_, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST_F(Rfc7638, JwkThumbprintGivesTheExampleThumbprint) {
  const auto thumbprint = jwk_thumbprint(jwk_);
  ASSERT_TRUE(Accepted(thumbprint));
  EXPECT_EQ(*thumbprint, thumbprint_);
}

TEST_F(Rfc7638, TheImportedKeyKeepsItsKidAndIsNamedByTheThumbprintWithoutOne) {
  const auto with_kid = import(jwk_);
  ASSERT_TRUE(with_kid);
  EXPECT_EQ(with_kid->kid(), "2011-04-29");
  EXPECT_EQ(with_kid->algorithm(), Algorithm::kRS256);
  const auto without_kid = import(without(jwk_, {"kid"}));
  ASSERT_TRUE(without_kid);
  EXPECT_EQ(without_kid->kid(), thumbprint_);
  EXPECT_EQ(without_kid->public_jwk().at("kid").as_string(), thumbprint_);
  // The modulus and exponent come back unchanged.
  EXPECT_EQ(without_kid->public_jwk().at("n"), jwk_.at("n"));
  EXPECT_EQ(without_kid->public_jwk().at("e"), "AQAB");
}

}  // namespace
}  // namespace tessera::jose
