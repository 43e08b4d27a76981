// Where the token code gets its keys: the key that signs new tokens, the set that verifies
// presented ones, and the JWKS that publishes their public halves. An interface so that keys
// can change while the server runs (rotation) without the token code knowing how.
#pragma once

#include <boost/json/serialize.hpp>
#include <memory>
#include <string>
#include <type_traits>

#include "jose/evp_key.h"
#include "jose/signing_key.h"

namespace tessera::jose {

class KeySource {
 public:
  virtual ~KeySource() = default;
  virtual std::shared_ptr<const SigningKey> signing_key() const = 0;
  virtual std::shared_ptr<const KeySet> verification_keys() const = 0;
  // The JWKS document (RFC 7517 section 5) as JSON text: public keys only, so {"keys":[]}
  // for an HS256 secret.
  virtual std::shared_ptr<const std::string> jwks_json() const = 0;
};

// One key that both signs and verifies, fixed for the life of the process.
class StaticKeySource final : public KeySource {
 public:
  template <class Key>
  explicit StaticKeySource(std::shared_ptr<Key> key)
      : signing_(key), keys_(std::make_shared<KeySet>()) {
    std::string jwks = R"({"keys":[]})";
    if constexpr (std::is_same_v<std::remove_const_t<Key>, EvpKey>) {
      jwks = R"({"keys":[)" + boost::json::serialize(key->public_jwk()) + "]}";
    }
    jwks_ = std::make_shared<const std::string>(std::move(jwks));
    std::const_pointer_cast<KeySet>(keys_)->add(std::move(key));
  }
  std::shared_ptr<const SigningKey> signing_key() const override { return signing_; }
  std::shared_ptr<const KeySet> verification_keys() const override { return keys_; }
  std::shared_ptr<const std::string> jwks_json() const override { return jwks_; }

 private:
  std::shared_ptr<const SigningKey> signing_;
  std::shared_ptr<const KeySet> keys_;
  std::shared_ptr<const std::string> jwks_;
};

}  // namespace tessera::jose
