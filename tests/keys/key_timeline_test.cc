// The key timeline as a table: stored keys and a time in, each key's status and retirement
// out. key_timeline is pure, so every boundary is checked to the second.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "keys/key_manager.h"

namespace tessera::keys {

inline void PrintTo(KeyStatus status, std::ostream* os) { *os << to_string(status); }

namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;

const core::TimePoint kT0{std::chrono::sys_seconds{seconds{1700000000}}};
// Access-token lifetime plus leeway, as in the default policy.
constexpr seconds kLifetime = 15min + 10s;

// Times are offsets from kT0.
struct Key {
  std::string kid;
  seconds created;
  seconds activates;
  std::optional<seconds> retire_at = std::nullopt;
};

struct Want {
  std::string kid;
  KeyStatus status;
  std::optional<seconds> retires_at;
};

struct TimelineCase {
  std::string name;
  std::vector<Key> keys;
  seconds now;
  std::vector<Want> want;
};

std::vector<store::SigningKeyRecord> records(const std::vector<Key>& keys) {
  std::vector<store::SigningKeyRecord> out;
  for (const auto& k : keys) {
    out.push_back(store::SigningKeyRecord{
        .kid = k.kid,
        .alg = "EdDSA",
        .public_jwk = "{}",
        .sealed_private = "sealed",
        .created_at = kT0 + k.created,
        .activates_at = kT0 + k.activates,
        .retire_at =
            k.retire_at ? std::optional<core::TimePoint>(kT0 + *k.retire_at) : std::nullopt,
    });
  }
  return out;
}

std::string describe(const std::optional<core::TimePoint>& t) {
  if (!t) return "never";
  return "T0+" + std::to_string(std::chrono::duration_cast<seconds>(*t - kT0).count()) + "s";
}

void PrintTo(const TimelineCase& c, std::ostream* os) { *os << c.name; }

class KeyTimelineTest : public ::testing::TestWithParam<TimelineCase> {};

TEST_P(KeyTimelineTest, GivesEachKeyItsStatusAndRetirement) {
  const TimelineCase& c = GetParam();
  const auto input = records(c.keys);
  const auto timeline = key_timeline(input, kLifetime, kT0 + c.now);

  ASSERT_EQ(timeline.size(), c.want.size());
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    SCOPED_TRACE("key " + c.want[i].kid);
    EXPECT_EQ(timeline[i].kid, c.want[i].kid);
    EXPECT_EQ(timeline[i].alg, "EdDSA");
    EXPECT_EQ(timeline[i].status, c.want[i].status);
    const std::optional<core::TimePoint> want_retires =
        c.want[i].retires_at ? std::optional<core::TimePoint>(kT0 + *c.want[i].retires_at)
                             : std::nullopt;
    EXPECT_EQ(describe(timeline[i].retires_at), describe(want_retires));
    EXPECT_EQ(timeline[i].created_at, input[i].created_at);
    EXPECT_EQ(timeline[i].activates_at, input[i].activates_at);
  }
}

// The timeline never shows more than one key signing.
TEST_P(KeyTimelineTest, HasAtMostOneActiveKey) {
  const TimelineCase& c = GetParam();
  int active = 0;
  for (const auto& k : key_timeline(records(c.keys), kLifetime, kT0 + c.now)) {
    if (k.status == KeyStatus::kActive) ++active;
  }
  EXPECT_LE(active, 1);
}

constexpr auto kPending = KeyStatus::kPending;
constexpr auto kActive = KeyStatus::kActive;
constexpr auto kRetiring = KeyStatus::kRetiring;
constexpr auto kRetired = KeyStatus::kRetired;

// "a" signs from T0; "b" is made at 60 min by a rotation and signs from 70 min, so "a"
// retires at 70 min + kLifetime.
const std::vector<Key> kRotation = {{"a", 0s, 0s}, {"b", 60min, 70min}};

