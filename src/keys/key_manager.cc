#include "keys/key_manager.h"

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "core/base64.h"
#include "core/log.h"
#include "core/strict_json.h"
#include "core/wipe.h"
#include "jose/jwks.h"

namespace tessera::keys {

namespace json = boost::json;
using core::LogLevel;

struct KeyManager::Ring {
  std::shared_ptr<const jose::SigningKey> signer;
  std::shared_ptr<const jose::KeySet> keys;
  std::shared_ptr<const std::string> jwks;
  // What changed between two rings, for the log: the signer and the published kids.
  std::string summary;
};

namespace {

// The sealed private key is bound to its row: moved to another kid or algorithm, it does not
// open.
std::string associated_data(std::string_view kid, std::string_view alg) {
  return "tessera signing key|" + std::string(kid) + "|" + std::string(alg);
}

constexpr int kAttempts = 3;

}  // namespace

std::string_view to_string(KeyStatus status) {
  switch (status) {
    case KeyStatus::kPending: return "pending";
    case KeyStatus::kActive: return "active";
    case KeyStatus::kRetiring: return "retiring";
    case KeyStatus::kRetired: return "retired";
  }
  return "retired";
}

std::vector<KeyInfo> key_timeline(const std::vector<store::SigningKeyRecord>& keys,
                                  std::chrono::seconds token_lifetime, core::TimePoint now) {
  std::vector<KeyInfo> out;
  out.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& k = keys[i];
    // The key that takes over from this one: the next to activate, among those that do
    // (a key retired before its activation never signs; one retired in the second it
    // activated may have, as times are whole seconds).
    std::optional<core::TimePoint> successor;
    for (std::size_t j = 0; j < keys.size(); ++j) {
      const auto& r = keys[j];
      const bool later =
          r.activates_at > k.activates_at || (r.activates_at == k.activates_at && j > i);
      const bool signs = !r.retire_at || *r.retire_at >= r.activates_at;
      if (j != i && later && signs && (!successor || r.activates_at < *successor)) {
        successor = r.activates_at;
      }
    }
    std::optional<core::TimePoint> retires = k.retire_at;
    if (successor) {
      const core::TimePoint implicit = *successor + token_lifetime;
      retires = retires ? std::min(*retires, implicit) : implicit;
    }
    // Activated keys that a later key has superseded are retiring, for good: they never
    // sign again, even if the later key is itself retired early. The one activated key that
    // nothing has superseded yet is the signer.
    KeyStatus status = KeyStatus::kActive;
    if (retires && *retires <= now)
      status = KeyStatus::kRetired;
    else if (now < k.activates_at)
      status = KeyStatus::kPending;
    else if (successor && *successor <= now)
      status = KeyStatus::kRetiring;
    out.push_back(KeyInfo{.kid = k.kid,
                          .alg = k.alg,
                          .status = status,
                          .created_at = k.created_at,
                          .activates_at = k.activates_at,
                          .retires_at = retires});
  }
  return out;
}

KeyManager::KeyManager(store::KeyStore& store, jose::KeySealer sealer, KeyPolicy policy,
                       const core::Clock& clock, core::Random& random)
    : store_(store), sealer_(std::move(sealer)), policy_(policy), clock_(clock), random_(random) {}

std::shared_ptr<const jose::SigningKey> KeyManager::signing_key() const {
  const auto ring = ring_.load();
  return ring ? ring->signer : nullptr;
}

std::shared_ptr<const jose::KeySet> KeyManager::verification_keys() const {
  const auto ring = ring_.load();
  return ring ? ring->keys : std::make_shared<const jose::KeySet>();
}

std::shared_ptr<const std::string> KeyManager::jwks_json() const {
  const auto ring = ring_.load();
  return ring ? ring->jwks : std::make_shared<const std::string>(R"({"keys":[]})");
}

std::expected<std::vector<store::SigningKeyRecord>, std::string> KeyManager::load() {
  auto records = store_.list_signing_keys();
  if (!records) return std::unexpected("the database is unavailable (see the log)");
  std::erase_if(*records,
                [&](const store::SigningKeyRecord& r) { return r.purpose != policy_.purpose; });
  return std::move(*records);
}

