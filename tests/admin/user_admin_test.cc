// UserAdmin: the rules for names and passwords, the admin commands, the bootstrap user at
// start, and the sessions a change of a user ends.
#include "admin/user_admin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>

#include "oauth/oauth_test_support.h"
#include "store/store_result_printer.h"

namespace tessera::admin {
namespace {

using oauth::ErrorCode;
using oauth::fails_with;
using oauth::OAuthError;
using oauth::TokenResponse;

using ::testing::ElementsAre;
using ::testing::Optional;
using namespace std::string_literals;

constexpr std::string_view kBadNameCharacters =
    "a user name must be UTF-8 without spaces or control characters";

std::string describe(const std::expected<void, std::string>& result) {
  return result ? "success" : "error: " + result.error();
}

TEST(CheckUserName, AcceptsOrdinaryNames) {
  for (const std::string_view name : {"alice", "a@b.c", "\xeb\xaa\x85\xec\x88\x98" /* 명수 */,
                                      "Zo\xc3\xab", "user_1-2.3+x", "\xf0\x9f\x98\x80"}) {
    EXPECT_EQ(check_user_name(name), std::nullopt) << name;
  }
}

TEST(CheckUserName, RefusesEmpty) {
  EXPECT_THAT(check_user_name(""), Optional(std::string("a user name cannot be empty")));
}

TEST(CheckUserName, AcceptsAtMost128Bytes) {
  EXPECT_EQ(check_user_name(std::string(128, 'a')), std::nullopt);
  EXPECT_THAT(check_user_name(std::string(129, 'a')),
              Optional(std::string("a user name is at most 128 bytes")));
  // Bytes, not characters: 43 three-byte characters are 129 bytes.
  std::string korean;
  for (int i = 0; i < 43; ++i) korean += "\xeb\xaa\x85";
  EXPECT_THAT(check_user_name(korean), Optional(std::string("a user name is at most 128 bytes")));
}

TEST(CheckUserName, RefusesSpacesAndControlCharacters) {
  for (const std::string& name : std::vector<std::string>{
           "al ice", " alice", "alice ", "al\tice", "al\nice", "al\0ice"s, "al\x01ice", "al\x7fice",
           "al\xc2\x85ice" /* NEL, C1 */, "al\xc2\xa0ice" /* NBSP */,
           "al\xe2\x80\x83ice" /* EM SPACE */, "al\xe3\x80\x80ice" /* IDEOGRAPHIC SPACE */,
           "al\xe2\x80\xa8ice" /* LINE SEPARATOR */, "\xef\xbb\xbfzoe" /* BOM */}) {
    EXPECT_THAT(check_user_name(name), Optional(std::string(kBadNameCharacters)))
        << ::testing::PrintToString(name);
  }
}

TEST(CheckUserName, RefusesInvalidUtf8) {
  for (const std::string& name : std::vector<std::string>{
           "\xff", "al\x80ice", "caf\xc3", "caf\xc3(", "\xe2\x82", "\xed\xa0\x80" /* surrogate */,
           "\xf4\x90\x80\x80" /* > U+10FFFF */, "\xf5\x80\x80\x80"}) {
    EXPECT_THAT(check_user_name(name), Optional(std::string(kBadNameCharacters)))
        << ::testing::PrintToString(name);
  }
}

// Overlong encodings would let two byte strings name the same user.
TEST(CheckUserName, RefusesOverlongUtf8) {
  for (const std::string& name :
       std::vector<std::string>{"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf",
                                "\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf"}) {
    EXPECT_THAT(check_user_name(name), Optional(std::string(kBadNameCharacters)))
        << ::testing::PrintToString(name);
  }
}

TEST(CheckNewPassword, RefusesFewerThan8Bytes) {
  EXPECT_THAT(check_new_password("1234567"),
              Optional(std::string("a password must be at least 8 characters")));
  EXPECT_THAT(check_new_password(""),
              Optional(std::string("a password must be at least 8 characters")));
  EXPECT_EQ(check_new_password("12345678"), std::nullopt);
}

TEST(CheckNewPassword, AcceptsAtMost1024Bytes) {
  EXPECT_EQ(check_new_password(std::string(1024, 'p')), std::nullopt);
  EXPECT_THAT(check_new_password(std::string(1025, 'p')),
              Optional(std::string("a password is at most 1024 bytes")));
}

TEST(CheckNewPassword, RefusesNul) {
  EXPECT_THAT(check_new_password(std::string("password\0more", 13)),
              Optional(std::string("a password cannot contain NUL")));
}

TEST(CheckNewPassword, HasNoCompositionRules) {
  EXPECT_EQ(check_new_password("aaaaaaaa"), std::nullopt);
  EXPECT_EQ(check_new_password("\xed\x95\x9c\xea\xb8\x80\xeb\xa1\x9c"), std::nullopt);
}

class UserAdminTest : public ::testing::Test {
 protected:
  bool password_is(std::string_view name, std::string_view password) {
    const auto ok = world_.hasher.verify(password, world_.stored_hash(name));
    return ok.has_value() && *ok;
  }

