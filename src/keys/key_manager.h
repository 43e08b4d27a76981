// Signing keys over their life: made, published, signing, published while the tokens they
// signed may still be presented, retired. Keys live in the store with their private halves
// sealed (jose/key_seal.h), so every process that shares the database (the server, the admin
// CLI, later several servers) sees the same keys.
//
//   KeyManager keys(store, std::move(sealer), policy, clock, random);
//   keys.start();                  // serve: load, and make a first key if none can sign
//   every few seconds: keys.refresh();   // sees CLI rotations, rotates when due
//   tokens.issue(...) signs with keys.signing_key(); /.well-known/jwks.json is keys.jwks_json()
//
// The timeline of a key, all derived from three stored times:
//   created_at     made; in the JWKS from now on, so caches learn it before it signs;
//   activates_at   signs new tokens from now on (created_at + publish delay, or at once when
//                  no other key can sign), until a later key activates;
//   retires        out of the JWKS and verifying nothing: a token lifetime after the next
//                  key activated (every token it signed has expired by then), or when an
//                  admin retires it (stored retire_at).
#pragma once

#include <atomic>
#include <chrono>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "jose/evp_key.h"
#include "jose/key_seal.h"
#include "jose/key_source.h"
#include "store/store.h"

namespace tessera::keys {

struct KeyPolicy {
  // For keys made by automatic rotation and by `key rotate` without --alg.
  jose::Algorithm algorithm = jose::Algorithm::kEdDSA;
  std::chrono::seconds publish_delay{10 * 60};
  std::chrono::seconds rotation{30 * 24 * 3600};
  // The longest a token may be presented after it was signed: access-token TTL plus leeway.
  std::chrono::seconds token_lifetime{15 * 60 + 10};
  // The ring this manager keeps: the stored keys of this purpose ("access" or "id_token").
  std::string purpose = "access";
  // Whether start() and refresh() make the first key of an empty ring. The id_tokens' ring
  // waits for ensure_signing_key(): a server nobody signs in to never spends an RSA keygen.
  bool create_first = true;
};

enum class KeyStatus {
  kPending,   // published, not signing yet
  kActive,    // the key that signs
  kRetiring,  // published until the tokens it signed have expired
  kRetired,   // gone from the JWKS
};

std::string_view to_string(KeyStatus status);

struct KeyInfo {
  std::string kid;
  std::string alg;
  KeyStatus status = KeyStatus::kPending;
  core::TimePoint created_at;
  core::TimePoint activates_at;
  std::optional<core::TimePoint> retires_at;  // none while no later key has been made
};

// The status of every stored key at time `now`, in store order. Pure: the rules above.
std::vector<KeyInfo> key_timeline(const std::vector<store::SigningKeyRecord>& keys,
                                  std::chrono::seconds token_lifetime, core::TimePoint now);

class KeyManager final : public jose::KeySource {
 public:
  KeyManager(store::KeyStore& store, jose::KeySealer sealer, KeyPolicy policy,
             const core::Clock& clock, core::Random& random);

  // Loads the keys and makes one that signs at once if none can. Errors are one line.
  std::expected<void, std::string> start();
  // Reloads the keys (a rotation by another process shows up here), moves to the key that
  // should sign now, and rotates when the newest key is older than the rotation period.
  // Blocking (database, and key generation when rotating).
  std::expected<void, std::string> refresh();

  // Makes a key that signs at once if none can (an empty ring of a policy without
  // create_first). Blocking.
  std::expected<void, std::string> ensure_signing_key();

  // A new key (the policy's algorithm unless `alg`), published at once, signing after the
  // publish delay, or at once if no key can sign now.
  std::expected<KeyInfo, std::string> rotate(std::optional<jose::Algorithm> alg);
  std::expected<std::vector<KeyInfo>, std::string> list();
  // `tessera config check`: whether the KEK opens every stored key of this purpose that may
  // still sign. Reads only; the number of keys of this purpose.
  std::expected<std::size_t, std::string> check_keys();
  struct Retirement {
    KeyInfo retired;
    std::optional<KeyInfo> replacement;  // made when the retired key was the one signing
  };
  // Takes a key out of the JWKS now: tokens it signed stop verifying. If it was the signing
  // key, a new key signs at once (without the publish delay: an emergency).
  std::expected<Retirement, std::string> retire(std::string_view kid);

  std::shared_ptr<const jose::SigningKey> signing_key() const override;
  std::shared_ptr<const jose::KeySet> verification_keys() const override;
  std::shared_ptr<const std::string> jwks_json() const override;

 private:
  struct Ring;

  std::expected<std::vector<store::SigningKeyRecord>, std::string> load();
  std::expected<KeyInfo, std::string> add_key(jose::Algorithm alg, bool at_once,
                                              const std::vector<store::SigningKeyRecord>& known);
  std::expected<void, std::string> rebuild(const std::vector<store::SigningKeyRecord>& records);
  std::expected<std::shared_ptr<const jose::EvpKey>, std::string> key_of(
      const store::SigningKeyRecord& record, bool need_private);
  std::expected<void, std::string> refresh_locked(bool rotate_when_due);
  // Whether this manager's KEK opens the stored keys that may still sign: a key sealed under
  // another KEK would be published but could never sign, here or anywhere.
  std::expected<void, std::string> check_key_encryption_key(
      const std::vector<store::SigningKeyRecord>& records);

  store::KeyStore& store_;
  jose::KeySealer sealer_;
  const KeyPolicy policy_;
  const core::Clock& clock_;
  core::Random& random_;

  std::mutex mutex_;  // one refresh, rotation or retirement at a time; guards cache_
  std::map<std::string, std::shared_ptr<const jose::EvpKey>, std::less<>> cache_;
  std::atomic<std::shared_ptr<const Ring>> ring_;
};

}  // namespace tessera::keys
