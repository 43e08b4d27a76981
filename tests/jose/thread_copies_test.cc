#include "jose/thread_copies.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <thread>

namespace tessera::jose {
namespace {

// A context is an int holding the number of the key it was copied for; `made` counts copies.
struct Copier {
  int made = 0;
  auto of(std::uint64_t key) {
    return [this, key] {
      ++made;
      return new int(static_cast<int>(key));
    };
  }
};

TEST(ThreadCopies, MakesOneCopyPerKeyAndReusesIt) {
  ThreadCopies<std::unique_ptr<int>, 2> copies;
  Copier copier;
  int* first = copies.get(7, copier.of(7));
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(*first, 7);
  EXPECT_EQ(copies.get(7, copier.of(7)), first);
  EXPECT_EQ(copier.made, 1);
}

TEST(ThreadCopies, EvictsTheLeastRecentlyUsedKey) {
  ThreadCopies<std::unique_ptr<int>, 2> copies;
  Copier copier;
  copies.get(1, copier.of(1));
  copies.get(2, copier.of(2));
  copies.get(1, copier.of(1));  // 2 is now the least recently used
  EXPECT_EQ(*copies.get(3, copier.of(3)), 3);
  EXPECT_EQ(copier.made, 3);
  EXPECT_EQ(*copies.get(1, copier.of(1)), 1);  // kept
  EXPECT_EQ(copier.made, 3);
  EXPECT_EQ(*copies.get(2, copier.of(2)), 2);  // copied again
  EXPECT_EQ(copier.made, 4);
}

TEST(ThreadCopies, NeverReturnsAnotherKeysCopy) {
  ThreadCopies<std::unique_ptr<int>, 3> copies;
  Copier copier;
  for (std::uint64_t round = 0; round < 4; ++round) {
    for (std::uint64_t key = 1; key <= 5; ++key) {
      EXPECT_EQ(*copies.get(key, copier.of(key)), static_cast<int>(key));
    }
  }
}

TEST(ThreadCopies, AFailedCopyIsNotKept) {
  ThreadCopies<std::unique_ptr<int>, 2> copies;
  Copier copier;
  EXPECT_EQ(copies.get(5, [] { return static_cast<int*>(nullptr); }), nullptr);
  EXPECT_EQ(*copies.get(5, copier.of(5)), 5);
  EXPECT_EQ(copier.made, 1);
}

TEST(ThreadCopies, ForgetMakesTheNextGetCopyAgain) {
  ThreadCopies<std::unique_ptr<int>, 2> copies;
  Copier copier;
  copies.get(1, copier.of(1));
  copies.get(2, copier.of(2));
  copies.forget(1);
  copies.get(2, copier.of(2));
  EXPECT_EQ(copier.made, 2);
  EXPECT_EQ(*copies.get(1, copier.of(1)), 1);
  EXPECT_EQ(copier.made, 3);
}

TEST(ThreadCopies, KeyNumbersAreNeverReused) {
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(next_key_number()).second);
  std::uint64_t a = 0, b = 0;
  std::thread t1([&] { a = next_key_number(); });
  std::thread t2([&] { b = next_key_number(); });
  t1.join();
  t2.join();
  EXPECT_NE(a, b);
  EXPECT_FALSE(seen.contains(a));
  EXPECT_FALSE(seen.contains(b));
}

}  // namespace
}  // namespace tessera::jose
