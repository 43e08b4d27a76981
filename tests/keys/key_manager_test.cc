// KeyManager over a real SQLite store on a manual clock: first key, rotation, publication,
// retirement, several processes sharing one database, and what is stored of a private key.
#include "keys/key_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
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

#include "core/base64.h"
#include "core/clock.h"
#include "core/random.h"
#include "jose/jws.h"
#include "jose/key_seal.h"
#include "keys/published_keys.h"
#include "store/sqlite/sqlite_store.h"

namespace tessera::jose {
inline void PrintTo(Error e, std::ostream* os) { *os << to_string(e); }
}  // namespace tessera::jose

namespace tessera::keys {

inline void PrintTo(KeyStatus status, std::ostream* os) { *os << to_string(status); }

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using std::chrono::seconds;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

const core::TimePoint kT0{std::chrono::sys_seconds{seconds{1700000000}}};
const std::string kSecret = "0123456789abcdef0123456789abcdef";
const std::string kOtherSecret = "another key-encryption key, 32+ bytes";
constexpr auto kPublishDelay = 10min;
constexpr auto kRotation = seconds{30 * 24h};
constexpr auto kLifetime = 15min + 10s;
const KeyPolicy kPolicy{.algorithm = jose::Algorithm::kEdDSA,
                        .publish_delay = kPublishDelay,
                        .rotation = kRotation,
                        .token_lifetime = kLifetime};
constexpr std::string_view kPayload = R"({"sub":"alice"})";
const std::string kDecryptFailure =
    "cannot decrypt: wrong key-encryption key, or the data was altered";

jose::KeySealer sealer(const std::string& secret) {
  auto s = jose::KeySealer::from_secret(secret);
  if (!s) throw std::runtime_error(s.error());
  return std::move(*s);
}

// What the manager binds a sealed key to (key_manager.cc): the row's kid and algorithm.
std::string associated_data(const std::string& kid, const std::string& alg) {
  return "tessera signing key|" + kid + "|" + alg;
}

std::vector<std::string> published_kids_of(const std::string& jwks) {
  std::vector<std::string> kids;
  const json::value doc = json::parse(jwks);
  for (const auto& jwk : doc.at("keys").as_array()) {
    kids.emplace_back(jwk.at("kid").as_string());
  }
  return kids;
}

std::vector<std::string> published_kids(const KeyManager& keys) {
  return published_kids_of(*keys.jwks_json());
}

std::string signing_kid(const KeyManager& keys) {
  const auto key = keys.signing_key();
  return key ? key->kid() : "(none)";
}

std::string sign(const KeyManager& keys) {
  const auto key = keys.signing_key();
  if (!key) {
    ADD_FAILURE() << "no signing key";
    return {};
  }
  auto token = jose::sign_compact(*key, "at+jwt", kPayload);
  if (!token) {
    ADD_FAILURE() << "signing failed: " << to_string(token.error());
    return {};
  }
  return *token;
}

// The error verifying `token` with the manager's keys, or std::nullopt when it verifies.
std::optional<jose::Error> verify_error(const KeyManager& keys, const std::string& token,
                                        jose::Algorithm alg = jose::Algorithm::kEdDSA) {
  const jose::Algorithm allowed[] = {alg};
  auto verified = jose::verify_compact(token, *keys.verification_keys(), allowed);
  if (!verified) return verified.error();
  EXPECT_EQ(verified->payload(), kPayload);
  return std::nullopt;
}

std::vector<KeyStatus> statuses(KeyManager& keys) {
  auto list = keys.list();
  if (!list) {
    ADD_FAILURE() << "list failed: " << list.error();
    return {};
  }
  std::vector<KeyStatus> out;
  for (const auto& k : *list) out.push_back(k.status);
  return out;
}

class KeyManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tessera-keys-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    store_ = open_store();
  }
  void TearDown() override {
    managers_.clear();
    stores_.clear();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Another connection pool on the same file, as another process would have.
  std::unique_ptr<store::Store> open_store() {
    auto store = store::open_sqlite_store({.path = (dir_ / "tessera.db").string()}, clock_);
    if (!store) throw std::runtime_error(store.error());
    return std::move(*store);
  }

  KeyManager& manager(const std::string& secret = kSecret, store::Store* store = nullptr) {
    managers_.push_back(std::make_unique<KeyManager>((store ? *store : *store_).keys(),
                                                     sealer(secret), kPolicy, clock_, random_));
    return *managers_.back();
  }

  // A manager that has started, as `serve` has one.
  KeyManager& started(const std::string& secret = kSecret, store::Store* store = nullptr) {
    KeyManager& keys = manager(secret, store);
    auto ok = keys.start();
    EXPECT_TRUE(ok.has_value()) << ok.error();
    return keys;
  }

  // A manager on its own connection pool, as the admin CLI or a second server has.
  KeyManager& in_another_process(const std::string& secret = kSecret) {
    stores_.push_back(open_store());
    return manager(secret, stores_.back().get());
  }

  std::vector<store::SigningKeyRecord> stored() {
    auto keys = store_->keys().list_signing_keys();
    EXPECT_TRUE(keys.has_value());
    return keys ? *keys : std::vector<store::SigningKeyRecord>{};
  }

  void refresh(KeyManager& keys) {
    auto ok = keys.refresh();
    ASSERT_TRUE(ok.has_value()) << ok.error();
  }

  KeyInfo rotate(KeyManager& keys, std::optional<jose::Algorithm> alg = std::nullopt) {
    auto info = keys.rotate(alg);
    if (!info) {
      ADD_FAILURE() << "rotate failed: " << info.error();
      return {};
    }
    return *info;
  }

  core::ManualClock clock_{kT0};
  core::SystemRandom random_;
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::vector<std::unique_ptr<store::Store>> stores_;
  std::vector<std::unique_ptr<KeyManager>> managers_;
};

