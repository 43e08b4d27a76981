// tessera::verify(), Claims and KeySet: the check without I/O, at a fixed time.
#include "tessera/verify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "jose/digest.h"
#include "verify/verify_test_support.h"

namespace tessera {
namespace {

namespace json = boost::json;
using test::Accepted;
using test::Algorithm;
using test::FailsWith;
using test::RefusedWith;
using test::Succeeds;

constexpr std::int64_t kNow = 1'764'200'000;  // 2025-11-26T23:33:20Z
const std::chrono::system_clock::time_point kNowTime{std::chrono::seconds{kNow}};
constexpr std::string_view kIssuer = "https://auth.example.com";
constexpr std::string_view kAudience = "finance-api";

KeySet key_set(std::initializer_list<const jose::EvpKey*> keys) {
  return KeySet::from_jwks(test::jwks(keys)).value();
}

// A KeySet with the binary's key of every algorithm, and the policy of a finance API.
class Verify : public testing::Test {
 protected:
  Verify()
      : keys_(key_set({&test::key_for(Algorithm::kEdDSA), &test::key_for(Algorithm::kES256),
                       &test::key_for(Algorithm::kRS256), &test::key_for(Algorithm::kPS256)})) {
    policy_.issuer = std::string(kIssuer);
    policy_.audience = std::string(kAudience);
  }

  static json::object claims() { return test::access_claims(kIssuer, kAudience, kNow); }
  static std::string token(const json::object& payload, Algorithm alg = Algorithm::kEdDSA) {
    return test::sign(test::key_for(alg), payload);
  }
  static std::string token_with_header(const json::object& header) {
    return test::sign(test::key_for(Algorithm::kEdDSA), header, claims());
  }
  static json::object header() { return test::header_of(test::key_for(Algorithm::kEdDSA)); }

  std::expected<Claims, VerifyError> verify(std::string_view t, std::int64_t now = kNow) const {
    return tessera::verify(t, keys_, policy_,
                           std::chrono::system_clock::time_point{std::chrono::seconds{now}});
  }

  KeySet keys_;
  VerifyPolicy policy_;
};

class VerifyEachAlgorithm : public Verify, public testing::WithParamInterface<Algorithm> {};

INSTANTIATE_TEST_SUITE_P(Default, VerifyEachAlgorithm, testing::ValuesIn(test::kAsymmetric),
                         test::algorithm_test_name);

// --- what a valid token gives ---------------------------------------------------------------

TEST_P(VerifyEachAlgorithm, AValidTokenVerifiesWithItsClaims) {
  const auto verified = verify(token(claims(), GetParam()));
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->subject(), "alice");
  EXPECT_EQ(verified->client_id(), "finance-app");
  EXPECT_EQ(verified->issuer(), kIssuer);
  EXPECT_EQ(verified->jti(), "jti-0001");
  EXPECT_EQ(verified->scopes(), (std::vector<std::string>{"openid", "finance:read"}));
  EXPECT_TRUE(verified->has_scope("finance:read"));
  EXPECT_TRUE(verified->has_scope("openid"));
  EXPECT_FALSE(verified->has_scope("finance"));
  EXPECT_FALSE(verified->has_scope("finance:write"));
  EXPECT_FALSE(verified->has_scope(""));
  EXPECT_EQ(verified->expires_at(), kNow + 600);
  EXPECT_EQ(verified->issued_at(), kNow - 60);
  EXPECT_EQ(verified->string_claim("sid"), "session-42");
  EXPECT_EQ(json::parse(verified->json()), json::value(claims()));
}

TEST_P(VerifyEachAlgorithm, ATokenWithOneBitOfItsSignatureFlippedHasABadSignature) {
  const std::string good = token(claims(), GetParam());
  const std::size_t dot = good.rfind('.');
  std::string signature = core::base64url_decode(good.substr(dot + 1)).value();
  for (const std::size_t byte : {std::size_t{0}, signature.size() / 2, signature.size() - 1}) {
    std::string flipped = signature;
    flipped[byte] = static_cast<char>(flipped[byte] ^ 0x01);
    EXPECT_TRUE(
        FailsWith(verify(good.substr(0, dot + 1) + test::b64(flipped)), VerifyError::kBadSignature))
        << "byte " << byte;
  }
}

TEST_P(VerifyEachAlgorithm, ATokenOfAKeyNotInTheSetNamesAnUnknownKey) {
  const auto stranger = test::fresh_key(GetParam());
  ASSERT_TRUE(stranger);
  EXPECT_TRUE(FailsWith(verify(test::sign(*stranger, claims())), VerifyError::kUnknownKey));
}

TEST_P(VerifyEachAlgorithm, ATokenOfAKeyNotInTheSetUnderAKnownKidHasABadSignature) {
  const auto stranger = test::fresh_key(GetParam());
  ASSERT_TRUE(stranger);
  json::object forged = test::header_of(*stranger);
  forged["kid"] = test::key_for(GetParam()).kid();
  EXPECT_TRUE(
      FailsWith(verify(test::sign(*stranger, forged, claims())), VerifyError::kBadSignature));
}

TEST_F(Verify, ClaimsAreCopiedAndMovedWhole) {
  auto verified = verify(token(claims()));
  ASSERT_TRUE(Succeeds(verified));
  const Claims copy = *verified;
  Claims moved = std::move(*verified);
  EXPECT_EQ(copy.subject(), "alice");
  EXPECT_EQ(moved.json(), copy.json());
  Claims assigned = copy;
  assigned = moved;
  EXPECT_EQ(assigned.scopes(), copy.scopes());
}

TEST_F(Verify, StringClaimIsEmptyForAnAbsentOrNonStringClaim) {
  const auto verified = verify(token(claims()));
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->string_claim("nope"), std::nullopt);
  EXPECT_EQ(verified->string_claim("exp"), std::nullopt);
  EXPECT_EQ(verified->string_claim("sub"), "alice");
}

