// The storage contract, written once against the abstract Store and run against every
// backend. A new backend adds one line to kBackends.
#include "store/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <latch>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "store/store_backends.h"
#include "store/store_result_printer.h"

namespace tessera::store {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const sys_seconds kStart{seconds{1700000000}};

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    database_ = GetParam().make();
    store_ = database_->open(clock_);
  }

  void reopen() {
    store_.reset();
    store_ = database_->open(clock_);
  }

  // A user as a caller would add one; the store sets the times.
  static User user(std::string name, std::vector<std::string> scopes = {"read"}) {
    return User{.name = std::move(name),
                .password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
                .scopes = std::move(scopes)};
  }

  User must_find(std::string_view name) {
    auto found = store_->users().find_user(name);
    if (!found) ADD_FAILURE() << "find_user(" << name << ") failed: " << to_string(found.error());
    if (found && !*found) ADD_FAILURE() << "find_user(" << name << ") found nothing";
    return found && *found ? **found : User{};
  }

  std::vector<std::string> names() {
    std::vector<std::string> out;
    auto users = store_->users().list_users();
    EXPECT_TRUE(users.has_value());
    if (users) {
      for (const auto& u : *users) out.push_back(u.name);
    }
    return out;
  }

  // A signing key as keys/ would store one; the store keeps every field as given.
  static SigningKeyRecord signing_key(std::string kid, core::TimePoint created_at,
                                      std::optional<core::TimePoint> retire_at = std::nullopt) {
    return SigningKeyRecord{
        .kid = kid,
        .alg = "EdDSA",
        .public_jwk = R"({"kty":"OKP","crv":"Ed25519","x":"x-of-)" + kid + R"("})",
        .sealed_private = "sealed-" + kid,
        .created_at = created_at,
        .activates_at = created_at + minutes(10),
        .retire_at = retire_at};
  }

  std::vector<SigningKeyRecord> signing_keys() {
    auto keys = store_->keys().list_signing_keys();
    if (!keys) ADD_FAILURE() << "list_signing_keys failed: " << to_string(keys.error());
    return keys ? *keys : std::vector<SigningKeyRecord>{};
  }

  std::vector<std::string> user_scopes() {
    auto scopes = store_->users().list_user_scopes();
    if (!scopes) ADD_FAILURE() << "list_user_scopes failed: " << to_string(scopes.error());
    return scopes ? *scopes : std::vector<std::string>{};
  }

  std::vector<std::string> kids() {
    std::vector<std::string> out;
    for (const auto& k : signing_keys()) out.push_back(k.kid);
    return out;
  }

  core::ManualClock clock_{kStart};
  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, AddedUserIsFoundWithEveryField) {
  User alice = user("alice", {"write", "read", "admin"});
  alice.disabled = true;
  ASSERT_TRUE(store_->users().add_user(alice).has_value());

  const User found = must_find("alice");
  EXPECT_EQ(found.name, "alice");
  EXPECT_EQ(found.password_hash, alice.password_hash);
  EXPECT_THAT(found.scopes, ElementsAre("write", "read", "admin"));
  EXPECT_TRUE(found.disabled);
  EXPECT_EQ(found.created_at, kStart);
  EXPECT_EQ(found.updated_at, kStart);
}

TEST_P(StoreTest, ScopesComeBackExactlyAsGiven) {
  ASSERT_TRUE(store_->users().add_user(user("none", {})).has_value());
  ASSERT_TRUE(store_->users().add_user(user("dup", {"b", "a", "b"})).has_value());

  EXPECT_THAT(must_find("none").scopes, IsEmpty());
  EXPECT_THAT(must_find("dup").scopes, ElementsAre("b", "a", "b"));
}

TEST_P(StoreTest, TimesGivenByTheCallerAreReplacedByTheClock) {
  User bob = user("bob");
  bob.created_at = kStart - hours(100);
  bob.updated_at = kStart + hours(100);
  ASSERT_TRUE(store_->users().add_user(bob).has_value());

  EXPECT_EQ(must_find("bob").created_at, kStart);
  EXPECT_EQ(must_find("bob").updated_at, kStart);
}

TEST_P(StoreTest, NamesAndHashesAreStoredAsDataNeverAsSql) {
  const std::string name = "o'brien\"; DROP TABLE users; --";
  User odd = user(name);
  odd.password_hash = "'); DELETE FROM users; --";
  ASSERT_TRUE(store_->users().add_user(odd).has_value());
  ASSERT_TRUE(store_->users().add_user(user("zoë")).has_value());

  EXPECT_EQ(must_find(name).password_hash, odd.password_hash);
  EXPECT_EQ(must_find("zoë").name, "zoë");
  EXPECT_THAT(names(), ElementsAre(name, "zoë"));
}