TEST_F(KeyManagerTest, BeforeStartNothingSignsAndNothingIsPublished) {
  KeyManager& keys = manager();
  EXPECT_EQ(keys.signing_key(), nullptr);
  EXPECT_TRUE(keys.verification_keys()->empty());
  EXPECT_EQ(*keys.jwks_json(), R"({"keys":[]})");
}

TEST_F(KeyManagerTest, StartOnAnEmptyStoreMakesOneKeyThatSignsAtOnce) {
  KeyManager& keys = started();

  const auto records = stored();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].alg, "EdDSA");
  EXPECT_EQ(records[0].created_at, kT0);
  EXPECT_EQ(records[0].activates_at, kT0);
  EXPECT_EQ(records[0].retire_at, std::nullopt);

  ASSERT_NE(keys.signing_key(), nullptr);
  EXPECT_EQ(keys.signing_key()->kid(), records[0].kid);
  EXPECT_EQ(keys.signing_key()->algorithm(), jose::Algorithm::kEdDSA);
  EXPECT_THAT(published_kids(keys), ElementsAre(records[0].kid));
  EXPECT_EQ(verify_error(keys, sign(keys)), std::nullopt);
  EXPECT_THAT(statuses(keys), ElementsAre(KeyStatus::kActive));
}

TEST_F(KeyManagerTest, StartingAgainMakesNoSecondKey) {
  KeyManager& first = started();
  const std::string kid = signing_kid(first);
  ASSERT_TRUE(first.start().has_value());
  clock_.advance(1h);
  KeyManager& second = started();

  EXPECT_EQ(stored().size(), 1u);
  EXPECT_EQ(signing_kid(first), kid);
  EXPECT_EQ(signing_kid(second), kid);
}

TEST_F(KeyManagerTest, RotateOnAnEmptyStoreMakesAKeyThatSignsAtOnce) {
  KeyManager& keys = manager();
  const KeyInfo info = rotate(keys);

  EXPECT_EQ(info.status, KeyStatus::kActive);
  EXPECT_EQ(info.activates_at, kT0);
  ASSERT_TRUE(keys.start().has_value());
  EXPECT_EQ(signing_kid(keys), info.kid);
  EXPECT_EQ(stored().size(), 1u);
}

TEST_F(KeyManagerTest, ARotatedKeyIsPublishedAtOnceAndSignsAfterThePublishDelay) {
  KeyManager& keys = started();
  const std::string old_kid = signing_kid(keys);
  clock_.advance(1h);

  const KeyInfo info = rotate(keys);
  EXPECT_EQ(info.status, KeyStatus::kPending);
  EXPECT_EQ(info.alg, "EdDSA");
  EXPECT_EQ(info.created_at, kT0 + 1h);
  EXPECT_EQ(info.activates_at, kT0 + 1h + kPublishDelay);
  EXPECT_EQ(info.retires_at, std::nullopt);
  EXPECT_NE(info.kid, old_kid);

  refresh(keys);
  EXPECT_THAT(published_kids(keys), ElementsAre(old_kid, info.kid));
  EXPECT_EQ(signing_kid(keys), old_kid);

  clock_.advance(kPublishDelay - 1s);
  refresh(keys);
  EXPECT_EQ(signing_kid(keys), old_kid);

  clock_.advance(1s);
  refresh(keys);
  EXPECT_EQ(signing_kid(keys), info.kid);
  EXPECT_EQ(verify_error(keys, sign(keys)), std::nullopt);
}