// A token over exactly the payload text given, byte for byte.
std::string token_over_text(std::string_view payload_text) {
  const jose::EvpKey& key = test::key_for(Algorithm::kEdDSA);
  const std::string input =
      test::b64(json::serialize(test::header_of(key))) + "." + test::b64(payload_text);
  return input + "." + test::b64(key.sign(input).value());
}

// The claims of Verify::claims() written as a person might: other order, spaces, line breaks,
// escapes where none are needed, and non-ASCII text both escaped and as UTF-8.
std::string hand_written_claims() {
  return "{ \"sid\" : \"s\\u00e9ssion-\xe2\x82\xac\",\n"
         "  \"sub\":\"al\\u0069ce\", \"iss\":\"https:\\/\\/auth.example.com\",\n"
         "  \"aud\":[\"other\",\"finance-api\"], \"client_id\":\"finance-app\",\n"
         "  \"scope\":\"openid  finance:read\", \"iat\":" +
         std::to_string(kNow - 60) + ", \"exp\":" + std::to_string(kNow + 600) +
         ".5, \"jti\":\"jti-\\\"1\\\"\",\n"
         "  \"name\":\"\\ud83d\\ude00 \\t\", \"nested\":{\"deep\":\"x\"} }";
}

TEST_F(Verify, JsonIsThePayloadExactlyAsTheTokenCarriesIt) {
  const std::string text = hand_written_claims();
  const auto verified = verify(token_over_text(text));
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->json(), text);
  EXPECT_EQ(verified->subject(), "alice");
  EXPECT_EQ(verified->issuer(), kIssuer);
  EXPECT_EQ(verified->jti(), "jti-\"1\"");
  EXPECT_EQ(verified->string_claim("sid"), "s\xc3\xa9ssion-\xe2\x82\xac");
  EXPECT_EQ(verified->string_claim("name"), "\xf0\x9f\x98\x80 \t");
  EXPECT_EQ(verified->expires_at(), kNow + 600);
  EXPECT_EQ(verified->issued_at(), kNow - 60);
  // Only top-level string members are string claims.
  EXPECT_EQ(verified->string_claim("deep"), std::nullopt);
  EXPECT_EQ(verified->string_claim("nested"), std::nullopt);
  EXPECT_EQ(verified->string_claim("aud"), std::nullopt);
}

