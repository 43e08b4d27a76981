#include "password/secret_cache.h"

#include <gtest/gtest.h>

#include <chrono>

namespace tessera::password {
namespace {

using namespace std::chrono_literals;

const core::TimePoint kStart = std::chrono::sys_seconds{std::chrono::seconds{1700000000}};

class VerifiedSecretCacheTest : public ::testing::Test {
 protected:
  core::ManualClock clock_{kStart};
  core::SystemRandom random_;
  VerifiedSecretCache cache_{clock_, random_, 60s};
};

TEST_F(VerifiedSecretCacheTest, AVerifiedSecretIsRememberedWithItsStoredHash) {
  cache_.add("billing", "s3cret", "$argon2id$one");
  EXPECT_TRUE(cache_.contains("billing", "s3cret", "$argon2id$one"));
  EXPECT_TRUE(cache_.remembers("billing", "s3cret", 0s));
}

TEST_F(VerifiedSecretCacheTest, AnotherSecretOrClientIsNotRemembered) {
  cache_.add("billing", "s3cret", "$argon2id$one");
  EXPECT_FALSE(cache_.contains("billing", "s3creT", "$argon2id$one"));
  EXPECT_FALSE(cache_.contains("billinG", "s3cret", "$argon2id$one"));
  EXPECT_FALSE(cache_.remembers("billing", "s3creT", 0s));
  EXPECT_FALSE(cache_.remembers("billinG", "s3cret", 0s));
  // The parts are length-prefixed: moving a character from id to secret is another pair.
  EXPECT_FALSE(cache_.remembers("billings", "3cret", 0s));
}

// A client deleted and added again, or given a new secret: the stored hash changed, so the
// entry no longer counts, and is dropped so that the next caller's hint says "hash".
TEST_F(VerifiedSecretCacheTest, AChangedStoredHashVoidsTheEntry) {
  cache_.add("billing", "s3cret", "$argon2id$one");
  EXPECT_FALSE(cache_.contains("billing", "s3cret", "$argon2id$two"));
  EXPECT_FALSE(cache_.remembers("billing", "s3cret", 0s));
  EXPECT_FALSE(cache_.contains("billing", "s3cret", "$argon2id$one"));
}

TEST_F(VerifiedSecretCacheTest, AnEntryExpiresAfterItsLifetime) {
  cache_.add("billing", "s3cret", "$argon2id$one");
  clock_.advance(59s);
  EXPECT_TRUE(cache_.contains("billing", "s3cret", "$argon2id$one"));
  clock_.advance(1s);
  EXPECT_FALSE(cache_.remembers("billing", "s3cret", 0s));
  EXPECT_FALSE(cache_.contains("billing", "s3cret", "$argon2id$one"));
}

// remembers() is a hint taken before the request waits in a queue: an entry about to expire
// is reported as not remembered, so the request is treated as one that will hash.
TEST_F(VerifiedSecretCacheTest, AnEntryWithinTheMarginOfItsExpiryIsNotRemembered) {
  cache_.add("billing", "s3cret", "$argon2id$one");
  clock_.advance(54s);
  EXPECT_TRUE(cache_.remembers("billing", "s3cret", 5s));
  clock_.advance(1s);
  EXPECT_FALSE(cache_.remembers("billing", "s3cret", 5s));
  EXPECT_TRUE(cache_.contains("billing", "s3cret", "$argon2id$one"));
}

TEST_F(VerifiedSecretCacheTest, AddingAgainRenewsTheEntryUnderTheNewHash) {
  cache_.add("billing", "s3cret", "$argon2id$one");
  clock_.advance(30s);
  cache_.add("billing", "s3cret", "$argon2id$two");
  clock_.advance(45s);
  EXPECT_TRUE(cache_.contains("billing", "s3cret", "$argon2id$two"));
  EXPECT_FALSE(cache_.contains("billing", "s3cret", "$argon2id$one"));
}

TEST_F(VerifiedSecretCacheTest, AFullCacheStillTakesNewEntries) {
  VerifiedSecretCache small(clock_, random_, 60s, 2);
  small.add("a", "1", "h");
  small.add("b", "2", "h");
  small.add("c", "3", "h");
  EXPECT_TRUE(small.contains("c", "3", "h"));
}

}  // namespace
}  // namespace tessera::password