TEST_P(StoreTest, FindingAnUnknownUserReturnsNothing) {
  ASSERT_TRUE(store_->users().add_user(user("alice")).has_value());

  auto found = store_->users().find_user("bob");
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

TEST_P(StoreTest, AddingATakenNameFailsWithAlreadyExistsAndKeepsTheFirstUser) {
  ASSERT_TRUE(store_->users().add_user(user("alice", {"read"})).has_value());
  clock_.advance(hours(1));

  User again = user("alice", {"admin"});
  again.password_hash = "$2b$12$other";
  EXPECT_EQ(store_->users().add_user(again), std::unexpected(StoreError::kAlreadyExists));

  const User found = must_find("alice");
  EXPECT_THAT(found.scopes, ElementsAre("read"));
  EXPECT_NE(found.password_hash, again.password_hash);
  EXPECT_EQ(found.updated_at, kStart);
}

TEST_P(StoreTest, ListReturnsEveryUserOrderedByName) {
  EXPECT_THAT(names(), IsEmpty());
  for (const char* name : {"carol", "alice", "dave", "bob"}) {
    ASSERT_TRUE(store_->users().add_user(user(name)).has_value());
  }

  EXPECT_THAT(names(), ElementsAre("alice", "bob", "carol", "dave"));
  auto users = store_->users().list_users();
  ASSERT_TRUE(users.has_value());
  EXPECT_EQ((*users)[0].password_hash, user("alice").password_hash);
  EXPECT_THAT((*users)[0].scopes, ElementsAre("read"));
}

TEST_P(StoreTest, HasUsersIsTrueOnlyWhileSomeUserExists) {
  EXPECT_EQ(store_->users().has_users(), false);
  ASSERT_TRUE(store_->users().add_user(user("alice")).has_value());
  EXPECT_EQ(store_->users().has_users(), true);
  ASSERT_TRUE(store_->users().delete_user("alice").has_value());
  EXPECT_EQ(store_->users().has_users(), false);
}

TEST_P(StoreTest, DisablingAndEnablingAUserIsStoredAndBumpsUpdatedAt) {
  ASSERT_TRUE(store_->users().add_user(user("alice")).has_value());

  clock_.advance(hours(1));
  ASSERT_TRUE(store_->users().set_user_disabled("alice", true).has_value());
  EXPECT_TRUE(must_find("alice").disabled);
  EXPECT_EQ(must_find("alice").updated_at, kStart + hours(1));

  clock_.advance(hours(1));
  ASSERT_TRUE(store_->users().set_user_disabled("alice", false).has_value());
  EXPECT_FALSE(must_find("alice").disabled);
  EXPECT_EQ(must_find("alice").updated_at, kStart + hours(2));
  EXPECT_EQ(must_find("alice").created_at, kStart);
}

TEST_P(StoreTest, SettingADisabledUserDisabledAgainSucceeds) {
  ASSERT_TRUE(store_->users().add_user(user("alice")).has_value());
  ASSERT_TRUE(store_->users().set_user_disabled("alice", true).has_value());

  EXPECT_TRUE(store_->users().set_user_disabled("alice", true).has_value());
  EXPECT_TRUE(must_find("alice").disabled);
}

TEST_P(StoreTest, SetScopesReplacesTheScopesAndBumpsUpdatedAt) {
  ASSERT_TRUE(store_->users().add_user(user("alice", {"read"})).has_value());

  clock_.advance(hours(1));
  ASSERT_TRUE(store_->users().set_user_scopes("alice", {"admin", "write"}).has_value());
  EXPECT_THAT(must_find("alice").scopes, ElementsAre("admin", "write"));
  EXPECT_EQ(must_find("alice").updated_at, kStart + hours(1));
  EXPECT_EQ(must_find("alice").created_at, kStart);

  ASSERT_TRUE(store_->users().set_user_scopes("alice", {}).has_value());
  EXPECT_THAT(must_find("alice").scopes, IsEmpty());
}

TEST_P(StoreTest, SetPasswordHashReplacesTheHashAndBumpsUpdatedAt) {
  ASSERT_TRUE(store_->users().add_user(user("alice")).has_value());

  clock_.advance(hours(1));
  ASSERT_TRUE(store_->users().set_password_hash("alice", "$2b$12$newer").has_value());
  EXPECT_EQ(must_find("alice").password_hash, "$2b$12$newer");
  EXPECT_EQ(must_find("alice").updated_at, kStart + hours(1));
}

TEST_P(StoreTest, ReplacePasswordHashReplacesWhileTheOldHashIsCurrent) {
  ASSERT_TRUE(store_->users().add_user(user("alice")).has_value());

  clock_.advance(hours(1));
  EXPECT_EQ(
      store_->users().replace_password_hash("alice", user("alice").password_hash, "$argon2id$new"),
      true);
  EXPECT_EQ(must_find("alice").password_hash, "$argon2id$new");
  EXPECT_EQ(must_find("alice").updated_at, kStart + hours(1));
}

TEST_P(StoreTest, ReplacePasswordHashWithAStaleOldHashKeepsTheNewerHash) {
  ASSERT_TRUE(store_->users().add_user(user("alice")).has_value());
  // A password change lands between a login's verify and its rehash.
  clock_.advance(hours(1));
  ASSERT_TRUE(store_->users().set_password_hash("alice", "$2b$12$changed").has_value());

  clock_.advance(hours(1));
  EXPECT_EQ(store_->users().replace_password_hash("alice", user("alice").password_hash,
                                                  "$argon2id$rehash"),
            false);
  EXPECT_EQ(must_find("alice").password_hash, "$2b$12$changed");
  EXPECT_EQ(must_find("alice").updated_at, kStart + hours(1));
}

TEST_P(StoreTest, ReplacePasswordHashOfAnUnknownUserReplacesNothing) {
  EXPECT_EQ(store_->users().replace_password_hash("ghost", "$old", "$new"), false);
  auto found = store_->users().find_user("ghost");
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

TEST_P(StoreTest, DeletedUserIsNotFoundAndOthersRemain) {
  ASSERT_TRUE(store_->users().add_user(user("alice")).has_value());
  ASSERT_TRUE(store_->users().add_user(user("bob")).has_value());

  ASSERT_TRUE(store_->users().delete_user("alice").has_value());
  auto found = store_->users().find_user("alice");
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
  EXPECT_THAT(names(), ElementsAre("bob"));
}

TEST_P(StoreTest, ADeletedNameCanBeAddedAgain) {
  ASSERT_TRUE(store_->users().add_user(user("alice", {"read"})).has_value());
  ASSERT_TRUE(store_->users().delete_user("alice").has_value());
  clock_.advance(hours(1));

  ASSERT_TRUE(store_->users().add_user(user("alice", {"admin"})).has_value());
  EXPECT_THAT(must_find("alice").scopes, ElementsAre("admin"));
  EXPECT_EQ(must_find("alice").created_at, kStart + hours(1));
}

TEST_P(StoreTest, DisablingAnUnknownUserFailsWithNotFound) {
  EXPECT_EQ(store_->users().set_user_disabled("ghost", true),
            std::unexpected(StoreError::kNotFound));
}

TEST_P(StoreTest, SettingScopesOfAnUnknownUserFailsWithNotFound) {
  EXPECT_EQ(store_->users().set_user_scopes("ghost", {"read"}),
            std::unexpected(StoreError::kNotFound));
}

TEST_P(StoreTest, SettingThePasswordHashOfAnUnknownUserFailsWithNotFound) {
  EXPECT_EQ(store_->users().set_password_hash("ghost", "$2b$12$x"),
            std::unexpected(StoreError::kNotFound));
}

TEST_P(StoreTest, DeletingAnUnknownUserFailsWithNotFound) {
  EXPECT_EQ(store_->users().delete_user("ghost"), std::unexpected(StoreError::kNotFound));
}

TEST_P(StoreTest, DeletingAUserTwiceFailsWithNotFoundTheSecondTime) {
  ASSERT_TRUE(store_->users().add_user(user("alice")).has_value());
  ASSERT_TRUE(store_->users().delete_user("alice").has_value());
  EXPECT_EQ(store_->users().delete_user("alice"), std::unexpected(StoreError::kNotFound));
}

TEST_P(StoreTest, ConcurrentAddsAndFindsFromEightThreadsAllSucceed) {
  constexpr int kThreads = 8;
  constexpr int kUsersPerThread = 40;
  std::vector<int> failures(kThreads, 0);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kUsersPerThread; ++i) {
          const std::string name = "user-" + std::to_string(t) + "-" + std::to_string(i);
          if (!store_->users().add_user(user(name))) ++failures[t];
          auto found = store_->users().find_user(name);
          if (!found || !*found || (*found)->name != name) ++failures[t];
          if (!store_->users().has_users().value_or(false)) ++failures[t];
          if (!store_->users().set_user_scopes(name, {"read", std::to_string(t)})) ++failures[t];
        }
      });
    }
  }

  EXPECT_THAT(failures, ::testing::Each(0));
  EXPECT_EQ(names().size(), static_cast<std::size_t>(kThreads * kUsersPerThread));
  EXPECT_THAT(must_find("user-7-39").scopes, ElementsAre("read", "7"));
}

