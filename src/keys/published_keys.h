// The keys the JWKS publishes: those of every ring (the access tokens' and the id_tokens'),
// while signing and verifying stay with the access tokens' ring.
//
//   PublishedKeys published(access_keys, id_token_keys);
//   router serves published.jwks_json(); tokens.issue() signs with access_keys.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "jose/key_source.h"

namespace tessera::keys {

class PublishedKeys final : public jose::KeySource {
 public:
  PublishedKeys(const jose::KeySource& primary, const jose::KeySource& also)
      : primary_(primary), also_(also) {}

  std::shared_ptr<const jose::SigningKey> signing_key() const override {
    return primary_.signing_key();
  }
  std::shared_ptr<const jose::KeySet> verification_keys() const override {
    return primary_.verification_keys();
  }
  // Both rings' keys in one document; merged again only when either ring changed.
  std::shared_ptr<const std::string> jwks_json() const override;

 private:
  const jose::KeySource& primary_;
  const jose::KeySource& also_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const std::string> primary_seen_, also_seen_, merged_;
};

}  // namespace tessera::keys
