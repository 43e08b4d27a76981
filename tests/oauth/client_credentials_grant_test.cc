// The client credentials grant (RFC 6749 section 4.4, grants/client_credentials.h): a
// confidential client's token for itself, within the client's own scopes, without a refresh
// token.
#include <gtest/gtest.h>

#include <string>

#include "oauth/grants/client_credentials.h"
#include "oauth/oauth_test_support.h"

namespace tessera::oauth {
namespace {

using test::form;

constexpr std::string_view kSecret = "s3rvice-secret-with-enough-length";

class ClientCredentialsGrantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.add_client("billing", kSecret, {"client_credentials"}, {"invoices:read", "ledger:read"},
                      "https://billing.example.test");
    world_.add_client("bare", kSecret, {"client_credentials"});
  }

  std::expected<TokenResponse, OAuthError> token_for(std::string id, std::string scope = "") {
    std::vector<std::pair<std::string, std::string>> pairs = {
        {"grant_type", "client_credentials"},
        {"client_id", std::move(id)},
        {"client_secret", std::string(kSecret)}};
    if (!scope.empty()) pairs.emplace_back("scope", std::move(scope));
    return world_.service.handle(TokenRequest{
        .params = Parameters(std::move(pairs)), .credentials = {}, .remote_address = ""});
  }

  test::OAuthWorld world_;
};

TEST_F(ClientCredentialsGrantTest, TheTokenIsTheClientsOwnWithEveryScopeItHas) {
  const auto response = token_for("billing");
  ASSERT_TRUE(response.has_value()) << describe(response);
  EXPECT_EQ(response->scope, (ScopeSet{"invoices:read", "ledger:read"}));
  EXPECT_FALSE(response->refresh_token.has_value());  // section 4.4.3
  const auto claims = world_.tokens.verify(response->access_token);
  ASSERT_TRUE(claims.has_value()) << jose::describe(claims);
  EXPECT_EQ(claims->at("sub"), "billing");
  EXPECT_EQ(claims->at("client_id"), "billing");
  EXPECT_EQ(claims->at("aud"), "https://billing.example.test");
  EXPECT_EQ(claims->at("scope"), "invoices:read ledger:read");
}

TEST_F(ClientCredentialsGrantTest, ARequestedSubsetIsGrantedAndMoreIsInvalidScope) {
  const auto narrow = token_for("billing", "ledger:read");
  ASSERT_TRUE(narrow.has_value()) << describe(narrow);
  EXPECT_EQ(narrow->scope, ScopeSet{"ledger:read"});
  EXPECT_TRUE(fails_with(token_for("billing", "ledger:read ledger:write"), ErrorCode::kInvalidScope,
                         "the requested scope is not allowed"));
}

// A registered client never has "every scope": without scopes its token has none.
TEST_F(ClientCredentialsGrantTest, AClientWithoutScopesGetsATokenWithoutScope) {
  const auto response = token_for("bare");
  ASSERT_TRUE(response.has_value()) << describe(response);
  EXPECT_TRUE(response->scope.empty());
  EXPECT_EQ(world_.tokens.verify(response->access_token)->at("aud").as_string(), test::kIssuer);
  EXPECT_TRUE(fails_with(token_for("bare", "a"), ErrorCode::kInvalidScope,
                         "the requested scope is not allowed"));
}

TEST_F(ClientCredentialsGrantTest, AWrongSecretGetsNoToken) {
  const auto response = world_.service.handle(form({{"grant_type", "client_credentials"},
                                                    {"client_id", "billing"},
                                                    {"client_secret", "not-the-secret"}}));
  EXPECT_TRUE(fails_with(response, ErrorCode::kInvalidClient, "client authentication failed"));
}

// Section 4.4: confidential clients only, even if a public one reached the grant.
TEST_F(ClientCredentialsGrantTest, APublicClientIsUnauthorized) {
  const ClientCredentialsGrant grant(world_.tokens);
  const Client spa{.id = "spa",
                   .is_public = true,
                   .grants = {"client_credentials"},
                   .scopes = ScopeSet{"a"},
                   .audience = {}};
  EXPECT_TRUE(fails_with(grant.exchange(form({{"grant_type", "client_credentials"}}), spa),
                         ErrorCode::kUnauthorizedClient,
                         "a public client cannot use client_credentials"));
  EXPECT_TRUE(fails_with(world_.service.handle(form({{"grant_type", "client_credentials"}})),
                         ErrorCode::kUnauthorizedClient, "the client may not use this grant_type"));
}

}  // namespace
}  // namespace tessera::oauth