  // Throws when the store cannot answer, so that "absent" is never a database failure.
  bool user_exists(std::string_view name) {
    auto user = world_.store->users().find_user(name);
    if (!user) throw std::runtime_error("the store failed");
    return user->has_value();
  }

  test::OAuthWorld world_;
};

TEST_F(UserAdminTest, AddStoresAnArgon2idHashThatVerifies) {
  const auto added = world_.admin.add("alice", "correct horse", {"a", "b"});
  ASSERT_TRUE(added.has_value()) << describe(added);
  const auto user = world_.store->users().find_user("alice");
  ASSERT_TRUE(user.has_value() && user->has_value());
  EXPECT_TRUE((*user)->password_hash.starts_with("$argon2id$")) << (*user)->password_hash;
  EXPECT_THAT((*user)->scopes, ElementsAre("a", "b"));
  EXPECT_FALSE((*user)->disabled);
  EXPECT_TRUE(password_is("alice", "correct horse"));
  EXPECT_FALSE(password_is("alice", "Correct horse"));
}

TEST_F(UserAdminTest, AddAcceptsUtf8Names) {
  for (const std::string_view name : {"a@b.c", "\xeb\xaa\x85\xec\x88\x98"}) {
    const auto added = world_.admin.add(name, "password", {});
    EXPECT_TRUE(added.has_value()) << name << ": " << describe(added);
  }
  const auto users = world_.admin.list();
  ASSERT_TRUE(users.has_value());
  EXPECT_EQ(users->size(), 2u);
}

TEST_F(UserAdminTest, AddRefusesBadNamesAndStoresNothing) {
  const std::pair<std::string, std::string_view> cases[] = {
      {"", "a user name cannot be empty"},
      {std::string(129, 'a'), "a user name is at most 128 bytes"},
      {"al ice", kBadNameCharacters},
      {"al\x01ice", kBadNameCharacters},
      {"\xff", kBadNameCharacters},
      {"\xc0\xaf", kBadNameCharacters},
  };
  for (const auto& [name, message] : cases) {
    const auto added = world_.admin.add(name, "password", {});
    ASSERT_FALSE(added.has_value()) << ::testing::PrintToString(name);
    EXPECT_EQ(added.error(), message) << ::testing::PrintToString(name);
  }
  EXPECT_THAT(world_.store->users().has_users(), Optional(false));
}

TEST_F(UserAdminTest, AddRefusesBadPasswords) {
  const std::pair<std::string, std::string_view> cases[] = {
      {"1234567", "a password must be at least 8 characters"},
      {std::string(1025, 'p'), "a password is at most 1024 bytes"},
      {std::string("pass\0word", 9), "a password cannot contain NUL"},
  };
  for (const auto& [password, message] : cases) {
    const auto added = world_.admin.add("alice", password, {});
    ASSERT_FALSE(added.has_value()) << password.size() << " bytes";
    EXPECT_EQ(added.error(), message);
  }
  EXPECT_THAT(world_.store->users().has_users(), Optional(false));
  EXPECT_TRUE(world_.admin.add("alice", "12345678", {}).has_value());
}

TEST_F(UserAdminTest, AddStoresScopesSortedWithoutDuplicates) {
  ASSERT_TRUE(world_.admin.add("alice", "correct horse", {"b", "a", "b"}).has_value());
  const auto user = world_.store->users().find_user("alice");
  ASSERT_TRUE(user.has_value() && user->has_value());
  EXPECT_EQ((*user)->scopes, (std::vector<std::string>{"a", "b"}));
}

TEST_F(UserAdminTest, AddRefusesAScopeThatIsNotAScopeToken) {
  for (const char* bad : {"a b", "", "quote\"", "caf\xc3\xa9"}) {
    const auto added = world_.admin.add("alice", "correct horse", {bad});
    ASSERT_FALSE(added.has_value()) << bad;
    EXPECT_EQ(added.error(), "'" + std::string(bad) + "' is not a scope token");
  }
  EXPECT_THAT(world_.store->users().has_users(), Optional(false));
}

// RFC 9700 section 4.15: a client_credentials token's sub is the client id, so no user may
// share a client's name, whichever comes first.
TEST_F(UserAdminTest, AUserCannotTakeAClientsNameNorAClientAUsers) {
  world_.add_client("svc", "svc-secret-0123456789", {"client_credentials"});
  const auto user = world_.admin.add("svc", "correct horse", {});
  ASSERT_FALSE(user.has_value());
  EXPECT_EQ(user.error(), "a client is named svc; user and client names must differ");

  world_.add_user("erin", "correct horse");
  const auto client = world_.client_admin.add({.id = "erin",
                                               .is_public = false,
                                               .secret = "erin-secret-0123456789",
                                               .grants = {},
                                               .scopes = {},
                                               .audience = ""});
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error(), "a user is named erin; client and user names must differ");
}

TEST_F(UserAdminTest, AddingAnExistingUserFailsAndKeepsTheOldPassword) {
  ASSERT_TRUE(world_.admin.add("alice", "first password", {}).has_value());
  const auto again = world_.admin.add("alice", "second password", {});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), "user alice already exists");
  EXPECT_TRUE(password_is("alice", "first password"));
}