TEST_P(StoreTest, DataSurvivesClosingAndReopeningTheStore) {
  ASSERT_TRUE(store_->users().add_user(user("alice", {"read", "write"})).has_value());
  ASSERT_TRUE(store_->users().set_user_disabled("alice", true).has_value());

  reopen();

  const User found = must_find("alice");
  EXPECT_THAT(found.scopes, ElementsAre("read", "write"));
  EXPECT_TRUE(found.disabled);
  EXPECT_EQ(found.created_at, kStart);
  EXPECT_THAT(names(), ElementsAre("alice"));
}

void expect_same_key(const SigningKeyRecord& got, const SigningKeyRecord& want) {
  EXPECT_EQ(got.kid, want.kid);
  EXPECT_EQ(got.alg, want.alg);
  EXPECT_EQ(got.public_jwk, want.public_jwk);
  EXPECT_EQ(got.sealed_private, want.sealed_private);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.activates_at, want.activates_at);
  EXPECT_EQ(got.retire_at, want.retire_at);
}

TEST_P(StoreTest, SigningKeysComeBackWithEveryFieldAfterReopening) {
  SigningKeyRecord current = signing_key("kid-current", kStart - hours(1));
  current.alg = "ES256";
  current.public_jwk = R"({"kty":"EC","crv":"P-256","x":"eA","y":"eQ","kid":"kid-current"})";
  SigningKeyRecord retired = signing_key("kid-retired", kStart, kStart + hours(2));
  retired.alg = "PS256";
  retired.activates_at = kStart + seconds(1);
  ASSERT_EQ(store_->keys().add_signing_key(current, std::nullopt), true);
  ASSERT_EQ(store_->keys().add_signing_key(retired, "kid-current"), true);

  reopen();

  const auto keys = signing_keys();
  ASSERT_EQ(keys.size(), 2u);
  expect_same_key(keys[0], current);
  EXPECT_FALSE(keys[0].retire_at.has_value());
  expect_same_key(keys[1], retired);
  EXPECT_EQ(keys[1].retire_at, kStart + hours(2));
}

