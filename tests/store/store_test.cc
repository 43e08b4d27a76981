// The storage contract, written once against the abstract Store and run against every
// backend. A new backend adds one line to kBackends.
#include "store/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_result_printer.h"

namespace tessera::store {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using std::chrono::sys_seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Storage for one test. open() may be called again once the previous store is destroyed, and
// then sees the same data.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  virtual std::unique_ptr<Store> open(const core::Clock& clock) = 0;
};

struct Backend {
  std::string name;
  std::function<std::unique_ptr<TestDatabase>()> make;
};

// A database file in a fresh temporary directory, removed with it.
class SqliteTestDatabase final : public TestDatabase {
 public:
  SqliteTestDatabase() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tessera-store-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~SqliteTestDatabase() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> open(const core::Clock& clock) override {
    auto store = open_sqlite_store({.path = (dir_ / "tessera.db").string()}, clock);
    if (!store) throw std::runtime_error(store.error());
    return std::move(*store);
  }

 private:
  std::filesystem::path dir_;
};

const Backend kBackends[] = {
    {"sqlite", [] { return std::make_unique<SqliteTestDatabase>(); }},
};

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
    auto found = store_->find_user(name);
    if (!found) ADD_FAILURE() << "find_user(" << name << ") failed: " << to_string(found.error());
    if (found && !*found) ADD_FAILURE() << "find_user(" << name << ") found nothing";
    return found && *found ? **found : User{};
  }

  std::vector<std::string> names() {
    std::vector<std::string> out;
    auto users = store_->list_users();
    EXPECT_TRUE(users.has_value());
    if (users) {
      for (const auto& u : *users) out.push_back(u.name);
    }
    return out;
  }

  core::ManualClock clock_{kStart};
  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, AddedUserIsFoundWithEveryField) {
  User alice = user("alice", {"write", "read", "admin"});
  alice.disabled = true;
  ASSERT_TRUE(store_->add_user(alice).has_value());

  const User found = must_find("alice");
  EXPECT_EQ(found.name, "alice");
  EXPECT_EQ(found.password_hash, alice.password_hash);
  EXPECT_THAT(found.scopes, ElementsAre("write", "read", "admin"));
  EXPECT_TRUE(found.disabled);
  EXPECT_EQ(found.created_at, kStart);
  EXPECT_EQ(found.updated_at, kStart);
}

TEST_P(StoreTest, ScopesComeBackExactlyAsGiven) {
  ASSERT_TRUE(store_->add_user(user("none", {})).has_value());
  ASSERT_TRUE(store_->add_user(user("dup", {"b", "a", "b"})).has_value());

  EXPECT_THAT(must_find("none").scopes, IsEmpty());
  EXPECT_THAT(must_find("dup").scopes, ElementsAre("b", "a", "b"));
}

TEST_P(StoreTest, TimesGivenByTheCallerAreReplacedByTheClock) {
  User bob = user("bob");
  bob.created_at = kStart - hours(100);
  bob.updated_at = kStart + hours(100);
  ASSERT_TRUE(store_->add_user(bob).has_value());

  EXPECT_EQ(must_find("bob").created_at, kStart);
  EXPECT_EQ(must_find("bob").updated_at, kStart);
}

TEST_P(StoreTest, NamesAndHashesAreStoredAsDataNeverAsSql) {
  const std::string name = "o'brien\"; DROP TABLE users; --";
  User odd = user(name);
  odd.password_hash = "'); DELETE FROM users; --";
  ASSERT_TRUE(store_->add_user(odd).has_value());
  ASSERT_TRUE(store_->add_user(user("zoë")).has_value());

  EXPECT_EQ(must_find(name).password_hash, odd.password_hash);
  EXPECT_EQ(must_find("zoë").name, "zoë");
  EXPECT_THAT(names(), ElementsAre(name, "zoë"));
}

