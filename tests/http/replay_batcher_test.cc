// The batcher of the replay cache's writes, over a real SQLite store and an io_context run by
// two threads: many coroutines at once, each key sent twice, every key new exactly once; a
// key used before stays used; the batcher answers what it was handed before it stops. SQLite
// answers from its replay file without waiting, so the batcher asks it directly; the batching
// itself (PostgreSQL's path) is run over the same store seen as one that waits.
#include "http/replay_batcher.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.h"

namespace tessera::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

const core::TimePoint kStart = std::chrono::sys_seconds{std::chrono::seconds{1700000000}};

// The SQLite store's replays, as a store that does not answer without waiting (as PostgreSQL's),
// so that the batcher's thread and batches run.
class WaitingReplays final : public store::ReplayStore {
 public:
  explicit WaitingReplays(store::ReplayStore& replays) : replays_(replays) {}
  store::StoreResult<bool> use_once(std::string_view key, core::TimePoint expires_at) override {
    return replays_.use_once(key, expires_at);
  }
  store::StoreResult<std::size_t> purge_expired(core::TimePoint now) override {
    return replays_.purge_expired(now);
  }

 private:
  store::ReplayStore& replays_;
};

class ReplayBatcherTest : public ::testing::Test {
 protected:
  ReplayBatcherTest() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tessera-batcher-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    store_ = store::open_sqlite_store({.path = (dir_ / "t.db").string()}, clock_).value();
  }
  ~ReplayBatcherTest() override {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::filesystem::path dir_;
  core::ManualClock clock_{kStart};
  std::unique_ptr<store::Store> store_;
};

TEST_F(ReplayBatcherTest, ManyAtOnceEachKeyIsNewExactlyOnce) {
  constexpr int kKeys = 500;
  ASSERT_TRUE(store_->replays().use_once("k7", kStart + 70s).value());
  std::vector<std::atomic<int>> fresh(kKeys);
  std::atomic<int> unanswered = 0;
  {
    WaitingReplays waiting(store_->replays());
    ReplayBatcher batcher(waiting);
    asio::io_context ioc;
    for (int copy = 0; copy < 2; ++copy) {
      for (int i = 0; i < kKeys; ++i) {
        asio::co_spawn(
            ioc,
            [&, i]() -> asio::awaitable<void> {
              const auto answer = co_await batcher.use_once("k" + std::to_string(i), kStart + 70s);
              if (!answer) ++unanswered;
              if (answer && *answer) ++fresh[i];
            },
            asio::detached);
      }
    }
    std::jthread second([&] { ioc.run(); });
    ioc.run();
  }
  EXPECT_EQ(unanswered.load(), 0);
  for (int i = 0; i < kKeys; ++i) EXPECT_EQ(fresh[i].load(), i == 7 ? 0 : 1) << "key " << i;
  EXPECT_FALSE(store_->replays().use_once("k3", kStart + 70s).value()) << "remembered in the store";
}

std::optional<std::optional<bool>> use_once_by(ReplayBatcher& batcher, std::string key) {
  asio::io_context ioc;
  std::optional<std::optional<bool>> answer;
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { answer = co_await batcher.use_once(key, kStart); },
      asio::detached);
  ioc.run();
  return answer;
}

TEST_F(ReplayBatcherTest, PastItsLimitItAnswersNoneAtOnce) {
  WaitingReplays waiting(store_->replays());
  ReplayBatcher batcher(waiting, 0);
  auto answer = use_once_by(batcher, "x");
  ASSERT_TRUE(answer.has_value());
  EXPECT_FALSE(answer->has_value());
}

TEST_F(ReplayBatcherTest, AStoreThatAnswersWithoutWaitingIsAskedDirectly) {
  ASSERT_TRUE(store_->replays().answers_without_waiting());
  ReplayBatcher batcher(store_->replays(), 0);  // no room to wait: the store is asked directly
  EXPECT_EQ(use_once_by(batcher, "x"), std::optional<std::optional<bool>>(true));
  EXPECT_EQ(use_once_by(batcher, "x"), std::optional<std::optional<bool>>(false));
}

}  // namespace
}  // namespace tessera::http
