// Client authentication (client_authenticator.h): which credentials a request presents, read
// from memory; then whether they name a client this server knows, with the right secret,
// counted by the throttle when they do not.
#include "oauth/client_authenticator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oauth/oauth_test_support.h"

namespace tessera::oauth {
namespace {

using Method = ClientCredentials::Method;

constexpr std::string_view kSecret = "s3rvice-secret-with-enough-length";
constexpr std::string_view kClientAuthFailed = "client authentication failed";

Parameters params(std::vector<std::pair<std::string, std::string>> pairs) {
  return Parameters(std::move(pairs));
}

ClientCredentials basic(std::string id, std::string secret) {
  return {.method = Method::kSecretBasic, .id = std::move(id), .secret = std::move(secret)};
}

class ClientAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.add_client("billing", kSecret, {"client_credentials"}, {"invoices:read"});
    world_.add_client("spa", "", {"password", "refresh_token"}, {"a"});
  }

  std::expected<Client, OAuthError> authenticate(
      const ClientCredentials& basic_credentials,
      std::vector<std::pair<std::string, std::string>> form_pairs = {}) {
    auto presented = world_.clients.read(basic_credentials, params(std::move(form_pairs)));
    if (!presented) return std::unexpected(presented.error());
    return world_.clients.authenticate(*presented, "192.0.2.7");
  }

  test::OAuthWorld world_;
};

// RFC 6749 section 2.3: one method per request.
TEST_F(ClientAuthenticatorTest, BasicAndASecretInTheFormAreTwoMethods) {
  const auto presented = world_.clients.read(basic("billing", std::string(kSecret)),
                                             params({{"client_secret", std::string(kSecret)}}));
  EXPECT_TRUE(fails_with(presented, ErrorCode::kInvalidRequest,
                         "use one client authentication method, not two"));
}

TEST_F(ClientAuthenticatorTest, FormClientIdMustNameTheClientOfTheHeader) {
  const auto other =
      world_.clients.read(basic("billing", std::string(kSecret)), params({{"client_id", "spa"}}));
  EXPECT_TRUE(fails_with(other, ErrorCode::kInvalidRequest,
                         "client_id does not match the Authorization header"));
  const auto same = world_.clients.read(basic("billing", std::string(kSecret)),
                                        params({{"client_id", "billing"}}));
  EXPECT_TRUE(same.has_value()) << describe(same);
}

TEST_F(ClientAuthenticatorTest, FormSecretIsClientSecretPost) {
  const auto presented = world_.clients.read(
      {}, params({{"client_id", "billing"}, {"client_secret", std::string(kSecret)}}));
  ASSERT_TRUE(presented.has_value()) << describe(presented);
  EXPECT_EQ(presented->credentials.method, Method::kSecretPost);
  EXPECT_EQ(presented->credentials.id, "billing");
  EXPECT_EQ(presented->credentials.secret, kSecret);
}

// oauthlib sends a public client as Basic with an empty password.
TEST_F(ClientAuthenticatorTest, AnEmptySecretIsNoSecret) {
  const auto presented = world_.clients.read(basic("spa", ""), params({}));
  ASSERT_TRUE(presented.has_value()) << describe(presented);
  EXPECT_FALSE(presented->credentials.secret.has_value());
  EXPECT_FALSE(presented->may_hash);
  const auto client = world_.clients.authenticate(*presented);
  ASSERT_TRUE(client.has_value()) << describe(client);
  EXPECT_EQ(client->id, "spa");
  EXPECT_TRUE(client->is_public);
}

TEST_F(ClientAuthenticatorTest, MayHashUntilTheSecretHasVerifiedAndAlwaysForAWrongOne) {
  const auto first = world_.clients.read(basic("billing", std::string(kSecret)), params({}));
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->may_hash);
  ASSERT_TRUE(world_.clients.authenticate(*first).has_value());

  const auto again = world_.clients.read(basic("billing", std::string(kSecret)), params({}));
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->may_hash);
  const auto wrong = world_.clients.read(basic("billing", "not-the-secret"), params({}));
  ASSERT_TRUE(wrong.has_value());
  EXPECT_TRUE(wrong->may_hash);
  // A secret for a client nobody registered costs a (dummy) hash too.
  const auto unknown = world_.clients.read(basic("nobody", "whatever"), params({}));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_TRUE(unknown->may_hash);
}

TEST_F(ClientAuthenticatorTest, NoCredentialsAtAllIsTheBuiltInPublicClient) {
  const auto client = authenticate({});
  ASSERT_TRUE(client.has_value()) << describe(client);
  EXPECT_EQ(client->id, kDefaultClientId);
  EXPECT_TRUE(client->is_public);
  EXPECT_FALSE(client->scopes.has_value());
}

