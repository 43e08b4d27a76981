#include "password/secret_cache.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include <cstdlib>

namespace tessera::password {

VerifiedSecretCache::VerifiedSecretCache(const core::Clock& clock, core::Random& random,
                                         std::chrono::seconds lifetime, std::size_t capacity)
    : clock_(clock), lifetime_(lifetime), capacity_(capacity), key_(core::random_bytes(random, 32)) {}

std::string VerifiedSecretCache::fingerprint(std::string_view id, std::string_view secret,
                                             std::string_view stored_hash) const {
  // Lengths first, so that no two different triples are fed as the same bytes.
  std::string input;
  input.reserve(id.size() + secret.size() + stored_hash.size() + 24);
  for (const std::string_view part : {id, secret, stored_hash}) {
    input += std::to_string(part.size());
    input.push_back(':');
    input.append(part);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &n) == nullptr) {
    std::abort();  // OpenSSL out of memory
  }
  explicit_bzero(input.data(), input.size());
  return std::string(reinterpret_cast<char*>(mac), n);
}

bool VerifiedSecretCache::contains(std::string_view id, std::string_view secret,
                                   std::string_view stored_hash) {
  const std::string key = fingerprint(id, secret, stored_hash);
  const core::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  if (it->second <= now) {
    entries_.erase(it);
    return false;
  }
  return true;
}

void VerifiedSecretCache::add(std::string_view id, std::string_view secret,
                              std::string_view stored_hash) {
  std::string key = fingerprint(id, secret, stored_hash);
  const core::TimePoint now = clock_.now();
  std::lock_guard lock(mutex_);
  if (entries_.size() >= capacity_) {
    std::erase_if(entries_, [&](const auto& entry) { return entry.second <= now; });
    if (entries_.size() >= capacity_) entries_.clear();
  }
  entries_[std::move(key)] = now + lifetime_;
}

}  // namespace tessera::password