TEST_P(StoreTest, SigningKeyTimesAreTheCallersNotTheClocks) {
  clock_.advance(hours(1000));
  const SigningKeyRecord key = signing_key("kid-a", kStart - hours(5));
  ASSERT_EQ(store_->keys().add_signing_key(key, std::nullopt), true);

  const auto keys = signing_keys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].created_at, kStart - hours(5));
  EXPECT_EQ(keys[0].activates_at, kStart - hours(5) + minutes(10));
}

TEST_P(StoreTest, SigningKeysAreListedByCreationTimeThenInTheOrderAdded) {
  EXPECT_THAT(signing_keys(), IsEmpty());
  // The newest (by creation time) stays "late" throughout, so each add expects it.
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("late", kStart + hours(2)), std::nullopt),
            true);
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("early-b", kStart), "late"), true);
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("early-a", kStart), "late"), true);
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("middle", kStart + hours(1)), "late"), true);

  EXPECT_THAT(kids(), ElementsAre("early-b", "early-a", "middle", "late"));
}

TEST_P(StoreTest, TheNewestKeyIsTheLastAddedAmongThoseCreatedAtTheSameTime) {
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("first", kStart), std::nullopt), true);
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("second", kStart), "first"), true);

  EXPECT_EQ(store_->keys().add_signing_key(signing_key("third", kStart), "first"), false);
  EXPECT_EQ(store_->keys().add_signing_key(signing_key("third", kStart), "second"), true);
  EXPECT_THAT(kids(), ElementsAre("first", "second", "third"));
}

TEST_P(StoreTest, AddingTheFirstSigningKeyExpectingNoneSucceeds) {
  EXPECT_EQ(store_->keys().add_signing_key(signing_key("kid-a", kStart), std::nullopt), true);
  EXPECT_THAT(kids(), ElementsAre("kid-a"));
}

// The id_tokens' ring and the access tokens' ring share the table; each has its own newest.
TEST_P(StoreTest, EachPurposeOfSigningKeysHasItsOwnNewest) {
  SigningKeyRecord id_key = signing_key("kid-id", kStart + seconds(1));
  id_key.purpose = "id_token";
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("kid-a", kStart), std::nullopt), true);
  EXPECT_EQ(store_->keys().add_signing_key(id_key, std::nullopt), true);
  EXPECT_EQ(store_->keys().add_signing_key(signing_key("kid-b", kStart + seconds(2)), "kid-id"),
            false);
  EXPECT_EQ(store_->keys().add_signing_key(signing_key("kid-b", kStart + seconds(2)), "kid-a"),
            true);
  const auto all = signing_keys();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].purpose, "access");
  EXPECT_EQ(all[1].purpose, "id_token");
  EXPECT_EQ(all[2].purpose, "access");
}

