// EvpKey's JWK and PKCS#8 import and export (evp_key.h), and jwk_thumbprint. The keys are the
// RFCs' examples (tests/data/rfc*.txt) and keys of unsupported types and sizes made by Python
// (tests/data/jwk_unsupported_keys.txt), so that nothing here is produced by the code under test.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jose/evp_key.h"
#include "jose/jose_test_support.h"
#include "jose/jws.h"

namespace tessera::jose {
namespace {

namespace json = boost::json;
using namespace testing_support;

constexpr std::string_view kPayload = R"({"sub":"alice","scope":"read"})";

constexpr std::string_view kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi"};

json::object with(json::object jwk, std::string_view name, json::value value) {
  jwk[name] = std::move(value);
  return jwk;
}

json::object without(json::object jwk, std::initializer_list<std::string_view> names) {
  for (const std::string_view name : names) jwk.erase(name);
  return jwk;
}

json::object public_part(json::object jwk) {
  for (const std::string_view name : kPrivateMembers) jwk.erase(name);
  return jwk;
}

// The RFCs' example private keys, one per key type, and the unsupported ones.
struct Jwks {
  json::object ed25519;  // RFC 8037 A.1
  json::object p256;     // RFC 7515 A.3
  json::object rsa;      // RFC 7515 A.2, with "alg":"RS256" added
  std::map<std::string, std::string> unsupported;
};

const Jwks& jwks() {
  static const Jwks keys = [] {
    Jwks k;
    k.ed25519 = json_object(vector_value(read_vectors("rfc8037_a.txt"), "private_jwk"));
    k.p256 = json_object(vector_value(read_vectors("rfc7515_a3.txt"), "jwk"));
    k.rsa = with(json_object(vector_value(read_vectors("rfc7515_a2.txt"), "jwk")), "alg", "RS256");
    k.unsupported = read_vectors("jwk_unsupported_keys.txt");
    return k;
  }();
  return keys;
}

std::string algorithm_test_name(const testing::TestParamInfo<Algorithm>& info) {
  return std::string(name(info.param));
}

// --- Import of each key type -------------------------------------------------------------

TEST(EvpKeyFromJwk, ImportsAnEd25519PublicKeyAsAnEdDsaVerifier) {
  const auto key = EvpKey::from_jwk(public_part(jwks().ed25519));
  ASSERT_TRUE(Accepted(key));
  EXPECT_EQ((*key)->algorithm(), Algorithm::kEdDSA);
  EXPECT_FALSE((*key)->has_private());
  EXPECT_EQ((*key)->public_jwk().at("x"), jwks().ed25519.at("x"));
}

TEST(EvpKeyFromJwk, ImportsAnEd25519PrivateKey) {
  const auto key = EvpKey::from_jwk(jwks().ed25519);
  ASSERT_TRUE(Accepted(key));
  EXPECT_EQ((*key)->algorithm(), Algorithm::kEdDSA);
  EXPECT_TRUE((*key)->has_private());
}

TEST(EvpKeyFromJwk, ImportsAP256PublicKeyAsAnEs256Verifier) {
  const auto key = EvpKey::from_jwk(public_part(jwks().p256));
  ASSERT_TRUE(Accepted(key));
  EXPECT_EQ((*key)->algorithm(), Algorithm::kES256);
  EXPECT_FALSE((*key)->has_private());
  EXPECT_EQ((*key)->public_jwk().at("x"), jwks().p256.at("x"));
  EXPECT_EQ((*key)->public_jwk().at("y"), jwks().p256.at("y"));
}

TEST(EvpKeyFromJwk, ImportsAP256PrivateKey) {
  const auto key = EvpKey::from_jwk(jwks().p256);
  ASSERT_TRUE(Accepted(key));
  EXPECT_EQ((*key)->algorithm(), Algorithm::kES256);
  EXPECT_TRUE((*key)->has_private());
}

TEST(EvpKeyFromJwk, ImportsAnRsaPublicKeyForTheAlgorithmItNames) {
  for (const Algorithm alg : {Algorithm::kRS256, Algorithm::kPS256}) {
    const auto key =
        EvpKey::from_jwk(with(public_part(jwks().rsa), "alg", json::string(name(alg))));
    ASSERT_TRUE(Accepted(key)) << name(alg);
    EXPECT_EQ((*key)->algorithm(), alg);
    EXPECT_FALSE((*key)->has_private());
    EXPECT_EQ((*key)->public_jwk().at("n"), jwks().rsa.at("n"));
    EXPECT_EQ((*key)->public_jwk().at("alg").as_string(), name(alg));
  }
}

TEST(EvpKeyFromJwk, ImportsAnRsaPrivateKeyWithAllItsCrtMembers) {
  const auto key = EvpKey::from_jwk(jwks().rsa);
  ASSERT_TRUE(Accepted(key));
  EXPECT_EQ((*key)->algorithm(), Algorithm::kRS256);
  EXPECT_TRUE((*key)->has_private());
}

TEST(EvpKeyFromJwk, APublicOnlyKeyVerifiesButDoesNotSign) {
  const auto key = EvpKey::from_jwk(public_part(jwks().ed25519));
  ASSERT_TRUE(Accepted(key));
  EXPECT_TRUE(FailsWith((*key)->sign("input"), Error::kInternal));
  EXPECT_TRUE(RefusedWith((*key)->private_pkcs8(), "the key has no private part"));
}

// --- The algorithm -----------------------------------------------------------------------

TEST(EvpKeyFromJwk, InfersEdDsaForAnOkpKeyAndEs256ForAnEcKey) {
  // Each of these key types fits exactly one algorithm here (RFC 8037 section 3.1, RFC 7518
  // section 3.4), so a JWK without "alg" is unambiguous.
  ASSERT_FALSE(jwks().ed25519.contains("alg"));
  ASSERT_FALSE(jwks().p256.contains("alg"));
  EXPECT_EQ(EvpKey::from_jwk(jwks().ed25519).value()->algorithm(), Algorithm::kEdDSA);
  EXPECT_EQ(EvpKey::from_jwk(jwks().p256).value()->algorithm(), Algorithm::kES256);
}

TEST(EvpKeyFromJwk, TakesTheAlgorithmGivenWhenTheJwkNamesNone) {
  const json::object rsa = without(public_part(jwks().rsa), {"alg"});
  EXPECT_EQ(EvpKey::from_jwk(rsa, Algorithm::kRS256).value()->algorithm(), Algorithm::kRS256);
  EXPECT_EQ(EvpKey::from_jwk(rsa, Algorithm::kPS256).value()->algorithm(), Algorithm::kPS256);
  EXPECT_EQ(EvpKey::from_jwk(jwks().ed25519, Algorithm::kEdDSA).value()->algorithm(),
            Algorithm::kEdDSA);
}

TEST(EvpKeyFromJwk, TheJwksOwnAlgComesBeforeTheOneGiven) {
  // evp_key.h: the JWK's "alg", else the one given.
  const json::object ps256 = with(public_part(jwks().rsa), "alg", "PS256");
  EXPECT_EQ(EvpKey::from_jwk(ps256, Algorithm::kRS256).value()->algorithm(), Algorithm::kPS256);
}

TEST(EvpKeyFromJwk, AnRsaKeyNeedsAnAlgorithm) {
  // RS256 and PS256 both fit an RSA key, and guessing would let a key sign with either.
  EXPECT_TRUE(RefusedWith(EvpKey::from_jwk(without(public_part(jwks().rsa), {"alg"})),
                          "an RSA JWK needs an \"alg\" (RS256 or PS256)"));
  EXPECT_TRUE(RefusedWith(EvpKey::from_jwk(without(jwks().rsa, {"alg"})),
                          "an RSA JWK needs an \"alg\" (RS256 or PS256)"));
}

// --- The kid -----------------------------------------------------------------------------

TEST(EvpKeyFromJwk, TakesTheKidFromTheJwk) {
  const auto key = EvpKey::from_jwk(with(jwks().p256, "kid", "signing-2026-11"));
  ASSERT_TRUE(Accepted(key));
  EXPECT_EQ((*key)->kid(), "signing-2026-11");
  EXPECT_EQ((*key)->public_jwk().at("kid"), "signing-2026-11");
}

TEST(EvpKeyFromJwk, NamesAKeyWithoutKidByItsThumbprint) {
  for (const json::object& jwk : {jwks().ed25519, jwks().p256, jwks().rsa}) {
    const auto key = EvpKey::from_jwk(jwk);
    ASSERT_TRUE(Accepted(key)) << json::serialize(jwk);
    EXPECT_EQ((*key)->kid(), jwk_thumbprint(jwk).value());
    EXPECT_EQ((*key)->public_jwk().at("kid").as_string(), (*key)->kid());
  }
}

// --- Refusals ----------------------------------------------------------------------------

struct Refusal {
  std::string what;
  json::object jwk;
  std::optional<Algorithm> alg;
  std::string error;
};

// One byte of a base64url member changed, so the value decodes to other bytes of the same
// length.
json::object with_byte_flipped(const json::object& jwk, std::string_view name, std::size_t at) {
  std::string bytes = b64_decode(jwk.at(name).as_string());
  bytes.at(at) = static_cast<char>(bytes.at(at) ^ 0x01);
  return with(jwk, name, json::string(b64(bytes)));
}

json::object with_bytes(const json::object& jwk, std::string_view name, std::string bytes) {
  return with(jwk, name, json::string(b64(bytes)));
}

std::vector<Refusal> refusals() {
  const Jwks& k = jwks();
  const json::object ed = public_part(k.ed25519);
  const json::object ec = public_part(k.p256);
  const json::object rsa = public_part(k.rsa);
  const std::string ed_x = b64_decode(ed.at("x").as_string());
  const std::string ec_x = b64_decode(ec.at("x").as_string());
  const std::string ec_y = b64_decode(ec.at("y").as_string());
  const std::string ec_d = b64_decode(k.p256.at("d").as_string());
  const std::string x_text(ed.at("x").as_string());
  std::string x_bad_tail = x_text;  // 32 bytes leave 2 unused bits in the last character
  x_bad_tail.back() = static_cast<char>(x_bad_tail.back() + 1);
  return {
      // The key type.
      {"no kty", without(ed, {"kty"}), {}, "the JWK has no \"kty\""},
      {"kty not a string", with(ed, "kty", 1), {}, "the JWK has no \"kty\""},
      {"kty oct",
       json_object(R"({"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"})"),
       {},
       "the JWK's \"kty\" is not supported"},
      {"kty in lower case", with(ec, "kty", "ec"), {}, "the JWK's \"kty\" is not supported"},
      {"kty oct with an alg",
       json_object(R"({"kty":"oct","k":"AAAA","alg":"HS256"})"),
       {},
       "the JWK's \"kty\" is not supported"},
      // Curves and sizes.
      {"Ed448",
       json_object(vector_value(k.unsupported, "ed448_public_jwk")),
       {},
       "only the Ed25519 curve is supported for OKP keys"},
      {"X25519", with(ed, "crv", "X25519"), {}, "only the Ed25519 curve is supported for OKP keys"},
      {"OKP without crv",
       without(ed, {"crv"}),
       {},
       "only the Ed25519 curve is supported for OKP keys"},
      {"P-384",
       json_object(vector_value(k.unsupported, "p384_public_jwk")),
       {},
       "only the P-256 curve is supported for EC keys"},
      {"secp256k1",
       with(ec, "crv", "secp256k1"),
       {},
       "only the P-256 curve is supported for EC keys"},
      {"crv not a string",
       with(ec, "crv", 256),
       {},
       "only the P-256 curve is supported for EC keys"},
      {"RSA 1024",
       json_object(vector_value(k.unsupported, "rsa1024_private_jwk")),
       {},
       "an RSA key must have 2048 to 16384 bits"},
      {"RSA 1024 public",
       public_part(json_object(vector_value(k.unsupported, "rsa1024_private_jwk"))),
       {},
       "an RSA key must have 2048 to 16384 bits"},
      // Coordinate and key lengths (RFC 7518 section 6.2.1.2, RFC 8037 section 2).
      {"Ed25519 x of 31 bytes",
       with_bytes(ed, "x", ed_x.substr(1)),
       {},
       "\"x\" has the wrong length"},
      {"Ed25519 x of 33 bytes", with_bytes(ed, "x", ed_x + '\0'), {}, "\"x\" has the wrong length"},
      {"Ed25519 d of 31 bytes",
       with_bytes(k.ed25519, "d", std::string(31, '\x01')),
       {},
       "\"d\" has the wrong length"},
      {"P-256 x with a leading zero byte",
       with_bytes(ec, "x", '\0' + ec_x),
       {},
       "\"x\" has the wrong length"},
      {"P-256 y of 31 bytes",
       with_bytes(ec, "y", ec_y.substr(1)),
       {},
       "\"y\" has the wrong length"},
      {"P-256 d of 33 bytes",
       with_bytes(k.p256, "d", '\0' + ec_d),
       {},
       "\"d\" has the wrong length"},
      // Missing members.
      {"OKP without x", without(ed, {"x"}), {}, "the JWK has no \"x\""},
      {"private OKP without x", without(k.ed25519, {"x"}), {}, "the JWK has no \"x\""},
      {"EC without y", without(ec, {"y"}), {}, "the JWK has no \"y\""},
      {"RSA without n", without(rsa, {"n"}), {}, "the JWK has no \"n\""},
      {"RSA without e", without(rsa, {"e"}), {}, "the JWK has no \"e\""},
      // Members that are not strings.
      {"x a number", with(ed, "x", 12), {}, "\"x\" is not a string"},
      {"y null", with(ec, "y", nullptr), {}, "\"y\" is not a string"},
      {"n an array", with(rsa, "n", json::array{"AQAB"}), {}, "\"n\" is not a string"},
      {"e a number", with(rsa, "e", 65537), {}, "\"e\" is not a string"},
      {"d an object", with(k.ed25519, "d", json::object{}), {}, "\"d\" is not a string"},
      {"qi a boolean", with(k.rsa, "qi", true), {}, "\"qi\" is not a string"},
      {"kid a number", with(ed, "kid", 7), {}, "the JWK's \"kid\" is not a string"},
      {"kid empty", with(ed, "kid", ""), {}, "the JWK's \"kid\" is not a string"},
      {"alg a number", with(ed, "alg", 256), {}, "the JWK's \"alg\" is not supported"},
      {"use a boolean", with(ed, "use", true), {}, "the JWK is not for signatures"},
      // Not base64url (RFC 7515 section 2: unpadded, URL-safe alphabet, no whitespace).
      {"x padded", with(ed, "x", json::string(x_text + "=")), {}, "\"x\" is not base64url"},
      {"x with a space",
       with(ed, "x", json::string(x_text.substr(0, 20) + " " + x_text.substr(20))),
       {},
       "\"x\" is not base64url"},
      {"x with non-zero unused bits",
       with(ed, "x", json::string(x_bad_tail)),
       {},
       "\"x\" is not base64url"},
      {"x empty", with(ed, "x", ""), {}, "\"x\" is not base64url"},
      {"n with a +", with(rsa, "n", "ab+d"), {}, "\"n\" is not base64url"},
      {"e with a /", with(rsa, "e", "AQ/B"), {}, "\"e\" is not base64url"},
      // Points and private parts that do not belong together.
      {"P-256 point off the curve",
       with_byte_flipped(ec, "y", 31),
       {},
       "\"x\" and \"y\" are not a P-256 point"},
      {"P-256 private key off the curve",
       with_byte_flipped(k.p256, "y", 0),
       {},
       "\"x\" and \"y\" are not a P-256 point"},
      {"P-256 d of another point",
       with_byte_flipped(k.p256, "d", 31),
       {},
       "the EC key does not check out"},
      {"Ed25519 d of another x",
       with_byte_flipped(k.ed25519, "d", 0),
       {},
       "\"x\" is not the public key of \"d\""},
      {"Ed25519 x of another d",
       with_byte_flipped(k.ed25519, "x", 5),
       {},
       "\"x\" is not the public key of \"d\""},
      // RSA private keys: the CRT members all or none (RFC 7518 section 6.3.2).
      {"RSA without qi",
       without(k.rsa, {"qi"}),
       {},
       "the RSA key has some CRT members but not all"},
      {"RSA without p and q",
       without(k.rsa, {"p", "q"}),
       {},
       "the RSA key has some CRT members but not all"},
      {"RSA with p only",
       without(k.rsa, {"q", "dp", "dq", "qi"}),
       {},
       "the RSA key has some CRT members but not all"},
      // What the key is for.
      {"use enc", with(ed, "use", "enc"), {}, "the JWK is not for signatures"},
      {"use SIG", with(ec, "use", "SIG"), {}, "the JWK is not for signatures"},
      {"use enc on RSA", with(rsa, "use", "enc"), Algorithm::kRS256,
       "the JWK is not for signatures"},
      // Algorithms that do not fit the key type (RFC 8725 section 3.1: one key, one algorithm).
      {"OKP with ES256",
       with(ed, "alg", "ES256"),
       {},
       "the JWK's key type does not fit its algorithm"},
      {"EC with EdDSA",
       with(ec, "alg", "EdDSA"),
       {},
       "the JWK's key type does not fit its algorithm"},
      {"EC with RS256",
       with(ec, "alg", "RS256"),
       {},
       "the JWK's key type does not fit its algorithm"},
      {"RSA with ES256",
       with(rsa, "alg", "ES256"),
       {},
       "the JWK's key type does not fit its algorithm"},
      {"RSA with HS256",
       with(rsa, "alg", "HS256"),
       {},
       "the JWK's key type does not fit its algorithm"},
      {"OKP given HS256", ed, Algorithm::kHS256, "the JWK's key type does not fit its algorithm"},
      {"EC given PS256", ec, Algorithm::kPS256, "the JWK's key type does not fit its algorithm"},
      {"RSA without alg given EdDSA", without(rsa, {"alg"}), Algorithm::kEdDSA,
       "the JWK's key type does not fit its algorithm"},
      {"RSA with RSA-OAEP", with(rsa, "alg", "RSA-OAEP"), {}, "the JWK's \"alg\" is not supported"},
      {"OKP with none", with(ed, "alg", "none"), {}, "the JWK's \"alg\" is not supported"},
      {"RSA with rs256", with(rsa, "alg", "rs256"), {}, "the JWK's \"alg\" is not supported"},
  };
}

TEST(EvpKeyFromJwk, RefusesEachUnusableJwkWithItsExactReason) {
  for (const Refusal& r : refusals()) {
    EXPECT_TRUE(RefusedWith(EvpKey::from_jwk(r.jwk, r.alg), r.error))
        << r.what << ": " << json::serialize(r.jwk);
  }
}

// Keys that parse but under which signatures can be forged (tests/data/jwk_degenerate_keys.py):
// Ed25519 points of small order or non-canonical encodings, RSA exponents other than odd ones
// from 65537 up. Any of them in a JWKS would let whoever put it there forge tokens.
TEST(EvpKeyFromJwk, RefusesDegeneratePublicKeys) {
  const auto degenerate = read_vectors("jwk_degenerate_keys.txt");
  ASSERT_EQ(degenerate.size(), 18u);
  for (const auto& [name, text] : degenerate) {
    const json::object jwk = json_object(text);
    const std::string_view expected =
        name.starts_with("rsa") ? "\"e\" must be an odd exponent from 65537 to 2^256"
                                : "\"x\" is a point of small order or not a canonical encoding";
    EXPECT_TRUE(RefusedWith(EvpKey::from_jwk(jwk), expected)) << name;
    for (const Algorithm alg : kAsymmetric) {
      EXPECT_FALSE(EvpKey::from_jwk(without(jwk, {"alg"}), alg).has_value()) << name;
    }
  }
  // The same modulus with the usual exponent is a sound key: the exponent alone was refused.
  json::object rsa = json_object(degenerate.at("rsa_e_1"));
  rsa["e"] = "AQAB";
  EXPECT_TRUE(EvpKey::from_jwk(rsa).has_value());
}

TEST(EvpKeyFromJwk, RefusesBase64InTheStandardAlphabet) {
  // 0xff... encodes to '/' and '+' in standard base64 and to '_' and '-' in base64url.
  const std::string x = b64(std::string(32, '\xfb'));
  ASSERT_NE(x.find('-'), std::string::npos);
  std::string standard = x;
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  const json::object jwk = with(public_part(jwks().ed25519), "x", json::string(standard));
  EXPECT_TRUE(RefusedWith(EvpKey::from_jwk(jwk), "\"x\" is not base64url"));
}

// --- Round trips -------------------------------------------------------------------------

struct PrivateCase {
  std::string what;
  json::object jwk;
  std::optional<Algorithm> alg;
};

std::vector<PrivateCase> private_cases() {
  return {{"Ed25519", jwks().ed25519, {}},
          {"P-256", jwks().p256, {}},
          {"RSA RS256", jwks().rsa, {}},
          {"RSA PS256", without(jwks().rsa, {"alg"}), Algorithm::kPS256}};
}

TEST(EvpKeyFromJwk, APrivateJwkSignsWhatTheKeyFromItsPublicJwkVerifies) {
  for (const PrivateCase& c : private_cases()) {
    SCOPED_TRACE(c.what);
    const auto signer = EvpKey::from_jwk(c.jwk, c.alg);
    ASSERT_TRUE(Accepted(signer));
    ASSERT_TRUE((*signer)->has_private());
    for (const std::string_view member : kPrivateMembers) {
      EXPECT_FALSE((*signer)->public_jwk().contains(member)) << member;
    }
    const auto verifier = EvpKey::from_jwk((*signer)->public_jwk());
    ASSERT_TRUE(Accepted(verifier));
    EXPECT_FALSE((*verifier)->has_private());
    EXPECT_EQ((*verifier)->kid(), (*signer)->kid());
    EXPECT_EQ((*verifier)->algorithm(), (*signer)->algorithm());
    EXPECT_EQ((*verifier)->public_jwk(), (*signer)->public_jwk());

    const auto token = sign_compact(**signer, "at+jwt", kPayload);
    ASSERT_TRUE(Succeeds(token));
    KeySet keys;
    keys.add(*verifier);
    const auto verified = verify_compact(*token, keys, kEverything);
    ASSERT_TRUE(Succeeds(verified));
    EXPECT_EQ(verified->payload(), kPayload);
    EXPECT_EQ(verified->kid(), (*signer)->kid());
    // And the other way: the verifier does not accept what another key signed.
    const auto other = generated_key((*signer)->algorithm());
    ASSERT_TRUE(other);
    EXPECT_FALSE((*verifier)->verify("input", other->sign("input").value()));
  }
}

class GeneratedKeyJwk : public testing::TestWithParam<Algorithm> {};

INSTANTIATE_TEST_SUITE_P(EachAlgorithm, GeneratedKeyJwk, testing::ValuesIn(kAsymmetric),
                         algorithm_test_name);

TEST_P(GeneratedKeyJwk, ItsPublicJwkImportsAsTheSameKeyWithoutPrivatePart) {
  const auto key = generated_key(GetParam());
  ASSERT_TRUE(key);
  const auto imported = EvpKey::from_jwk(key->public_jwk());
  ASSERT_TRUE(Accepted(imported));
  EXPECT_EQ((*imported)->algorithm(), GetParam());
  EXPECT_EQ((*imported)->kid(), key->kid());
  EXPECT_EQ((*imported)->public_jwk(), key->public_jwk());
  EXPECT_FALSE((*imported)->has_private());
  const std::string signature = key->sign("input").value();
  EXPECT_TRUE((*imported)->verify("input", signature));
  EXPECT_FALSE((*imported)->verify("input.", signature));
}

// --- PKCS#8 ------------------------------------------------------------------------------

class Pkcs8RoundTrip : public testing::TestWithParam<Algorithm> {};

INSTANTIATE_TEST_SUITE_P(EachAlgorithm, Pkcs8RoundTrip, testing::ValuesIn(kAsymmetric),
                         algorithm_test_name);

TEST_P(Pkcs8RoundTrip, GivesTheSameKeyUnderTheSameKid) {
  const auto key = generated_key(GetParam());
  ASSERT_TRUE(key);
  const auto der = key->private_pkcs8();
  ASSERT_TRUE(Accepted(der));
  for (const std::string_view kid : {std::string_view(key->kid()), std::string_view()}) {
    const auto again = EvpKey::from_pkcs8(GetParam(), *der, kid);
    ASSERT_TRUE(Accepted(again)) << "kid " << kid;
    EXPECT_EQ((*again)->kid(), key->kid());
    EXPECT_EQ((*again)->algorithm(), GetParam());
    EXPECT_TRUE((*again)->has_private());
    EXPECT_EQ((*again)->public_jwk(), key->public_jwk());
    EXPECT_EQ((*again)->private_pkcs8().value_or(""), *der);
  }
}

TEST_P(Pkcs8RoundTrip, SignaturesVerifyAcrossTheOriginalAndTheCopy) {
  const auto key = generated_key(GetParam());
  ASSERT_TRUE(key);
  const auto again = EvpKey::from_pkcs8(GetParam(), key->private_pkcs8().value(), key->kid());
  ASSERT_TRUE(Accepted(again));
  const std::string input = "eyJhbGciOiJ4In0.eyJzdWIiOiJhbGljZSJ9";
  EXPECT_TRUE(key->verify(input, (*again)->sign(input).value()));
  EXPECT_TRUE((*again)->verify(input, key->sign(input).value()));
  KeySet keys;
  keys.add(*again);
  EXPECT_TRUE(
      Succeeds(verify_compact(sign_compact(*key, "at+jwt", kPayload).value(), keys, kEverything)));
}

TEST_P(Pkcs8RoundTrip, RefusesAKidThatIsNotTheKeysThumbprint) {
  const auto key = generated_key(GetParam());
  ASSERT_TRUE(key);
  const std::string der = key->private_pkcs8().value();
  // The kid of another key, as a row swapped in the database would have.
  for (const Algorithm other : kAsymmetric) {
    if (other == GetParam()) continue;
    EXPECT_TRUE(RefusedWith(EvpKey::from_pkcs8(GetParam(), der, generated_key(other)->kid()),
                            "the private key does not match its kid"))
        << "kid of the " << name(other) << " key";
  }
  EXPECT_TRUE(RefusedWith(EvpKey::from_pkcs8(GetParam(), der, "2011-04-29"),
                          "the private key does not match its kid"));
}

TEST_P(Pkcs8RoundTrip, RefusesGarbageAndTrailingBytes) {
  const auto key = generated_key(GetParam());
  ASSERT_TRUE(key);
  const std::string der = key->private_pkcs8().value();
  for (const std::string& bad :
       {std::string(), std::string("garbage"), std::string(64, '\0'), der.substr(0, der.size() - 1),
        der.substr(1), der + '\0', der + der}) {
    EXPECT_TRUE(RefusedWith(EvpKey::from_pkcs8(GetParam(), bad), "not a PKCS#8 private key"))
        << bad.size() << " bytes";
  }
}

TEST(EvpKeyFromPkcs8, RefusesAKeyOfAnotherTypeCurveOrSize) {
  const auto& unsupported = jwks().unsupported;
  struct Case {
    std::string what;
    std::string der;
    Algorithm alg;
  };
  const std::vector<Case> cases = {
      {"Ed25519 as ES256", generated_key(Algorithm::kEdDSA)->private_pkcs8().value(),
       Algorithm::kES256},
      {"Ed25519 as RS256", generated_key(Algorithm::kEdDSA)->private_pkcs8().value(),
       Algorithm::kRS256},
      {"P-256 as EdDSA", generated_key(Algorithm::kES256)->private_pkcs8().value(),
       Algorithm::kEdDSA},
      {"P-256 as PS256", generated_key(Algorithm::kES256)->private_pkcs8().value(),
       Algorithm::kPS256},
      {"RSA as ES256", generated_key(Algorithm::kRS256)->private_pkcs8().value(),
       Algorithm::kES256},
      {"RSA as EdDSA", generated_key(Algorithm::kRS256)->private_pkcs8().value(),
       Algorithm::kEdDSA},
      {"Ed25519 as HS256", generated_key(Algorithm::kEdDSA)->private_pkcs8().value(),
       Algorithm::kHS256},
      {"P-384 as ES256", b64_decode(vector_value(unsupported, "p384_pkcs8")), Algorithm::kES256},
      {"Ed448 as EdDSA", b64_decode(vector_value(unsupported, "ed448_pkcs8")), Algorithm::kEdDSA},
      {"RSA 1024 as RS256", b64_decode(vector_value(unsupported, "rsa1024_pkcs8")),
       Algorithm::kRS256},
      {"RSA 1024 as PS256", b64_decode(vector_value(unsupported, "rsa1024_pkcs8")),
       Algorithm::kPS256},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(RefusedWith(EvpKey::from_pkcs8(c.alg, c.der),
                            "the private key does not fit " + std::string(name(c.alg))))
        << c.what;
  }
}

TEST(EvpKeyFromPkcs8, TheUnsupportedKeysAreWellFormedPkcs8OfTheirTypeAndSize) {
  // So that the refusals above are about the key and not its encoding: OpenSSL alone reads
  // each stored key completely, as the type and size its name says.
  const struct {
    std::string name;
    std::string type;
    int bits;
  } cases[] = {
      {"p384_pkcs8", "EC", 384}, {"ed448_pkcs8", "ED448", 456}, {"rsa1024_pkcs8", "RSA", 1024}};
  for (const auto& c : cases) {
    const std::string der = b64_decode(vector_value(jwks().unsupported, c.name));
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    EVP_PKEY* pkey = d2i_PrivateKey_ex(EVP_PKEY_NONE, nullptr, &p, static_cast<long>(der.size()),
                                       nullptr, nullptr);
    ASSERT_NE(pkey, nullptr) << c.name;
    EXPECT_EQ(p, reinterpret_cast<const unsigned char*>(der.data()) + der.size()) << c.name;
    EXPECT_EQ(EVP_PKEY_is_a(pkey, c.type.c_str()), 1) << c.name;
    EXPECT_EQ(EVP_PKEY_get_bits(pkey), c.bits) << c.name;
    EVP_PKEY_free(pkey);
  }
}

TEST(EvpKeyFromPkcs8, AnRsaKeyServesEitherRsaAlgorithm) {
  const std::string der = generated_key(Algorithm::kRS256)->private_pkcs8().value();
  const auto ps256 = EvpKey::from_pkcs8(Algorithm::kPS256, der);
  ASSERT_TRUE(Accepted(ps256));
  EXPECT_EQ((*ps256)->algorithm(), Algorithm::kPS256);
  EXPECT_EQ((*ps256)->kid(), generated_key(Algorithm::kRS256)->kid());
  EXPECT_EQ((*ps256)->public_jwk().at("alg"), "PS256");
}

TEST(EvpKeyFromPkcs8, KeysImportedFromJwkExportAsPkcs8) {
  for (const PrivateCase& c : private_cases()) {
    SCOPED_TRACE(c.what);
    const auto key = EvpKey::from_jwk(without(c.jwk, {"kid"}), c.alg);
    ASSERT_TRUE(Accepted(key));
    const auto der = (*key)->private_pkcs8();
    ASSERT_TRUE(Accepted(der));
    const auto again = EvpKey::from_pkcs8((*key)->algorithm(), *der, (*key)->kid());
    ASSERT_TRUE(Accepted(again));
    EXPECT_TRUE((*key)->verify("input", (*again)->sign("input").value()));
  }
}

// --- jwk_thumbprint ----------------------------------------------------------------------

TEST(JwkThumbprint, IgnoresMembersOtherThanTheRequiredOnes) {
  // RFC 7638 section 3.2: only crv, kty, x (OKP), crv, kty, x, y (EC), e, kty, n (RSA).
  for (const json::object& jwk : {jwks().ed25519, jwks().p256, jwks().rsa}) {
    const std::string base = jwk_thumbprint(public_part(jwk)).value_or("");
    EXPECT_FALSE(base.empty());
    EXPECT_EQ(jwk_thumbprint(jwk).value_or(""), base);
    json::object extra = with(with(jwk, "kid", "k1"), "use", "sig");
    extra["x5c"] = json::array{"MIIB"};
    EXPECT_EQ(jwk_thumbprint(extra).value_or(""), base);
  }
}

TEST(JwkThumbprint, DoesNotDependOnMemberOrder) {
  const json::object forward = json_object(R"({"kty":"EC","crv":"P-256","x":"AA","y":"AQ"})");
  const json::object backward = json_object(R"({"y":"AQ","x":"AA","crv":"P-256","kty":"EC"})");
  EXPECT_EQ(jwk_thumbprint(forward).value_or("a"), jwk_thumbprint(backward).value_or("b"));
}

TEST(JwkThumbprint, DiffersWhenARequiredMemberDiffers) {
  const json::object ed = public_part(jwks().ed25519);
  EXPECT_NE(jwk_thumbprint(ed).value_or("a"),
            jwk_thumbprint(with_byte_flipped(ed, "x", 0)).value_or("a"));
  EXPECT_NE(jwk_thumbprint(ed).value_or("a"),
            jwk_thumbprint(with(ed, "crv", "Ed448")).value_or("a"));
}

TEST(JwkThumbprint, RefusesAJwkWithoutItsRequiredMembers) {
  EXPECT_TRUE(RefusedWith(jwk_thumbprint(json_object(R"({"crv":"Ed25519","x":"AA"})")),
                          "the JWK has no \"kty\""));
  EXPECT_TRUE(RefusedWith(jwk_thumbprint(json_object(R"({"kty":"oct","k":"AA"})")),
                          "the JWK's \"kty\" is not supported"));
  EXPECT_TRUE(RefusedWith(jwk_thumbprint(json_object(R"({"kty":"RSA","e":"AQAB"})")),
                          "the JWK has no \"n\""));
  EXPECT_TRUE(RefusedWith(jwk_thumbprint(json_object(R"({"kty":"EC","crv":"P-256","x":"AA"})")),
                          "the JWK has no \"y\""));
  EXPECT_TRUE(RefusedWith(jwk_thumbprint(json_object(R"({"kty":"OKP","crv":1,"x":"AA"})")),
                          "the JWK has no \"crv\""));
}

}  // namespace
}  // namespace tessera::jose
