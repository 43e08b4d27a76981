// The SQLite store's replay file (store/sqlite/replay_file.h): keys used once, shared by the
// processes that map the file.
#include "store/sqlite/replay_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace tessera::store::sqlite {
namespace {

using Use = ReplayFile::Use;
constexpr std::int64_t kNow = 1'800'000'000;

class ReplayFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("replay_file_test." + std::to_string(::getpid()) + "." +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "tessera.db-replays").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ReplayFile> open(std::size_t buckets = 64) {
    auto file = ReplayFile::open(path_, buckets);
    EXPECT_TRUE(file.has_value()) << file.error();
    return file ? std::move(*file) : nullptr;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ReplayFileTest, AKeyIsFreshOnceUntilItExpires) {
  auto file = open();
  EXPECT_EQ(file->use_once("dpop:a", kNow + 70, kNow), Use::kFresh);
  EXPECT_EQ(file->use_once("dpop:a", kNow + 70, kNow), Use::kUsed);
  EXPECT_EQ(file->use_once("dpop:a", kNow + 70, kNow + 70), Use::kUsed);  // until, inclusive
  EXPECT_EQ(file->use_once("dpop:b", kNow + 70, kNow), Use::kFresh);
  // Expired: the key may be used again (its proof would be refused as too old by then).
  EXPECT_EQ(file->use_once("dpop:a", kNow + 200, kNow + 71), Use::kFresh);
  EXPECT_EQ(file->use_once("dpop:a", kNow + 200, kNow + 72), Use::kUsed);
}

TEST_F(ReplayFileTest, PurgeEmptiesOnlyExpiredSlots) {
  auto file = open();
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(file->use_once("short" + std::to_string(i), kNow + 10, kNow), Use::kFresh);
    ASSERT_EQ(file->use_once("long" + std::to_string(i), kNow + 300, kNow), Use::kFresh);
  }
  EXPECT_EQ(file->purge_expired(kNow + 5), 0u);
  EXPECT_EQ(file->purge_expired(kNow + 11), 100u);
  EXPECT_EQ(file->purge_expired(kNow + 11), 0u);
  EXPECT_EQ(file->use_once("long7", kNow + 300, kNow + 11), Use::kUsed);
  EXPECT_EQ(file->use_once("short7", kNow + 300, kNow + 11), Use::kFresh);
}

TEST_F(ReplayFileTest, AFullBucketRefusesUntilAKeyExpires) {
  auto file = open(1);  // one bucket of 32 slots
  for (std::size_t i = 0; i < ReplayFile::kSlotsPerBucket; ++i) {
    ASSERT_EQ(file->use_once("k" + std::to_string(i), kNow + 10 + static_cast<int>(i), kNow),
              Use::kFresh);
  }
  EXPECT_EQ(file->use_once("one more", kNow + 60, kNow), Use::kFull);
  EXPECT_EQ(file->use_once("k3", kNow + 60, kNow), Use::kUsed);  // still told apart
  // k0 has expired at kNow + 11: its slot is taken, and every other key is still remembered.
  EXPECT_EQ(file->use_once("one more", kNow + 60, kNow + 11), Use::kFresh);
  for (std::size_t i = 1; i < ReplayFile::kSlotsPerBucket; ++i) {
    EXPECT_EQ(file->use_once("k" + std::to_string(i), kNow + 60, kNow + 11), Use::kUsed) << i;
  }
}

TEST_F(ReplayFileTest, AKeyKeptLongerThanTheLimitIsRefused) {
  auto file = open();
  EXPECT_EQ(file->use_once("far", kNow + ReplayFile::kMaxAhead, kNow), Use::kFull);
  EXPECT_EQ(file->use_once("near", kNow + ReplayFile::kMaxAhead - 1, kNow), Use::kFresh);
}

TEST_F(ReplayFileTest, TheFileIsPrivateAndSharedByEveryoneWhoOpensIt) {
  auto first = open();
  auto second = open();
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(first->use_once("shared", kNow + 60, kNow), Use::kFresh);
  EXPECT_EQ(second->use_once("shared", kNow + 60, kNow), Use::kUsed);
  // Opened again later (a restart), it still knows the key.
  first.reset();
  second.reset();
  EXPECT_EQ(open()->use_once("shared", kNow + 60, kNow), Use::kUsed);
  // Nothing but the file is left beside it (the temporary it was made in is gone).
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);
}

TEST_F(ReplayFileTest, AnotherProcessSeesTheKeys) {
  auto file = open();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto mine = ReplayFile::open(path_, 64);
    int fresh = 0;
    for (int i = 0; mine && i < 500; ++i) {
      fresh += (*mine)->use_once("child" + std::to_string(i), kNow + 60, kNow) == Use::kFresh;
    }
    ::_exit(fresh == 500 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(file->use_once("child" + std::to_string(i), kNow + 60, kNow), Use::kUsed) << i;
  }
}

TEST_F(ReplayFileTest, OfRacingUsesOfOneKeyExactlyOneWins) {
  auto file = open(1024);
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  std::vector<std::atomic<int>> fresh(kRounds);
  std::latch start(kThreads);
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int round = 0; round < kRounds; ++round) {
        const std::string key = "race" + std::to_string(round);
        if (file->use_once(key, kNow + 60, kNow) == Use::kFresh) ++fresh[round];
      }
    });
  }
  threads.clear();
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_EQ(fresh[round].load(), 1) << "round " << round;
    EXPECT_EQ(file->use_once("race" + std::to_string(round), kNow + 60, kNow), Use::kUsed);
  }
}

TEST_F(ReplayFileTest, ManyKeysAtOnceAreAllRemembered) {
  auto file = open(1024);
  constexpr int kThreads = 4;
  constexpr int kKeys = 4000;  // a quarter of the slots, from four threads
  std::atomic<int> fresh = 0;
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kKeys / kThreads; ++i) {
        fresh += file->use_once(std::to_string(t) + ":" + std::to_string(i), kNow + 60, kNow) ==
                 Use::kFresh;
      }
    });
  }
  threads.clear();
  EXPECT_EQ(fresh.load(), kKeys);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kKeys / kThreads; ++i) {
      ASSERT_EQ(file->use_once(std::to_string(t) + ":" + std::to_string(i), kNow + 60, kNow),
                Use::kUsed);
    }
  }
}

TEST_F(ReplayFileTest, AFileItDidNotMakeIsRefusedWithTheRemedy) {
  {
    std::ofstream junk(path_);
    junk << "not a replay file";
  }
  auto file = ReplayFile::open(path_, 64);
  ASSERT_FALSE(file.has_value());
  EXPECT_NE(file.error().find(path_), std::string::npos) << file.error();
  EXPECT_NE(file.error().find("remove it"), std::string::npos) << file.error();

  // Made for another size: refused too, never reinterpreted.
  std::filesystem::remove(path_);
  ASSERT_TRUE(ReplayFile::open(path_, 64).has_value());
  auto other = ReplayFile::open(path_, 128);
  ASSERT_FALSE(other.has_value());
  EXPECT_NE(other.error().find("remove it"), std::string::npos) << other.error();
}

TEST_F(ReplayFileTest, ASymlinkInItsPlaceIsNotFollowed) {
  const std::string target = (dir_ / "elsewhere").string();
  std::filesystem::create_symlink(target, path_);
  EXPECT_FALSE(ReplayFile::open(path_, 64).has_value());
  EXPECT_FALSE(std::filesystem::exists(target));
}

}  // namespace
}  // namespace tessera::store::sqlite
