#include "oauth/access_token.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "core/base64.h"
#include "core/random.h"
#include "jose/evp_key.h"
#include "jose/jws.h"
#include "oauth/oauth_test_support.h"

namespace tessera::oauth {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using test::kIssuer;
using test::kLeeway;
using test::kStart;
using test::kTtl;

constexpr std::int64_t kStartSeconds = 1700000000;

// The JSON of one dot-separated segment of a compact JWS (0: header, 1: payload).
json::object segment(const std::string& token, int index) {
  std::size_t begin = 0;
  for (int i = 0; i < index; ++i) begin = token.find('.', begin) + 1;
  const std::size_t end = token.find('.', begin);
  const auto bytes = core::base64url_decode(std::string_view(token).substr(begin, end - begin));
  if (!bytes) throw std::runtime_error("segment is not base64url");
  return json::parse(*bytes).as_object();
}

class AccessTokensTest : public ::testing::Test {
 protected:
  core::ManualClock clock_{kStart};
  core::SystemRandom random_;
  std::shared_ptr<jose::HmacKey> key_ = test::make_hmac_key(test::kSecret);
  jose::StaticKeySource keys_{key_};
  AccessTokens tokens_{keys_, test::token_settings(), clock_, random_};

  std::string issue(const TokenSubject& subject) {
    auto issued = tokens_.issue(subject);
    if (!issued) throw std::runtime_error(std::string(jose::to_string(issued.error())));
    return issued->access_token;
  }

