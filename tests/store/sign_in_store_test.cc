// Browser sign-in as stored (sign_in.h): sessions by the hash of their cookie, authorization
// codes redeemed once, remembered consent, and the users' and clients' OpenID Connect fields;
// run against every backend.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>
#include <vector>

#include "store/store.h"
#include "store/store_backends.h"
#include "store/store_result_printer.h"

namespace tessera::store {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const core::TimePoint kStart = std::chrono::sys_seconds{std::chrono::seconds{1700000000}};
constexpr std::chrono::seconds kIdle = 30min;

class SignInStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    database_ = GetParam().make();
    store_ = database_->open(clock_);
  }

  static BrowserSession session(std::string id_hash, std::string subject,
                                core::TimePoint at = kStart) {
    return BrowserSession{.id_hash = id_hash,
                          .sid = "sid-" + id_hash,
                          .subject = std::move(subject),
                          .auth_time = at,
                          .last_seen = at,
                          .expires_at = at + 12h};
  }

  static AuthorizationCode code(std::string hash) {
    return AuthorizationCode{.code_hash = std::move(hash),
                             .client_id = "web",
                             .redirect_uri = "https://app.example.test/callback",
                             .subject = "alice",
                             .scopes = {"email", "openid"},
                             .nonce = "n-0S6_WzA2Mj",
                             .code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                             .sid = "sid-1",
                             .auth_time = kStart - 5min,
                             .expires_at = kStart + 60s,
                             .used_at = std::nullopt,
                             .issued_jti = {},
                             .issued_family = {}};
  }

  std::optional<BrowserSession> use(std::string_view id_hash, core::TimePoint now) {
    auto found = store_->sessions().use_session(id_hash, now, kIdle);
    EXPECT_TRUE(found.has_value()) << to_string(found.error());
    return found ? *found : std::nullopt;
  }

  std::optional<AuthorizationCode> redeem(std::string_view hash, core::TimePoint now = kStart) {
    auto found = store_->codes().redeem_code(hash, now);
    EXPECT_TRUE(found.has_value()) << to_string(found.error());
    return found ? *found : std::nullopt;
  }

  std::vector<std::string> consent(std::string_view subject, std::string_view client) {
    auto found = store_->consents().find_consent(subject, client);
    EXPECT_TRUE(found.has_value()) << to_string(found.error());
    return found ? *found : std::vector<std::string>{};
  }

  core::ManualClock clock_{kStart};
  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<Store> store_;
};

TEST_P(SignInStoreTest, ASessionIsFoundByItsHashWithEveryField) {
  ASSERT_TRUE(store_->sessions().add_session(session("h1", "alice")).has_value());
  const auto found = use("h1", kStart + 10s);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id_hash, "h1");
  EXPECT_EQ(found->sid, "sid-h1");
  EXPECT_EQ(found->subject, "alice");
  EXPECT_EQ(found->auth_time, kStart);
  EXPECT_EQ(found->expires_at, kStart + 12h);
  EXPECT_FALSE(use("h2", kStart).has_value());
}

TEST_P(SignInStoreTest, ASessionIdleTooLongIsGoneAndUseKeepsItAlive) {
  ASSERT_TRUE(store_->sessions().add_session(session("h1", "alice")).has_value());
  ASSERT_TRUE(store_->sessions().add_session(session("h2", "bob")).has_value());
  // Used at 20 minutes: seen then, so alive at 45 minutes; h2, unused, is idle by then.
  ASSERT_TRUE(use("h1", kStart + 20min).has_value());
  const auto alive = use("h1", kStart + 45min);
  ASSERT_TRUE(alive.has_value());
  EXPECT_EQ(alive->last_seen, kStart + 45min);
  EXPECT_FALSE(use("h2", kStart + 45min).has_value());
  EXPECT_FALSE(use("h1", kStart + 45min + kIdle).has_value());
}

TEST_P(SignInStoreTest, LastSeenIsWrittenAtMostOnceAMinute) {
  ASSERT_TRUE(store_->sessions().add_session(session("h1", "alice")).has_value());
  EXPECT_EQ(use("h1", kStart + 59s)->last_seen, kStart);
  EXPECT_EQ(use("h1", kStart + 60s)->last_seen, kStart + 60s);
}