TEST_F(Verify, APayloadSpelledDifferentlyGivesTheSameClaimsAsItsCanonicalForm) {
  const std::string text = hand_written_claims();
  const std::string canonical = json::serialize(json::parse(text));
  ASSERT_NE(text, canonical);
  const auto raw = verify(token_over_text(text));
  const auto plain = verify(token_over_text(canonical));
  ASSERT_TRUE(Succeeds(raw));
  ASSERT_TRUE(Succeeds(plain));
  EXPECT_EQ(plain->json(), canonical);
  EXPECT_EQ(json::parse(raw->json()), json::parse(plain->json()));
  EXPECT_EQ(raw->subject(), plain->subject());
  EXPECT_EQ(raw->client_id(), plain->client_id());
  EXPECT_EQ(raw->issuer(), plain->issuer());
  EXPECT_EQ(raw->jti(), plain->jti());
  EXPECT_EQ(raw->scopes(), plain->scopes());
  EXPECT_EQ(raw->expires_at(), plain->expires_at());
  EXPECT_EQ(raw->issued_at(), plain->issued_at());
  for (const char* name : {"sid", "name", "sub", "nested", "exp", "missing"}) {
    EXPECT_EQ(raw->string_claim(name), plain->string_claim(name)) << name;
  }
}

TEST_F(Verify, StringClaimReadsAPayloadLargerThanItsStackBuffer) {
  json::object payload = claims();
  for (int i = 0; i < 40; ++i)
    payload["extra-" + std::to_string(i)] = std::string(40, 'a' + i % 26);
  payload["last"] = "found";
  const auto verified = verify(token(payload));
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_GT(verified->json().size(), 2000u);
  EXPECT_EQ(verified->string_claim("last"), "found");
  EXPECT_EQ(verified->string_claim("extra-27"), std::string(40, 'b'));
}

TEST_F(Verify, APayloadNamingAClaimTwiceIsMalformed) {
  std::string text = json::serialize(claims());
  text.insert(1, R"("sub":"mallory",)");
  EXPECT_TRUE(FailsWith(verify(token_over_text(text)), VerifyError::kMalformed));
}

