// Refresh tokens (refresh_tokens.h) through the refresh_token grant (grants/refresh_token.h):
// rotation, reuse detection that ends the family, binding to the client, scope that only
// narrows, idle and absolute lifetimes, and the user's state at each use.
#include <gtest/gtest.h>

#include <string>

#include "oauth/grants/refresh_token.h"
#include "oauth/oauth_test_support.h"

namespace tessera::oauth {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kPassword = "correct horse";
constexpr std::string_view kInvalid = "the refresh token is invalid";

class RefreshTokenGrantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.add_user("alice", kPassword, {"a", "b"});
    world_.add_client("spa", "", {"password", "refresh_token"}, {"a", "b"});
  }

  static TokenRequest request(std::vector<std::pair<std::string, std::string>> pairs,
                              std::string_view client_id) {
    if (!client_id.empty()) pairs.emplace_back("client_id", std::string(client_id));
    return TokenRequest{
        .params = Parameters(std::move(pairs)), .credentials = {}, .remote_address = ""};
  }

  TokenResponse login_alice(std::string_view client_id = "", std::string scope = "a b") {
    auto response = world_.service.handle(request({{"grant_type", "password"},
                                                   {"username", "alice"},
                                                   {"password", std::string(kPassword)},
                                                   {"scope", std::move(scope)}},
                                                  client_id));
    if (!response || !response->refresh_token) throw std::runtime_error(describe(response));
    return std::move(*response);
  }

  std::expected<TokenResponse, OAuthError> refresh(const std::string& token,
                                                   std::string_view client_id = "",
                                                   std::string_view scope = "") {
    std::vector<std::pair<std::string, std::string>> pairs = {{"grant_type", "refresh_token"},
                                                              {"refresh_token", token}};
    if (!scope.empty()) pairs.emplace_back("scope", std::string(scope));
    return world_.service.handle(request(std::move(pairs), client_id));
  }

  bool accepted(const std::string& access_token) {
    return world_.tokens.verify(access_token).has_value();
  }

  test::OAuthWorld world_;
};

TEST_F(RefreshTokenGrantTest, ARefreshGivesANewAccessTokenAndReplacesTheRefreshToken) {
  const auto first = login_alice();
  world_.clock.advance(5min);
  const auto next = refresh(*first.refresh_token);
  ASSERT_TRUE(next.has_value()) << describe(next);
  ASSERT_TRUE(next->refresh_token.has_value());
  EXPECT_NE(*next->refresh_token, *first.refresh_token);
  EXPECT_NE(next->access_token, first.access_token);
  EXPECT_EQ(next->scope, (ScopeSet{"a", "b"}));
  EXPECT_EQ(next->expires_in, test::kTtl);

  const auto claims = world_.tokens.verify(next->access_token);
  ASSERT_TRUE(claims.has_value()) << jose::describe(claims);
  EXPECT_EQ(claims->at("sub"), "alice");
  EXPECT_EQ(claims->at("client_id"), "default");
  EXPECT_EQ(claims->at("iat"), core::unix_seconds(test::kStart + 5min));
  // Both access tokens carry the family, so that revoking it reaches them.
  const auto first_claims = world_.tokens.verify(first.access_token);
  ASSERT_TRUE(first_claims.has_value());
  EXPECT_EQ(claims->at("sid"), first_claims->at("sid"));
}

// RFC 9700 section 4.14.2: a replaced token presented again was copied; the family ends.
TEST_F(RefreshTokenGrantTest, AReplacedTokenPresentedAgainEndsTheWholeFamily) {
  const auto first = login_alice();
  const auto second = refresh(*first.refresh_token);
  ASSERT_TRUE(second.has_value()) << describe(second);

  EXPECT_TRUE(fails_with(refresh(*first.refresh_token), ErrorCode::kInvalidGrant, kInvalid));
  EXPECT_TRUE(fails_with(refresh(*second->refresh_token), ErrorCode::kInvalidGrant, kInvalid));
  EXPECT_FALSE(accepted(first.access_token));
  EXPECT_FALSE(accepted(second->access_token));
  // Another sign-in of the same user is another family, untouched.
  const auto other = login_alice();
  EXPECT_TRUE(refresh(*other.refresh_token).has_value());
}

TEST_F(RefreshTokenGrantTest, AnotherClientsTokenIsInvalidAndStaysUsableByItsOwner) {
  const auto token = login_alice("spa");
  EXPECT_TRUE(fails_with(refresh(*token.refresh_token), ErrorCode::kInvalidGrant, kInvalid));
  const auto next = refresh(*token.refresh_token, "spa");
  EXPECT_TRUE(next.has_value()) << describe(next);
}

TEST_F(RefreshTokenGrantTest, MissingAndUnknownTokens) {
  EXPECT_TRUE(fails_with(world_.service.handle(request({{"grant_type", "refresh_token"}}, "")),
                         ErrorCode::kInvalidRequest, "refresh_token is required"));
  for (const std::string& token :
       {std::string("x"), std::string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        std::string("a.b.c"), std::string(4096, 'A')}) {
    EXPECT_TRUE(fails_with(refresh(token), ErrorCode::kInvalidGrant, kInvalid))
        << token.substr(0, 50);
  }
}