TEST_P(StoreTest, AddingASigningKeyExpectingTheActualNewestSucceeds) {
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("kid-a", kStart), std::nullopt), true);
  clock_.advance(hours(1));

  EXPECT_EQ(store_->keys().add_signing_key(signing_key("kid-b", kStart + hours(1)), "kid-a"), true);
  EXPECT_THAT(kids(), ElementsAre("kid-a", "kid-b"));
}

TEST_P(StoreTest, AddingASigningKeyExpectingAStaleNewestAddsNothing) {
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("kid-a", kStart), std::nullopt), true);
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("kid-b", kStart + hours(1)), "kid-a"), true);

  EXPECT_EQ(store_->keys().add_signing_key(signing_key("kid-c", kStart + hours(2)), "kid-a"),
            false);
  EXPECT_EQ(store_->keys().add_signing_key(signing_key("kid-c", kStart + hours(2)), std::nullopt),
            false);
  EXPECT_EQ(store_->keys().add_signing_key(signing_key("kid-c", kStart + hours(2)), "kid-unknown"),
            false);
  EXPECT_THAT(kids(), ElementsAre("kid-a", "kid-b"));
}

TEST_P(StoreTest, AddingASigningKeyExpectingSomeKeyOnAnEmptyTableAddsNothing) {
  EXPECT_EQ(store_->keys().add_signing_key(signing_key("kid-a", kStart), "kid-gone"), false);
  EXPECT_THAT(signing_keys(), IsEmpty());
}

TEST_P(StoreTest, AddingATakenKidFailsWithAlreadyExistsAndKeepsTheFirstKey) {
  const SigningKeyRecord first = signing_key("kid-a", kStart);
  ASSERT_EQ(store_->keys().add_signing_key(first, std::nullopt), true);

  SigningKeyRecord again = signing_key("kid-a", kStart + hours(1));
  again.sealed_private = "sealed-other";
  EXPECT_EQ(store_->keys().add_signing_key(again, "kid-a"),
            std::unexpected(StoreError::kAlreadyExists));

  const auto keys = signing_keys();
  ASSERT_EQ(keys.size(), 1u);
  expect_same_key(keys[0], first);
}

TEST_P(StoreTest, SettingRetireAtStoresItAndLeavesOtherKeysAlone) {
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("kid-a", kStart), std::nullopt), true);
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("kid-b", kStart + hours(1)), "kid-a"), true);

  ASSERT_TRUE(store_->keys().set_signing_key_retire_at("kid-a", kStart + hours(3)).has_value());
  auto keys = signing_keys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].retire_at, kStart + hours(3));
  EXPECT_EQ(keys[1].retire_at, std::nullopt);

  // An earlier retirement replaces a later one.
  ASSERT_TRUE(store_->keys().set_signing_key_retire_at("kid-a", kStart + hours(2)).has_value());
  keys = signing_keys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].retire_at, kStart + hours(2));
  EXPECT_EQ(keys[0].created_at, kStart);
  EXPECT_EQ(keys[0].sealed_private, "sealed-kid-a");
}

TEST_P(StoreTest, RetiringAnUnknownKidFailsWithNotFound) {
  EXPECT_EQ(store_->keys().set_signing_key_retire_at("ghost", kStart),
            std::unexpected(StoreError::kNotFound));
  ASSERT_EQ(store_->keys().add_signing_key(signing_key("kid-a", kStart), std::nullopt), true);
  EXPECT_EQ(store_->keys().set_signing_key_retire_at("ghost", kStart),
            std::unexpected(StoreError::kNotFound));
  EXPECT_EQ(signing_keys().at(0).retire_at, std::nullopt);
}

TEST_P(StoreTest, ConcurrentAddsExpectingTheSameNewestAddExactlyOneKey) {
  constexpr int kThreads = 8;
  std::optional<std::string> newest;
  std::vector<std::string> winners;
  for (int round = 0; round < 5; ++round) {
    std::latch start(kThreads);
    std::vector<StoreResult<bool>> results(kThreads, false);
    {
      std::vector<std::jthread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          const std::string kid = "kid-" + std::to_string(round) + "-" + std::to_string(t);
          start.arrive_and_wait();
          results[t] =
              store_->keys().add_signing_key(signing_key(kid, kStart + hours(round)), newest);
        });
      }
    }
    int won = -1;
    for (int t = 0; t < kThreads; ++t) {
      ASSERT_TRUE(results[t].has_value())
          << "round " << round << " thread " << t << ": " << to_string(results[t].error());
      if (*results[t]) {
        EXPECT_EQ(won, -1) << "round " << round << ": threads " << won << " and " << t
                           << " both won";
        won = t;
      }
    }
    ASSERT_NE(won, -1) << "round " << round << ": nobody won";
    newest = "kid-" + std::to_string(round) + "-" + std::to_string(won);
    winners.push_back(*newest);
  }
  EXPECT_EQ(kids(), winners);
}

