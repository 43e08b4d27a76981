#include "password/secret_cache.h"

#include <openssl/crypto.h>
#include <string.h>

#include <cstdlib>

namespace tessera::password {
namespace {

std::shared_ptr<const jose::HmacKey> make_key(core::Random& random) {
  std::string secret = core::random_bytes(random, 32);
  auto key = jose::HmacKey::create(secret);
  explicit_bzero(secret.data(), secret.size());
  if (!key) std::abort();  // OpenSSL cannot do HMAC-SHA256: nothing here can work
  return std::move(*key);
}

}  // namespace

VerifiedSecretCache::VerifiedSecretCache(const core::Clock& clock, core::Random& random,
                                         std::chrono::seconds lifetime, std::size_t capacity)
    : clock_(clock), lifetime_(lifetime), capacity_(capacity), key_(make_key(random)) {}

std::string VerifiedSecretCache::mac(std::initializer_list<std::string_view> parts) const {
  // Lengths first, so that no two different tuples are fed as the same bytes.
  std::string input;
  std::size_t size = 0;
  for (const std::string_view part : parts) size += part.size() + 8;
  input.reserve(size);
  for (const std::string_view part : parts) {
    input += std::to_string(part.size());
    input.push_back(':');
    input.append(part);
  }
  // A keyed context prepared once and restarted per MAC (jose::HmacKey): no algorithm fetch
  // and no key setup per request.
  auto out = key_->sign(input);
  explicit_bzero(input.data(), input.size());
  if (!out) std::abort();  // OpenSSL out of memory
  return std::move(*out);
}

bool VerifiedSecretCache::contains(std::string_view id, std::string_view secret,
                                   std::string_view stored_hash) {
  const std::string key = mac({id, secret});
  const std::string tag = mac({id, secret, stored_hash});
  const core::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  // An entry for another stored hash cannot match again: the client's secret was changed.
  if (it->second.expires <= now ||
      CRYPTO_memcmp(it->second.tag.data(), tag.data(), tag.size()) != 0) {
    entries_.erase(it);
    return false;
  }
  return true;
}

void VerifiedSecretCache::add(std::string_view id, std::string_view secret,
                              std::string_view stored_hash) {
  std::string key = mac({id, secret});
  std::string tag = mac({id, secret, stored_hash});
  const core::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  if (entries_.size() >= capacity_) {
    std::erase_if(entries_, [&](const auto& entry) { return entry.second.expires <= now; });
    if (entries_.size() >= capacity_) entries_.clear();
  }
  entries_[std::move(key)] = Entry{.tag = std::move(tag), .expires = now + lifetime_};
}

bool VerifiedSecretCache::remembers(std::string_view id, std::string_view secret,
                                    std::chrono::seconds margin) {
  const std::string key = mac({id, secret});
  const core::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  return it != entries_.end() && it->second.expires > now + margin;
}

}  // namespace tessera::password