TEST_F(UserAdminTest, ImportAcceptsPasslibBcryptAsItIs) {
  int imported_count = 0;
  for (const auto& seed : test::read_hashes("passlib_bcrypt_hashes.txt")) {
    if (seed.source != "passlib") continue;
    const std::string name = "seed" + std::to_string(++imported_count);
    const auto imported = world_.admin.import(name, seed.hash, {});
    ASSERT_TRUE(imported.has_value()) << seed.hash << ": " << describe(imported);
    EXPECT_EQ(world_.stored_hash(name), seed.hash);
    EXPECT_TRUE(password_is(name, seed.password)) << seed.hash;
  }
  // $2a$, $2b$ and $2y$ with costs 4 and 12.
  EXPECT_EQ(imported_count, 6);
}

TEST_F(UserAdminTest, ImportAcceptsArgon2id) {
  const auto reference =
      test::find_hash("argon2id_reference_hashes.txt", "$argon2id$v=19$m=256,t=2,p=1$");
  ASSERT_TRUE(world_.admin.import("carol", reference.hash, {"a"}).has_value());
  EXPECT_TRUE(password_is("carol", reference.password));
}

TEST_F(UserAdminTest, ImportRefusesJunk) {
  const std::string expected =
      "cannot import this hash: " +
      std::string(password::to_string(password::HashError::kUnsupportedFormat)) +
      " (bcrypt $2a$/$2b$/$2y$ or argon2id PHC expected)";
  for (const std::string_view junk :
       {"", "plaintext password", "$1$abc$def",
        "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"}) {
    const auto imported = world_.admin.import("mallory", junk, {});
    ASSERT_FALSE(imported.has_value()) << junk;
    EXPECT_EQ(imported.error(), expected) << junk;
  }
  EXPECT_THAT(world_.store->users().has_users(), Optional(false));
}