TEST_F(KeyManagerTest, TheOldKeyIsPublishedUntilEveryTokenItSignedHasExpired) {
  KeyManager& keys = started();
  const std::string old_kid = signing_kid(keys);
  const std::string old_token = sign(keys);
  const KeyInfo next = rotate(keys);
  clock_.advance(kPublishDelay);
  refresh(keys);
  ASSERT_EQ(signing_kid(keys), next.kid);
  const std::string new_token = sign(keys);

  // The last token the old key signed was signed just before the hand-over.
  clock_.advance(kLifetime - 1s);
  refresh(keys);
  EXPECT_THAT(published_kids(keys), ElementsAre(old_kid, next.kid));
  EXPECT_EQ(verify_error(keys, old_token), std::nullopt);
  EXPECT_THAT(statuses(keys), ElementsAre(KeyStatus::kRetiring, KeyStatus::kActive));

  clock_.advance(1s);
  refresh(keys);
  EXPECT_THAT(published_kids(keys), ElementsAre(next.kid));
  EXPECT_EQ(verify_error(keys, old_token), jose::Error::kUnknownKey);
  EXPECT_EQ(verify_error(keys, new_token), std::nullopt);
  EXPECT_THAT(statuses(keys), ElementsAre(KeyStatus::kRetired, KeyStatus::kActive));
  // Retirement is derived, not written: the stored row is unchanged.
  EXPECT_EQ(stored().at(0).retire_at, std::nullopt);
}

TEST_F(KeyManagerTest, RefreshRotatesOnceTheNewestKeyIsOlderThanTheRotationPeriod) {
  KeyManager& keys = started();
  const std::string first = signing_kid(keys);

  clock_.advance(kRotation - 1s);
  refresh(keys);
  EXPECT_EQ(stored().size(), 1u);

  clock_.advance(1s);
  refresh(keys);
  auto records = stored();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].alg, "EdDSA");
  EXPECT_EQ(records[1].created_at, kT0 + kRotation);
  EXPECT_EQ(records[1].activates_at, kT0 + kRotation + kPublishDelay);
  EXPECT_THAT(published_kids(keys), ElementsAre(first, records[1].kid));
  EXPECT_EQ(signing_kid(keys), first);

  refresh(keys);
  EXPECT_EQ(stored().size(), 2u);

  clock_.advance(kPublishDelay);
  refresh(keys);
  EXPECT_EQ(stored().size(), 2u);
  EXPECT_EQ(signing_kid(keys), records[1].kid);
}

TEST_F(KeyManagerTest, ServersRefreshingAtOnceWhenRotationIsDueAddOneKey) {
  constexpr int kServers = 4;
  std::vector<KeyManager*> servers;
  for (int i = 0; i < kServers; ++i) {
    servers.push_back(&in_another_process());
    ASSERT_TRUE(servers.back()->start().has_value());
  }
  ASSERT_EQ(stored().size(), 1u);

  clock_.advance(kRotation);
  std::vector<std::string> errors(kServers);
  {
    std::latch go(kServers);
    std::vector<std::jthread> threads;
    for (int i = 0; i < kServers; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        if (auto ok = servers[i]->refresh(); !ok) errors[i] = ok.error();
      });
    }
  }

  EXPECT_THAT(errors, ::testing::Each(""));
  const auto records = stored();
  ASSERT_EQ(records.size(), 2u);
  for (KeyManager* server : servers) {
    EXPECT_THAT(published_kids(*server), ElementsAre(records[0].kid, records[1].kid));
  }
}

// A KeyStore that lets a rival process add a key just before each of the first `races` adds,
// so that the manager under test loses the compare-and-set that many times.
class RacingKeyStore final : public store::KeyStore {
 public:
  RacingKeyStore(store::KeyStore& inner, std::function<void()> rival, int races)
      : inner_(inner), rival_(std::move(rival)), races_(races) {}

  store::StoreResult<std::vector<store::SigningKeyRecord>> list_signing_keys() override {
    return inner_.list_signing_keys();
  }
  store::StoreResult<bool> add_signing_key(
      const store::SigningKeyRecord& key,
      const std::optional<std::string>& expected_newest) override {
    if (races_ > 0) {
      --races_;
      rival_();
    }
    return inner_.add_signing_key(key, expected_newest);
  }
  store::StoreResult<void> set_signing_key_retire_at(std::string_view kid,
                                                     core::TimePoint at) override {
    return inner_.set_signing_key_retire_at(kid, at);
  }