TEST_F(Verify, ScopesSplitOnSingleSpacesSkippingEmptyOnes) {
  json::object payload = claims();
  payload["scope"] = " a  b c ";
  const auto verified = verify(token(payload));
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->scopes(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(Verify, ATokenWithoutScopeHasNoScopes) {
  json::object payload = claims();
  payload.erase("scope");
  const auto verified = verify(token(payload));
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_TRUE(verified->scopes().empty());
  EXPECT_FALSE(verified->has_scope("openid"));
}

TEST_F(Verify, AScopeThatIsNotAStringIsAMissingClaim) {
  json::object payload = claims();
  payload["scope"] = json::array{"openid"};
  EXPECT_TRUE(FailsWith(verify(token(payload)), VerifyError::kMissingClaim));
}

TEST_F(Verify, ExpiresAtHoldsTheLargestNumericDate) {
  json::object payload = claims();
  payload["exp"] = std::numeric_limits<std::int64_t>::max();
  const auto verified = verify(token(payload));
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->expires_at(), std::numeric_limits<std::int64_t>::max());
}

TEST_F(Verify, FractionalDatesAreRoundedDownAsTheTimeChecksReadThem) {
  json::object payload = claims();
  payload["exp"] = static_cast<double>(kNow + 600) + 0.75;
  payload["iat"] = static_cast<double>(kNow - 60) + 0.25;
  const auto verified = verify(token(payload));
  ASSERT_TRUE(Succeeds(verified));
  EXPECT_EQ(verified->expires_at(), kNow + 600);
  EXPECT_EQ(verified->issued_at(), kNow - 60);
}

TEST_F(Verify, ATokenWithoutKidVerifiesWithTheOnlyKeyOfItsAlgorithm) {
  json::object h = header();
  h.erase("kid");
  EXPECT_TRUE(Succeeds(verify(token_with_header(h))));
}

TEST_F(Verify, TypIsComparedAsAMediaType) {
  json::object h = header();
  h["typ"] = "application/AT+JWT";
  EXPECT_TRUE(Succeeds(verify(token_with_header(h))));
}

// --- the shape of the token -----------------------------------------------------------------

TEST_F(Verify, AnythingButThreeNonEmptySegmentsIsMalformed) {
  const std::string good = token(claims());
  const std::size_t dot1 = good.find('.');
  const std::size_t dot2 = good.rfind('.');
  for (const std::string& bad :
       {std::string(), std::string("abc"), std::string("a.b"), std::string("a.b.c.d"), good + ".",
        "." + good, good.substr(0, dot2 + 1), good.substr(dot1),
        good.substr(0, dot1 + 1) + good.substr(dot2), std::string(9000, 'a')}) {
    EXPECT_TRUE(FailsWith(verify(bad), VerifyError::kMalformed)) << bad;
  }
}

TEST_F(Verify, SegmentsThatAreNotBase64urlJsonObjectsAreMalformed) {
  const std::string payload = test::b64(json::serialize(claims()));
  for (const std::string& header_part :
       {std::string("!!!"), test::b64("not json"), test::b64("[1]"),
        test::b64(R"({"alg":"EdDSA","alg":"EdDSA"})")}) {
    EXPECT_TRUE(FailsWith(verify(header_part + "." + payload + ".c2ln"), VerifyError::kMalformed))
        << header_part;
  }
}

TEST_F(Verify, ASignedPayloadThatIsNotAJsonObjectIsMalformed) {
  const jose::EvpKey& key = test::key_for(Algorithm::kEdDSA);
  for (const std::string_view payload : {std::string_view("[1,2]"), std::string_view("{")}) {
    const std::string input = test::b64(json::serialize(header())) + "." + test::b64(payload);
    EXPECT_TRUE(FailsWith(verify(input + "." + test::b64(key.sign(input).value())),
                          VerifyError::kMalformed))
        << payload;
  }
}

TEST_F(Verify, ASignatureThatIsNotBase64urlIsMalformed) {
  const std::string good = token(claims());
  EXPECT_TRUE(
      FailsWith(verify(good.substr(0, good.rfind('.') + 1) + "***"), VerifyError::kMalformed));
}

// --- the header -------------------------------------------------------------------------------

TEST_F(Verify, AlgorithmNoneIsNotAllowed) {
  json::object h{{"alg", "none"}, {"typ", "at+jwt"}};
  const std::string unsigned_token =
      test::b64(json::serialize(h)) + "." + test::b64(json::serialize(claims())) + ".";
  // With an empty signature the shape is already wrong; with any signature, the algorithm.
  EXPECT_TRUE(FailsWith(verify(unsigned_token), VerifyError::kMalformed));
  EXPECT_TRUE(FailsWith(verify(unsigned_token + "c2ln"), VerifyError::kAlgorithmNotAllowed));
}

TEST_F(Verify, AMissingOrUnknownAlgorithmIsNotAllowed) {
  for (const json::value& alg :
       {json::value(nullptr), json::value("HS512"), json::value("eddsa"), json::value(7)}) {
    json::object h = header();
    if (alg.is_null()) {
      h.erase("alg");
    } else {
      h["alg"] = alg;
    }
    EXPECT_TRUE(FailsWith(verify(token_with_header(h)), VerifyError::kAlgorithmNotAllowed))
        << json::serialize(alg);
  }
}

TEST_F(Verify, HS256IsNotAllowedByDefault) {
  // Refused before any key is looked up, so a public key can never serve as an HMAC secret
  // (RFC 8725 section 2.1).
  json::object h = header();
  h["alg"] = "HS256";
  EXPECT_TRUE(FailsWith(verify(token_with_header(h)), VerifyError::kAlgorithmNotAllowed));
}

TEST_F(Verify, APolicyListingHS256RefusesEveryToken) {
  // parse_algorithms refuses the whole list, and verify() has no other way to say so.
  policy_.algorithms = {"EdDSA", "HS256"};
  EXPECT_TRUE(FailsWith(verify(token(claims())), VerifyError::kAlgorithmNotAllowed));
  policy_.algorithms = {"EdDSA", "ES999"};
  EXPECT_TRUE(FailsWith(verify(token(claims())), VerifyError::kAlgorithmNotAllowed));
  policy_.algorithms = {};
  EXPECT_TRUE(FailsWith(verify(token(claims())), VerifyError::kAlgorithmNotAllowed));
}

TEST_F(Verify, EachCallIsCheckedAgainstThePolicyItPasses) {
  // verify() keeps what it made of the last policy per thread; a changed one is never missed.
  const std::string t = token(claims());
  ASSERT_TRUE(Succeeds(verify(t)));
  policy_.issuer = "https://other.example.com";
  EXPECT_TRUE(FailsWith(verify(t), VerifyError::kWrongIssuer));
  policy_.issuer = std::string(kIssuer);
  policy_.audience = "other-api";
  EXPECT_TRUE(FailsWith(verify(t), VerifyError::kWrongAudience));
  policy_.audience = std::string(kAudience);
  policy_.algorithms = {"ES256"};
  EXPECT_TRUE(FailsWith(verify(t), VerifyError::kAlgorithmNotAllowed));
  policy_.algorithms = {"EdDSA", "HS256"};
  EXPECT_TRUE(FailsWith(verify(t), VerifyError::kAlgorithmNotAllowed));
  policy_.algorithms = {"EdDSA"};
  EXPECT_TRUE(Succeeds(verify(t)));
  EXPECT_TRUE(FailsWith(verify(t, kNow + 600 + 30), VerifyError::kExpired));
  policy_.leeway = std::chrono::seconds(31);
  EXPECT_TRUE(Succeeds(verify(t, kNow + 600 + 30)));
  // Two policies in turn on one thread.
  const VerifyPolicy strict{.issuer = std::string(kIssuer), .audience = "other-api"};
  for (int round = 0; round < 2; ++round) {
    EXPECT_TRUE(Succeeds(verify(t)));
    EXPECT_TRUE(
        FailsWith(tessera::verify(t, keys_, strict, kNowTime), VerifyError::kWrongAudience));
  }
}

TEST_F(Verify, AnAlgorithmLeftOffThePolicyIsNotAllowed) {
  policy_.algorithms = {"ES256"};
  EXPECT_TRUE(
      FailsWith(verify(token(claims(), Algorithm::kEdDSA)), VerifyError::kAlgorithmNotAllowed));
  EXPECT_TRUE(Succeeds(verify(token(claims(), Algorithm::kES256))));
}

TEST_F(Verify, AHeaderWithAKeyReferenceOrCritIsForbidden) {
  const json::object jwk = test::key_for(Algorithm::kEdDSA).public_jwk();
  for (const auto& [name, value] :
       {std::pair<std::string, json::value>{"jku", "https://evil.example/jwks"},
        {"x5u", "https://evil.example/cert"},
        {"jwk", jwk},
        {"x5c", json::array{"MIIB"}},
        {"crit", json::array{"exp"}}}) {
    json::object h = header();
    h[name] = value;
    EXPECT_TRUE(FailsWith(verify(token_with_header(h)), VerifyError::kForbiddenHeader)) << name;
  }
}

TEST_F(Verify, AnUnknownKidIsAnUnknownKey) {
  json::object h = header();
  h["kid"] = "no-such-key";
  EXPECT_TRUE(FailsWith(verify(token_with_header(h)), VerifyError::kUnknownKey));
}

TEST_F(Verify, AKidOfAKeyOfAnotherAlgorithmIsAnUnknownKey) {
  json::object h = header();
  h["kid"] = test::key_for(Algorithm::kES256).kid();
  EXPECT_TRUE(FailsWith(verify(token_with_header(h)), VerifyError::kUnknownKey));
}

TEST_F(Verify, ATypOtherThanAtJwtIsTheWrongType) {
  for (const char* typ : {"JWT", "jwt", "at+jwt+x", "", "application/jwt"}) {
    json::object h = header();
    h["typ"] = typ;
    EXPECT_TRUE(FailsWith(verify(token_with_header(h)), VerifyError::kWrongType)) << typ;
  }
  json::object h = header();
  h.erase("typ");
  EXPECT_TRUE(FailsWith(verify(token_with_header(h)), VerifyError::kWrongType)) << "no typ";
}

// --- the claims -------------------------------------------------------------------------------

TEST_F(Verify, EachRequiredClaimAbsentIsAMissingClaim) {
  for (const char* name : {"sub", "client_id", "jti", "iss", "exp", "iat"}) {
    json::object payload = claims();
    payload.erase(name);
    EXPECT_TRUE(FailsWith(verify(token(payload)), VerifyError::kMissingClaim)) << name;
  }
}

TEST_F(Verify, EachRequiredClaimOfTheWrongTypeIsAMissingClaim) {
  for (const char* name : {"sub", "client_id", "jti", "iss", "exp", "iat", "nbf"}) {
    json::object payload = claims();
    payload[name] = json::array{};
    EXPECT_TRUE(FailsWith(verify(token(payload)), VerifyError::kMissingClaim)) << name;
  }
}

TEST_F(Verify, ATokenExpiresAtExpPlusLeeway) {
  // RFC 7519 section 4.1.4: valid only before exp; the leeway is 30 s by default.
  const std::string t = token(claims());
  EXPECT_TRUE(Succeeds(verify(t, kNow + 600 + 29)));
  EXPECT_TRUE(FailsWith(verify(t, kNow + 600 + 30), VerifyError::kExpired));
  policy_.leeway = std::chrono::seconds(0);
  EXPECT_TRUE(Succeeds(verify(t, kNow + 599)));
  EXPECT_TRUE(FailsWith(verify(t, kNow + 600), VerifyError::kExpired));
}

TEST_F(Verify, ATokenIsNotValidBeforeNbfMinusLeeway) {
  json::object payload = claims();
  payload["iat"] = kNow - 100;
  payload["nbf"] = kNow + 100;
  const std::string t = token(payload);
  EXPECT_TRUE(FailsWith(verify(t, kNow + 69), VerifyError::kNotYetValid));
  EXPECT_TRUE(Succeeds(verify(t, kNow + 70)));
  policy_.leeway = std::chrono::seconds(0);
  EXPECT_TRUE(FailsWith(verify(t, kNow + 99), VerifyError::kNotYetValid));
  EXPECT_TRUE(Succeeds(verify(t, kNow + 100)));
}

TEST_F(Verify, ATokenIssuedInTheFutureBeyondTheLeewayIsNotYetValid) {
  json::object payload = claims();
  payload.erase("nbf");
  payload["iat"] = kNow + 100;
  const std::string t = token(payload);
  EXPECT_TRUE(FailsWith(verify(t, kNow + 69), VerifyError::kNotYetValid));
  EXPECT_TRUE(Succeeds(verify(t, kNow + 70)));
}

TEST_F(Verify, AnotherIssuerIsTheWrongIssuer) {
  for (const char* iss : {"https://evil.example.com", "https://auth.example.com/", ""}) {
    json::object payload = claims();
    payload["iss"] = iss;
    EXPECT_TRUE(FailsWith(verify(token(payload)), VerifyError::kWrongIssuer)) << iss;
  }
}

TEST_F(Verify, AnotherAudienceIsTheWrongAudience) {
  json::object payload = claims();
  payload["aud"] = "payroll-api";
  EXPECT_TRUE(FailsWith(verify(token(payload)), VerifyError::kWrongAudience));
  payload["aud"] = json::array{"payroll-api", "hr-api"};
  EXPECT_TRUE(FailsWith(verify(token(payload)), VerifyError::kWrongAudience));
  payload["aud"] = json::array{};
  EXPECT_TRUE(FailsWith(verify(token(payload)), VerifyError::kWrongAudience));
}

TEST_F(Verify, AnAudienceArrayNamingThisServiceIsAccepted) {
  json::object payload = claims();
  payload["aud"] = json::array{"payroll-api", "finance-api"};
  EXPECT_TRUE(Succeeds(verify(token(payload))));
}

TEST_F(Verify, AMissingAudienceIsAMissingClaimWhenOneIsExpected) {
  json::object payload = claims();
  payload.erase("aud");
  EXPECT_TRUE(FailsWith(verify(token(payload)), VerifyError::kMissingClaim));
}

TEST_F(Verify, AnEmptyPolicyAudienceAcceptsAnyAudienceOrNone) {
  policy_.audience.clear();
  json::object payload = claims();
  payload["aud"] = "payroll-api";
  EXPECT_TRUE(Succeeds(verify(token(payload))));
  payload["aud"] = json::array{"x", "y"};
  EXPECT_TRUE(Succeeds(verify(token(payload))));
  payload.erase("aud");
  EXPECT_TRUE(Succeeds(verify(token(payload))));
}

// --- KeySet ---------------------------------------------------------------------------------

TEST(KeySet, FromJwksCountsTheUsableKeys) {
  const auto keys = KeySet::from_jwks(
      test::jwks({&test::key_for(Algorithm::kEdDSA), &test::key_for(Algorithm::kES256),
                  &test::key_for(Algorithm::kRS256), &test::key_for(Algorithm::kPS256)}));
  ASSERT_TRUE(Accepted(keys));
  EXPECT_EQ(keys->size(), 4u);
}

TEST(KeySet, FromJwksSkipsKeysItCannotUse) {
  json::object usable = test::key_for(Algorithm::kEdDSA).public_jwk();
  json::object encryption = test::key_for(Algorithm::kES256).public_jwk();
  encryption["use"] = "enc";
  json::object rsa_without_alg = test::key_for(Algorithm::kRS256).public_jwk();
  rsa_without_alg.erase("alg");
  json::object symmetric{{"kty", "oct"}, {"k", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}};
  json::object other_curve{{"kty", "EC"}, {"crv", "P-384"}, {"x", "AA"}, {"y", "AA"}};
  json::object doc{{"keys", json::array{usable, encryption, rsa_without_alg, symmetric, other_curve,
                                        "not an object"}}};
  const auto keys = KeySet::from_jwks(json::serialize(doc));
  ASSERT_TRUE(Accepted(keys));
  EXPECT_EQ(keys->size(), 1u);
  // And the skipped keys verify nothing: only the usable one is there.
  VerifyPolicy policy{.issuer = std::string(kIssuer)};
  const json::object payload = test::access_claims(kIssuer, kAudience, kNow);
  EXPECT_TRUE(Succeeds(
      verify(test::sign(test::key_for(Algorithm::kEdDSA), payload), *keys, policy, kNowTime)));
  EXPECT_TRUE(FailsWith(
      verify(test::sign(test::key_for(Algorithm::kES256), payload), *keys, policy, kNowTime),
      VerifyError::kUnknownKey));
}

// A JWKS holding a key under which signatures can be forged (tests/data/jwk_degenerate_keys.py):
// the key is skipped, so a token "signed" without any private key does not verify.
TEST(KeySet, AForgedTokenUnderADegenerateKeyInTheJwksDoesNotVerify) {
  const auto degenerate = jose::testing_support::read_vectors("jwk_degenerate_keys.txt");
  const VerifyPolicy policy{.issuer = std::string(kIssuer)};
  const std::string payload =
      test::b64(json::serialize(test::access_claims(kIssuer, kAudience, kNow)));
  const auto forge = [&](std::string_view jwk_text, std::string_view alg,
                         const auto& make_signature) {
    json::object jwk = json::parse(jwk_text).as_object();
    jwk["kid"] = "planted";
    const std::string input = test::b64(json::serialize(json::object{
                                  {"alg", alg}, {"typ", "at+jwt"}, {"kid", "planted"}})) +
                              "." + payload;
    const auto keys = KeySet::from_jwks(json::serialize(json::object{{"keys", json::array{jwk}}}));
    EXPECT_TRUE(Accepted(keys));
    EXPECT_EQ(keys->size(), 0u) << jwk_text;
    return verify(input + "." + test::b64(make_signature(input)), *keys, policy, kNowTime);
  };
  // Ed25519 with A the identity: R = the identity and S = 0 satisfy [S]B = R + [k]A for any
  // message.
  EXPECT_TRUE(FailsWith(forge(degenerate.at("ed25519_order_1_0"), "EdDSA",
                              [](const std::string&) {
                                std::string sig(64, '\0');
                                sig[0] = 1;
                                return sig;
                              }),
                        VerifyError::kUnknownKey));
  // RSA with e = 1: the signature is the PKCS#1 v1.5 encoding of the digest itself (RFC 8017
  // section 9.2), which s^e mod n gives back unchanged.
  EXPECT_TRUE(FailsWith(forge(degenerate.at("rsa_e_1"), "RS256",
                              [](const std::string& input) {
                                static constexpr unsigned char kSha256Info[] = {
                                    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
                                const std::string digest_info =
                                    std::string(reinterpret_cast<const char*>(kSha256Info),
                                                sizeof kSha256Info) +
                                    jose::sha256(input);
                                return std::string("\x00\x01", 2) +
                                       std::string(256 - 3 - digest_info.size(), '\xff') +
                                       std::string(1, '\0') + digest_info;
                              }),
                        VerifyError::kUnknownKey));
}

TEST(KeySet, FromJwksRefusesWhatIsNotAJwks) {
  EXPECT_TRUE(RefusedWith(KeySet::from_jwks(R"({"kty":"OKP"})"), "the JWKS has no \"keys\" array"));
  EXPECT_TRUE(RefusedWith(KeySet::from_jwks(R"({"keys":{}})"), "the JWKS has no \"keys\" array"));
  EXPECT_TRUE(RefusedWith(KeySet::from_jwks(R"([])"), "the JWKS has no \"keys\" array"));
  const auto not_json = KeySet::from_jwks("{keys:[]}");
  ASSERT_FALSE(not_json.has_value());
  EXPECT_TRUE(not_json.error().starts_with("the JWKS is not valid JSON: ")) << not_json.error();
}

TEST(KeySet, FromJwksRefusesTwoKeysUnderOneKid) {
  json::object a = test::key_for(Algorithm::kEdDSA).public_jwk();
  json::object b = test::key_for(Algorithm::kES256).public_jwk();
  b["kid"] = a["kid"];
  const json::object doc{{"keys", json::array{a, b}}};
  EXPECT_TRUE(RefusedWith(KeySet::from_jwks(json::serialize(doc)),
                          "the JWKS has two keys with kid " + std::string(a["kid"].as_string())));
}

TEST(KeySet, AnEmptyJwksVerifiesNothing) {
  const auto keys = KeySet::from_jwks(R"({"keys":[]})");
  ASSERT_TRUE(Accepted(keys));
  EXPECT_EQ(keys->size(), 0u);
  const VerifyPolicy policy{.issuer = std::string(kIssuer)};
  EXPECT_TRUE(FailsWith(verify(test::sign(test::key_for(Algorithm::kEdDSA),
                                          test::access_claims(kIssuer, kAudience, kNow)),
                               *keys, policy, kNowTime),
                        VerifyError::kUnknownKey));
}

TEST(VerifyErrorText, EveryErrorHasItsOwnPhrase) {
  const VerifyError all[] = {VerifyError::kMalformed,       VerifyError::kAlgorithmNotAllowed,
                             VerifyError::kForbiddenHeader, VerifyError::kUnknownKey,
                             VerifyError::kBadSignature,    VerifyError::kWrongType,
                             VerifyError::kMissingClaim,    VerifyError::kExpired,
                             VerifyError::kNotYetValid,     VerifyError::kWrongIssuer,
                             VerifyError::kWrongAudience,   VerifyError::kKeysUnavailable};
  std::vector<std::string_view> seen;
  for (const VerifyError e : all) {
    const std::string_view text = to_string(e);
    EXPECT_FALSE(text.empty());
    // Safe inside an RFC 6750 quoted-string and a JSON string as they are.
    EXPECT_EQ(text.find_first_of("\"\\\r\n"), std::string_view::npos) << text;
    EXPECT_EQ(std::count(seen.begin(), seen.end(), text), 0) << text;
    seen.push_back(text);
  }
  EXPECT_EQ(to_string(VerifyError::kExpired), "the token has expired");
}

}  // namespace
}  // namespace tessera