// A bcrypt cost of 31 would make every login of that user take minutes.
TEST_F(UserAdminTest, ImportRefusesBcryptCostOutOfRange) {
  std::string hash = test::find_hash("passlib_bcrypt_hashes.txt", "$2b$04$").hash;
  hash.replace(4, 2, "31");
  const auto imported = world_.admin.import("mallory", hash, {});
  ASSERT_FALSE(imported.has_value());
  EXPECT_EQ(imported.error(),
            "cannot import this hash: " +
                std::string(password::to_string(password::HashError::kCostOutOfRange)) +
                " (bcrypt $2a$/$2b$/$2y$ or argon2id PHC expected)");
}

TEST_F(UserAdminTest, ImportChecksTheName) {
  const auto imported = world_.admin.import(
      "al ice", test::find_hash("passlib_bcrypt_hashes.txt", "$2b$04$").hash, {});
  ASSERT_FALSE(imported.has_value());
  EXPECT_EQ(imported.error(), kBadNameCharacters);
}

TEST_F(UserAdminTest, SetPasswordReplacesTheHash) {
  ASSERT_TRUE(world_.admin.add("alice", "old password", {}).has_value());
  const auto changed = world_.admin.set_password("alice", "new password");
  ASSERT_TRUE(changed.has_value()) << describe(changed);
  EXPECT_TRUE(password_is("alice", "new password"));
  EXPECT_FALSE(password_is("alice", "old password"));
}

// What a user's login gave: the access token and the refresh token (the default client has
// the refresh grant).
struct Login {
  std::string access_token;
  std::string refresh_token;
};

Login login(test::OAuthWorld& world, std::string_view name, std::string_view password) {
  auto response = world.service.handle(test::form({{"grant_type", "password"},
                                                   {"username", std::string(name)},
                                                   {"password", std::string(password)}}));
  if (!response || !response->refresh_token)
    throw std::runtime_error("login failed: " + describe(response));
  return {response->access_token, *response->refresh_token};
}

std::expected<TokenResponse, OAuthError> refresh(test::OAuthWorld& world, const Login& login) {
  return world.service.handle(
      test::form({{"grant_type", "refresh_token"}, {"refresh_token", login.refresh_token}}));
}

// Whoever learnt the old password may have logged in with it: a new password ends that.
TEST_F(UserAdminTest, SetPasswordEndsTheRefreshTokensAndAccessTokensOfTheUser) {
  world_.add_user("alice", "old password");
  world_.add_user("bob", "bobs password");
  const Login stolen = login(world_, "alice", "old password");
  const Login bobs = login(world_, "bob", "bobs password");
  world_.clock.advance(std::chrono::seconds(5));

  ASSERT_TRUE(world_.admin.set_password("alice", "new password").has_value());

  EXPECT_TRUE(fails_with(refresh(world_, stolen), ErrorCode::kInvalidGrant,
                         "the refresh token is invalid"));
  const auto access = world_.tokens.verify(stolen.access_token);
  ASSERT_FALSE(access.has_value());
  EXPECT_EQ(access.error(), jose::Error::kRevoked);
  // Another user keeps theirs; a login with the new password a moment later, in the same
  // second, works.
  EXPECT_TRUE(refresh(world_, bobs).has_value());
  world_.clock.advance(std::chrono::milliseconds(1));
  const Login fresh = login(world_, "alice", "new password");
  EXPECT_TRUE(world_.tokens.verify(fresh.access_token).has_value());
  EXPECT_TRUE(refresh(world_, fresh).has_value());
}