TEST_P(StoreTest, FindingAnUnknownUserReturnsNothing) {
  ASSERT_TRUE(store_->add_user(user("alice")).has_value());

  auto found = store_->find_user("bob");
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

TEST_P(StoreTest, AddingATakenNameFailsWithAlreadyExistsAndKeepsTheFirstUser) {
  ASSERT_TRUE(store_->add_user(user("alice", {"read"})).has_value());
  clock_.advance(hours(1));

  User again = user("alice", {"admin"});
  again.password_hash = "$2b$12$other";
  EXPECT_EQ(store_->add_user(again), std::unexpected(StoreError::kAlreadyExists));

  const User found = must_find("alice");
  EXPECT_THAT(found.scopes, ElementsAre("read"));
  EXPECT_NE(found.password_hash, again.password_hash);
  EXPECT_EQ(found.updated_at, kStart);
}

TEST_P(StoreTest, ListReturnsEveryUserOrderedByName) {
  EXPECT_THAT(names(), IsEmpty());
  for (const char* name : {"carol", "alice", "dave", "bob"}) {
    ASSERT_TRUE(store_->add_user(user(name)).has_value());
  }

  EXPECT_THAT(names(), ElementsAre("alice", "bob", "carol", "dave"));
  auto users = store_->list_users();
  ASSERT_TRUE(users.has_value());
  EXPECT_EQ((*users)[0].password_hash, user("alice").password_hash);
  EXPECT_THAT((*users)[0].scopes, ElementsAre("read"));
}

TEST_P(StoreTest, HasUsersIsTrueOnlyWhileSomeUserExists) {
  EXPECT_EQ(store_->has_users(), false);
  ASSERT_TRUE(store_->add_user(user("alice")).has_value());
  EXPECT_EQ(store_->has_users(), true);
  ASSERT_TRUE(store_->delete_user("alice").has_value());
  EXPECT_EQ(store_->has_users(), false);
}

TEST_P(StoreTest, DisablingAndEnablingAUserIsStoredAndBumpsUpdatedAt) {
  ASSERT_TRUE(store_->add_user(user("alice")).has_value());

  clock_.advance(hours(1));
  ASSERT_TRUE(store_->set_user_disabled("alice", true).has_value());
  EXPECT_TRUE(must_find("alice").disabled);
  EXPECT_EQ(must_find("alice").updated_at, kStart + hours(1));

  clock_.advance(hours(1));
  ASSERT_TRUE(store_->set_user_disabled("alice", false).has_value());
  EXPECT_FALSE(must_find("alice").disabled);
  EXPECT_EQ(must_find("alice").updated_at, kStart + hours(2));
  EXPECT_EQ(must_find("alice").created_at, kStart);
}

TEST_P(StoreTest, SettingADisabledUserDisabledAgainSucceeds) {
  ASSERT_TRUE(store_->add_user(user("alice")).has_value());
  ASSERT_TRUE(store_->set_user_disabled("alice", true).has_value());

  EXPECT_TRUE(store_->set_user_disabled("alice", true).has_value());
  EXPECT_TRUE(must_find("alice").disabled);
}

TEST_P(StoreTest, SetScopesReplacesTheScopesAndBumpsUpdatedAt) {
  ASSERT_TRUE(store_->add_user(user("alice", {"read"})).has_value());

  clock_.advance(hours(1));
  ASSERT_TRUE(store_->set_user_scopes("alice", {"admin", "write"}).has_value());
  EXPECT_THAT(must_find("alice").scopes, ElementsAre("admin", "write"));
  EXPECT_EQ(must_find("alice").updated_at, kStart + hours(1));
  EXPECT_EQ(must_find("alice").created_at, kStart);

  ASSERT_TRUE(store_->set_user_scopes("alice", {}).has_value());
  EXPECT_THAT(must_find("alice").scopes, IsEmpty());
}

TEST_P(StoreTest, SetPasswordHashReplacesTheHashAndBumpsUpdatedAt) {
  ASSERT_TRUE(store_->add_user(user("alice")).has_value());

  clock_.advance(hours(1));
  ASSERT_TRUE(store_->set_password_hash("alice", "$2b$12$newer").has_value());
  EXPECT_EQ(must_find("alice").password_hash, "$2b$12$newer");
  EXPECT_EQ(must_find("alice").updated_at, kStart + hours(1));
}

TEST_P(StoreTest, ReplacePasswordHashReplacesWhileTheOldHashIsCurrent) {
  ASSERT_TRUE(store_->add_user(user("alice")).has_value());

  clock_.advance(hours(1));
  EXPECT_EQ(store_->replace_password_hash("alice", user("alice").password_hash, "$argon2id$new"),
            true);
  EXPECT_EQ(must_find("alice").password_hash, "$argon2id$new");
  EXPECT_EQ(must_find("alice").updated_at, kStart + hours(1));
}

TEST_P(StoreTest, ReplacePasswordHashWithAStaleOldHashKeepsTheNewerHash) {
  ASSERT_TRUE(store_->add_user(user("alice")).has_value());
  // A password change lands between a login's verify and its rehash.
  clock_.advance(hours(1));
  ASSERT_TRUE(store_->set_password_hash("alice", "$2b$12$changed").has_value());

  clock_.advance(hours(1));
  EXPECT_EQ(store_->replace_password_hash("alice", user("alice").password_hash, "$argon2id$rehash"),
            false);
  EXPECT_EQ(must_find("alice").password_hash, "$2b$12$changed");
  EXPECT_EQ(must_find("alice").updated_at, kStart + hours(1));
}

TEST_P(StoreTest, ReplacePasswordHashOfAnUnknownUserReplacesNothing) {
  EXPECT_EQ(store_->replace_password_hash("ghost", "$old", "$new"), false);
  auto found = store_->find_user("ghost");
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

TEST_P(StoreTest, DeletedUserIsNotFoundAndOthersRemain) {
  ASSERT_TRUE(store_->add_user(user("alice")).has_value());
  ASSERT_TRUE(store_->add_user(user("bob")).has_value());

  ASSERT_TRUE(store_->delete_user("alice").has_value());
  auto found = store_->find_user("alice");
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
  EXPECT_THAT(names(), ElementsAre("bob"));
}

TEST_P(StoreTest, ADeletedNameCanBeAddedAgain) {
  ASSERT_TRUE(store_->add_user(user("alice", {"read"})).has_value());
  ASSERT_TRUE(store_->delete_user("alice").has_value());
  clock_.advance(hours(1));

  ASSERT_TRUE(store_->add_user(user("alice", {"admin"})).has_value());
  EXPECT_THAT(must_find("alice").scopes, ElementsAre("admin"));
  EXPECT_EQ(must_find("alice").created_at, kStart + hours(1));
}

TEST_P(StoreTest, DisablingAnUnknownUserFailsWithNotFound) {
  EXPECT_EQ(store_->set_user_disabled("ghost", true), std::unexpected(StoreError::kNotFound));
}

TEST_P(StoreTest, SettingScopesOfAnUnknownUserFailsWithNotFound) {
  EXPECT_EQ(store_->set_user_scopes("ghost", {"read"}), std::unexpected(StoreError::kNotFound));
}

TEST_P(StoreTest, SettingThePasswordHashOfAnUnknownUserFailsWithNotFound) {
  EXPECT_EQ(store_->set_password_hash("ghost", "$2b$12$x"), std::unexpected(StoreError::kNotFound));
}

TEST_P(StoreTest, DeletingAnUnknownUserFailsWithNotFound) {
  EXPECT_EQ(store_->delete_user("ghost"), std::unexpected(StoreError::kNotFound));
}

TEST_P(StoreTest, DeletingAUserTwiceFailsWithNotFoundTheSecondTime) {
  ASSERT_TRUE(store_->add_user(user("alice")).has_value());
  ASSERT_TRUE(store_->delete_user("alice").has_value());
  EXPECT_EQ(store_->delete_user("alice"), std::unexpected(StoreError::kNotFound));
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
          if (!store_->add_user(user(name))) ++failures[t];
          auto found = store_->find_user(name);
          if (!found || !*found || (*found)->name != name) ++failures[t];
          if (!store_->has_users().value_or(false)) ++failures[t];
          if (!store_->set_user_scopes(name, {"read", std::to_string(t)})) ++failures[t];
        }
      });
    }
  }

  EXPECT_THAT(failures, ::testing::Each(0));
  EXPECT_EQ(names().size(), static_cast<std::size_t>(kThreads * kUsersPerThread));
  EXPECT_THAT(must_find("user-7-39").scopes, ElementsAre("read", "7"));
}

TEST_P(StoreTest, DataSurvivesClosingAndReopeningTheStore) {
  ASSERT_TRUE(store_->add_user(user("alice", {"read", "write"})).has_value());
  ASSERT_TRUE(store_->set_user_disabled("alice", true).has_value());

  reopen();

  const User found = must_find("alice");
  EXPECT_THAT(found.scopes, ElementsAre("read", "write"));
  EXPECT_TRUE(found.disabled);
  EXPECT_EQ(found.created_at, kStart);
  EXPECT_THAT(names(), ElementsAre("alice"));
}

TEST_P(StoreTest, PingSucceedsOnAnOpenStore) { EXPECT_TRUE(store_->ping().has_value()); }

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(kBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace tessera::store
