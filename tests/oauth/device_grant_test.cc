// The device authorization grant (RFC 8628; device_authorizations.h, grants/device_code.h):
// codes, the verification page's lookups and their throttle, the user's answer, and polling at
// the token endpoint, over the real store.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "oauth/device_authorizations.h"
#include "oauth/grants/device_code.h"
#include "oauth/oauth_test_support.h"

namespace tessera::oauth {
namespace {

using namespace std::chrono_literals;

using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kDeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";

TEST(UserCode, DashesSpacesAndCaseAreIgnoredAndOnlyTheAlphabetIsACode) {
  EXPECT_EQ(normalize_user_code("bcdf-ghjk"), "BCDFGHJK");
  EXPECT_EQ(normalize_user_code(" BCDF GHJK "), "BCDFGHJK");
  EXPECT_EQ(normalize_user_code("BCDFGHJK"), "BCDFGHJK");
  EXPECT_EQ(normalize_user_code("ABCD-EFGH"), std::nullopt);  // vowels are never in a code
  EXPECT_EQ(normalize_user_code("BCDF-GHJ"), std::nullopt);
  EXPECT_EQ(normalize_user_code("BCDF-GHJKL"), std::nullopt);
  EXPECT_EQ(normalize_user_code("BCDF-GHJ1"), std::nullopt);
  EXPECT_EQ(normalize_user_code(std::string(40, '-') + "BCDFGHJK"), std::nullopt);
  EXPECT_EQ(format_user_code("BCDFGHJK"), "BCDF-GHJK");
}

class DeviceGrantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.add_user("bob", "Bob-pass-12345", {"read"});
    world_.add_client("tv", "", {std::string(kDeviceGrant), "refresh_token"}, {"read", "write"});
    world_.add_client("radio", "", {std::string(kDeviceGrant)}, {"read"});
    world_.service.add(std::make_unique<DeviceCodeGrant>(devices_, world_.store->users(), issuer_));
  }

  Client client(std::string_view id) {
    auto record = world_.store->clients().find_client(id);
    if (!record || !*record) throw std::runtime_error("no client");
    return client_from_record(**record);
  }

  DeviceStart start(std::string_view client_id = "tv", std::string scope = "openid read write") {
    std::vector<std::pair<std::string, std::string>> pairs;
    if (!scope.empty()) pairs.emplace_back("scope", std::move(scope));
    auto started = devices_.start(client(client_id), Parameters(std::move(pairs)));
    if (!started) throw std::runtime_error(started.error().description);
    return *started;
  }

  std::expected<TokenResponse, OAuthError> poll(const DeviceStart& started,
                                                std::string client_id = "tv") {
    TokenRequest request;
    request.params = Parameters(Pairs{{"grant_type", std::string(kDeviceGrant)},
                                      {"device_code", started.device_code},
                                      {"client_id", std::move(client_id)}});
    return world_.service.handle(request);
  }

  void answer(const DeviceStart& started, bool approved) {
    auto pending = devices_.find(started.user_code, "192.0.2.1");
    ASSERT_TRUE(pending.has_value()) << pending.error().description;
    ASSERT_TRUE(devices_.decide(*pending, approved, session_).has_value());
  }

  test::OAuthWorld world_;
  DeviceAuthorizations devices_{*world_.store, std::string(test::kIssuer), world_.clock,
                                world_.random, DeviceSettings{.lifetime = 600s, .interval = 5s}};
  UserTokenIssuer issuer_{world_.tokens, world_.refresh, nullptr};
  store::BrowserSession session_{.id_hash = "h",
                                 .sid = "sid-1",
                                 .subject = "bob",
                                 .auth_time = test::kStart,
                                 .last_seen = test::kStart,
                                 .expires_at = test::kStart + 1h};
};

TEST_F(DeviceGrantTest, TheAnswerNamesTheCodesTheVerificationPageAndTheTimes) {
  const DeviceStart started = start();
  ASSERT_EQ(started.user_code.size(), 9u);
  EXPECT_EQ(started.user_code[4], '-');
  EXPECT_TRUE(normalize_user_code(started.user_code).has_value());
  EXPECT_EQ(started.device_code.size(), 43u);
  EXPECT_EQ(started.verification_uri, std::string(test::kIssuer) + "/device");
  EXPECT_EQ(started.verification_uri_complete,
            started.verification_uri + "?user_code=" + started.user_code);
  EXPECT_EQ(started.expires_in, 600s);
  EXPECT_EQ(started.interval, 5s);
}

