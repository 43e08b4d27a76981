// The authorization code flow in oauth/: the request's validation (authorization.h), codes
// (authorization_codes.h), the authorization_code grant, and SignIn's choice of the next step
// (sign_in.h), over the real store on a manual clock.
#include "oauth/authorization.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/base64.h"
#include "jose/digest.h"
#include "oauth/authorization_codes.h"
#include "oauth/grants/authorization_code.h"
#include "oauth/id_tokens.h"
#include "oauth/oauth_test_support.h"
#include "oauth/sign_in.h"

namespace tessera::oauth {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::string_view kRedirect = "https://app.example.test/cb";
constexpr std::string_view kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kPassword = "correct horse";

std::string challenge_of(std::string_view verifier) {
  return core::base64url_encode(jose::sha256(verifier));
}

class AuthorizationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.add_user("alice", kPassword, {"finance:read"});
    admin::NewClient web{.id = "web",
                         .is_public = true,
                         .secret = std::nullopt,
                         .grants = {},
                         .scopes = {"finance:read", "finance:write"},
                         .audience = "",
                         .redirect_uris = {std::string(kRedirect), "http://127.0.0.1:9/cb"}};
    if (auto ok = world_.client_admin.add(web); !ok) throw std::runtime_error(ok.error());
    world_.service.add(std::make_unique<AuthorizationCodeGrant>(
        codes_, world_.store->users(), issuer_, world_.store->revocations(), world_.revoked));
  }

  static Parameters params(std::vector<std::pair<std::string, std::string>> extra = {},
                           std::vector<std::string> drop = {}) {
    std::vector<std::pair<std::string, std::string>> pairs = {
        {"response_type", "code"},
        {"client_id", "web"},
        {"redirect_uri", std::string(kRedirect)},
        {"scope", "openid finance:read"},
        {"state", "s1"},
        {"nonce", "n1"},
        {"code_challenge", challenge_of(kVerifier)},
        {"code_challenge_method", "S256"}};
    for (const auto& name : drop) std::erase_if(pairs, [&](auto& p) { return p.first == name; });
    for (auto& pair : extra) {
      std::erase_if(pairs, [&](auto& p) { return p.first == pair.first; });
      pairs.push_back(std::move(pair));
    }
    return Parameters(std::move(pairs));
  }

  AuthorizationRequest valid(Parameters p = params()) {
    auto request = authorization_.validate(p);
    if (!request) throw std::runtime_error(request.error().error.description);
    return std::move(*request);
  }

  std::string code_for(const AuthorizationRequest& request) {
    auto code = codes_.issue(request, {"finance:read", "openid"},
                             {.subject = "alice", .sid = "sid-1", .auth_time = test::kStart});
    if (!code) throw std::runtime_error(code.error().description);
    return *code;
  }

  std::expected<TokenResponse, OAuthError> redeem(
      const std::string& code, std::string_view verifier = kVerifier,
      std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> pairs = {
        {"grant_type", "authorization_code"},
        {"code", code},
        {"code_verifier", std::string(verifier)},
        {"client_id", "web"}};
    pairs.insert(pairs.end(), extra.begin(), extra.end());
    TokenRequest with_pairs = test::form({});
    with_pairs.params = Parameters(std::move(pairs));
    return world_.service.handle(with_pairs);
  }

  test::OAuthWorld world_;
  Authorization authorization_{world_.store->clients(), std::string(test::kIssuer)};
  AuthorizationCodes codes_{world_.store->codes(), world_.clock, world_.random};
  IdTokens id_tokens_{world_.keys, nullptr, std::string(test::kIssuer), world_.clock};
  UserTokenIssuer issuer_{world_.tokens, world_.refresh, &id_tokens_};
  UserAuthenticator users_{world_.store->users(), world_.hasher};
  SignIn sign_in_{*world_.store, authorization_, codes_,          users_,
                  world_.clock,  world_.random,  SignInSettings{}};
};

TEST_F(AuthorizationTest, AValidRequestIsReadWhole) {
  const auto request =
      valid(params({{"prompt", "login consent"}, {"max_age", "600"}, {"login_hint", "alice"}}));
  EXPECT_EQ(request.client.id, "web");
  EXPECT_EQ(request.redirect_uri, kRedirect);
  EXPECT_THAT(request.scope, ElementsAre("finance:read", "openid"));
  EXPECT_EQ(request.state, "s1");
  EXPECT_EQ(request.nonce, "n1");
  EXPECT_TRUE(request.prompt_login);
  EXPECT_TRUE(request.prompt_consent);
  EXPECT_FALSE(request.prompt_none);
  EXPECT_EQ(request.max_age, 600s);
  EXPECT_EQ(request.login_hint, "alice");
  EXPECT_TRUE(request.is_openid());
}