TEST_P(StoreTest, UserScopesAreTheSortedUnionWithoutDuplicates) {
  ASSERT_TRUE(store_->users().add_user(user("alice", {"write", "read"})).has_value());
  ASSERT_TRUE(store_->users().add_user(user("bob", {"admin", "read", "admin"})).has_value());
  ASSERT_TRUE(store_->users().add_user(user("carol", {})).has_value());
  ASSERT_TRUE(store_->users().add_user(user("dave", {"write", "read"})).has_value());

  EXPECT_THAT(user_scopes(), ElementsAre("admin", "read", "write"));
}

TEST_P(StoreTest, UserScopesFollowScopeChanges) {
  ASSERT_TRUE(store_->users().add_user(user("alice", {"read"})).has_value());
  ASSERT_TRUE(store_->users().set_user_scopes("alice", {"z:thing", "a:thing"}).has_value());
  ASSERT_TRUE(store_->users().add_user(user("bob", {"m"})).has_value());
  ASSERT_TRUE(store_->users().delete_user("bob").has_value());

  EXPECT_THAT(user_scopes(), ElementsAre("a:thing", "z:thing"));
}

TEST_P(StoreTest, UserScopesAreEmptyWhenNoUserHasAny) {
  EXPECT_THAT(user_scopes(), IsEmpty());
  ASSERT_TRUE(store_->users().add_user(user("alice", {})).has_value());
  ASSERT_TRUE(store_->users().add_user(user("bob", {})).has_value());
  EXPECT_THAT(user_scopes(), IsEmpty());
}

TEST_P(StoreTest, PingSucceedsOnAnOpenStore) { EXPECT_TRUE(store_->ping().has_value()); }

// --- throttles ---------------------------------------------------------------------------

constexpr ThrottlePolicy kThreeStrikes{
    .threshold = 3, .window = minutes(15), .first_lockout = minutes(1), .max_lockout = hours(1)};

TEST_P(StoreTest, NoKeyIsLockedBeforeAnyFailure) {
  auto locked = store_->throttles().locked_until("user:alice", "addr:10.0.0.1", kStart);
  ASSERT_TRUE(locked.has_value());
  EXPECT_FALSE(locked->has_value());
}

TEST_P(StoreTest, TheThresholdLocksTheKeyAndEitherKeyOfTheQuestionFindsIt) {
  for (int i = 0; i < 2; ++i) {
    auto state = store_->throttles().record_failure("user:alice", kStart, kThreeStrikes);
    ASSERT_TRUE(state.has_value());
    EXPECT_FALSE(state->locked_until.has_value());
  }
  auto third = store_->throttles().record_failure("user:alice", kStart, kThreeStrikes);
  ASSERT_TRUE(third.has_value());
  ASSERT_TRUE(third->locked_until.has_value());
  EXPECT_EQ(*third->locked_until, kStart + minutes(1));
  // Asked as the first key or the second, the lock is found; other keys are not locked.
  EXPECT_EQ(store_->throttles().locked_until("user:alice", "addr:10.0.0.1", kStart).value(),
            std::optional<core::TimePoint>(kStart + minutes(1)));
  EXPECT_EQ(store_->throttles().locked_until("client:x", "user:alice", kStart).value(),
            std::optional<core::TimePoint>(kStart + minutes(1)));
  EXPECT_FALSE(
      store_->throttles().locked_until("user:bob", "addr:10.0.0.1", kStart).value().has_value());
  // Over when the lock runs out.
  EXPECT_FALSE(store_->throttles()
                   .locked_until("user:alice", "addr:10.0.0.1", kStart + minutes(1))
                   .value()
                   .has_value());
}

TEST_P(StoreTest, WhenBothKeysAreLockedTheLaterLockIsTheAnswer) {
  ThrottlePolicy longer = kThreeStrikes;
  longer.first_lockout = minutes(10);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        store_->throttles().record_failure("user:alice", kStart, kThreeStrikes).has_value());
    ASSERT_TRUE(store_->throttles().record_failure("addr:10.0.0.1", kStart, longer).has_value());
  }
  EXPECT_EQ(store_->throttles().locked_until("user:alice", "addr:10.0.0.1", kStart).value(),
            std::optional<core::TimePoint>(kStart + minutes(10)));
  EXPECT_EQ(store_->throttles().locked_until("addr:10.0.0.1", "user:alice", kStart).value(),
            std::optional<core::TimePoint>(kStart + minutes(10)));
}

