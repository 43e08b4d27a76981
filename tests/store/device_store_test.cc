// What the device flow keeps (store.h, DeviceCodeStore) and the rules of polling
// (device.h, next_poll); the store's part run against every backend.
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

DeviceAuthorization pending(std::string hash = "h1", std::string user_code = "BCDFGHJK") {
  return DeviceAuthorization{.code_hash = std::move(hash),
                             .user_code = std::move(user_code),
                             .client_id = "tv",
                             .scopes = {"openid", "read", "write"},
                             .expires_at = kStart + 600s,
                             .interval = 5s};
}

DeviceDecision approval() {
  return {.approved = true,
          .subject = "bob",
          .sid = "sid-1",
          .auth_time = kStart + 3s,
          .scopes = {"openid", "read"}};
}

TEST(NextPoll, TheFirstPollIsNeverTooFast) {
  const Poll poll = next_poll(pending(), kStart + 1s);
  EXPECT_FALSE(poll.too_fast);
  EXPECT_FALSE(poll.issued_now);
  EXPECT_EQ(poll.after.last_poll, kStart + 1s);
  EXPECT_EQ(poll.after.interval, 5s);
}

TEST(NextPoll, APollSoonerThanTheIntervalAddsFiveSecondsForGood) {
  DeviceAuthorization a = pending();
  a.last_poll = kStart;
  Poll poll = next_poll(a, kStart + 4s);
  EXPECT_TRUE(poll.too_fast);
  EXPECT_EQ(poll.after.interval, 10s);
  // The old interval is now too soon too; the new one is fine.
  EXPECT_TRUE(next_poll(poll.after, kStart + 4s + 5s).too_fast);
  EXPECT_FALSE(next_poll(poll.after, kStart + 4s + 10s).too_fast);
}

TEST(NextPoll, AnApprovedAuthorizationIsIssuedOnceAndNotWhenPolledTooFastOrExpired) {
  DeviceAuthorization a = pending();
  a.state = DeviceState::kApproved;
  a.last_poll = kStart;
  EXPECT_FALSE(next_poll(a, kStart + 2s).issued_now);
  EXPECT_FALSE(next_poll(a, kStart + 600s).issued_now);
  const Poll poll = next_poll(a, kStart + 5s);
  EXPECT_TRUE(poll.issued_now);
  EXPECT_EQ(poll.after.state, DeviceState::kIssued);
  EXPECT_FALSE(next_poll(poll.after, kStart + 20s).issued_now);
}

TEST(DeviceState, NamesRoundTrip) {
  for (const DeviceState s : {DeviceState::kPending, DeviceState::kApproved, DeviceState::kDenied,
                              DeviceState::kIssued}) {
    EXPECT_EQ(parse_device_state(to_string(s)), s);
  }
  EXPECT_EQ(parse_device_state("granted"), std::nullopt);
}

class DeviceStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    database_ = GetParam().make();
    store_ = database_->open(clock_);
    ASSERT_TRUE(store_->device_codes().add_device_code(pending()).has_value());
  }

  std::optional<DeviceAuthorization> by_user_code(std::string_view code = "BCDFGHJK") {
    auto found = store_->device_codes().find_user_code(code);
    EXPECT_TRUE(found.has_value());
    return found.value_or(std::nullopt);
  }

  std::optional<Poll> poll(core::TimePoint at, std::string_view client = "tv") {
    auto polled = store_->device_codes().poll_device_code("h1", client, at);
    EXPECT_TRUE(polled.has_value());
    return polled.value_or(std::nullopt);
  }

  core::ManualClock clock_{kStart};
  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<Store> store_;
};

