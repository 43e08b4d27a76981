// id_tokens (oauth/id_tokens.h): what /logout learns from an id_token_hint. The hint is read
// whatever its age, and only when this server signed it as an id_token.
#include "oauth/id_tokens.h"

#include <gtest/gtest.h>

#include <string>

#include "jose/evp_key.h"
#include "jose/hmac_key.h"
#include "jose/jws.h"
#include "oauth/oauth_test_support.h"

namespace tessera::oauth {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<jose::EvpKey> generated(jose::Algorithm alg) {
  auto key = jose::EvpKey::generate(alg);
  if (!key) throw std::runtime_error(key.error());
  return *key;
}

class IdTokenHintTest : public ::testing::Test {
 protected:
  std::string issue(const IdTokens& id_tokens, std::string_view alg = "") {
    const ScopeSet scope = {"openid"};
    auto token = id_tokens.issue({.user = user_,
                                  .client_id = "web",
                                  .alg = alg,
                                  .scope = scope,
                                  .nonce = "",
                                  .sid = "sid-1",
                                  .auth_time = test::kStart,
                                  .access_token = "at"});
    if (!token) throw std::runtime_error(token.error().description);
    return *token;
  }

  core::ManualClock clock_{test::kStart};
  store::User user_ = [] {
    store::User user;
    user.name = "alice";
    return user;
  }();
  jose::StaticKeySource id_keys_{generated(jose::Algorithm::kRS256)};
  jose::StaticKeySource access_keys_{generated(jose::Algorithm::kEdDSA)};
  IdTokens id_tokens_{id_keys_, &access_keys_, std::string(test::kIssuer), clock_};
};

TEST_F(IdTokenHintTest, AnIdTokenOfEitherRingIsReadLongAfterItExpired) {
  const std::string rs256 = issue(id_tokens_);
  const std::string eddsa = issue(id_tokens_, "EdDSA");
  clock_.advance(30 * 24h);
  for (const std::string& token : {rs256, eddsa}) {
    auto hint = id_tokens_.read_hint(token);
    ASSERT_TRUE(hint.has_value()) << hint.error().description;
    EXPECT_EQ(hint->subject, "alice");
    EXPECT_EQ(hint->client_id, "web");
    EXPECT_EQ(hint->sid, "sid-1");
  }
}

TEST_F(IdTokenHintTest, WhatThisServerDidNotSignAsAnIdTokenIsRefused) {
  // Another server's id_token: the same issuer name, keys of its own.
  jose::StaticKeySource other_keys{generated(jose::Algorithm::kRS256)};
  const IdTokens other(other_keys, nullptr, std::string(test::kIssuer), clock_);
  // Our key, another issuer.
  const IdTokens elsewhere(id_keys_, nullptr, "https://elsewhere.test", clock_);
  // An access token: our key, typ at+jwt.
  auto access = jose::sign_compact(
      *access_keys_.signing_key(), "at+jwt",
      R"({"iss":")" + std::string(test::kIssuer) + R"(","sub":"alice","aud":"web"})");
  ASSERT_TRUE(access.has_value());
  // A shared-secret token: never an id_token of this server.
  auto secret = jose::HmacKey::create(test::kSecret);
  ASSERT_TRUE(secret.has_value());
  jose::StaticKeySource hmac_keys{*secret};
  const IdTokens hmac(hmac_keys, nullptr, std::string(test::kIssuer), clock_);
  for (const std::string& token :
       {issue(other), issue(elsewhere), *access, std::string("not.a.jwt"), std::string()}) {
    auto hint = id_tokens_.read_hint(token);
    ASSERT_FALSE(hint.has_value()) << token;
    EXPECT_EQ(hint.error().code, ErrorCode::kInvalidRequest);
  }
  // In the HS256 mode nothing is an id_token_hint, not even what that mode's key signed.
  EXPECT_FALSE(hmac.read_hint(issue(hmac)).has_value());
}

TEST_F(IdTokenHintTest, AnIdTokenWithoutOneAudienceOrSubjectIsRefused) {
  const auto sign = [&](std::string_view claims) {
    return jose::sign_compact(*id_keys_.signing_key(), "JWT", claims).value();
  };
  const std::string iss = R"("iss":")" + std::string(test::kIssuer) + R"(")";
  EXPECT_TRUE(id_tokens_.read_hint(sign("{" + iss + R"(,"sub":"a","aud":["web"]})")));
  EXPECT_FALSE(id_tokens_.read_hint(sign("{" + iss + R"(,"sub":"a","aud":["web","x"]})")));
  EXPECT_FALSE(id_tokens_.read_hint(sign("{" + iss + R"(,"sub":"a"})")));
  EXPECT_FALSE(id_tokens_.read_hint(sign("{" + iss + R"(,"aud":"web"})")));
  EXPECT_FALSE(id_tokens_.read_hint(sign("{" + iss + R"(,"sub":7,"aud":"web"})")));
}

}  // namespace
}  // namespace tessera::oauth