  std::string issue_for_alice() {
    return issue({.subject = "alice", .client_id = "default", .audience = "", .scope = {"a", "b"}});
  }
};

TEST_F(AccessTokensTest, IssuedTokenVerifiesWithItsRfc9068Claims) {
  auto issued = tokens_.issue(
      {.subject = "alice", .client_id = "default", .audience = "", .scope = {"a", "b"}});
  ASSERT_TRUE(issued.has_value()) << jose::describe(issued);
  EXPECT_EQ(issued->expires_in, kTtl);

  auto claims = tokens_.verify(issued->access_token);
  ASSERT_TRUE(claims.has_value()) << jose::describe(claims);
  const json::object expected{{"iss", kIssuer},         {"sub", "alice"},
                              {"aud", kIssuer},         {"exp", kStartSeconds + kTtl.count()},
                              {"iat", kStartSeconds},   {"jti", issued->jti},
                              {"client_id", "default"}, {"scope", "a b"}};
  EXPECT_EQ(*claims, expected) << json::serialize(*claims);
}

TEST_F(AccessTokensTest, ClaimsInThePayloadAreExactlyTheRfc9068Set) {
  const json::object payload = segment(issue_for_alice(), 1);
  EXPECT_EQ(payload.size(), 8u) << json::serialize(payload);
  for (const char* name : {"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"}) {
    EXPECT_TRUE(payload.contains(name)) << name;
  }
}

TEST_F(AccessTokensTest, AudienceIsTheClientsWhenItHasOne) {
  const std::string token = issue({.subject = "alice",
                                   .client_id = "api",
                                   .audience = "https://api.example.test",
                                   .scope = {}});
  auto claims = tokens_.verify(token);
  ASSERT_TRUE(claims.has_value()) << jose::describe(claims);
  EXPECT_EQ(claims->at("aud"), "https://api.example.test");
  EXPECT_EQ(claims->at("client_id"), "api");
  // No scope at all is written as the empty string.
  EXPECT_EQ(claims->at("scope"), "");
}

TEST_F(AccessTokensTest, HeaderIsTypedAtJwtAndNamesTheKey) {
  const json::object header = segment(issue_for_alice(), 0);
  const json::object expected{{"alg", "HS256"}, {"typ", "at+jwt"}, {"kid", key_->kid()}};
  EXPECT_EQ(header, expected) << json::serialize(header);
}

TEST_F(AccessTokensTest, ExpiryIsIssueTimePlusTtl) {
  clock_.advance(37s);
  const json::object payload = segment(issue_for_alice(), 1);
  EXPECT_EQ(payload.at("iat").as_int64(), kStartSeconds + 37);
  EXPECT_EQ(payload.at("exp").as_int64(), kStartSeconds + 37 + kTtl.count());
}

TEST_F(AccessTokensTest, StillValidOneSecondBeforeTtlPlusLeeway) {
  const std::string token = issue_for_alice();
  clock_.advance(kTtl + kLeeway - 1s);
  const auto claims = tokens_.verify(token);
  EXPECT_TRUE(claims.has_value()) << jose::describe(claims);
}

TEST_F(AccessTokensTest, ExpiredOnceTtlPlusLeewayHasPassed) {
  const std::string token = issue_for_alice();
  clock_.advance(kTtl + kLeeway);
  const auto claims = tokens_.verify(token);
  ASSERT_FALSE(claims.has_value());
  EXPECT_EQ(claims.error(), jose::Error::kExpired);
}

TEST_F(AccessTokensTest, TokenIssuedInTheFutureIsRefused) {
  clock_.advance(kLeeway + 1s);
  const std::string token = issue_for_alice();
  clock_.set(kStart);
  const auto claims = tokens_.verify(token);
  ASSERT_FALSE(claims.has_value());
  EXPECT_EQ(claims.error(), jose::Error::kIssuedInFuture);
}

// An HS256 key's kid is derived from its secret, so a token made under another secret names
// a kid we do not hold: it is refused at key lookup, before any signature is computed.
TEST_F(AccessTokensTest, TokenFromAnotherKeyIsUnknownKey) {
  const auto other_key = test::make_hmac_key("another secret of at least thirty-two bytes");
  ASSERT_NE(other_key->kid(), key_->kid());
  const jose::StaticKeySource other_keys(other_key);
  const AccessTokens other(other_keys, test::token_settings(), clock_, random_);
  auto issued =
      other.issue({.subject = "alice", .client_id = "default", .audience = "", .scope = {}});
  ASSERT_TRUE(issued.has_value()) << jose::describe(issued);

  const auto claims = tokens_.verify(issued->access_token);
  ASSERT_FALSE(claims.has_value());
  EXPECT_EQ(claims.error(), jose::Error::kUnknownKey);
}

// Same key and kid, but the signature belongs to another payload.
TEST_F(AccessTokensTest, SignatureOfAnotherTokenIsBadSignature) {
  const std::string alice = issue_for_alice();
  const std::string bob =
      issue({.subject = "bob", .client_id = "default", .audience = "", .scope = {"a", "b"}});
  const std::string forged = alice.substr(0, alice.rfind('.')) + bob.substr(bob.rfind('.'));
  const auto claims = tokens_.verify(forged);
  ASSERT_FALSE(claims.has_value());
  EXPECT_EQ(claims.error(), jose::Error::kBadSignature);
}

TEST_F(AccessTokensTest, TokenWithAnotherAlgorithmIsRefusedBeforeKeyLookup) {
  auto ed = jose::EvpKey::generate(jose::Algorithm::kEdDSA);
  ASSERT_TRUE(ed.has_value()) << ed.error();
  const jose::StaticKeySource ed_keys(*ed);
  AccessTokenSettings settings = test::token_settings();
  settings.algorithms = {jose::Algorithm::kEdDSA};
  const AccessTokens eddsa(ed_keys, settings, clock_, random_);
  auto issued =
      eddsa.issue({.subject = "alice", .client_id = "default", .audience = "", .scope = {}});
  ASSERT_TRUE(issued.has_value()) << jose::describe(issued);
  // The EdDSA issuer verifies its own token...
  EXPECT_TRUE(eddsa.verify(issued->access_token).has_value());
  // ...and the HS256 one does not accept that algorithm at all.
  const auto claims = tokens_.verify(issued->access_token);
  ASSERT_FALSE(claims.has_value());
  EXPECT_EQ(claims.error(), jose::Error::kAlgorithmNotAllowed);
}

TEST_F(AccessTokensTest, TokenFromAnotherIssuerIsWrongIssuer) {
  const AccessTokens other(keys_, test::token_settings("https://other.example.test"), clock_,
                           random_);
  auto issued =
      other.issue({.subject = "alice", .client_id = "default", .audience = "", .scope = {}});
  ASSERT_TRUE(issued.has_value()) << jose::describe(issued);
  const auto claims = tokens_.verify(issued->access_token);
  ASSERT_FALSE(claims.has_value());
  EXPECT_EQ(claims.error(), jose::Error::kWrongIssuer);
}

TEST_F(AccessTokensTest, TwoTokensHaveDifferentJtis) {
  auto first =
      tokens_.issue({.subject = "alice", .client_id = "default", .audience = "", .scope = {}});
  auto second =
      tokens_.issue({.subject = "alice", .client_id = "default", .audience = "", .scope = {}});
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_NE(first->jti, second->jti);
  EXPECT_NE(first->access_token, second->access_token);
  // The issue time (6 bytes) and 12 random bytes, base64url without padding.
  EXPECT_EQ(first->jti.size(), 24u);
}

// RFC 8725 section 3.11: a JWT of another type, signed by the same key, is not an access token.
TEST_F(AccessTokensTest, JwtWithoutAtJwtTypeIsWrongType) {
  const json::object payload = segment(issue_for_alice(), 1);
  auto id_token = jose::sign_compact(*key_, "JWT", json::serialize(payload));
  ASSERT_TRUE(id_token.has_value());
  const auto claims = tokens_.verify(*id_token);
  ASSERT_FALSE(claims.has_value());
  EXPECT_EQ(claims.error(), jose::Error::kWrongType);
}

TEST_F(AccessTokensTest, SignedTokenWithoutJtiIsMissingClaim) {
  json::object payload = segment(issue_for_alice(), 1);
  payload.erase("jti");
  auto token = jose::sign_compact(*key_, "at+jwt", json::serialize(payload));
  ASSERT_TRUE(token.has_value());
  const auto claims = tokens_.verify(*token);
  ASSERT_FALSE(claims.has_value());
  EXPECT_EQ(claims.error(), jose::Error::kMissingClaim);
}

TEST_F(AccessTokensTest, SignedTokenWithNumericSubjectIsBadClaim) {
  json::object payload = segment(issue_for_alice(), 1);
  payload["sub"] = 42;
  auto token = jose::sign_compact(*key_, "at+jwt", json::serialize(payload));
  ASSERT_TRUE(token.has_value());
  const auto claims = tokens_.verify(*token);
  ASSERT_FALSE(claims.has_value());
  EXPECT_EQ(claims.error(), jose::Error::kBadClaim);
}

TEST_F(AccessTokensTest, SignedTokenWithoutAudienceIsMissingClaim) {
  // RFC 9068 section 2.2: aud is required even where any value is accepted.
  json::object payload = segment(issue_for_alice(), 1);
  payload.erase("aud");
  auto token = jose::sign_compact(*key_, "at+jwt", json::serialize(payload));
  ASSERT_TRUE(token.has_value());
  const auto claims = tokens_.verify(*token);
  ASSERT_FALSE(claims.has_value());
  EXPECT_EQ(claims.error(), jose::Error::kMissingClaim);
}

TEST_F(AccessTokensTest, SignedTokenWithNonStringAudienceIsBadClaim) {
  for (const json::value& aud : {json::value(42), json::value(json::array{"a", 1})}) {
    json::object payload = segment(issue_for_alice(), 1);
    payload["aud"] = aud;
    auto token = jose::sign_compact(*key_, "at+jwt", json::serialize(payload));
    ASSERT_TRUE(token.has_value());
    const auto claims = tokens_.verify(*token);
    ASSERT_FALSE(claims.has_value());
    EXPECT_EQ(claims.error(), jose::Error::kBadClaim);
  }
}

TEST_F(AccessTokensTest, GarbageIsMalformed) {
  for (const char* garbage : {"", "garbage", "a.b"}) {
    const auto claims = tokens_.verify(garbage);
    ASSERT_FALSE(claims.has_value()) << garbage;
    EXPECT_EQ(claims.error(), jose::Error::kMalformed) << garbage;
  }
}

// The verified-token cache (token_cache.h) must never let through what verification would
// refuse now: an expired token, a revoked one, or one whose key has been retired.

TEST_F(AccessTokensTest, ACachedTokenStillExpires) {
  const std::string token = issue_for_alice();
  ASSERT_TRUE(tokens_.verify_shared(token).has_value());
  ASSERT_TRUE(tokens_.verify_shared(token).has_value());
  clock_.advance(kTtl + kLeeway);
  const auto again = tokens_.verify_shared(token);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), jose::Error::kExpired);
}