TEST_P(DeviceStoreTest, AnAuthorizationComesBackByItsUserCodeWithEveryField) {
  auto found = by_user_code();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->code_hash, "h1");
  EXPECT_EQ(found->client_id, "tv");
  EXPECT_EQ(found->scopes, (std::vector<std::string>{"openid", "read", "write"}));
  EXPECT_EQ(found->expires_at, kStart + 600s);
  EXPECT_EQ(found->interval, 5s);
  EXPECT_EQ(found->last_poll, std::nullopt);
  EXPECT_EQ(found->state, DeviceState::kPending);
  EXPECT_FALSE(by_user_code("BCDFGHJL").has_value());
}

TEST_P(DeviceStoreTest, ATakenUserCodeIsRefusedAsAlreadyExisting) {
  auto again = store_->device_codes().add_device_code(pending("h2"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), StoreError::kAlreadyExists);
}

TEST_P(DeviceStoreTest, TheFirstAnswerCountsAndOnlyBeforeExpiry) {
  auto decided = store_->device_codes().decide_device_code("BCDFGHJK", approval(), kStart + 4s);
  ASSERT_TRUE(decided.has_value());
  EXPECT_TRUE(*decided);
  auto denied = store_->device_codes().decide_device_code(
      "BCDFGHJK",
      {.approved = false, .subject = "eve", .sid = "x", .auth_time = kStart, .scopes = {}},
      kStart + 5s);
  ASSERT_TRUE(denied.has_value());
  EXPECT_FALSE(*denied);
  auto found = by_user_code();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->state, DeviceState::kApproved);
  EXPECT_EQ(found->subject, "bob");
  EXPECT_EQ(found->sid, "sid-1");
  EXPECT_EQ(found->auth_time, kStart + 3s);
  EXPECT_EQ(found->scopes, (std::vector<std::string>{"openid", "read"}));

  ASSERT_TRUE(store_->device_codes().add_device_code(pending("h2", "CDFGHJKL")).has_value());
  auto late = store_->device_codes().decide_device_code("CDFGHJKL", approval(), kStart + 600s);
  ASSERT_TRUE(late.has_value());
  EXPECT_FALSE(*late);
}

TEST_P(DeviceStoreTest, APollIsWrittenBackAndAnotherClientsPollChangesNothing) {
  EXPECT_FALSE(poll(kStart + 1s, "someone-else").has_value());
  auto first = poll(kStart + 1s);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->too_fast);
  auto fast = poll(kStart + 2s);
  ASSERT_TRUE(fast.has_value());
  EXPECT_TRUE(fast->too_fast);
  auto found = by_user_code();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->interval, 10s);
  EXPECT_EQ(found->last_poll, kStart + 2s);
  EXPECT_FALSE(store_->device_codes().poll_device_code("nope", "tv", kStart)->has_value());
}

TEST_P(DeviceStoreTest, OfManyPollsRacingForAnApprovalExactlyOneIsIssued) {
  ASSERT_TRUE(store_->device_codes().decide_device_code("BCDFGHJK", approval(), kStart).value());
  constexpr int kThreads = 8;
  std::atomic<int> issued = 0;
  std::latch start(kThreads);
  std::vector<std::jthread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto polled = store_->device_codes().poll_device_code("h1", "tv", kStart + 10s);
      if (polled && *polled && (*polled)->issued_now) ++issued;
    });
  }
  threads.clear();
  EXPECT_EQ(issued.load(), 1);
  EXPECT_EQ(by_user_code()->state, DeviceState::kIssued);
}

TEST_P(DeviceStoreTest, PurgingDeletesOnlyWhatExpiredBeforeTheGivenTime) {
  ASSERT_TRUE(store_->device_codes().add_device_code(pending("h2", "CDFGHJKL")).has_value());
  auto none = store_->device_codes().purge_expired(kStart + 600s);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(*none, 0u);
  auto both = store_->device_codes().purge_expired(kStart + 601s);
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(*both, 2u);
  EXPECT_FALSE(by_user_code().has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, DeviceStoreTest, ::testing::ValuesIn(kBackends), backend_name);

}  // namespace
}  // namespace tessera::store
