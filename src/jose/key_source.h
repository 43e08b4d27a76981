// Where the token code gets its keys: the key that signs new tokens and the set that
// verifies presented ones. An interface so that keys can change while the server runs
// (rotation) without the token code knowing how.
#pragma once

#include <memory>

#include "jose/signing_key.h"

namespace tessera::jose {

class KeySource {
 public:
  virtual ~KeySource() = default;
  virtual std::shared_ptr<const SigningKey> signing_key() const = 0;
  virtual std::shared_ptr<const KeySet> verification_keys() const = 0;
};

// One key that both signs and verifies, fixed for the life of the process.
class StaticKeySource final : public KeySource {
 public:
  template <class Key>
  explicit StaticKeySource(std::shared_ptr<Key> key)
      : signing_(key), keys_(std::make_shared<KeySet>()) {
    std::const_pointer_cast<KeySet>(keys_)->add(std::move(key));
  }
  std::shared_ptr<const SigningKey> signing_key() const override { return signing_; }
  std::shared_ptr<const KeySet> verification_keys() const override { return keys_; }

 private:
  std::shared_ptr<const SigningKey> signing_;
  std::shared_ptr<const KeySet> keys_;
};

}  // namespace tessera::jose