std::expected<KeyInfo, std::string> KeyManager::add_key(
    jose::Algorithm alg, bool at_once, const std::vector<store::SigningKeyRecord>& known) {
  auto key = jose::EvpKey::generate(alg);
  if (!key) return std::unexpected(key.error());
  auto der = (*key)->private_pkcs8();
  if (!der) return std::unexpected(der.error());
  const std::string alg_name(jose::name(alg));
  auto sealed = sealer_.seal(*der, associated_data((*key)->kid(), alg_name), random_);
  core::wipe(*der);
  if (!sealed) return std::unexpected(sealed.error());
  const core::TimePoint now = clock_.now();
  const core::TimePoint activates =
      at_once ? now
              : now + std::chrono::duration_cast<core::TimePoint::duration>(policy_.publish_delay);
  const store::SigningKeyRecord record{
      .kid = (*key)->kid(),
      .alg = alg_name,
      .public_jwk = json::serialize((*key)->public_jwk()),
      .sealed_private = core::base64url_encode(*sealed),
      // Whole seconds, as stored, so that the timeline computed now and after a reload agree;
      // a delayed activation rounded up, so that a key never signs before its delay is over.
      .created_at = core::TimePoint(std::chrono::seconds(core::unix_seconds(now))),
      .activates_at = at_once ? core::TimePoint(std::chrono::seconds(core::unix_seconds(activates)))
                              : core::TimePoint(std::chrono::ceil<std::chrono::seconds>(
                                    activates.time_since_epoch())),
      .retire_at = std::nullopt,
      .purpose = policy_.purpose,
  };
  const std::optional<std::string> newest =
      known.empty() ? std::nullopt : std::optional<std::string>(known.back().kid);
  auto added = store_.add_signing_key(record, newest);
  if (!added) return std::unexpected("the database is unavailable (see the log)");
  if (!*added) return std::unexpected("another process added a signing key at the same time");
  cache_[record.kid] = *key;
  core::audit("signing_key_added", {{"kid", record.kid},
                                    {"alg", alg_name},
                                    {"purpose", record.purpose},
                                    {"signs_from", core::format_utc(record.activates_at)}});
  return KeyInfo{.kid = record.kid,
                 .alg = record.alg,
                 .status = at_once ? KeyStatus::kActive : KeyStatus::kPending,
                 .created_at = record.created_at,
                 .activates_at = record.activates_at,
                 .retires_at = std::nullopt};
}

std::expected<std::shared_ptr<const jose::EvpKey>, std::string> KeyManager::key_of(
    const store::SigningKeyRecord& record, bool need_private) {
  if (const auto it = cache_.find(record.kid);
      it != cache_.end() && (!need_private || it->second->has_private())) {
    return it->second;
  }
  const auto alg = jose::parse_algorithm(record.alg);
  if (!alg || *alg == jose::Algorithm::kHS256) {
    return std::unexpected("signing key " + record.kid + " has an unknown algorithm");
  }
  std::expected<std::shared_ptr<jose::EvpKey>, std::string> key;
  if (need_private) {
    const auto sealed = core::base64url_decode(record.sealed_private);
    if (!sealed)
      return std::unexpected("signing key " + record.kid + " is damaged in the database");
    auto der = sealer_.open(*sealed, associated_data(record.kid, record.alg));
    if (!der) return std::unexpected("signing key " + record.kid + ": " + der.error());
    key = jose::EvpKey::from_pkcs8(*alg, *der, record.kid);
    core::wipe(*der);
  } else {
    // A key that only verifies is built from its public JWK: no need to decrypt anything.
    auto jwk = core::parse_strict_json(record.public_jwk);
    if (!jwk || !jwk->is_object()) {
      return std::unexpected("signing key " + record.kid + " is damaged in the database");
    }
    key = jose::EvpKey::from_jwk(jwk->get_object(), *alg);
  }
  if (!key) return std::unexpected("signing key " + record.kid + ": " + key.error());
  cache_[record.kid] = *key;
  return std::shared_ptr<const jose::EvpKey>(std::move(*key));
}