TEST_P(SignInStoreTest, ASessionEndsAtItsAbsoluteExpiryHoweverBusy) {
  ASSERT_TRUE(store_->sessions().add_session(session("h1", "alice")).has_value());
  for (auto t = kStart; t < kStart + 12h; t += 20min) ASSERT_TRUE(use("h1", t).has_value());
  EXPECT_FALSE(use("h1", kStart + 12h).has_value());
}

TEST_P(SignInStoreTest, EndingASessionReturnsItOnceAndItIsGone) {
  ASSERT_TRUE(store_->sessions().add_session(session("h1", "alice")).has_value());
  auto ended = store_->sessions().end_session("h1");
  ASSERT_TRUE(ended.has_value() && ended->has_value());
  EXPECT_EQ((*ended)->sid, "sid-h1");
  EXPECT_FALSE(use("h1", kStart).has_value());
  auto again = store_->sessions().end_session("h1");
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->has_value());
}

TEST_P(SignInStoreTest, EndingAUsersSessionsLeavesOtherUsersSignedIn) {
  for (const auto& [hash, user] : {std::pair{"h1", "alice"}, {"h2", "alice"}, {"h3", "bob"}}) {
    ASSERT_TRUE(store_->sessions().add_session(session(hash, user)).has_value());
  }
  auto ended = store_->sessions().end_subject_sessions("alice");
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(*ended, 2u);
  EXPECT_FALSE(use("h1", kStart).has_value());
  EXPECT_FALSE(use("h2", kStart).has_value());
  EXPECT_TRUE(use("h3", kStart).has_value());
}

TEST_P(SignInStoreTest, PurgingRemovesExpiredAndIdleSessionsOnly) {
  ASSERT_TRUE(store_->sessions().add_session(session("old", "alice", kStart - 13h)).has_value());
  ASSERT_TRUE(store_->sessions().add_session(session("idle", "bob", kStart - kIdle)).has_value());
  ASSERT_TRUE(store_->sessions().add_session(session("live", "carol")).has_value());
  auto purged = store_->sessions().purge_expired(kStart, kIdle);
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 2u);
  EXPECT_TRUE(use("live", kStart).has_value());
}

TEST_P(SignInStoreTest, ACodeIsRedeemedOnceWithEveryField) {
  ASSERT_TRUE(store_->codes().add_code(code("c1")).has_value());
  const auto first = redeem("c1", kStart + 2s);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->used_at.has_value());
  EXPECT_EQ(first->client_id, "web");
  EXPECT_EQ(first->redirect_uri, "https://app.example.test/callback");
  EXPECT_EQ(first->subject, "alice");
  EXPECT_THAT(first->scopes, ElementsAre("email", "openid"));
  EXPECT_EQ(first->nonce, "n-0S6_WzA2Mj");
  EXPECT_EQ(first->code_challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_EQ(first->sid, "sid-1");
  EXPECT_EQ(first->auth_time, kStart - 5min);
  EXPECT_EQ(first->expires_at, kStart + 60s);

  ASSERT_TRUE(store_->codes().set_code_issued("c1", "jti-1", "fam-1").has_value());
  const auto second = redeem("c1", kStart + 3s);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->used_at, kStart + 2s);
  EXPECT_EQ(second->issued_jti, "jti-1");
  EXPECT_EQ(second->issued_family, "fam-1");
  EXPECT_FALSE(redeem("c2").has_value());
}

TEST_P(SignInStoreTest, OfManyRacingRedemptionsExactlyOneFindsTheCodeUnused) {
  ASSERT_TRUE(store_->codes().add_code(code("c1")).has_value());
  constexpr int kThreads = 8;
  std::atomic<int> unused{0};
  std::atomic<int> failed{0};
  std::latch start(kThreads);
  std::vector<std::jthread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto found = store_->codes().redeem_code("c1", kStart);
      if (!found || !*found) {
        ++failed;
      } else if (!(*found)->used_at) {
        ++unused;
      }
    });
  }
  threads.clear();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(unused.load(), 1);
}

