#include "oauth/token_cache.h"

#include <functional>

namespace tessera::oauth {

VerifiedTokenCache::VerifiedTokenCache(std::size_t capacity)
    : per_shard_(std::max<std::size_t>(1, capacity / kShards)) {}

VerifiedTokenCache::Shard& VerifiedTokenCache::shard_of(std::string_view token) const {
  return shards_[std::hash<std::string_view>{}(token) % kShards];
}

std::shared_ptr<const VerifiedToken> VerifiedTokenCache::find(
    std::string_view token, std::int64_t now,
    const std::shared_ptr<const jose::KeySet>& keys) const {
  Shard& shard = shard_of(token);
  std::lock_guard lock(shard.mutex);
  // GCC 12's unordered_map has no heterogeneous lookup: the key is built for the lookup.
  const auto it = shard.entries.find(std::string(token));
  if (it == shard.entries.end()) return nullptr;
  if (it->second.keys != keys || now >= it->second.verified->valid_until) {
    shard.entries.erase(it);
    return nullptr;
  }
  return it->second.verified;
}

void VerifiedTokenCache::insert(std::string_view token,
                                std::shared_ptr<const VerifiedToken> verified,
                                std::shared_ptr<const jose::KeySet> keys) {
  Shard& shard = shard_of(token);
  std::lock_guard lock(shard.mutex);
  if (shard.entries.size() >= per_shard_) shard.entries.erase(shard.entries.begin());
  shard.entries.insert_or_assign(std::string(token), Entry{std::move(verified), std::move(keys)});
}

}  // namespace tessera::oauth