 private:
  store::KeyStore& inner_;
  std::function<void()> rival_;
  int races_;
};

TEST_F(KeyManagerTest, ARotationThatLosesARaceToAnotherProcessTriesAgainAndIsStored) {
  KeyManager& server = started();
  KeyManager& rival = in_another_process();
  std::vector<std::string> rival_kids;
  RacingKeyStore racing(
      store_->keys(), [&] { rival_kids.push_back(rotate(rival).kid); }, 2);
  KeyManager keys(racing, sealer(kSecret), kPolicy, clock_, random_);

  const KeyInfo info = rotate(keys);
  const auto records = stored();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].kid, signing_kid(server));
  EXPECT_EQ(records[1].kid, rival_kids.at(0));
  EXPECT_EQ(records[2].kid, rival_kids.at(1));
  EXPECT_EQ(records[3].kid, info.kid);
  EXPECT_EQ(info.status, KeyStatus::kPending);
}

TEST_F(KeyManagerTest, ARotationThatLosesEveryRaceFailsAndReportsNoKey) {
  started();
  KeyManager& rival = in_another_process();
  RacingKeyStore racing(
      store_->keys(), [&] { rotate(rival); }, 1000);
  KeyManager keys(racing, sealer(kSecret), kPolicy, clock_, random_);

  auto info = keys.rotate(std::nullopt);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error(), "another process added a signing key at the same time");
  // One key from the start, and one from each of the rival's wins; none of ours.
  EXPECT_EQ(stored().size(), 4u);
}

TEST_F(KeyManagerTest, AStartThatLosesTheFirstKeyToAnotherProcessSignsWithTheOthersKey) {
  KeyManager& rival = in_another_process();
  RacingKeyStore racing(
      store_->keys(), [&] { ASSERT_TRUE(rival.start().has_value()); }, 1);
  KeyManager keys(racing, sealer(kSecret), kPolicy, clock_, random_);

  ::testing::internal::CaptureStderr();
  auto ok = keys.start();
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(ok.has_value()) << ok.error();
  const auto records = stored();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(signing_kid(keys), records[0].kid);
  EXPECT_EQ(signing_kid(rival), records[0].kid);
  EXPECT_THAT(log, ::testing::HasSubstr(R"("event":"signing_key_not_added")"));
}

class KeyManagerAlgorithmTest : public KeyManagerTest,
                                public ::testing::WithParamInterface<jose::Algorithm> {};

TEST_P(KeyManagerAlgorithmTest, RotateWithAnAlgorithmMakesAKeyOfThatAlgorithm) {
  const jose::Algorithm alg = GetParam();
  const std::string alg_name(jose::name(alg));
  KeyManager& keys = started();

  const KeyInfo info = rotate(keys, alg);
  EXPECT_EQ(info.alg, alg_name);
  EXPECT_EQ(stored().at(1).alg, alg_name);
  clock_.advance(kPublishDelay);
  refresh(keys);

  ASSERT_EQ(signing_kid(keys), info.kid);
  EXPECT_EQ(keys.signing_key()->algorithm(), alg);
  const json::value doc = json::parse(*keys.jwks_json());
  const json::object& jwk = doc.at("keys").as_array().at(1).as_object();
  EXPECT_EQ(jwk.at("kid").as_string(), info.kid);
  EXPECT_EQ(jwk.at("alg").as_string(), alg_name);
  EXPECT_EQ(jwk.at("kty").as_string(), alg == jose::Algorithm::kES256 ? "EC" : "RSA");
  const std::string token = sign(keys);
  EXPECT_EQ(verify_error(keys, token, alg), std::nullopt);
  EXPECT_EQ(verify_error(keys, token, jose::Algorithm::kEdDSA), jose::Error::kAlgorithmNotAllowed);

  // Another process loads it from the store and signs with it too.
  KeyManager& other = started();
  ASSERT_EQ(signing_kid(other), info.kid);
  EXPECT_EQ(verify_error(keys, sign(other), alg), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, KeyManagerAlgorithmTest,
                         ::testing::Values(jose::Algorithm::kES256, jose::Algorithm::kRS256,
                                           jose::Algorithm::kPS256),
                         [](const ::testing::TestParamInfo<jose::Algorithm>& info) {
                           return std::string(jose::name(info.param));
                         });

TEST_F(KeyManagerTest, RetiringTheActiveKeyRetiresItAndActivatesAReplacementAtOnce) {
  KeyManager& keys = started();
  const std::string old_kid = signing_kid(keys);
  const std::string old_token = sign(keys);
  clock_.advance(1h);

  auto retired = keys.retire(old_kid);
  ASSERT_TRUE(retired.has_value()) << retired.error();
  EXPECT_EQ(retired->retired.kid, old_kid);
  EXPECT_EQ(retired->retired.status, KeyStatus::kRetired);
  EXPECT_EQ(retired->retired.retires_at, kT0 + 1h);
  ASSERT_TRUE(retired->replacement.has_value());
  EXPECT_EQ(retired->replacement->status, KeyStatus::kActive);
  EXPECT_EQ(retired->replacement->alg, "EdDSA");
  EXPECT_EQ(retired->replacement->activates_at, kT0 + 1h);
  EXPECT_THAT(statuses(keys), ElementsAre(KeyStatus::kRetired, KeyStatus::kActive));
  EXPECT_EQ(stored().at(0).retire_at, kT0 + 1h);

  refresh(keys);
  EXPECT_EQ(signing_kid(keys), retired->replacement->kid);
  EXPECT_THAT(published_kids(keys), ElementsAre(retired->replacement->kid));
  EXPECT_EQ(verify_error(keys, old_token), jose::Error::kUnknownKey);
  EXPECT_EQ(verify_error(keys, sign(keys)), std::nullopt);
}

TEST_F(KeyManagerTest, RetiringAPendingKeyMakesNoReplacementAndKeepsTheActiveKey) {
  KeyManager& keys = started();
  const std::string active = signing_kid(keys);
  const KeyInfo pending = rotate(keys);

  auto retired = keys.retire(pending.kid);
  ASSERT_TRUE(retired.has_value()) << retired.error();
  EXPECT_EQ(retired->retired.status, KeyStatus::kRetired);
  EXPECT_FALSE(retired->replacement.has_value());

  clock_.advance(kPublishDelay + kLifetime);
  refresh(keys);
  EXPECT_EQ(signing_kid(keys), active);
  EXPECT_THAT(published_kids(keys), ElementsAre(active));
  auto list = keys.list();
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].status, KeyStatus::kActive);
  EXPECT_EQ((*list)[0].retires_at, std::nullopt);
  EXPECT_EQ((*list)[1].status, KeyStatus::kRetired);
}