TEST_F(AuthorizationTest, TheClientAndRedirectUriAreNeverRedirectedTo) {
  for (const auto& p : {params({{"client_id", "nobody"}}), params({}, {"client_id"}),
                        params({{"redirect_uri", "https://evil.test/cb"}}),
                        params({}, {"redirect_uri"}),  // two are registered
                        params({{"redirect_uri", std::string(kRedirect) + "/"}})}) {
    const auto failure = authorization_.validate(p);
    ASSERT_FALSE(failure.has_value());
    EXPECT_TRUE(failure.error().redirect_uri.empty()) << failure.error().error.description;
  }
}

TEST_F(AuthorizationTest, OtherErrorsAreRedirectedWithStateAndIss) {
  const std::pair<Parameters, ErrorCode> cases[] = {
      {params({}, {"code_challenge"}), ErrorCode::kInvalidRequest},
      {params({{"code_challenge_method", "plain"}}), ErrorCode::kInvalidRequest},
      {params({{"code_challenge", "short"}}), ErrorCode::kInvalidRequest},
      {params({{"response_type", "token"}}), ErrorCode::kUnsupportedResponseType},
      {params({{"scope", "openid admin"}}), ErrorCode::kInvalidScope},
      {params({{"prompt", "none login"}}), ErrorCode::kInvalidRequest},
      {params({{"max_age", "-1"}}), ErrorCode::kInvalidRequest},
      {params({{"state", std::string(kMaxStateBytes + 1, 's')}}), ErrorCode::kInvalidRequest},
  };
  for (const auto& [p, code] : cases) {
    const auto failure = authorization_.validate(p);
    ASSERT_FALSE(failure.has_value());
    EXPECT_EQ(failure.error().error.code, code) << failure.error().error.description;
    EXPECT_EQ(failure.error().redirect_uri, kRedirect);
    const std::string location = authorization_.error_location(failure.error());
    EXPECT_THAT(location,
                StartsWith(std::string(kRedirect) + "?error=" + std::string(error_name(code))));
    EXPECT_THAT(location, HasSubstr("&iss=https://auth.example.test"));
  }
}

TEST_F(AuthorizationTest, ACodeGivesTokensOnceAndItsReuseRevokesThem) {
  const std::string code = code_for(valid());
  const auto first = redeem(code);
  ASSERT_TRUE(first.has_value()) << describe(first);
  EXPECT_THAT(first->scope, ElementsAre("finance:read", "openid"));
  ASSERT_TRUE(first->refresh_token.has_value());
  ASSERT_TRUE(first->id_token.has_value());
  ASSERT_TRUE(world_.tokens.verify(first->access_token).has_value());

  EXPECT_TRUE(
      fails_with(redeem(code), ErrorCode::kInvalidGrant, "the authorization code is invalid"));
  EXPECT_FALSE(world_.tokens.verify(first->access_token).has_value());
  EXPECT_FALSE(world_.refresh.find(*first->refresh_token).has_value() &&
               world_.refresh.is_active(*world_.refresh.find(*first->refresh_token)));
}

TEST_F(AuthorizationTest, ACodeIsBoundToItsVerifierRedirectUriAndLifetime) {
  EXPECT_TRUE(fails_with(redeem(code_for(valid()), "x" + std::string(kVerifier).substr(1)),
                         ErrorCode::kInvalidGrant,
                         "the code_verifier does not match the challenge"));
  EXPECT_TRUE(
      fails_with(redeem(code_for(valid()), kVerifier, {{"redirect_uri", "http://127.0.0.1:9/cb"}}),
                 ErrorCode::kInvalidGrant, "redirect_uri is not the one the code was issued for"));
  const std::string late = code_for(valid());
  world_.clock.advance(AuthorizationCodes::kLifetime);
  EXPECT_TRUE(
      fails_with(redeem(late), ErrorCode::kInvalidGrant, "the authorization code is invalid"));
  EXPECT_TRUE(fails_with(redeem("not-a-code"), ErrorCode::kInvalidGrant,
                         "the authorization code is invalid"));
}

TEST_F(AuthorizationTest, TheIdTokenCarriesTheSignInAndTheAccessTokensHash) {
  const auto tokens = redeem(code_for(valid()));
  ASSERT_TRUE(tokens.has_value()) << describe(tokens);
  const std::string payload =
      tokens->id_token->substr(tokens->id_token->find('.') + 1,
                               tokens->id_token->rfind('.') - tokens->id_token->find('.') - 1);
  const auto json = core::base64url_decode(payload);
  ASSERT_TRUE(json.has_value());
  EXPECT_THAT(*json, HasSubstr("\"aud\":\"web\""));
  EXPECT_THAT(*json, HasSubstr("\"nonce\":\"n1\""));
  EXPECT_THAT(*json, HasSubstr("\"sid\":\"sid-1\""));
  EXPECT_THAT(*json, HasSubstr("\"auth_time\":1700000000"));
  EXPECT_THAT(*json, HasSubstr("\"at_hash\":\"" +
                               at_hash(tokens->access_token, jose::Algorithm::kHS256) + "\""));
}