TEST_F(AccessTokensTest, ACachedTokenIsRefusedOnceRevoked) {
  test::OAuthWorld world;
  auto issued = world.tokens.issue({.subject = "alice",
                                    .client_id = "default",
                                    .audience = "",
                                    .scope = {},
                                    .session_id = "fam"});
  ASSERT_TRUE(issued.has_value());
  ASSERT_TRUE(world.tokens.verify_shared(issued->access_token).has_value());
  world.revoked.note({.kind = store::Revocation::Kind::kAccessToken,
                      .value = issued->jti,
                      .expires_at = world.clock.now() + std::chrono::hours(1)});
  const auto by_jti = world.tokens.verify_shared(issued->access_token);
  ASSERT_FALSE(by_jti.has_value());
  EXPECT_EQ(by_jti.error(), jose::Error::kRevoked);

  auto other = world.tokens.issue({.subject = "bob",
                                   .client_id = "default",
                                   .audience = "",
                                   .scope = {},
                                   .session_id = "fam2"});
  ASSERT_TRUE(other.has_value());
  ASSERT_TRUE(world.tokens.verify_shared(other->access_token).has_value());
  world.revoked.note({.kind = store::Revocation::Kind::kFamily,
                      .value = "fam2",
                      .expires_at = world.clock.now() + std::chrono::hours(1)});
  const auto by_sid = world.tokens.verify_shared(other->access_token);
  ASSERT_FALSE(by_sid.has_value());
  EXPECT_EQ(by_sid.error(), jose::Error::kRevoked);
}