TEST_F(KeyManagerTest, RetiringARetiringKeyTakesItOutAtOnceWithoutAReplacement) {
  KeyManager& keys = started();
  const std::string old_kid = signing_kid(keys);
  const std::string old_token = sign(keys);
  const KeyInfo next = rotate(keys);
  clock_.advance(kPublishDelay);
  refresh(keys);

  auto retired = keys.retire(old_kid);
  ASSERT_TRUE(retired.has_value()) << retired.error();
  EXPECT_FALSE(retired->replacement.has_value());
  refresh(keys);
  EXPECT_THAT(published_kids(keys), ElementsAre(next.kid));
  EXPECT_EQ(verify_error(keys, old_token), jose::Error::kUnknownKey);
  EXPECT_EQ(stored().size(), 2u);
}

TEST_F(KeyManagerTest, RetiringAnUnknownKidFails) {
  KeyManager& keys = started();
  auto retired = keys.retire("no-such-kid");
  ASSERT_FALSE(retired.has_value());
  EXPECT_EQ(retired.error(), "no signing key has kid no-such-kid");
  EXPECT_EQ(stored().size(), 1u);
}

TEST_F(KeyManagerTest, RetiringARetiredKeyFails) {
  KeyManager& keys = started();
  const std::string kid = signing_kid(keys);
  ASSERT_TRUE(keys.retire(kid).has_value());
  clock_.advance(1h);

  auto again = keys.retire(kid);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), "signing key " + kid + " is already retired");
  // Neither the stored retirement time nor the number of keys changed.
  const auto records = stored();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].retire_at, kT0);
}

TEST_F(KeyManagerTest, ListFollowsEachKeyThroughItsLife) {
  KeyManager& keys = started();
  EXPECT_THAT(statuses(keys), ElementsAre(KeyStatus::kActive));

  rotate(keys);
  EXPECT_THAT(statuses(keys), ElementsAre(KeyStatus::kActive, KeyStatus::kPending));

  clock_.advance(kPublishDelay);
  EXPECT_THAT(statuses(keys), ElementsAre(KeyStatus::kRetiring, KeyStatus::kActive));

  clock_.advance(kLifetime);
  EXPECT_THAT(statuses(keys), ElementsAre(KeyStatus::kRetired, KeyStatus::kActive));

  auto list = keys.list();
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].retires_at, kT0 + kPublishDelay + kLifetime);
  EXPECT_EQ((*list)[1].retires_at, std::nullopt);
  EXPECT_EQ((*list)[1].activates_at, kT0 + kPublishDelay);
}