// A token from a client without the refresh grant has no family to revoke; it must end too.
TEST_F(UserAdminTest, DisablingOrRemovingAUserRefusesEveryAccessTokenOfTheirs) {
  for (const bool remove : {false, true}) {
    world_.add_user("carol", "carols password");
    const Login carol = login(world_, "carol", "carols password");
    auto lone = world_.tokens.issue(
        {.subject = "carol", .client_id = "no-refresh", .audience = "", .scope = {}});
    ASSERT_TRUE(lone.has_value());
    ASSERT_TRUE(world_.tokens.verify(lone->access_token).has_value());

    ASSERT_TRUE((remove ? world_.admin.remove("carol") : world_.admin.set_disabled("carol", true))
                    .has_value());

    for (const std::string& token : {carol.access_token, lone->access_token}) {
      const auto verified = world_.tokens.verify(token);
      ASSERT_FALSE(verified.has_value()) << (remove ? "removed" : "disabled");
      EXPECT_EQ(verified.error(), jose::Error::kRevoked);
    }
    EXPECT_FALSE(refresh(world_, carol).has_value());
    if (!remove) {
      ASSERT_TRUE(world_.admin.remove("carol").has_value());
    }
    world_.clock.advance(std::chrono::seconds(1));
  }
}

TEST_F(UserAdminTest, EnablingAUserAgainLetsTheirNewTokensWork) {
  world_.add_user("dave", "daves password");
  ASSERT_TRUE(world_.admin.set_disabled("dave", true).has_value());
  world_.clock.advance(std::chrono::seconds(1));
  ASSERT_TRUE(world_.admin.set_disabled("dave", false).has_value());
  const Login dave = login(world_, "dave", "daves password");
  EXPECT_TRUE(world_.tokens.verify(dave.access_token).has_value());
}

TEST_F(UserAdminTest, SetPasswordOfAnUnknownUserFails) {
  const auto changed = world_.admin.set_password("bob", "new password");
  ASSERT_FALSE(changed.has_value());
  EXPECT_EQ(changed.error(), "user bob does not exist");
}

TEST_F(UserAdminTest, SetPasswordChecksThePassword) {
  ASSERT_TRUE(world_.admin.add("alice", "old password", {}).has_value());
  const auto changed = world_.admin.set_password("alice", "short");
  ASSERT_FALSE(changed.has_value());
  EXPECT_EQ(changed.error(), "a password must be at least 8 characters");
  EXPECT_TRUE(password_is("alice", "old password"));
}

TEST_F(UserAdminTest, SetDisabledTogglesTheFlag) {
  ASSERT_TRUE(world_.admin.add("alice", "password", {}).has_value());
  ASSERT_TRUE(world_.admin.set_disabled("alice", true).has_value());
  EXPECT_TRUE((*world_.store->users().find_user("alice"))->disabled);
  ASSERT_TRUE(world_.admin.set_disabled("alice", false).has_value());
  EXPECT_FALSE((*world_.store->users().find_user("alice"))->disabled);
}

TEST_F(UserAdminTest, DisablingOrRemovingAnUnknownUserFails) {
  const auto disabled = world_.admin.set_disabled("bob", true);
  ASSERT_FALSE(disabled.has_value());
  EXPECT_EQ(disabled.error(), "user bob does not exist");
  const auto removed = world_.admin.remove("bob");
  ASSERT_FALSE(removed.has_value());
  EXPECT_EQ(removed.error(), "user bob does not exist");
}

TEST_F(UserAdminTest, RemoveDeletesTheUser) {
  ASSERT_TRUE(world_.admin.add("alice", "password", {}).has_value());
  ASSERT_TRUE(world_.admin.remove("alice").has_value());
  EXPECT_FALSE(user_exists("alice"));
  const auto again = world_.admin.remove("alice");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), "user alice does not exist");
}

TEST_F(UserAdminTest, ListIsOrderedByName) {
  for (const char* name : {"carol", "alice", "bob"}) {
    ASSERT_TRUE(world_.admin.add(name, "password", {}).has_value());
  }
  const auto users = world_.admin.list();
  ASSERT_TRUE(users.has_value());
  std::vector<std::string> names;
  for (const auto& u : *users) names.push_back(u.name);
  EXPECT_THAT(names, ElementsAre("alice", "bob", "carol"));
}

