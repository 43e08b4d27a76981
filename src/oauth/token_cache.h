// A bounded memory of access tokens that verified, so that a token presented again and again
// (every request of a client, until it expires) costs a lookup instead of a signature check.
//
// Correct only because every hit is checked again for what can change: the time (an entry
// is used only before the token's exp plus leeway), the keys (an entry is bound to the key
// set it verified under; when keys change it is verified afresh, so a retired key's tokens
// fail), and revocation (the caller checks jti and sid on every hit). Keyed by the whole
// token, compared exactly. Sharded, each shard under its own lock; when a shard is full an
// arbitrary entry makes room.
#pragma once

#include <array>
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "jose/signing_key.h"

namespace tessera::oauth {

// What verification established about a token, shared by every request presenting it.
struct VerifiedToken {
  boost::json::object claims;
  std::string json;  // the claims serialized, for answers that return them whole
  std::string jti;
  std::string sid;  // empty when the token has none
  std::string sub;
  std::string client_id;
  std::string jkt;  // cnf.jkt of a DPoP-bound token (RFC 9449 section 6.1); empty: bearer
  std::int64_t issued_ms = 0;    // Unix milliseconds (access_token.h, issued_at_ms)
  std::int64_t valid_until = 0;  // exp plus leeway, Unix seconds
};

class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(std::size_t capacity = 4096);

  std::shared_ptr<const VerifiedToken> find(std::string_view token, std::int64_t now,
                                            const std::shared_ptr<const jose::KeySet>& keys) const;
  void insert(std::string_view token, std::shared_ptr<const VerifiedToken> verified,
              std::shared_ptr<const jose::KeySet> keys);

 private:
  struct Entry {
    std::shared_ptr<const VerifiedToken> verified;
    std::shared_ptr<const jose::KeySet> keys;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;
  };
  static constexpr std::size_t kShards = 16;

  Shard& shard_of(std::string_view token) const;

  std::size_t per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace tessera::oauth
