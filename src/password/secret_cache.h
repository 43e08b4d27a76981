// A short memory of client secrets that verified, so that a service calling the token
// endpoint many times a second pays for argon2 once a minute, not on every call.
//
//   VerifiedSecretCache cache(clock, random);
//   if (!cache.contains(id, secret, stored_hash)) {
//     if (!hasher.verify(secret, stored_hash).value_or(false)) return invalid_client();
//     cache.add(id, secret, stored_hash);
//   }
//
// Nothing secret is kept: an entry is an HMAC, under a key made at start, of the client id,
// the secret and the stored hash (so changing the stored hash voids it), with an expiry.
// Only successes are remembered: a wrong secret always costs a full verification.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/random.h"

namespace tessera::password {

class VerifiedSecretCache {
 public:
  VerifiedSecretCache(const core::Clock& clock, core::Random& random,
                      std::chrono::seconds lifetime = std::chrono::seconds(60),
                      std::size_t capacity = 10000);

  bool contains(std::string_view id, std::string_view secret, std::string_view stored_hash);
  void add(std::string_view id, std::string_view secret, std::string_view stored_hash);

 private:
  std::string fingerprint(std::string_view id, std::string_view secret,
                          std::string_view stored_hash) const;

  const core::Clock& clock_;
  const std::chrono::seconds lifetime_;
  const std::size_t capacity_;
  const std::string key_;
  std::mutex mutex_;
  std::unordered_map<std::string, core::TimePoint> entries_;
};

}  // namespace tessera::password