TEST_P(StoreTest, ClearingFailuresUnlocksOnlyThatKey) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        store_->throttles().record_failure("user:alice", kStart, kThreeStrikes).has_value());
    ASSERT_TRUE(store_->throttles().record_failure("user:bob", kStart, kThreeStrikes).has_value());
  }
  ASSERT_TRUE(store_->throttles().clear_failures("user:alice").has_value());
  EXPECT_FALSE(
      store_->throttles().locked_until("user:alice", "addr:x", kStart).value().has_value());
  EXPECT_TRUE(store_->throttles().locked_until("user:bob", "addr:x", kStart).value().has_value());
}

// --- the revocation log -------------------------------------------------------------------

// The log from the start, as a follower that has seen nothing reads it.
std::vector<Revocation> log_of(Store& store, core::TimePoint now) {
  auto log = store.revocations().revocations_since(0, now);
  if (!log) ADD_FAILURE() << "revocations_since failed: " << to_string(log.error());
  return log ? *log : std::vector<Revocation>{};
}

void add_family(Store& store, const std::string& id, const std::string& client,
                const std::string& subject) {
  const RefreshFamily family{.id = id,
                             .client_id = client,
                             .subject = subject,
                             .created_at = kStart,
                             .revoked_at = std::nullopt};
  const RefreshTokenRecord first{.token_hash = "hash-of-" + id,
                                 .family_id = id,
                                 .scopes = {},
                                 .issued_at = kStart,
                                 .expires_at = kStart + hours(24),
                                 .used_at = std::nullopt};
  ASSERT_TRUE(store.refresh_tokens().add_refresh_family(family, first).has_value());
}

TEST_P(StoreTest, RevokingASubjectRevokesItsFamiliesAndLogsItsAccessTokensUpToATime) {
  add_family(*store_, "fam-a1", "web", "alice");
  add_family(*store_, "fam-a2", "app", "alice");
  add_family(*store_, "fam-b", "web", "bob");
  const core::TimePoint until = kStart + seconds(5);
  auto revoked = store_->refresh_tokens().revoke_subject("alice", kStart + seconds(6), until,
                                                         kStart + minutes(20));
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(*revoked, 2u);

  std::vector<std::string> sids;
  std::vector<Revocation> subjects;
  for (const Revocation& r : log_of(*store_, kStart)) {
    EXPECT_EQ(r.expires_at, kStart + minutes(20));
    if (r.kind == Revocation::Kind::kFamily) sids.push_back(r.value);
    if (r.kind == Revocation::Kind::kSubject) subjects.push_back(r);
  }
  std::sort(sids.begin(), sids.end());
  EXPECT_THAT(sids, ElementsAre("fam-a1", "fam-a2"));
  ASSERT_EQ(subjects.size(), 1u);
  EXPECT_EQ(subjects[0].value, "alice");
  EXPECT_EQ(subjects[0].issued_until, until);

  auto state = store_->refresh_tokens().find_refresh_token("hash-of-fam-a1");
  ASSERT_TRUE(state.has_value() && state->has_value());
  EXPECT_TRUE((*state)->family.revoked_at.has_value());
  auto other = store_->refresh_tokens().find_refresh_token("hash-of-fam-b");
  ASSERT_TRUE(other.has_value() && other->has_value());
  EXPECT_FALSE((*other)->family.revoked_at.has_value()) << "another user's family";
}

// A user with no refresh family (a client without the refresh grant) still has access tokens.
TEST_P(StoreTest, RevokingASubjectWithoutFamiliesStillLogsItsAccessTokens) {
  auto revoked =
      store_->refresh_tokens().revoke_subject("carol", kStart, kStart, kStart + minutes(20));
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(*revoked, 0u);
  const auto log = log_of(*store_, kStart);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].kind, Revocation::Kind::kSubject);
  EXPECT_EQ(log[0].value, "carol");
  EXPECT_EQ(log[0].issued_until, kStart);
}