TEST_F(UserAdminTest, BootstrapOnAnEmptyDatabaseCreatesAdminWithAGeneratedPassword) {
  const auto result = world_.admin.bootstrap(std::nullopt, std::nullopt);
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_TRUE(result->created);
  EXPECT_EQ(result->name, "admin");
  ASSERT_TRUE(result->generated_password.has_value());
  EXPECT_GE(result->generated_password->size(), 16u);
  EXPECT_EQ(check_new_password(*result->generated_password), std::nullopt);
  EXPECT_TRUE(password_is("admin", *result->generated_password));
}

TEST_F(UserAdminTest, BootstrapGeneratesADifferentPasswordEachTime) {
  test::OAuthWorld other;
  const auto first = world_.admin.bootstrap(std::nullopt, std::nullopt);
  const auto second = other.admin.bootstrap(std::nullopt, std::nullopt);
  ASSERT_TRUE(first.has_value() && second.has_value());
  ASSERT_TRUE(first->generated_password && second->generated_password);
  EXPECT_NE(*first->generated_password, *second->generated_password);
}

TEST_F(UserAdminTest, SecondBootstrapCreatesNothing) {
  const auto first = world_.admin.bootstrap(std::nullopt, std::nullopt);
  ASSERT_TRUE(first.has_value() && first->created);
  const std::string hash = world_.stored_hash("admin");

  const auto second = world_.admin.bootstrap(std::nullopt, std::nullopt);
  ASSERT_TRUE(second.has_value()) << second.error();
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->generated_password, std::nullopt);
  EXPECT_EQ(world_.stored_hash("admin"), hash);
}

// Deleting the generated admin must not be undone by the next start.
TEST_F(UserAdminTest, BootstrapWithoutANameLeavesADatabaseWithUsersAlone) {
  ASSERT_TRUE(world_.admin.add("alice", "password", {}).has_value());
  const auto result = world_.admin.bootstrap(std::nullopt, std::nullopt);
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_FALSE(result->created);
  EXPECT_EQ(result->generated_password, std::nullopt);
  EXPECT_FALSE(user_exists("admin"));
}

TEST_F(UserAdminTest, BootstrapCreatesTheNamedUserWithTheGivenPassword) {
  ASSERT_TRUE(world_.admin.add("alice", "password", {}).has_value());
  const auto result = world_.admin.bootstrap("root", "given password");
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_TRUE(result->created);
  EXPECT_EQ(result->name, "root");
  EXPECT_EQ(result->generated_password, std::nullopt);
  EXPECT_TRUE(password_is("root", "given password"));
}

TEST_F(UserAdminTest, BootstrapWithANameButNoPasswordGeneratesOne) {
  const auto result = world_.admin.bootstrap("root", std::nullopt);
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_TRUE(result->created);
  ASSERT_TRUE(result->generated_password.has_value());
  EXPECT_TRUE(password_is("root", *result->generated_password));
}

// The environment's password is for creating the user, not for resetting it at each start.
TEST_F(UserAdminTest, BootstrapOfAnExistingNamedUserChangesNothing) {
  ASSERT_TRUE(world_.admin.add("root", "original password", {"a"}).has_value());
  const std::string hash = world_.stored_hash("root");
  const auto result = world_.admin.bootstrap("root", "another password");
  ASSERT_TRUE(result.has_value()) << result.error();
  EXPECT_FALSE(result->created);
  EXPECT_EQ(result->generated_password, std::nullopt);
  EXPECT_EQ(world_.stored_hash("root"), hash);
  EXPECT_TRUE(password_is("root", "original password"));
}

TEST_F(UserAdminTest, BootstrapRefusesABadGivenPassword) {
  const auto result = world_.admin.bootstrap("root", "short");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(),
            "cannot create the bootstrap user root: a password must be at least 8 characters");
  EXPECT_THAT(world_.store->users().has_users(), Optional(false));
}

}  // namespace
}  // namespace tessera::admin