TEST_F(ClientAuthenticatorTest, TheRightSecretAuthenticatesTheClientAsRegistered) {
  const auto client = authenticate(basic("billing", std::string(kSecret)));
  ASSERT_TRUE(client.has_value()) << describe(client);
  EXPECT_EQ(client->id, "billing");
  EXPECT_FALSE(client->is_public);
  EXPECT_EQ(client->grants, std::vector<std::string>{"client_credentials"});
  EXPECT_EQ(client->scopes, ScopeSet{"invoices:read"});
}

TEST_F(ClientAuthenticatorTest, EveryRefusalLooksTheSame) {
  EXPECT_TRUE(fails_with(authenticate(basic("billing", "not-the-secret")),
                         ErrorCode::kInvalidClient, kClientAuthFailed));
  EXPECT_TRUE(fails_with(authenticate({}, {{"client_id", "billing"}}), ErrorCode::kInvalidClient,
                         kClientAuthFailed));
  EXPECT_TRUE(fails_with(authenticate(basic("nobody", "whatever")), ErrorCode::kInvalidClient,
                         kClientAuthFailed));
  EXPECT_TRUE(fails_with(authenticate({}, {{"client_id", "nobody"}}), ErrorCode::kInvalidClient,
                         kClientAuthFailed));
  EXPECT_TRUE(fails_with(authenticate(basic("spa", "a-secret-it-never-had")),
                         ErrorCode::kInvalidClient, kClientAuthFailed));
}

TEST_F(ClientAuthenticatorTest, ClientIdsAreCaseSensitive) {
  EXPECT_TRUE(fails_with(authenticate(basic("Billing", std::string(kSecret))),
                         ErrorCode::kInvalidClient, kClientAuthFailed));
}

TEST_F(ClientAuthenticatorTest, ADeletedClientNoLongerAuthenticatesEvenWithARememberedSecret) {
  ASSERT_TRUE(authenticate(basic("billing", std::string(kSecret))).has_value());
  ASSERT_TRUE(world_.client_admin.remove("billing").has_value());
  EXPECT_TRUE(fails_with(authenticate(basic("billing", std::string(kSecret))),
                         ErrorCode::kInvalidClient, kClientAuthFailed));
}

TEST_F(ClientAuthenticatorTest, ConfidentialOnlyRefusesPublicClientsAndTheClientlessRequest) {
  const auto confidential = world_.clients.read(basic("billing", std::string(kSecret)), params({}));
  ASSERT_TRUE(confidential.has_value());
  EXPECT_TRUE(world_.clients.authenticate_confidential(*confidential).has_value());

  const auto spa = world_.clients.read({}, params({{"client_id", "spa"}}));
  ASSERT_TRUE(spa.has_value());
  EXPECT_TRUE(fails_with(world_.clients.authenticate_confidential(*spa), ErrorCode::kInvalidClient,
                         kClientAuthFailed));
  const auto clientless = world_.clients.read({}, params({}));
  ASSERT_TRUE(clientless.has_value());
  EXPECT_TRUE(fails_with(world_.clients.authenticate_confidential(*clientless),
                         ErrorCode::kInvalidClient, kClientAuthFailed));
}

// With a throttle, wrong secrets lock the client; the right secret is then refused at once
// with the wait, and accepted again once the lock has run out.
TEST_F(ClientAuthenticatorTest, WrongSecretsLockTheClientForAWhile) {
  const LoginThrottle throttle(world_.store->throttles(), world_.clock);
  const ClientAuthenticator throttled(world_.store->clients(), world_.hasher, world_.secret_cache,
                                      &throttle);
  const auto attempt = [&](std::string_view secret) {
    auto presented = throttled.read(basic("billing", std::string(secret)), params({}));
    return throttled.authenticate(*presented, "192.0.2.7");
  };
  for (std::int64_t i = 0; i < kAccountThrottle.threshold; ++i) {
    ASSERT_TRUE(fails_with(attempt("wrong"), ErrorCode::kInvalidClient, kClientAuthFailed));
  }
  const auto locked = attempt(kSecret);
  ASSERT_FALSE(locked.has_value());
  EXPECT_EQ(locked.error().code, ErrorCode::kTooManyAttempts);
  EXPECT_EQ(locked.error().retry_after, kAccountThrottle.first_lockout);

  world_.clock.advance(kAccountThrottle.first_lockout);
  const auto open = attempt(kSecret);
  EXPECT_TRUE(open.has_value()) << describe(open);
}

}  // namespace
}  // namespace tessera::oauth