std::expected<void, std::string> KeyManager::rebuild(
    const std::vector<store::SigningKeyRecord>& records) {
  const auto timeline = key_timeline(records, policy_.token_lifetime, clock_.now());
  auto ring = std::make_shared<Ring>();
  auto set = std::make_shared<jose::KeySet>();
  std::vector<std::shared_ptr<const jose::EvpKey>> published;
  std::map<std::string, std::shared_ptr<const jose::EvpKey>, std::less<>> kept;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (timeline[i].status == KeyStatus::kRetired) continue;
    const bool signs = timeline[i].status == KeyStatus::kActive;
    auto key = key_of(records[i], signs);
    if (!key) {
      // A key that cannot sign can still be published; one that should sign must load.
      if (signs) return std::unexpected(key.error());
      core::log(LogLevel::kError, "signing_key_unusable",
                {{"kid", records[i].kid}, {"detail", key.error()}});
      continue;
    }
    kept[records[i].kid] = *key;
    set->add(*key);
    published.push_back(*key);
    if (signs) ring->signer = *key;
    ring->summary += (signs ? "*" : "") + records[i].kid + " ";
  }
  if (!ring->signer) return std::unexpected("no signing key can sign");
  cache_ = std::move(kept);
  ring->keys = std::move(set);
  ring->jwks = std::make_shared<const std::string>(json::serialize(jose::jwks_document(published)));
  const auto previous = ring_.load();
  if (!previous || previous->summary != ring->summary) {
    json::array kids;
    for (const auto& key : published) kids.push_back(json::string(key->kid()));
    core::log(LogLevel::kInfo, "signing_keys_loaded",
              {{"signing", ring->signer->kid()}, {"published", std::move(kids)}});
  }
  ring_.store(std::move(ring));
  return {};
}

std::expected<void, std::string> KeyManager::refresh_locked(bool rotate_when_due) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto records = load();
    if (!records) return std::unexpected(records.error());
    const auto timeline = key_timeline(*records, policy_.token_lifetime, clock_.now());
    const bool can_sign = std::any_of(timeline.begin(), timeline.end(), [](const KeyInfo& k) {
      return k.status == KeyStatus::kActive;
    });
    if (!can_sign && records->empty() && !policy_.create_first) {
      ring_.store(
          std::make_shared<Ring>(Ring{.signer = nullptr,
                                      .keys = std::make_shared<const jose::KeySet>(),
                                      .jwks = std::make_shared<const std::string>(R"({"keys":[]})"),
                                      .summary = {}}));
      return {};
    }
    if (!can_sign) {
      // No key (a new database), or every key retired: one must sign now.
      if (auto added = add_key(policy_.algorithm, true, *records); !added) {
        core::log(LogLevel::kWarn, "signing_key_not_added", {{"detail", added.error()}});
      }
      continue;
    }
    if (rotate_when_due && records->back().created_at + policy_.rotation <= clock_.now()) {
      if (auto added = add_key(policy_.algorithm, false, *records); !added) {
        core::log(LogLevel::kWarn, "signing_key_not_added", {{"detail", added.error()}});
      }
      continue;
    }
    return rebuild(*records);
  }
  return std::unexpected("the signing keys changed under every attempt to load them");
}

std::expected<void, std::string> KeyManager::check_key_encryption_key(
    const std::vector<store::SigningKeyRecord>& records) {
  const auto timeline = key_timeline(records, policy_.token_lifetime, clock_.now());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const KeyStatus status = timeline[i].status;
    if (status != KeyStatus::kActive && status != KeyStatus::kPending) continue;
    if (auto key = key_of(records[i], true); !key) {
      return std::unexpected(
          key.error() + " (is TESSERA_KEY_ENCRYPTION_KEY or tessera.kek the one the server uses?)");
    }
  }
  return {};
}

std::expected<std::size_t, std::string> KeyManager::check_keys() {
  std::lock_guard lock(mutex_);
  auto records = load();
  if (!records) return std::unexpected(records.error());
  if (auto usable = check_key_encryption_key(*records); !usable) {
    return std::unexpected(usable.error());
  }
  return records->size();
}

std::expected<void, std::string> KeyManager::start() {
  std::lock_guard lock(mutex_);
  return refresh_locked(true);
}

std::expected<void, std::string> KeyManager::refresh() {
  std::lock_guard lock(mutex_);
  return refresh_locked(true);
}