TEST_P(StoreTest, DeletingAClientLogsItsFamiliesAndEveryAccessTokenIssuedToIt) {
  ASSERT_TRUE(store_->clients()
                  .add_client(ClientRecord{.id = "billing",
                                           .secret_hash = std::nullopt,
                                           .grants = {"client_credentials"},
                                           .scopes = {},
                                           .audience = "",
                                           .created_at = kStart})
                  .has_value());
  add_family(*store_, "fam-billing", "billing", "alice");
  ASSERT_TRUE(store_->clients()
                  .delete_client("billing", kStart + seconds(3), kStart + minutes(20))
                  .has_value());

  bool family = false;
  bool client = false;
  for (const Revocation& r : log_of(*store_, kStart)) {
    if (r.kind == Revocation::Kind::kFamily && r.value == "fam-billing") family = true;
    if (r.kind == Revocation::Kind::kClient && r.value == "billing") {
      client = true;
      EXPECT_EQ(r.issued_until, kStart + seconds(3));
      EXPECT_EQ(r.expires_at, kStart + minutes(20));
    }
  }
  EXPECT_TRUE(family);
  EXPECT_TRUE(client);
  EXPECT_EQ(store_->clients().delete_client("billing", kStart, kStart).error(),
            StoreError::kNotFound);
}

// RFC 7592 section 2.2: a registered client replaces its grants, scopes, redirect URIs and
// name, only while its registration access token (hash) is the one stored.
TEST_P(StoreTest, ARegisteredClientUpdatesItsMetadataOnlyWithItsTokenHash) {
  ClientRecord client{.id = "reg-app",
                      .secret_hash = std::nullopt,
                      .grants = {"authorization_code"},
                      .scopes = {"finance:read"},
                      .audience = "",
                      .created_at = kStart,
                      .redirect_uris = {"https://app.example/cb"},
                      .display_name = "App",
                      .auth_method = "none",
                      .resources = {"https://api.example/"},
                      .registration_token_hash = "hash-1"};
  ASSERT_TRUE(store_->clients().add_client(client).has_value());
  ASSERT_TRUE(store_->clients()
                  .add_client(ClientRecord{.id = "admin-app",
                                           .secret_hash = std::nullopt,
                                           .grants = {"client_credentials"},
                                           .scopes = {},
                                           .audience = "",
                                           .created_at = kStart})
                  .has_value());

  ClientRecord changed = client;
  changed.grants = {"authorization_code", "refresh_token"};
  changed.scopes = {};
  changed.redirect_uris = {"https://app.example/new", "http://127.0.0.1/cb"};
  changed.display_name = "App two";
  changed.resources = {"https://elsewhere.example/"};  // not the update's to change
  changed.registration_token_hash = "hash-2";
  EXPECT_FALSE(store_->clients().update_registered_client(changed).value());
  changed.registration_token_hash = "hash-1";
  EXPECT_TRUE(store_->clients().update_registered_client(changed).value());

  const auto found = store_->clients().find_client("reg-app").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->grants, changed.grants);
  EXPECT_TRUE(found->scopes.empty());
  EXPECT_EQ(found->redirect_uris, changed.redirect_uris);
  EXPECT_EQ(found->display_name, "App two");
  EXPECT_EQ(found->resources, client.resources);
  EXPECT_EQ(found->auth_method, "none");
  EXPECT_EQ(found->registration_token_hash, "hash-1");

  // A client an administrator added has no registration token: nothing matches it.
  ClientRecord admin_app{.id = "admin-app",
                         .secret_hash = std::nullopt,
                         .grants = {"authorization_code"},
                         .scopes = {},
                         .audience = "",
                         .created_at = kStart,
                         .registration_token_hash = ""};
  EXPECT_FALSE(store_->clients().update_registered_client(admin_app).value());
  EXPECT_EQ(store_->clients().find_client("admin-app").value()->grants,
            std::vector<std::string>{"client_credentials"});
  ASSERT_TRUE(store_->clients().delete_client("reg-app", kStart, kStart).has_value());
  EXPECT_FALSE(store_->clients().update_registered_client(changed).value());
}

TEST_P(StoreTest, TheRevocationLogKeepsEveryKindInOrderAndDropsExpiredEntries) {
  ASSERT_TRUE(store_->revocations().revoke_access_token("jti-1", kStart + minutes(1)).has_value());
  ASSERT_TRUE(store_->refresh_tokens()
                  .revoke_subject("dave", kStart, kStart, kStart + minutes(30))
                  .has_value());
  const auto log = log_of(*store_, kStart);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].kind, Revocation::Kind::kAccessToken);
  EXPECT_EQ(log[0].value, "jti-1");
  EXPECT_EQ(log[1].kind, Revocation::Kind::kSubject);
  EXPECT_LT(log[0].sequence, log[1].sequence);
  // Past the first entry's expiry only the second is returned, and a purge removes the first.
  EXPECT_EQ(log_of(*store_, kStart + minutes(2)).size(), 1u);
  ASSERT_TRUE(store_->revocations().purge_expired(kStart + minutes(2)).has_value());
  auto after = store_->revocations().revocations_since(0, kStart);
  ASSERT_TRUE(after.has_value());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].value, "dave");
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(kBackends), backend_name);

}  // namespace
}  // namespace tessera::store