const TimelineCase kCases[] = {
    {"NoKeys", {}, 0s, {}},
    {"OneKeySignsFromItsActivation", {{"a", 0s, 0s}}, 0s, {{"a", kActive, std::nullopt}}},
    {"OneKeyKeepsSigningForever",
     {{"a", 0s, 0s}},
     seconds{3650 * 24h},
     {{"a", kActive, std::nullopt}}},
    {"OneKeyIsPendingBeforeItsActivation",
     {{"a", 0s, 10min}},
     10min - 1s,
     {{"a", kPending, std::nullopt}}},
    {"RotationBeforeActivationLeavesTheOldKeySigning",
     kRotation,
     70min - 1s,
     {{"a", kActive, 70min + kLifetime}, {"b", kPending, std::nullopt}}},
    {"RotationAtActivationHandsOverSigning",
     kRotation,
     70min,
     {{"a", kRetiring, 70min + kLifetime}, {"b", kActive, std::nullopt}}},
    {"RotationAfterActivationKeepsTheOldKeyWhileItsTokensLive",
     kRotation,
     70min + kLifetime - 1s,
     {{"a", kRetiring, 70min + kLifetime}, {"b", kActive, std::nullopt}}},
    {"RotationRetiresTheOldKeyExactlyATokenLifetimeAfterHandOver",
     kRotation,
     70min + kLifetime,
     {{"a", kRetired, 70min + kLifetime}, {"b", kActive, std::nullopt}}},
    {"ManualRetireOfTheActiveKeyIsImmediate",
     {{"a", 0s, 0s, 30min}, {"b", 30min, 30min}},
     30min,
     {{"a", kRetired, 30min}, {"b", kActive, std::nullopt}}},
    {"ManualRetireOfTheOnlyKeyLeavesNoneSigning",
     {{"a", 0s, 0s, 30min}},
     30min,
     {{"a", kRetired, 30min}}},
    {"ManualRetireInTheFutureKeepsTheKeySigningUntilThen",
     {{"a", 0s, 0s, 30min}},
     30min - 1s,
     {{"a", kActive, 30min}}},
    {"ManualRetireOfAPendingKeyDoesNotRetireItsPredecessor",
     {{"a", 0s, 0s}, {"b", 10min, 20min, 15min}},
     30min,
     {{"a", kActive, std::nullopt}, {"b", kRetired, 15min}}},
    {"APendingKeyRetiredBeforeItsActivationNeverSigns",
     {{"a", 0s, 0s}, {"b", 10min, 20min, 20min - 1s}},
     20min,
     {{"a", kActive, std::nullopt}, {"b", kRetired, 20min - 1s}}},
    // Times are whole seconds: a key retired in the second it activated may have signed in
    // it, so it still takes over from its predecessor.
    {"AKeyRetiredInTheSecondItActivatedStillSupersedes",
     {{"a", 0s, 0s}, {"b", 10min, 20min, 20min}},
     20min,
     {{"a", kRetiring, 20min + kLifetime}, {"b", kRetired, 20min}}},
    {"TwoPendingKeysBeforeEitherActivates",
     {{"a", 0s, 0s}, {"b", 10min, 20min}, {"c", 12min, 22min}},
     15min,
     {{"a", kActive, 20min + kLifetime},
      {"b", kPending, 22min + kLifetime},
      {"c", kPending, std::nullopt}}},
    {"TwoPendingKeysOnceTheFirstActivates",
     {{"a", 0s, 0s}, {"b", 10min, 20min}, {"c", 12min, 22min}},
     21min,
     {{"a", kRetiring, 20min + kLifetime},
      {"b", kActive, 22min + kLifetime},
      {"c", kPending, std::nullopt}}},
    {"TwoPendingKeysOnceBothActivated",
     {{"a", 0s, 0s}, {"b", 10min, 20min}, {"c", 12min, 22min}},
     22min,
     {{"a", kRetiring, 20min + kLifetime},
      {"b", kRetiring, 22min + kLifetime},
      {"c", kActive, std::nullopt}}},
    {"TwoPendingKeysRetireInTurn",
     {{"a", 0s, 0s}, {"b", 10min, 20min}, {"c", 12min, 22min}},
     20min + kLifetime,
     {{"a", kRetired, 20min + kLifetime},
      {"b", kRetiring, 22min + kLifetime},
      {"c", kActive, std::nullopt}}},
    {"EqualActivationTimesLetTheLaterAddedKeySign",
     {{"a", 0s, 0s}, {"b", 0s, 0s}},
     0s,
     {{"a", kRetiring, kLifetime}, {"b", kActive, std::nullopt}}},
    {"ARetiredKeysRetireAtWinsWhenEarlierThanImplicit",
     {{"a", 0s, 0s, 75min}, {"b", 60min, 70min}},
     75min,
     {{"a", kRetired, 75min}, {"b", kActive, std::nullopt}}},
    {"TheImplicitRetirementWinsWhenEarlierThanRetireAt",
     {{"a", 0s, 0s, 100min}, {"b", 60min, 70min}},
     70min + kLifetime,
     {{"a", kRetired, 70min + kLifetime}, {"b", kActive, std::nullopt}}},
    {"EveryKeyRetiredLeavesNoneSigning",
     {{"a", 0s, 0s, 5min}, {"b", 5min, 5min, 6min}},
     6min,
     {{"a", kRetired, 5min}, {"b", kRetired, 6min}}},
    {"AnEmergencyReplacementSignsBeforeAPendingKey",
     {{"a", 0s, 0s, 30min}, {"b", 25min, 35min}, {"c", 30min, 30min}},
     30min,
     {{"a", kRetired, 30min}, {"b", kPending, std::nullopt}, {"c", kActive, 35min + kLifetime}}},
};

INSTANTIATE_TEST_SUITE_P(Cases, KeyTimelineTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<TimelineCase>& info) {
                           return info.param.name;
                         });

TEST(KeyTimeline, KeepsTheStoreOrderWhateverTheActivationOrder) {
  // An emergency key made after a pending one activates before it.
  const auto timeline = key_timeline(records({{"pending", 0s, 10min}, {"emergency", 1min, 1min}}),
                                     kLifetime, kT0 + 2min);
  ASSERT_EQ(timeline.size(), 2u);
  EXPECT_EQ(timeline[0].kid, "pending");
  EXPECT_EQ(timeline[0].status, kPending);
  EXPECT_EQ(timeline[1].kid, "emergency");
  EXPECT_EQ(timeline[1].status, kActive);
  EXPECT_EQ(describe(timeline[1].retires_at), describe(kT0 + 10min + kLifetime));
}

TEST(KeyStatus, NamesAreTheOnesKeyListPrints) {
  EXPECT_EQ(to_string(KeyStatus::kPending), "pending");
  EXPECT_EQ(to_string(KeyStatus::kActive), "active");
  EXPECT_EQ(to_string(KeyStatus::kRetiring), "retiring");
  EXPECT_EQ(to_string(KeyStatus::kRetired), "retired");
}

}  // namespace
}  // namespace tessera::keys