TEST_F(DeviceGrantTest, UserCodesUseTheWholeAlphabetAndDoNotRepeat) {
  std::set<std::string> codes;
  std::set<char> letters;
  for (int i = 0; i < 200; ++i) {
    const std::string code = *normalize_user_code(start().user_code);
    codes.insert(code);
    letters.insert(code.begin(), code.end());
  }
  EXPECT_EQ(codes.size(), 200u);
  EXPECT_EQ(letters.size(), kUserCodeAlphabet.size());
}

TEST_F(DeviceGrantTest, AScopeBeyondTheClientsIsRefusedAndNoneMeansAllOfIt) {
  auto wide = devices_.start(client("radio"), Parameters(Pairs{{"scope", "read write"}}));
  ASSERT_FALSE(wide.has_value());
  EXPECT_EQ(wide.error().code, ErrorCode::kInvalidScope);
  const DeviceStart all = start("tv", "");
  auto pending = devices_.find(all.user_code, "192.0.2.1");
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->scope, (ScopeSet{"read", "write"}));
}

TEST_F(DeviceGrantTest, PendingThenTooFastThenTheTokensOnceForTheUsersScope) {
  const DeviceStart started = start();
  EXPECT_TRUE(
      fails_with(poll(started), ErrorCode::kAuthorizationPending, "the user has not answered yet"));
  world_.clock.advance(2s);
  EXPECT_EQ(poll(started).error().code, ErrorCode::kSlowDown);
  answer(started, true);
  // The interval grew to 10 s with the slow_down.
  world_.clock.advance(6s);
  EXPECT_EQ(poll(started).error().code, ErrorCode::kSlowDown);
  world_.clock.advance(16s);
  auto tokens = poll(started);
  ASSERT_TRUE(tokens.has_value()) << describe(tokens);
  EXPECT_EQ(tokens->scope, (ScopeSet{"openid", "read"}));  // bob has no "write"
  EXPECT_TRUE(tokens->refresh_token.has_value());
  const auto claims = world_.tokens.verify(tokens->access_token);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->at("sub"), "bob");
  EXPECT_EQ(claims->at("client_id"), "tv");
  world_.clock.advance(20s);
  EXPECT_TRUE(fails_with(poll(started), ErrorCode::kInvalidGrant, "the device code was used"));
}

TEST_F(DeviceGrantTest, AnotherClientsPollIsInvalidGrantAndHarmless) {
  const DeviceStart started = start("radio", "read");
  answer(started, true);
  EXPECT_EQ(poll(started, "tv").error().code, ErrorCode::kInvalidGrant);
  auto tokens = poll(started, "radio");
  ASSERT_TRUE(tokens.has_value()) << describe(tokens);
  EXPECT_FALSE(tokens->refresh_token.has_value());  // radio has no refresh_token grant
}

TEST_F(DeviceGrantTest, ADenialIsAccessDeniedAndAnOldCodeExpiredToken) {
  const DeviceStart denied = start();
  answer(denied, false);
  EXPECT_EQ(poll(denied).error().code, ErrorCode::kAccessDenied);
  const DeviceStart late = start();
  world_.clock.advance(601s);
  EXPECT_EQ(poll(late).error().code, ErrorCode::kExpiredToken);
  EXPECT_EQ(devices_.find(late.user_code, "192.0.2.1").error().code, ErrorCode::kInvalidGrant);
}

TEST_F(DeviceGrantTest, TenWrongCodesLockTheAddressButNotAnother) {
  const DeviceStart started = start();
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(devices_.find("BCDF-GHJK", "192.0.2.9").error().code, ErrorCode::kInvalidGrant);
  }
  auto locked = devices_.find(started.user_code, "192.0.2.9");
  ASSERT_FALSE(locked.has_value());
  EXPECT_EQ(locked.error().code, ErrorCode::kTooManyAttempts);
  ASSERT_TRUE(locked.error().retry_after.has_value());
  EXPECT_TRUE(devices_.find(started.user_code, "192.0.2.10").has_value());
}

TEST_F(DeviceGrantTest, AnAnsweredCodeCannotBeAnsweredAgain) {
  const DeviceStart started = start();
  auto pending = devices_.find(started.user_code, "192.0.2.1");
  ASSERT_TRUE(pending.has_value());
  ASSERT_TRUE(devices_.decide(*pending, true, session_).has_value());
  auto again = devices_.decide(*pending, false, session_);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidGrant);
  EXPECT_FALSE(devices_.find(started.user_code, "192.0.2.1").has_value());
}

}  // namespace
}  // namespace tessera::oauth