std::expected<void, std::string> KeyManager::ensure_signing_key() {
  std::lock_guard lock(mutex_);
  auto records = load();
  if (!records) return std::unexpected(records.error());
  if (records->empty()) {
    if (auto added = add_key(policy_.algorithm, true, *records); !added) {
      // Another process may have made it meanwhile: the refresh below finds it.
      core::log(LogLevel::kWarn, "signing_key_not_added", {{"detail", added.error()}});
    }
  }
  return refresh_locked(true);
}

std::expected<KeyInfo, std::string> KeyManager::rotate(std::optional<jose::Algorithm> alg) {
  std::lock_guard lock(mutex_);
  for (int attempt = 0;; ++attempt) {
    auto records = load();
    if (!records) return std::unexpected(records.error());
    if (auto usable = check_key_encryption_key(*records); !usable) {
      return std::unexpected(usable.error());
    }
    const auto timeline = key_timeline(*records, policy_.token_lifetime, clock_.now());
    const bool can_sign = std::any_of(timeline.begin(), timeline.end(), [](const KeyInfo& k) {
      return k.status == KeyStatus::kActive;
    });
    auto added = add_key(alg.value_or(policy_.algorithm), !can_sign, *records);
    if (added || attempt + 1 == kAttempts) return added;
  }
}

std::expected<std::vector<KeyInfo>, std::string> KeyManager::list() {
  auto records = load();
  if (!records) return std::unexpected(records.error());
  return key_timeline(*records, policy_.token_lifetime, clock_.now());
}

std::expected<KeyManager::Retirement, std::string> KeyManager::retire(std::string_view kid) {
  std::lock_guard lock(mutex_);
  auto records = load();
  if (!records) return std::unexpected(records.error());
  const auto timeline = key_timeline(*records, policy_.token_lifetime, clock_.now());
  const auto it = std::find_if(timeline.begin(), timeline.end(),
                               [&](const KeyInfo& k) { return k.kid == kid; });
  if (it == timeline.end()) return std::unexpected("no signing key has kid " + std::string(kid));
  if (it->status == KeyStatus::kRetired) {
    return std::unexpected("signing key " + std::string(kid) + " is already retired");
  }
  // Retiring the signing key makes a replacement, which must be sealed with the right KEK:
  // the other keys that may sign must open with it. (The key being retired need not: it may
  // be retired precisely because it cannot be used.) The replacement activates now, after
  // every key that has activated, so only the pending keys may sign after it; the keys
  // before the retired one never sign again, though without it they would look active.
  if (it->status == KeyStatus::kActive) {
    std::vector<store::SigningKeyRecord> pending;
    for (std::size_t i = 0; i < records->size(); ++i) {
      if (timeline[i].status == KeyStatus::kPending) pending.push_back((*records)[i]);
    }
    if (auto usable = check_key_encryption_key(pending); !usable) {
      return std::unexpected(usable.error());
    }
  }
  const core::TimePoint now =
      core::TimePoint(std::chrono::seconds(core::unix_seconds(clock_.now())));
  if (!store_.set_signing_key_retire_at(kid, now)) {
    return std::unexpected("the database is unavailable (see the log)");
  }
  core::audit("signing_key_retired", {{"kid", kid}});
  Retirement result{.retired = *it, .replacement = std::nullopt};
  result.retired.status = KeyStatus::kRetired;
  result.retired.retires_at = now;
  if (it->status == KeyStatus::kActive) {
    // A replacement signs at once, unless another process (a server refreshing) already
    // made one in between.
    for (int attempt = 0; attempt < kAttempts && !result.replacement; ++attempt) {
      auto reloaded = load();
      if (!reloaded) return std::unexpected(reloaded.error());
      const auto now_timeline = key_timeline(*reloaded, policy_.token_lifetime, clock_.now());
      const auto active =
          std::find_if(now_timeline.begin(), now_timeline.end(),
                       [](const KeyInfo& k) { return k.status == KeyStatus::kActive; });
      if (active != now_timeline.end()) {
        result.replacement = *active;
        break;
      }
      if (auto added = add_key(policy_.algorithm, true, *reloaded)) result.replacement = *added;
    }
    if (!result.replacement) {
      return std::unexpected("retired " + std::string(kid) +
                             " but no key could be added to replace it; the server will add one");
    }
  }
  return result;
}

}  // namespace tessera::keys