TEST_F(KeyManagerTest, ARotationByTheCliIsSeenByTheServersNextRefresh) {
  KeyManager& server = started();
  const std::string old_kid = signing_kid(server);
  KeyManager& cli = in_another_process();

  const KeyInfo info = rotate(cli);
  EXPECT_THAT(published_kids(server), ElementsAre(old_kid));
  refresh(server);
  EXPECT_THAT(published_kids(server), ElementsAre(old_kid, info.kid));
  EXPECT_EQ(signing_kid(server), old_kid);

  clock_.advance(kPublishDelay);
  refresh(server);
  EXPECT_EQ(signing_kid(server), info.kid);
  // The server signs with a key the CLI made and sealed.
  const std::string token = sign(server);
  ASSERT_TRUE(cli.start().has_value());
  EXPECT_EQ(verify_error(cli, token), std::nullopt);
}

TEST_F(KeyManagerTest, ARetirementByTheCliIsSeenByTheServersNextRefresh) {
  KeyManager& server = started();
  const std::string old_kid = signing_kid(server);
  const std::string old_token = sign(server);
  KeyManager& cli = in_another_process();

  auto retired = cli.retire(old_kid);
  ASSERT_TRUE(retired.has_value()) << retired.error();
  ASSERT_TRUE(retired->replacement.has_value());
  refresh(server);
  EXPECT_EQ(signing_kid(server), retired->replacement->kid);
  EXPECT_THAT(published_kids(server), ElementsAre(retired->replacement->kid));
  EXPECT_EQ(verify_error(server, old_token), jose::Error::kUnknownKey);
}

TEST_F(KeyManagerTest, AManagerWithAnotherKekCannotStartWhileTheSigningKeyIsSealedWithTheFirst) {
  KeyManager& first = started();
  const std::string kid = signing_kid(first);

  KeyManager& other = manager(kOtherSecret);
  auto started = other.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error(), "signing key " + kid + ": " + kDecryptFailure);
  EXPECT_EQ(other.signing_key(), nullptr);
  EXPECT_EQ(*other.jwks_json(), R"({"keys":[]})");
  EXPECT_EQ(stored().size(), 1u);
}

TEST_F(KeyManagerTest, AManagerWithAnotherKekStillPublishesKeysThatOnlyVerify) {
  KeyManager& first = started();
  const std::string first_kid = signing_kid(first);
  const std::string first_token = sign(first);
  const KeyInfo second = rotate(first);
  clock_.advance(kPublishDelay);
  refresh(first);
  const std::string second_token = sign(first);
  // The operator has lost the first KEK and retires the signing key with a new one: the
  // replacement is sealed under the new KEK, while the first key still verifies its tokens.
  auto retired = manager(kOtherSecret).retire(second.kid);
  ASSERT_TRUE(retired.has_value()) << retired.error();
  ASSERT_TRUE(retired->replacement.has_value());

  // A fresh manager, with nothing cached: the first key is built from its public JWK alone.
  KeyManager& other = manager(kOtherSecret);
  auto ok = other.start();
  ASSERT_TRUE(ok.has_value()) << ok.error();
  EXPECT_EQ(signing_kid(other), retired->replacement->kid);
  EXPECT_THAT(published_kids(other), ElementsAre(first_kid, retired->replacement->kid));
  EXPECT_EQ(verify_error(other, first_token), std::nullopt);
  EXPECT_EQ(verify_error(other, second_token), jose::Error::kUnknownKey);
  EXPECT_EQ(verify_error(other, sign(other)), std::nullopt);
}

TEST_F(KeyManagerTest, RotatingWithAnotherKekIsRefusedAndAddsNothing) {
  KeyManager& first = started();
  const std::string kid = signing_kid(first);

  auto info = manager(kOtherSecret).rotate(std::nullopt);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error(),
            "signing key " + kid + ": " + kDecryptFailure +
                " (is TESSERA_KEY_ENCRYPTION_KEY or tessera.kek the one the server uses?)");
  EXPECT_EQ(stored().size(), 1u);
}

TEST_F(KeyManagerTest, RotatingWithAnotherKekIsRefusedWhileAPendingKeyIsSealedWithTheFirst) {
  KeyManager& first = started();
  // The signing key is out of the way; the pending one is not.
  const std::string active = signing_kid(first);
  const KeyInfo pending = rotate(first);
  ASSERT_TRUE(store_->keys().set_signing_key_retire_at(active, kT0).has_value());

  auto info = manager(kOtherSecret).rotate(std::nullopt);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error(),
            "signing key " + pending.kid + ": " + kDecryptFailure +
                " (is TESSERA_KEY_ENCRYPTION_KEY or tessera.kek the one the server uses?)");
  EXPECT_EQ(stored().size(), 2u);
}