TEST_P(SignInStoreTest, PurgingRemovesExpiredCodesOnly) {
  ASSERT_TRUE(store_->codes().add_code(code("c1")).has_value());
  AuthorizationCode later = code("c2");
  later.expires_at = kStart + 10min;
  ASSERT_TRUE(store_->codes().add_code(later).has_value());
  auto purged = store_->codes().purge_expired(kStart + 61s);
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 1u);
  EXPECT_FALSE(redeem("c1").has_value());
  EXPECT_TRUE(redeem("c2").has_value());
}

TEST_P(SignInStoreTest, ConsentGrowsByUnionPerUserAndClient) {
  EXPECT_THAT(consent("alice", "web"), IsEmpty());
  ASSERT_TRUE(store_->consents().add_consent("alice", "web", {"openid", "email"}).has_value());
  ASSERT_TRUE(store_->consents().add_consent("alice", "web", {"profile", "openid"}).has_value());
  ASSERT_TRUE(store_->consents().add_consent("alice", "cli", {"openid"}).has_value());
  ASSERT_TRUE(store_->consents().add_consent("bob", "web", {"profile"}).has_value());
  EXPECT_THAT(consent("alice", "web"), ElementsAre("email", "openid", "profile"));
  EXPECT_THAT(consent("alice", "cli"), ElementsAre("openid"));
  EXPECT_THAT(consent("bob", "web"), ElementsAre("profile"));
}

TEST_P(SignInStoreTest, ConsentIsForgottenWithItsUserOrItsClient) {
  ASSERT_TRUE(store_->consents().add_consent("alice", "web", {"openid"}).has_value());
  ASSERT_TRUE(store_->consents().add_consent("alice", "cli", {"openid"}).has_value());
  ASSERT_TRUE(store_->consents().add_consent("bob", "web", {"openid"}).has_value());
  ASSERT_TRUE(store_->consents().forget_client("web").has_value());
  EXPECT_THAT(consent("alice", "web"), IsEmpty());
  EXPECT_THAT(consent("bob", "web"), IsEmpty());
  EXPECT_THAT(consent("alice", "cli"), ElementsAre("openid"));
  ASSERT_TRUE(store_->consents().forget_subject("alice").has_value());
  EXPECT_THAT(consent("alice", "cli"), IsEmpty());
}

TEST_P(SignInStoreTest, UsersKeepTheirNameAndEmailClaims) {
  ASSERT_TRUE(store_->users()
                  .add_user(User{.name = "alice",
                                 .password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                                 .scopes = {"openid"},
                                 .disabled = false,
                                 .display_name = "Alice Kim 김",
                                 .email = "alice@example.test"})
                  .has_value());
  auto found = store_->users().find_user("alice");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->display_name, "Alice Kim 김");
  EXPECT_EQ((*found)->email, "alice@example.test");
}

TEST_P(SignInStoreTest, ClientsKeepTheirSignInRegistration) {
  ClientRecord web{.id = "web",
                   .secret_hash = std::nullopt,
                   .grants = {"authorization_code", "refresh_token"},
                   .scopes = {"openid", "profile"},
                   .audience = "",
                   .created_at = kStart};
  web.redirect_uris = {"https://app.example.test/callback", "http://127.0.0.1:8080/cb"};
  web.post_logout_redirect_uris = {"https://app.example.test/"};
  web.display_name = "Example App";
  web.skip_consent = true;
  web.id_token_alg = "ES256";
  ASSERT_TRUE(store_->clients().add_client(web).has_value());
  auto found = store_->clients().find_client("web");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->redirect_uris, web.redirect_uris);
  EXPECT_EQ((*found)->post_logout_redirect_uris, web.post_logout_redirect_uris);
  EXPECT_EQ((*found)->display_name, "Example App");
  EXPECT_TRUE((*found)->skip_consent);
  EXPECT_EQ((*found)->id_token_alg, "ES256");
}

INSTANTIATE_TEST_SUITE_P(Backends, SignInStoreTest, ::testing::ValuesIn(kBackends), backend_name);

}  // namespace
}  // namespace tessera::store