TEST_F(AuthorizationTest, SignInAsksForLoginThenConsentThenRedirectsWithACode) {
  const auto request = valid();
  auto next = sign_in_.next(request, std::nullopt, {});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->kind, NextStep::Kind::kLogin);

  auto started = sign_in_.log_in("alice", kPassword, "192.0.2.1");
  ASSERT_TRUE(started.has_value()) << describe(started);
  next = sign_in_.next(request, started->session, {.logged_in_now = true});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->kind, NextStep::Kind::kConsent);
  EXPECT_THAT(next->scope, ElementsAre("finance:read", "openid"));

  next = sign_in_.next(request, started->session, {.consented_now = true});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->kind, NextStep::Kind::kRedirect);
  EXPECT_THAT(next->location, StartsWith(std::string(kRedirect) + "?code="));
  // Consent is remembered: the next request goes straight through.
  EXPECT_EQ(sign_in_.next(request, started->session, {})->kind, NextStep::Kind::kRedirect);
}

TEST_F(AuthorizationTest, PromptNoneNeverShowsAPage) {
  const auto request = valid(params({{"prompt", "none"}}));
  auto next = sign_in_.next(request, std::nullopt, {});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->kind, NextStep::Kind::kRedirect);
  EXPECT_THAT(next->location, HasSubstr("error=login_required"));
  auto started = sign_in_.log_in("alice", kPassword, "192.0.2.1");
  ASSERT_TRUE(started.has_value());
  next = sign_in_.next(request, started->session, {});
  EXPECT_THAT(next->location, HasSubstr("error=consent_required"));
}

TEST_F(AuthorizationTest, MaxAgeAndPromptLoginAskForAFreshLogin) {
  auto started = sign_in_.log_in("alice", kPassword, "192.0.2.1");
  ASSERT_TRUE(started.has_value());
  world_.clock.advance(10min);
  EXPECT_EQ(sign_in_.next(valid(params({{"max_age", "300"}})), started->session, {})->kind,
            NextStep::Kind::kLogin);
  EXPECT_EQ(sign_in_.next(valid(params({{"max_age", "900"}})), started->session, {})->kind,
            NextStep::Kind::kConsent);
  EXPECT_EQ(sign_in_.next(valid(params({{"prompt", "login"}})), started->session, {})->kind,
            NextStep::Kind::kLogin);
}

TEST_F(AuthorizationTest, ScopesTheUserLacksAreNotGranted) {
  const auto request = valid(params({{"scope", "openid finance:read finance:write"}}));
  auto started = sign_in_.log_in("alice", kPassword, "192.0.2.1");
  ASSERT_TRUE(started.has_value());
  const auto next = sign_in_.next(request, started->session, {});
  EXPECT_THAT(next->scope, ElementsAre("finance:read", "openid"));
}

TEST_F(AuthorizationTest, SessionsAreFoundByTheirCookieAndEndAtLogout) {
  auto started = sign_in_.log_in("alice", kPassword, "192.0.2.1");
  ASSERT_TRUE(started.has_value());
  auto found = sign_in_.session(started->cookie);
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->subject, "alice");
  EXPECT_FALSE(sign_in_.session(std::string(43, 'A'))->has_value());
  ASSERT_TRUE(sign_in_.log_out(started->cookie).has_value());
  EXPECT_FALSE(sign_in_.session(started->cookie)->has_value());
  // Idle past the setting: gone.
  auto again = sign_in_.log_in("alice", kPassword, "192.0.2.1");
  world_.clock.advance(SignInSettings{}.session_idle);
  EXPECT_FALSE(sign_in_.session(again->cookie)->has_value());
}

TEST_F(AuthorizationTest, AWrongPasswordStartsNoSession) {
  EXPECT_TRUE(fails_with(sign_in_.log_in("alice", "wrong", "192.0.2.1"), ErrorCode::kInvalidGrant,
                         "invalid username or password"));
  EXPECT_TRUE(fails_with(sign_in_.log_in("nobody", "wrong", "192.0.2.1"), ErrorCode::kInvalidGrant,
                         "invalid username or password"));
}

TEST_F(AuthorizationTest, WithoutIdTokensOpenIdIsRefused) {
  const Authorization hs256(world_.store->clients(), std::string(test::kIssuer), false);
  const auto failure = hs256.validate(params());
  ASSERT_FALSE(failure.has_value());
  EXPECT_EQ(failure.error().error.code, ErrorCode::kInvalidScope);
  EXPECT_TRUE(hs256.validate(params({{"scope", "finance:read"}})).has_value());
}

TEST(VerifierMatches, IsRfc7636AppendixB) {
  EXPECT_TRUE(verifier_matches(kVerifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
  EXPECT_FALSE(verifier_matches(kVerifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"));
  EXPECT_FALSE(verifier_matches("short", challenge_of("short")));
  EXPECT_FALSE(verifier_matches(std::string(129, 'a'), challenge_of(std::string(129, 'a'))));
  EXPECT_FALSE(verifier_matches(std::string(43, '+'), challenge_of(std::string(43, '+'))));
}

}  // namespace
}  // namespace tessera::oauth