TEST_F(KeyManagerTest, RetiringTheSigningKeyWithAnotherKekIsRefusedWhileAPendingKeyNeedsTheFirst) {
  KeyManager& first = started();
  const std::string active = signing_kid(first);
  const KeyInfo pending = rotate(first);

  auto retired = manager(kOtherSecret).retire(active);
  ASSERT_FALSE(retired.has_value());
  EXPECT_EQ(retired.error(),
            "signing key " + pending.kid + ": " + kDecryptFailure +
                " (is TESSERA_KEY_ENCRYPTION_KEY or tessera.kek the one the server uses?)");
  const auto records = stored();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].retire_at, std::nullopt);
}

TEST_F(KeyManagerTest, RetiringTheOnlyKeyWithAnotherKekRecoversWithAKeySealedUnderIt) {
  KeyManager& first = started();
  const std::string lost = signing_kid(first);

  auto retired = manager(kOtherSecret).retire(lost);
  ASSERT_TRUE(retired.has_value()) << retired.error();
  ASSERT_TRUE(retired->replacement.has_value());
  KeyManager& recovered = started(kOtherSecret);
  EXPECT_EQ(signing_kid(recovered), retired->replacement->kid);
  EXPECT_THAT(published_kids(recovered), ElementsAre(retired->replacement->kid));
  // And now the first KEK is the one that cannot sign.
  auto old = manager(kSecret).start();
  ASSERT_FALSE(old.has_value());
  EXPECT_EQ(old.error(), "signing key " + retired->replacement->kid + ": " + kDecryptFailure);
}

TEST_F(KeyManagerTest, RetiringTheSigningKeyWithAnotherKekRecoversWhateverKeysCameBefore) {
  // A year of rotations: only the newest key is current, the rest long retired.
  KeyManager& first = started();
  for (int i = 0; i < 3; ++i) {
    clock_.advance(kRotation);
    refresh(first);
    clock_.advance(kPublishDelay + kLifetime);
    refresh(first);
  }
  ASSERT_EQ(stored().size(), 4u);
  const std::string lost = signing_kid(first);

  auto retired = manager(kOtherSecret).retire(lost);
  ASSERT_TRUE(retired.has_value()) << retired.error();
  ASSERT_TRUE(retired->replacement.has_value());
  KeyManager& recovered = started(kOtherSecret);
  EXPECT_EQ(signing_kid(recovered), retired->replacement->kid);
  EXPECT_THAT(published_kids(recovered), ElementsAre(retired->replacement->kid));
  EXPECT_THAT(statuses(recovered),
              ElementsAre(KeyStatus::kRetired, KeyStatus::kRetired, KeyStatus::kRetired,
                          KeyStatus::kRetired, KeyStatus::kActive));
}

TEST_F(KeyManagerTest, TheStoredPrivateKeyIsSealedUnderTheKek) {
  started();
  const auto record = stored().at(0);
  const auto sealed = core::base64url_decode(record.sealed_private);
  ASSERT_TRUE(sealed.has_value());

  auto der = sealer(kSecret).open(*sealed, associated_data(record.kid, record.alg));
  ASSERT_TRUE(der.has_value()) << der.error();
  // An Ed25519 PKCS#8 (RFC 8410 section 7) ends with the 32-byte private key.
  ASSERT_EQ(der->size(), 48u);
  const std::string private_key = der->substr(16);
  EXPECT_EQ(sealed->find(*der), std::string::npos);
  EXPECT_EQ(sealed->find(private_key), std::string::npos);
  EXPECT_EQ(record.sealed_private.find(core::base64url_encode(private_key)), std::string::npos);

  // It is the key that was published.
  auto key = jose::EvpKey::from_pkcs8(jose::Algorithm::kEdDSA, *der, record.kid);
  ASSERT_TRUE(key.has_value()) << key.error();
  EXPECT_EQ((*key)->public_jwk(), json::parse(record.public_jwk).as_object());

  auto wrong_kek = sealer(kOtherSecret).open(*sealed, associated_data(record.kid, record.alg));
  ASSERT_FALSE(wrong_kek.has_value());
  EXPECT_EQ(wrong_kek.error(), kDecryptFailure);
  auto other_row = sealer(kSecret).open(*sealed, associated_data("another-kid", record.alg));
  ASSERT_FALSE(other_row.has_value());
  EXPECT_EQ(other_row.error(), kDecryptFailure);
}

