// Revocation (RFC 7009, revocation.h): a client revokes its own tokens; a refresh token takes
// its family and the access tokens issued from it along; anything else is answered alike and
// changes nothing (section 2.2).
#include "oauth/revocation.h"

#include <gtest/gtest.h>

#include <string>

#include "oauth/oauth_test_support.h"

namespace tessera::oauth {
namespace {

using test::form;

constexpr std::string_view kPassword = "correct horse";

class RevocationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.add_user("alice", kPassword, {"a", "b"});
    world_.add_client("spa", "", {"password", "refresh_token"}, {"a", "b"});
  }

  // alice's tokens through `client_id` ("" for the clientless seed form).
  TokenResponse login_alice(std::string client_id = "") {
    std::vector<std::pair<std::string, std::string>> pairs = {
        {"grant_type", "password"}, {"username", "alice"}, {"password", std::string(kPassword)}};
    if (!client_id.empty()) pairs.emplace_back("client_id", client_id);
    auto response = world_.service.handle(TokenRequest{
        .params = Parameters(std::move(pairs)), .credentials = {}, .remote_address = ""});
    if (!response) throw std::runtime_error(describe(response));
    return std::move(*response);
  }

  std::expected<TokenResponse, OAuthError> refresh(const std::string& token,
                                                   std::string client_id = "") {
    std::vector<std::pair<std::string, std::string>> pairs = {{"grant_type", "refresh_token"},
                                                              {"refresh_token", token}};
    if (!client_id.empty()) pairs.emplace_back("client_id", client_id);
    return world_.service.handle(TokenRequest{
        .params = Parameters(std::move(pairs)), .credentials = {}, .remote_address = ""});
  }

  bool accepted(const std::string& access_token) {
    return world_.tokens.verify(access_token).has_value();
  }

  static Client spa() {
    return Client{.id = "spa",
                  .is_public = true,
                  .grants = {"password", "refresh_token"},
                  .scopes = ScopeSet{"a", "b"},
                  .audience = {}};
  }

  test::OAuthWorld world_;
};

TEST_F(RevocationTest, ARevokedAccessTokenIsRefusedAndItsRefreshTokenLivesOn) {
  const auto token = login_alice();
  ASSERT_TRUE(world_.revocation.revoke(token.access_token, default_client()).has_value());
  EXPECT_FALSE(accepted(token.access_token));
  const auto next = refresh(*token.refresh_token);
  EXPECT_TRUE(next.has_value()) << describe(next);
}

TEST_F(RevocationTest, ARevokedRefreshTokenEndsItsFamilyWithItsAccessTokens) {
  const auto first = login_alice();
  const auto second = refresh(*first.refresh_token);
  ASSERT_TRUE(second.has_value()) << describe(second);
  ASSERT_TRUE(world_.revocation.revoke(*second->refresh_token, default_client()).has_value());

  EXPECT_TRUE(fails_with(refresh(*second->refresh_token), ErrorCode::kInvalidGrant,
                         "the refresh token is invalid"));
  EXPECT_FALSE(accepted(first.access_token));
  EXPECT_FALSE(accepted(second->access_token));
}

TEST_F(RevocationTest, ARevokedFamilyLeavesTheUsersOtherSessionsAlone) {
  const auto phone = login_alice();
  const auto laptop = login_alice();
  ASSERT_TRUE(world_.revocation.revoke(*phone.refresh_token, default_client()).has_value());
  EXPECT_TRUE(accepted(laptop.access_token));
  EXPECT_TRUE(refresh(*laptop.refresh_token).has_value());
}

TEST_F(RevocationTest, AnotherClientsTokensAreAnsweredAlikeAndLeftAlone) {
  const auto token = login_alice("spa");
  ASSERT_TRUE(world_.revocation.revoke(token.access_token, default_client()).has_value());
  ASSERT_TRUE(world_.revocation.revoke(*token.refresh_token, default_client()).has_value());
  EXPECT_TRUE(accepted(token.access_token));
  const auto next = refresh(*token.refresh_token, "spa");
  EXPECT_TRUE(next.has_value()) << describe(next);
}

TEST_F(RevocationTest, ThePublicClientRevokesItsOwnTokens) {
  const auto token = login_alice("spa");
  ASSERT_TRUE(world_.revocation.revoke(*token.refresh_token, spa()).has_value());
  EXPECT_FALSE(accepted(token.access_token));
  EXPECT_FALSE(refresh(*token.refresh_token, "spa").has_value());
}

TEST_F(RevocationTest, UnknownExpiredAndMalformedTokensAreAnsweredAsSuccess) {
  const auto token = login_alice();
  world_.clock.advance(test::kTtl + test::kLeeway);
  for (const std::string_view garbage :
       {std::string_view(token.access_token), std::string_view(""), std::string_view("a.b.c"),
        std::string_view("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")}) {
    const auto revoked = world_.revocation.revoke(garbage, default_client());
    EXPECT_TRUE(revoked.has_value()) << garbage << ": " << describe(revoked);
  }
}

// Revocations are written to the store: another process learns of them at its next sync.
TEST_F(RevocationTest, ARevocationReachesAnotherProcessThroughTheStore) {
  const auto token = login_alice();
  RevocationList elsewhere(world_.store->revocations(), world_.clock);
  const AccessTokens other_tokens(world_.keys, test::token_settings(), world_.clock, world_.random,
                                  &elsewhere);
  ASSERT_TRUE(other_tokens.verify(token.access_token).has_value());

  ASSERT_TRUE(world_.revocation.revoke(token.access_token, default_client()).has_value());
  ASSERT_TRUE(elsewhere.sync().has_value());
  EXPECT_FALSE(other_tokens.verify(token.access_token).has_value());
}

}  // namespace
}  // namespace tessera::oauth
