// Introspection (RFC 7662, introspection.h): what an active token's answer holds, for access
// tokens of users and of clients and for refresh tokens, and that every inactive token, for
// whatever reason, is answered exactly {"active": false}.
#include "oauth/introspection.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>

#include "oauth/oauth_test_support.h"

namespace tessera::oauth {
namespace {

namespace json = boost::json;
using test::form;
using namespace std::chrono_literals;

constexpr std::string_view kPassword = "correct horse";
constexpr std::string_view kServiceSecret = "s3rvice-secret-with-enough-length";

const json::object kInactive{{"active", false}};

class IntrospectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.add_user("alice", kPassword, {"a", "b"});
    world_.add_client("billing", kServiceSecret, {"client_credentials"}, {"invoices:read"},
                      "https://billing.example.test");
  }

  TokenResponse login_alice(std::string scope = "a b") {
    auto response = world_.service.handle(form({{"grant_type", "password"},
                                                {"username", "alice"},
                                                {"password", std::string(kPassword)},
                                                {"scope", std::move(scope)}}));
    if (!response) throw std::runtime_error(describe(response));
    return std::move(*response);
  }

  json::object introspect(std::string_view token) {
    auto answer = world_.introspection.introspect(token);
    if (!answer) throw std::runtime_error(describe(answer));
    return std::move(*answer);
  }

  test::OAuthWorld world_;
};

TEST_F(IntrospectionTest, AUsersAccessTokenAnswersItsClaimsAndUsername) {
  const auto token = login_alice("a");
  const json::object answer = introspect(token.access_token);
  const auto claims = world_.tokens.verify(token.access_token);
  ASSERT_TRUE(claims.has_value());
  const json::object expected{{"active", true},
                              {"scope", "a"},
                              {"client_id", "default"},
                              {"sub", "alice"},
                              {"exp", core::unix_seconds(test::kStart + test::kTtl)},
                              {"iat", core::unix_seconds(test::kStart)},
                              {"iss", test::kIssuer},
                              {"aud", test::kIssuer},
                              {"jti", claims->at("jti")},
                              {"token_type", "bearer"},
                              {"username", "alice"}};
  EXPECT_EQ(answer, expected) << json::serialize(answer);
}

// RFC 7662 section 2.2: "username" is for tokens a resource owner authorized; a client's
// own token has none.
TEST_F(IntrospectionTest, AClientsOwnTokenHasNoUsername) {
  const auto token = world_.service.handle(form({{"grant_type", "client_credentials"},
                                                 {"client_id", "billing"},
                                                 {"client_secret", std::string(kServiceSecret)}}));
  ASSERT_TRUE(token.has_value()) << describe(token);
  const json::object answer = introspect(token->access_token);
  EXPECT_EQ(answer.at("active"), true);
  EXPECT_EQ(answer.at("sub"), "billing");
  EXPECT_EQ(answer.at("client_id"), "billing");
  EXPECT_EQ(answer.at("aud"), "https://billing.example.test");
  EXPECT_EQ(answer.at("scope"), "invoices:read");
  EXPECT_FALSE(answer.contains("username")) << json::serialize(answer);
}

TEST_F(IntrospectionTest, ARefreshTokenAnswersItsFamilyAndLifetime) {
  const auto token = login_alice();
  ASSERT_TRUE(token.refresh_token.has_value());
  const json::object answer = introspect(*token.refresh_token);
  const json::object expected{
      {"active", true},
      {"scope", "a b"},
      {"client_id", "default"},
      {"sub", "alice"},
      {"username", "alice"},
      {"exp", core::unix_seconds(test::kStart + world_.refresh.settings().idle)},
      {"iat", core::unix_seconds(test::kStart)},
      {"iss", test::kIssuer},
      {"aud", test::kIssuer},
      {"token_type", "refresh_token"}};
  EXPECT_EQ(answer, expected) << json::serialize(answer);
}

TEST_F(IntrospectionTest, GarbageAndUnknownTokensAreInactive) {
  for (const std::string_view token :
       {"", "x", "a.b.c", "not-a-token-at-all", "eyJhbGciOiJub25lIn0.e30.",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    EXPECT_EQ(introspect(token), kInactive) << "token: " << token;
  }
}

TEST_F(IntrospectionTest, AnExpiredAccessTokenIsInactive) {
  const auto token = login_alice();
  world_.clock.advance(test::kTtl + test::kLeeway);
  EXPECT_EQ(introspect(token.access_token), kInactive);
}

TEST_F(IntrospectionTest, ARevokedAccessTokenIsInactive) {
  const auto token = login_alice();
  ASSERT_TRUE(world_.revocation.revoke(token.access_token, default_client()).has_value());
  EXPECT_EQ(introspect(token.access_token), kInactive);
}

TEST_F(IntrospectionTest, AReplacedRefreshTokenIsInactiveAndItsSuccessorActive) {
  const auto token = login_alice();
  const auto next = world_.service.handle(
      form({{"grant_type", "refresh_token"}, {"refresh_token", *token.refresh_token}}));
  ASSERT_TRUE(next.has_value()) << describe(next);
  EXPECT_EQ(introspect(*token.refresh_token), kInactive);
  EXPECT_EQ(introspect(*next->refresh_token).at("active"), true);
}

TEST_F(IntrospectionTest, AnIdleRefreshTokenIsInactive) {
  const auto token = login_alice();
  world_.clock.advance(world_.refresh.settings().idle);
  EXPECT_EQ(introspect(*token.refresh_token), kInactive);
}

TEST_F(IntrospectionTest, ADisabledUsersTokensAreInactive) {
  const auto token = login_alice();
  ASSERT_TRUE(world_.admin.set_disabled("alice", true).has_value());
  EXPECT_EQ(introspect(token.access_token), kInactive);
  EXPECT_EQ(introspect(*token.refresh_token), kInactive);
}

TEST_F(IntrospectionTest, ADeletedClientsTokensAreInactive) {
  const auto token = world_.service.handle(form({{"grant_type", "client_credentials"},
                                                 {"client_id", "billing"},
                                                 {"client_secret", std::string(kServiceSecret)}}));
  ASSERT_TRUE(token.has_value()) << describe(token);
  ASSERT_TRUE(world_.client_admin.remove("billing").has_value());
  ASSERT_TRUE(world_.revoked.sync().has_value());  // as every process does each second
  EXPECT_EQ(introspect(token->access_token), kInactive);
}

}  // namespace
}  // namespace tessera::oauth