TEST_F(KeyManagerTest, TheJwksHoldsNoPrivateMemberForAnyAlgorithm) {
  KeyManager& keys = started();
  for (const auto alg :
       {jose::Algorithm::kES256, jose::Algorithm::kRS256, jose::Algorithm::kPS256}) {
    rotate(keys, alg);
  }
  refresh(keys);
  const std::string text = *keys.jwks_json();
  const json::value doc = json::parse(text);
  ASSERT_EQ(doc.at("keys").as_array().size(), 4u);
  for (const auto& jwk : doc.at("keys").as_array()) {
    for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      EXPECT_FALSE(jwk.as_object().contains(member))
          << jwk.at("kid").as_string() << " publishes \"" << member << "\"";
    }
    EXPECT_EQ(jwk.at("use").as_string(), "sig");
  }
  // Nor the Ed25519 private key under another name.
  const auto record = stored().at(0);
  auto der = sealer(kSecret).open(*core::base64url_decode(record.sealed_private),
                                  associated_data(record.kid, record.alg));
  ASSERT_TRUE(der.has_value());
  EXPECT_EQ(text.find(core::base64url_encode(der->substr(16))), std::string::npos);
}

}  // namespace
}  // namespace tessera::keys

namespace tessera::keys {
namespace {

// The id_tokens' ring beside the access tokens' ring, in one table (issue 14: RS256 id_tokens).
class KeyRingsTest : public KeyManagerTest {
 protected:
  KeyManager& id_ring() {
    KeyPolicy policy = kPolicy;
    policy.algorithm = jose::Algorithm::kRS256;
    policy.purpose = "id_token";
    policy.create_first = false;
    managers_.push_back(
        std::make_unique<KeyManager>(store_->keys(), sealer(kSecret), policy, clock_, random_));
    return *managers_.back();
  }
};

TEST_F(KeyRingsTest, AnIdTokenRingWaitsForEnsureAndThenSignsAtOnce) {
  KeyManager& access = started();
  KeyManager& ids = id_ring();
  ASSERT_TRUE(ids.start().has_value());
  EXPECT_EQ(ids.signing_key(), nullptr);
  EXPECT_EQ(*ids.jwks_json(), R"({"keys":[]})");
  ASSERT_TRUE(ids.refresh().has_value());
  EXPECT_EQ(stored().size(), 1u);

  ASSERT_TRUE(ids.ensure_signing_key().has_value());
  ASSERT_NE(ids.signing_key(), nullptr);
  EXPECT_EQ(ids.signing_key()->algorithm(), jose::Algorithm::kRS256);
  ASSERT_TRUE(ids.ensure_signing_key().has_value());  // once
  const auto records = stored();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].purpose, "access");
  EXPECT_EQ(records[1].purpose, "id_token");
  // Each ring sees its own keys only.
  refresh(access);
  EXPECT_THAT(published_kids(access), ElementsAre(records[0].kid));
  EXPECT_THAT(published_kids(ids), ElementsAre(records[1].kid));
  EXPECT_EQ(signing_kid(access), records[0].kid);
}

TEST_F(KeyRingsTest, RotatingOneRingLeavesTheOtherAlone) {
  KeyManager& access = started();
  KeyManager& ids = id_ring();
  ASSERT_TRUE(ids.ensure_signing_key().has_value());
  const std::string id_kid = ids.signing_key()->kid();
  // A rotation of the access ring after the id ring's key: each ring's newest is its own.
  const KeyInfo rotated = rotate(access);
  EXPECT_EQ(rotated.status, KeyStatus::kPending);
  refresh(ids);
  EXPECT_EQ(ids.signing_key()->kid(), id_kid);
  EXPECT_THAT(published_kids(access), Not(Contains(id_kid)));
}

TEST_F(KeyRingsTest, PublishedKeysAreBothRingsWhileTheAccessRingSigns) {
  KeyManager& access = started();
  KeyManager& ids = id_ring();
  ASSERT_TRUE(ids.start().has_value());
  const PublishedKeys published(access, ids);
  EXPECT_THAT(published_kids_of(*published.jwks_json()), ElementsAre(signing_kid(access)));
  ASSERT_TRUE(ids.ensure_signing_key().has_value());
  EXPECT_THAT(published_kids_of(*published.jwks_json()),
              ElementsAre(signing_kid(access), ids.signing_key()->kid()));
  EXPECT_EQ(published.signing_key(), access.signing_key());
  EXPECT_EQ(published.verification_keys(), access.verification_keys());
}

}  // namespace
}  // namespace tessera::keys