TEST_F(RefreshTokenGrantTest, TheScopeNarrowsForOneAnswerAndTheFamilyKeepsItsOwn) {
  const auto first = login_alice();
  const auto narrowed = refresh(*first.refresh_token, "", "a");
  ASSERT_TRUE(narrowed.has_value()) << describe(narrowed);
  EXPECT_EQ(narrowed->scope, ScopeSet{"a"});
  const auto full = refresh(*narrowed->refresh_token);
  ASSERT_TRUE(full.has_value()) << describe(full);
  EXPECT_EQ(full->scope, (ScopeSet{"a", "b"}));
}

TEST_F(RefreshTokenGrantTest, TheScopeNeverWidens) {
  const auto first = login_alice("", "a");
  EXPECT_TRUE(fails_with(refresh(*first.refresh_token, "", "a b"), ErrorCode::kInvalidScope,
                         "the requested scope is not allowed"));
  // A refused request does not use the token up.
  const auto next = refresh(*first.refresh_token);
  ASSERT_TRUE(next.has_value()) << describe(next);
  EXPECT_EQ(next->scope, ScopeSet{"a"});
}

TEST_F(RefreshTokenGrantTest, AScopeTheUserLostIsNoLongerGranted) {
  const auto first = login_alice();
  ASSERT_TRUE(world_.store->users().set_user_scopes("alice", {"a"}).has_value());
  const auto next = refresh(*first.refresh_token);
  ASSERT_TRUE(next.has_value()) << describe(next);
  EXPECT_EQ(next->scope, ScopeSet{"a"});
}

TEST_F(RefreshTokenGrantTest, ATokenUnusedForTheIdleTimeExpires) {
  const auto first = login_alice();
  world_.clock.advance(world_.refresh.settings().idle - 1s);
  const auto next = refresh(*first.refresh_token);
  ASSERT_TRUE(next.has_value()) << describe(next);
  world_.clock.advance(world_.refresh.settings().idle);
  EXPECT_TRUE(fails_with(refresh(*next->refresh_token), ErrorCode::kInvalidGrant, kInvalid));
}

TEST_F(RefreshTokenGrantTest, AFamilyEndsAtItsLifetimeHoweverOftenItIsUsed) {
  const auto lifetime = world_.refresh.settings().lifetime;
  const auto step = world_.refresh.settings().idle - 1h;
  std::string token = *login_alice().refresh_token;
  std::chrono::seconds elapsed{0};
  while (elapsed + step < lifetime) {
    world_.clock.advance(step);
    elapsed += step;
    auto next = refresh(token);
    ASSERT_TRUE(next.has_value()) << "after " << elapsed.count() << " s: " << describe(next);
    token = *next->refresh_token;
  }
  world_.clock.advance(lifetime - elapsed);
  EXPECT_TRUE(fails_with(refresh(token), ErrorCode::kInvalidGrant, kInvalid));
}

TEST_F(RefreshTokenGrantTest, ADisabledOrDeletedUserCannotRefresh) {
  const auto token = login_alice();
  ASSERT_TRUE(world_.admin.set_disabled("alice", true).has_value());
  EXPECT_TRUE(fails_with(refresh(*token.refresh_token), ErrorCode::kInvalidGrant, kInvalid));
  ASSERT_TRUE(world_.admin.set_disabled("alice", false).has_value());
  // Re-enabling does not bring the old family back.
  EXPECT_TRUE(fails_with(refresh(*token.refresh_token), ErrorCode::kInvalidGrant, kInvalid));

  const auto again = login_alice();
  ASSERT_TRUE(world_.admin.remove("alice").has_value());
  EXPECT_TRUE(fails_with(refresh(*again.refresh_token), ErrorCode::kInvalidGrant, kInvalid));
}

TEST_F(RefreshTokenGrantTest, APasswordChangeEndsEveryFamilyOfTheUser) {
  const auto phone = login_alice();
  const auto laptop = login_alice("spa");
  ASSERT_TRUE(world_.admin.set_password("alice", "a new password entirely").has_value());
  EXPECT_TRUE(fails_with(refresh(*phone.refresh_token), ErrorCode::kInvalidGrant, kInvalid));
  EXPECT_TRUE(
      fails_with(refresh(*laptop.refresh_token, "spa"), ErrorCode::kInvalidGrant, kInvalid));
}

// The refresh token's hash is what is stored; the token itself is nowhere in the store.
TEST_F(RefreshTokenGrantTest, OnlyTheHashOfATokenIsStored) {
  const auto token = login_alice();
  const auto state = world_.refresh.find(*token.refresh_token);
  ASSERT_TRUE(state.has_value()) << describe(state);
  EXPECT_EQ(state->token.token_hash, RefreshTokens::hash(*token.refresh_token));
  EXPECT_NE(state->token.token_hash, *token.refresh_token);
  EXPECT_EQ(state->family.subject, "alice");
  EXPECT_EQ(state->family.client_id, "default");
}

}  // namespace
}  // namespace tessera::oauth