// A user disabled or deleted, or a client deleted: every token issued up to then is refused,
// cached or not, while one issued afterwards (the user enabled again) is taken.
TEST_F(AccessTokensTest, ASubjectOrClientRevocationRefusesTokensIssuedUpToItsTime) {
  test::OAuthWorld world;
  const auto issue = [&](std::string subject, std::string client) {
    auto issued = world.tokens.issue({.subject = std::move(subject),
                                      .client_id = std::move(client),
                                      .audience = "",
                                      .scope = {}});
    if (!issued) throw std::runtime_error("cannot issue");
    return issued->access_token;
  };
  const std::string alice = issue("alice", "web");
  const std::string bob = issue("bob", "web");
  const std::string service = issue("billing", "billing");
  for (const auto& token : {alice, bob, service}) {
    ASSERT_TRUE(world.tokens.verify_shared(token).has_value());
  }
  const auto expires = world.clock.now() + std::chrono::hours(1);
  world.revoked.note({.kind = store::Revocation::Kind::kSubject,
                      .value = "alice",
                      .expires_at = expires,
                      .issued_until = world.clock.now()});
  world.revoked.note({.kind = store::Revocation::Kind::kClient,
                      .value = "billing",
                      .expires_at = expires,
                      .issued_until = world.clock.now()});
  for (const auto& token : {alice, service}) {
    const auto refused = world.tokens.verify_shared(token);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error(), jose::Error::kRevoked);
  }
  EXPECT_TRUE(world.tokens.verify_shared(bob).has_value()) << "another user of the same client";

  world.clock.advance(std::chrono::seconds(1));
  EXPECT_TRUE(world.tokens.verify_shared(issue("alice", "web")).has_value())
      << "issued after the cutoff";
  EXPECT_TRUE(world.tokens.verify_shared(issue("billing", "billing")).has_value())
      << "a client of the same id made again";
}

