// DPoP proofs read by themselves (jose/dpop.h): the shape, the key in the header, the
// signature, the claims. The fit to a request is oauth::DpopVerifier's (tested end to end).
#include "jose/dpop.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "core/base64.h"
#include "jose/evp_key.h"

namespace tessera::jose {
namespace {

namespace json = boost::json;

constexpr Algorithm kAllowed[] = {Algorithm::kEdDSA, Algorithm::kES256, Algorithm::kRS256,
                                  Algorithm::kPS256};

std::shared_ptr<EvpKey> generated(Algorithm alg) {
  auto key = EvpKey::generate(alg);
  if (!key) throw std::runtime_error(key.error());
  return *key;
}

// A proof with `header` and `claims` as given, signed by `signer`.
std::string proof(const EvpKey& signer, const json::object& header, const json::object& claims) {
  const std::string input = core::base64url_encode(json::serialize(header)) + "." +
                            core::base64url_encode(json::serialize(claims));
  return input + "." + core::base64url_encode(signer.sign(input).value());
}

json::object header_for(const EvpKey& key) {
  json::object jwk = key.public_jwk();
  jwk.erase("kid");
  jwk.erase("use");
  return {{"typ", "dpop+jwt"}, {"alg", name(key.algorithm())}, {"jwk", jwk}};
}

const json::object kClaims = {{"jti", "e1j3V_bKic8-LAEB"},
                              {"htm", "POST"},
                              {"htu", "https://auth.example.test/token"},
                              {"iat", 1700000000}};

TEST(DpopProofTest, AProofByTheKeyInItsHeaderIsRead) {
  for (const Algorithm alg : kAllowed) {
    const auto key = generated(alg);
    json::object claims = kClaims;
    claims["ath"] = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo";
    auto read = read_dpop_proof(proof(*key, header_for(*key), claims), kAllowed);
    ASSERT_TRUE(read.has_value()) << name(alg) << ": " << read.error();
    EXPECT_EQ(read->jkt, jwk_thumbprint(key->public_jwk()).value());
    EXPECT_EQ(read->alg, alg);
    EXPECT_EQ(read->jti, "e1j3V_bKic8-LAEB");
    EXPECT_EQ(read->htm, "POST");
    EXPECT_EQ(read->htu, "https://auth.example.test/token");
    EXPECT_EQ(read->iat, 1700000000);
    EXPECT_EQ(read->ath, "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    EXPECT_FALSE(read->nonce.has_value());
  }
}

TEST(DpopProofTest, WhatProvesNoPossessionIsRefused) {
  const auto key = generated(Algorithm::kES256);
  const auto other = generated(Algorithm::kES256);
  const auto refused = [&](const json::object& header, const json::object& claims,
                           const EvpKey& signer, std::string_view why) {
    auto read = read_dpop_proof(proof(signer, header, claims), kAllowed);
    EXPECT_FALSE(read.has_value()) << why;
  };
  refused(header_for(*key), kClaims, *other, "signed by another key than the jwk");
  json::object header = header_for(*key);
  header["typ"] = "JWT";
  refused(header, kClaims, *key, "typ JWT");
  header = header_for(*key);
  header.erase("typ");
  refused(header, kClaims, *key, "no typ");
  header = header_for(*key);
  header["alg"] = "HS256";
  refused(header, kClaims, *key, "HS256");
  header["alg"] = "none";
  refused(header, kClaims, *key, "none");
  header = header_for(*key);
  header["alg"] = "EdDSA";
  refused(header, kClaims, *key, "an alg the jwk is not for");
  header = header_for(*key);
  header.erase("jwk");
  refused(header, kClaims, *key, "no jwk");
  header = header_for(*key);
  header["jwk"].as_object()["d"] = "c2VjcmV0";
  refused(header, kClaims, *key, "a private key in the jwk");
  header = header_for(*key);
  header["jku"] = "https://attacker.test/jwks";
  refused(header, kClaims, *key, "jku");
  for (const char* claim : {"jti", "htm", "htu", "iat"}) {
    json::object claims = kClaims;
    claims.erase(claim);
    refused(header_for(*key), claims, *key, claim);
  }
  json::object claims = kClaims;
  claims["jti"] = std::string(300, 'j');
  refused(header_for(*key), claims, *key, "a jti too long");
  claims = kClaims;
  claims["ath"] = 7;
  refused(header_for(*key), claims, *key, "ath not a string");
  // An algorithm the caller did not allow.
  const Algorithm only_eddsa[] = {Algorithm::kEdDSA};
  EXPECT_FALSE(read_dpop_proof(proof(*key, header_for(*key), kClaims), only_eddsa).has_value());
  EXPECT_FALSE(read_dpop_proof("a.b", kAllowed).has_value());
  EXPECT_FALSE(read_dpop_proof(std::string(5000, 'a'), kAllowed).has_value());
}

// Each thread keeps the keys of the proofs it read lately: a key read before gives the same
// answer again, and the same key with a member that import refuses is refused all the same.
TEST(DpopProofTest, AKeyReadBeforeIsJudgedAsAtFirst) {
  for (const Algorithm alg : {Algorithm::kEdDSA, Algorithm::kES256}) {
    const auto key = generated(alg);
    const auto other = generated(alg);
    for (int round = 0; round < 2; ++round) {
      auto read = read_dpop_proof(proof(*key, header_for(*key), kClaims), kAllowed);
      ASSERT_TRUE(read.has_value()) << name(alg) << ": " << read.error();
      EXPECT_EQ(read->jkt, jwk_thumbprint(key->public_jwk()).value());
      EXPECT_FALSE(read_dpop_proof(proof(*other, header_for(*key), kClaims), kAllowed))
          << name(alg) << ": signed by another key than the jwk read before";
    }
    json::object header = header_for(*key);
    header["jwk"].as_object()["use"] = "enc";
    auto read = read_dpop_proof(proof(*key, header, kClaims), kAllowed);
    ASSERT_FALSE(read.has_value()) << name(alg) << ": a jwk for encryption";
    EXPECT_NE(read.error().find("not for signatures"), std::string::npos) << read.error();
    header = header_for(*key);
    header["jwk"].as_object()["crv"] = alg == Algorithm::kEdDSA ? "Ed448" : "P-384";
    EXPECT_FALSE(read_dpop_proof(proof(*key, header, kClaims), kAllowed))
        << name(alg) << ": the same x on another curve";
  }
}

// check_dpop_fit's htu: compared after normalisation, whichever URL came before on the thread.
TEST(DpopFit, HtuIsComparedAfterNormalisation) {
  const auto fits = [](std::string_view htu, std::string_view url) {
    DpopProof proof;
    proof.htm = "POST";
    proof.htu = std::string(htu);
    proof.iat = 1000;
    return check_dpop_fit(proof, {.method = "POST", .url = url, .access_token = {}, .now = 1000})
        .has_value();
  };
  const std::string url = "https://auth.example.test/token";
  for (int round = 0; round < 2; ++round) {  // the second time with the URL seen before
    EXPECT_TRUE(fits(url, url));
    EXPECT_TRUE(fits("HTTPS://Auth.Example.Test:443/token", url));
    EXPECT_TRUE(fits("https://auth.example.test/token?x=1", url));
    EXPECT_FALSE(fits("https://auth.example.test/other", url));
    EXPECT_FALSE(fits("https://auth.example.test:8443/token", url));
    EXPECT_TRUE(fits("http://127.0.0.1:8080/token", "http://127.0.0.1:8080/token?q"));
    // Not an http URL: refused even when both are the same text.
    EXPECT_FALSE(fits("ftp://auth.example.test/token", "ftp://auth.example.test/token"));
    EXPECT_FALSE(fits("", ""));
  }
}

}  // namespace
}  // namespace tessera::jose
