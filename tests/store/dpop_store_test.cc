// What DPoP keeps (store.h): identifiers used once (the proofs' jti), clients that require a
// proof, and refresh families bound to a key; run against every backend.
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

const core::TimePoint kStart = std::chrono::sys_seconds{std::chrono::seconds{1700000000}};

class DpopStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    database_ = GetParam().make();
    store_ = database_->open(clock_);
  }

  bool use_once(std::string_view key, core::TimePoint expires = kStart + 70s) {
    auto fresh = store_->replays().use_once(key, expires);
    EXPECT_TRUE(fresh.has_value()) << to_string(fresh.error());
    return fresh.value_or(false);
  }

  core::ManualClock clock_{kStart};
  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<Store> store_;
};

TEST_P(DpopStoreTest, AKeyIsUsedOnceUntilItIsPurged) {
  EXPECT_TRUE(use_once("dpop:a"));
  EXPECT_FALSE(use_once("dpop:a"));
  EXPECT_TRUE(use_once("dpop:b", kStart + 10s));
  // Purged only once expired: then forgotten.
  auto purged = store_->replays().purge_expired(kStart + 20s);
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 1u);
  EXPECT_FALSE(use_once("dpop:a"));
  EXPECT_TRUE(use_once("dpop:b"));
}

TEST_P(DpopStoreTest, OfManyRacingWithOneKeyExactlyOneWins) {
  constexpr int kThreads = 8;
  std::atomic<int> wins = 0;
  std::latch start(kThreads);
  std::vector<std::jthread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto fresh = store_->replays().use_once("dpop:race", kStart + 70s);
      if (fresh && *fresh) ++wins;
    });
  }
  threads.clear();
  EXPECT_EQ(wins.load(), 1);
}

// Many callers at once, each key sent by two of them, and some keys twice by one: the writes
// are batched (SQLite's group commit), and still every key wins exactly once, and a key
// already used stays used.
TEST_P(DpopStoreTest, ManyKeysAtOnceEachWinOnce) {
  constexpr int kThreads = 8;
  constexpr int kKeys = 300;
  ASSERT_TRUE(store_->replays().use_once("dpop:k7", kStart + 70s).value());
  std::vector<std::atomic<int>> wins(kKeys);
  std::atomic<int> failures = 0;
  std::latch start(kThreads);
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      // Threads t and t + kThreads / 2 send the same keys, in opposite orders.
      for (int n = 0; n < kKeys; ++n) {
        const int i = t < kThreads / 2 ? n : kKeys - 1 - n;
        if (i % (kThreads / 2) != t % (kThreads / 2)) continue;
        auto fresh = store_->replays().use_once("dpop:k" + std::to_string(i), kStart + 70s);
        if (!fresh) ++failures;
        if (fresh && *fresh) ++wins[i];
      }
    });
  }
  threads.clear();
  EXPECT_EQ(failures.load(), 0);
  for (int i = 0; i < kKeys; ++i) EXPECT_EQ(wins[i].load(), i == 7 ? 0 : 1) << "key " << i;
}

TEST_P(DpopStoreTest, ClientsAndFamiliesKeepTheirBinding) {
  ClientRecord client{.id = "cli",
                      .secret_hash = std::nullopt,
                      .grants = {"refresh_token"},
                      .scopes = {},
                      .audience = "",
                      .created_at = kStart};
  client.require_dpop = true;
  ASSERT_TRUE(store_->clients().add_client(client).has_value());
  auto found = store_->clients().find_client("cli");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_TRUE((*found)->require_dpop);

  const RefreshFamily family{.id = "fam",
                             .client_id = "cli",
                             .subject = "alice",
                             .created_at = kStart,
                             .revoked_at = std::nullopt,
                             .jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"};
  const RefreshTokenRecord first{.token_hash = "h1",
                                 .family_id = "fam",
                                 .scopes = {},
                                 .issued_at = kStart,
                                 .expires_at = kStart + 1h,
                                 .used_at = std::nullopt};
  ASSERT_TRUE(store_->refresh_tokens().add_refresh_family(family, first).has_value());
  auto state = store_->refresh_tokens().find_refresh_token("h1");
  ASSERT_TRUE(state.has_value() && state->has_value());
  EXPECT_EQ((*state)->family.jkt, family.jkt);
}

INSTANTIATE_TEST_SUITE_P(Backends, DpopStoreTest, ::testing::ValuesIn(kBackends), backend_name);

}  // namespace
}  // namespace tessera::store