// Tokens are dated to the millisecond by their jti: a cutoff spares a token issued a moment
// after it in the same second (a user enabled again signing in at once), and catches one
// issued a moment before.
TEST_F(AccessTokensTest, ASubjectRevocationIsExactToTheMillisecond) {
  test::OAuthWorld world;
  world.clock.advance(std::chrono::milliseconds(400));
  auto before =
      world.tokens.issue({.subject = "alice", .client_id = "web", .audience = "", .scope = {}});
  world.clock.advance(std::chrono::milliseconds(1));
  world.revoked.note({.kind = store::Revocation::Kind::kSubject,
                      .value = "alice",
                      .expires_at = world.clock.now() + std::chrono::hours(1),
                      .issued_until = world.clock.now()});
  world.clock.advance(std::chrono::milliseconds(1));
  auto after =
      world.tokens.issue({.subject = "alice", .client_id = "web", .audience = "", .scope = {}});
  ASSERT_TRUE(before.has_value() && after.has_value());
  ASSERT_EQ(segment(before->access_token, 1).at("iat"), segment(after->access_token, 1).at("iat"))
      << "the same second";
  EXPECT_EQ(world.tokens.verify(before->access_token).error(), jose::Error::kRevoked);
  EXPECT_TRUE(world.tokens.verify(after->access_token).has_value());
}

TEST(IssuedAtMs, ReadsTheTimeFromOurJtiAndFallsBackToTheStartOfTheSecond) {
  core::SystemRandom random;
  const std::string jti = make_jti(1700000000123, random);
  EXPECT_EQ(jti.size(), 24u);
  EXPECT_NE(make_jti(1700000000123, random), jti) << "random after the time";
  EXPECT_EQ(issued_at_ms(jti, 1700000000), 1700000000123);
  // A jti that disagrees with the signed iat, or is not ours, counts from the second's start.
  EXPECT_EQ(issued_at_ms(jti, 1700000001), 1700000001000);
  EXPECT_EQ(issued_at_ms("some-other-issuers-jti", 1700000000), 1700000000000);
  EXPECT_EQ(issued_at_ms(core::random_token(random, 16), 1700000000), 1700000000000);
}

// Keys that change under the verifier, as rotation and retirement change them.
class SwappableKeys final : public jose::KeySource {
 public:
  explicit SwappableKeys(std::shared_ptr<jose::HmacKey> key) { use(std::move(key)); }
  void use(std::shared_ptr<jose::HmacKey> key) {
    auto set = std::make_shared<jose::KeySet>();
    set->add(key);
    signing_ = key;
    keys_ = set;
  }
  std::shared_ptr<const jose::SigningKey> signing_key() const override { return signing_; }
  std::shared_ptr<const jose::KeySet> verification_keys() const override { return keys_; }
  std::shared_ptr<const std::string> jwks_json() const override {
    return std::make_shared<const std::string>(R"({"keys":[]})");
  }

 private:
  std::shared_ptr<const jose::SigningKey> signing_;
  std::shared_ptr<const jose::KeySet> keys_;
};

TEST_F(AccessTokensTest, ACachedTokenIsRefusedOnceItsKeyIsGone) {
  SwappableKeys keys(test::make_hmac_key(test::kSecret));
  AccessTokens tokens(keys, test::token_settings(), clock_, random_);
  auto issued =
      tokens.issue({.subject = "alice", .client_id = "default", .audience = "", .scope = {}});
  ASSERT_TRUE(issued.has_value());
  ASSERT_TRUE(tokens.verify_shared(issued->access_token).has_value());
  keys.use(test::make_hmac_key(std::string(40, 'z')));
  const auto again = tokens.verify_shared(issued->access_token);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), jose::Error::kUnknownKey);
}

TEST_F(AccessTokensTest, ACachedTokenAnswersTheSameClaims) {
  const std::string token = issue_for_alice();
  const auto first = tokens_.verify_shared(token);
  const auto second = tokens_.verify_shared(token);
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ((*first)->claims, (*second)->claims);
  EXPECT_EQ(json::parse((*second)->json).as_object(), (*second)->claims);
}

}  // namespace
}  // namespace tessera::oauth
