// The password grant (RFC 6749 section 4.3) driven through the TokenService, as the token
// endpoint drives it, over a real SQLite store and real argon2id and bcrypt hashes.
#include <gtest/gtest.h>

#include <string>

#include "core/base64.h"
#include "core/log.h"
#include "oauth/grants/password.h"
#include "oauth/oauth_test_support.h"

namespace tessera::oauth {
namespace {

using test::form;

constexpr std::string_view kPassword = "correct horse";
constexpr std::string_view kBadCredentials = "invalid username or password";

class PasswordGrantTest : public ::testing::Test {
 protected:
  void SetUp() override { world_.add_user("alice", kPassword, {"a", "b"}); }

  std::expected<TokenResponse, OAuthError> login(std::string username, std::string password,
                                                 std::string scope = "") {
    auto request = form({{"grant_type", "password"},
                         {"username", std::move(username)},
                         {"password", std::move(password)},
                         {"scope", std::move(scope)}});
    return world_.service.handle(request);
  }

  std::expected<TokenResponse, OAuthError> login_alice(std::string scope = "") {
    return login("alice", std::string(kPassword), std::move(scope));
  }

  test::OAuthWorld world_;
};

TEST_F(PasswordGrantTest, RightPasswordGetsAVerifiableTokenForTheUser) {
  const auto response = login_alice();
  ASSERT_TRUE(response.has_value()) << describe(response);
  EXPECT_EQ(response->expires_in, test::kTtl);
  // The built-in client may use the refresh_token grant, so it gets a refresh token.
  ASSERT_TRUE(response->refresh_token.has_value());
  EXPECT_EQ(response->refresh_token->size(), 43u);

  const auto claims = world_.tokens.verify(response->access_token);
  ASSERT_TRUE(claims.has_value()) << jose::describe(claims);
  EXPECT_EQ(claims->at("sub"), "alice");
  EXPECT_EQ(claims->at("client_id"), "default");
  EXPECT_EQ(claims->at("aud").as_string(), test::kIssuer);
  EXPECT_EQ(claims->at("scope"), "a b");
}

// docs/reference.md, Token endpoint: the seed's clients post username and password without
// grant_type.
TEST_F(PasswordGrantTest, SeedFormWithoutGrantTypeIsThePasswordGrant) {
  const auto response =
      world_.service.handle(form({{"username", "alice"}, {"password", std::string(kPassword)}}));
  ASSERT_TRUE(response.has_value()) << describe(response);
  const auto claims = world_.tokens.verify(response->access_token);
  ASSERT_TRUE(claims.has_value()) << jose::describe(claims);
  EXPECT_EQ(claims->at("sub"), "alice");
}

// docs/reference.md, Token endpoint: the same answer whether or not the user exists, so it tells
// nothing.
TEST_F(PasswordGrantTest, WrongPasswordUnknownUserAndDisabledUserGetTheSameError) {
  world_.add_user("dora", "dora's password", {"a"});
  ASSERT_TRUE(world_.admin.set_disabled("dora", true).has_value());

  const auto wrong_password = login("alice", "not the password");
  const auto unknown_user = login("nobody", std::string(kPassword));
  const auto disabled_user = login("dora", "dora's password");
  EXPECT_TRUE(fails_with(wrong_password, ErrorCode::kInvalidGrant, kBadCredentials));
  EXPECT_TRUE(fails_with(unknown_user, ErrorCode::kInvalidGrant, kBadCredentials));
  EXPECT_TRUE(fails_with(disabled_user, ErrorCode::kInvalidGrant, kBadCredentials));
}

TEST_F(PasswordGrantTest, ReenabledUserLogsInAgain) {
  ASSERT_TRUE(world_.admin.set_disabled("alice", true).has_value());
  EXPECT_TRUE(fails_with(login_alice(), ErrorCode::kInvalidGrant, kBadCredentials));
  ASSERT_TRUE(world_.admin.set_disabled("alice", false).has_value());
  const auto response = login_alice();
  EXPECT_TRUE(response.has_value()) << describe(response);
}

TEST_F(PasswordGrantTest, UserNamesAreCaseSensitive) {
  EXPECT_TRUE(fails_with(login("Alice", std::string(kPassword)), ErrorCode::kInvalidGrant,
                         kBadCredentials));
}

TEST_F(PasswordGrantTest, MissingUsernameIsInvalidRequest) {
  const auto response =
      world_.service.handle(form({{"grant_type", "password"}, {"password", "x"}}));
  EXPECT_TRUE(fails_with(response, ErrorCode::kInvalidRequest, "username is required"));
}

TEST_F(PasswordGrantTest, MissingPasswordIsInvalidRequest) {
  const auto response =
      world_.service.handle(form({{"grant_type", "password"}, {"username", "alice"}}));
  EXPECT_TRUE(fails_with(response, ErrorCode::kInvalidRequest, "password is required"));
}

// RFC 6749 section 3.1: a parameter without a value is treated as omitted.
TEST_F(PasswordGrantTest, EmptyPasswordIsAMissingPassword) {
  EXPECT_TRUE(fails_with(login("alice", ""), ErrorCode::kInvalidRequest, "password is required"));
}

TEST_F(PasswordGrantTest, OverlongUsernameIsInvalidRequest) {
  EXPECT_TRUE(fails_with(login(std::string(kMaxUserNameBytes + 1, 'a'), std::string(kPassword)),
                         ErrorCode::kInvalidRequest, "username is too long"));
}

TEST_F(PasswordGrantTest, OverlongPasswordIsRefusedBeforeAnyHashing) {
  EXPECT_TRUE(fails_with(login("alice", std::string(password::kMaxPasswordBytes + 1, 'p')),
                         ErrorCode::kInvalidRequest, "password is too long"));
}

TEST_F(PasswordGrantTest, RequestedSubsetOfTheUsersScopesIsGranted) {
  const auto response = login_alice("a");
  ASSERT_TRUE(response.has_value()) << describe(response);
  EXPECT_EQ(response->scope, ScopeSet{"a"});
  const auto claims = world_.tokens.verify(response->access_token);
  ASSERT_TRUE(claims.has_value()) << jose::describe(claims);
  EXPECT_EQ(claims->at("scope"), "a");
}

TEST_F(PasswordGrantTest, RepeatedScopeTokensAreGrantedOnce) {
  const auto response = login_alice("b  a b");
  ASSERT_TRUE(response.has_value()) << describe(response);
  EXPECT_EQ(response->scope, (ScopeSet{"a", "b"}));
}

TEST_F(PasswordGrantTest, ScopeTheUserDoesNotHaveIsInvalidScope) {
  EXPECT_TRUE(
      fails_with(login_alice("c"), ErrorCode::kInvalidScope, "the requested scope is not allowed"));
  EXPECT_TRUE(fails_with(login_alice("a c"), ErrorCode::kInvalidScope,
                         "the requested scope is not allowed"));
}

// docs/reference.md, Token endpoint: with no scope parameter the token gets every scope allowed to
// both the user and the client; the default client allows every scope.
TEST_F(PasswordGrantTest, NoScopeGrantsEveryScopeOfTheUser) {
  const auto response = login_alice();
  ASSERT_TRUE(response.has_value()) << describe(response);
  EXPECT_EQ(response->scope, (ScopeSet{"a", "b"}));
}

TEST_F(PasswordGrantTest, UserWithoutScopesGetsATokenWithoutScope) {
  world_.add_user("bob", "bob's password");
  const auto response = login("bob", "bob's password");
  ASSERT_TRUE(response.has_value()) << describe(response);
  EXPECT_TRUE(response->scope.empty());
  EXPECT_TRUE(fails_with(login("bob", "bob's password", "a"), ErrorCode::kInvalidScope,
                         "the requested scope is not allowed"));
}

TEST_F(PasswordGrantTest, MalformedScopeIsInvalidScope) {
  EXPECT_TRUE(fails_with(login_alice("a \"b\""), ErrorCode::kInvalidScope, "scope is malformed"));
  EXPECT_TRUE(
      fails_with(login_alice("caf\xc3\xa9"), ErrorCode::kInvalidScope, "scope is malformed"));
}

// RFC 6749 section 3.3: a scope is at least one scope token, so blanks are not an empty scope.
TEST_F(PasswordGrantTest, BlankScopeIsInvalidScope) {
  EXPECT_TRUE(fails_with(login_alice(" "), ErrorCode::kInvalidScope, "scope is malformed"));
  EXPECT_TRUE(fails_with(login_alice("   "), ErrorCode::kInvalidScope, "scope is malformed"));
}

// The seed's users arrive with passlib bcrypt hashes (docs/reference.md, Commands,
// --password-hash), are verified as they are, and are moved to argon2id on their first successful
// login.
TEST_F(PasswordGrantTest, BcryptUserLogsInAndIsRehashedToArgon2id) {
  const auto seed = test::find_hash("passlib_bcrypt_hashes.txt", "$2b$04$");
  ASSERT_EQ(seed.source, "passlib");
  ASSERT_TRUE(world_.admin.import("seeduser", seed.hash, {"a"}).has_value());

  const auto first = login("seeduser", seed.password);
  ASSERT_TRUE(first.has_value()) << describe(first);
  const std::string upgraded = world_.stored_hash("seeduser");
  EXPECT_TRUE(upgraded.starts_with("$argon2id$v=19$m=256,t=1,p=1$")) << upgraded;
  EXPECT_FALSE(world_.hasher.needs_rehash(upgraded));

  const auto second = login("seeduser", seed.password);
  ASSERT_TRUE(second.has_value()) << describe(second);
  // Already current: the second login leaves the hash alone.
  EXPECT_EQ(world_.stored_hash("seeduser"), upgraded);
}

TEST_F(PasswordGrantTest, BcryptUserWithTheWrongPasswordKeepsTheBcryptHash) {
  const auto seed = test::find_hash("passlib_bcrypt_hashes.txt", "$2a$04$");
  ASSERT_TRUE(world_.admin.import("seeduser", seed.hash, {}).has_value());
  EXPECT_TRUE(fails_with(login("seeduser", seed.password + "x"), ErrorCode::kInvalidGrant,
                         kBadCredentials));
  EXPECT_EQ(world_.stored_hash("seeduser"), seed.hash);
}

TEST_F(PasswordGrantTest, Argon2idHashWithOtherParametersIsRehashed) {
  // m=256, t=2: a valid argon2id hash, but not this hasher's t=1.
  const auto reference =
      test::find_hash("argon2id_reference_hashes.txt", "$argon2id$v=19$m=256,t=2,p=1$");
  ASSERT_TRUE(world_.hasher.needs_rehash(reference.hash));
  ASSERT_TRUE(world_.admin.import("carol", reference.hash, {}).has_value());

  const auto first = login("carol", reference.password);
  ASSERT_TRUE(first.has_value()) << describe(first);
  const std::string upgraded = world_.stored_hash("carol");
  EXPECT_NE(upgraded, reference.hash);
  EXPECT_TRUE(upgraded.starts_with("$argon2id$v=19$m=256,t=1,p=1$")) << upgraded;

  const auto second = login("carol", reference.password);
  EXPECT_TRUE(second.has_value()) << describe(second);
}

// A hash nobody can verify is a fault of the database, not of the request: the user gets the
// ordinary failed-login answer and the process carries on.
TEST_F(PasswordGrantTest, UnusableStoredHashIsInvalidGrant) {
  ASSERT_TRUE(world_.store->users()
                  .add_user({.name = "mallory",
                             .password_hash = "not a password hash",
                             .scopes = {},
                             .disabled = false})
                  .has_value());
  EXPECT_TRUE(fails_with(login("mallory", "not a password hash"), ErrorCode::kInvalidGrant,
                         kBadCredentials));
  EXPECT_EQ(world_.stored_hash("mallory"), "not a password hash");
}

// docs/reference.md, Access tokens: no password, hash or other secret ever goes into a token or a
// log.
TEST_F(PasswordGrantTest, NeitherTheLogNorTheTokenCarriesThePasswordOrItsHash) {
  const std::string hash = world_.stored_hash("alice");
  core::set_log_level(core::LogLevel::kDebug);
  ::testing::internal::CaptureStderr();
  const auto failed = login("alice", "a wrong password");
  const auto response = login_alice();
  const std::string log = ::testing::internal::GetCapturedStderr();
  core::set_log_level(core::LogLevel::kWarn);

  ASSERT_FALSE(failed.has_value());
  ASSERT_TRUE(response.has_value()) << describe(response);
  // The log is not silent: both attempts are there.
  EXPECT_NE(log.find("login_failed"), std::string::npos) << log;
  EXPECT_NE(log.find("token_issued"), std::string::npos) << log;
  for (const std::string_view secret :
       {std::string_view(kPassword), std::string_view("a wrong password"), std::string_view(hash),
        std::string_view(response->access_token)}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "the log holds a secret:\n" << log;
  }
  const std::string_view token = response->access_token;
  const auto payload = core::base64url_decode(
      token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(payload->find(kPassword), std::string::npos) << *payload;
  EXPECT_EQ(payload->find("argon2"), std::string::npos) << *payload;
}

}  // namespace
}  // namespace tessera::oauth
