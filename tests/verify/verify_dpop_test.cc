// tessera::verify_dpop() and the refusal of DPoP-bound tokens as bearer tokens (RFC 9449
// section 7): a token with cnf.jkt, a proof made for each request by the key it names.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <string>

#include "jose/digest.h"
#include "jose/jwks.h"
#include "tessera/verify.h"
#include "verify/verify_test_support.h"

namespace tessera {
namespace {

namespace json = boost::json;
using test::Algorithm;

constexpr std::int64_t kNow = 1'764'200'000;
const std::chrono::system_clock::time_point kNowTime{std::chrono::seconds{kNow}};
constexpr std::string_view kIssuer = "https://auth.example.com";
constexpr std::string_view kAudience = "finance-api";
constexpr std::string_view kUrl = "https://api.example.com/dart/finance/business/0001234567";

// The client's DPoP key's public JWK as a proof carries it: no kid, no use.
json::object proof_jwk(const jose::EvpKey& key) {
  json::object jwk = key.public_jwk();
  jwk.erase("kid");
  jwk.erase("use");
  return jwk;
}

std::string thumbprint(const jose::EvpKey& key) {
  return jose::jwk_thumbprint(key.public_jwk()).value();
}

class VerifyDpop : public testing::TestWithParam<Algorithm> {
 protected:
  VerifyDpop()
      : keys_(KeySet::from_jwks(test::jwks({&test::key_for(Algorithm::kEdDSA)})).value()),
        client_key_(test::fresh_key(GetParam())) {
    policy_.issuer = std::string(kIssuer);
    policy_.audience = std::string(kAudience);
  }

  std::string bound_token(std::string_view jkt) const {
    json::object claims = test::access_claims(kIssuer, kAudience, kNow);
    claims["cnf"] = json::object{{"jkt", jkt}};
    return test::sign(test::key_for(Algorithm::kEdDSA), claims);
  }

  std::string proof(const std::string& token, json::object overrides = {},
                    const jose::EvpKey* signer = nullptr) const {
    const jose::EvpKey& key = signer ? *signer : *client_key_;
    json::object header{
        {"typ", "dpop+jwt"}, {"alg", jose::name(key.algorithm())}, {"jwk", proof_jwk(key)}};
    json::object claims{{"jti", "j-" + std::to_string(++counter_)},
                        {"htm", "GET"},
                        {"htu", kUrl},
                        {"iat", kNow},
                        {"ath", test::b64(jose::sha256(token))}};
    for (const auto& [name, value] : overrides) {
      if (value.is_null()) {
        claims.erase(name);
      } else {
        claims[name] = value;
      }
    }
    return test::sign(key, header, claims);
  }

  std::expected<Claims, VerifyError> check(const std::string& token, const std::string& proof,
                                           std::string_view method = "GET",
                                           std::string_view url = kUrl) const {
    return verify_dpop(token, {.proof = proof, .method = method, .url = url}, keys_, policy_,
                       kNowTime);
  }

  KeySet keys_;
  VerifyPolicy policy_;
  std::shared_ptr<jose::EvpKey> client_key_;
  mutable int counter_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Default, VerifyDpop, testing::ValuesIn(test::kAsymmetric),
                         test::algorithm_test_name);

TEST_P(VerifyDpop, ABoundTokenWithItsProofVerifies) {
  const std::string token = bound_token(thumbprint(*client_key_));
  auto claims = check(token, proof(token));
  ASSERT_TRUE(claims.has_value()) << to_string(claims.error());
  EXPECT_EQ(claims->dpop_jkt(), thumbprint(*client_key_));
  // The URL as the service normalises it: default port, case of the host, a query.
  EXPECT_TRUE(check(token, proof(token), "GET",
                    "https://API.example.com:443/dart/finance/business/0001234567?x=1"));
}

TEST_P(VerifyDpop, ABoundTokenIsNoBearerToken) {
  const std::string token = bound_token(thumbprint(*client_key_));
  auto claims = verify(token, keys_, policy_, kNowTime);
  ASSERT_FALSE(claims.has_value());
  EXPECT_EQ(claims.error(), VerifyError::kDpopRequired);
}

TEST_P(VerifyDpop, AProofNotForThisRequestOrKeyIsRefused) {
  const std::string token = bound_token(thumbprint(*client_key_));
  const auto other = test::fresh_key(GetParam());
  const auto refused = [&](std::expected<Claims, VerifyError> got, VerifyError want,
                           std::string_view why) {
    ASSERT_FALSE(got.has_value()) << why;
    EXPECT_EQ(got.error(), want) << why;
  };
  const VerifyError bad = VerifyError::kInvalidDpopProof;
  refused(check(token, proof(token, {}, other.get())), bad, "another key's proof");
  refused(check(token, proof(token, {{"ath", nullptr}})), bad, "no ath");
  refused(check(token, proof(token, {{"ath", test::b64(jose::sha256("other"))}})), bad,
          "another token's ath");
  refused(check(token, proof(token, {{"htm", "POST"}})), bad, "another method");
  refused(check(token, proof(token, {{"htu", "https://api.example.com/other"}})), bad,
          "another URL");
  refused(check(token, proof(token, {{"iat", kNow - 600}})), bad, "ten minutes old");
  refused(check(token, proof(token, {{"iat", kNow + 600}})), bad, "ten minutes ahead");
  refused(check(token, "not-a-proof"), bad, "not a JWS");
  // An unbound token sent with the DPoP scheme.
  const std::string bearer =
      test::sign(test::key_for(Algorithm::kEdDSA), test::access_claims(kIssuer, kAudience, kNow));
  refused(check(bearer, proof(bearer)), VerifyError::kNotDpopBound, "unbound");
}

}  // namespace
}  // namespace tessera
