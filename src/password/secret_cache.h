// A short memory of client secrets that verified, so that a service calling the token
// endpoint many times a second pays for argon2 once a minute, not on every call.
//
//   VerifiedSecretCache cache(clock, random);
//   if (!cache.contains(id, secret, stored_hash)) {
//     if (!hasher.verify(secret, stored_hash).value_or(false)) return invalid_client();
//     cache.add(id, secret, stored_hash);
//   }
//
// Nothing secret is kept: an entry is keyed by an HMAC, under a key made at start, of the
// client id and the secret, and holds an HMAC of the id, the secret and the stored hash (so
// changing the stored hash voids it) with an expiry. Only successes are remembered: a wrong
// secret always costs a full verification.
//
// remembers() answers from the id and secret alone, without the stored record: a cheap hint
// for choosing where to run a request (one that needs no hashing need not wait behind those
// that do), never a verdict. Thread-safe.
#pragma once

#include <chrono>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/random.h"
#include "jose/hmac_key.h"

namespace tessera::password {

class VerifiedSecretCache {
 public:
  VerifiedSecretCache(const core::Clock& clock, core::Random& random,
                      std::chrono::seconds lifetime = std::chrono::seconds(60),
                      std::size_t capacity = 10000);

  // Whether `secret` verified against `stored_hash` for `id` within the lifetime. An entry
  // for another stored hash is dropped.
  bool contains(std::string_view id, std::string_view secret, std::string_view stored_hash);
  void add(std::string_view id, std::string_view secret, std::string_view stored_hash);

  // Whether some entry for (id, secret) stays unexpired for at least `margin` more: then
  // contains() will most likely be true, if the stored hash has not changed meanwhile.
  bool remembers(std::string_view id, std::string_view secret, std::chrono::seconds margin);

 private:
  struct Entry {
    std::string tag;  // the MAC of id, secret and stored hash
    core::TimePoint expires;
  };

  std::string mac(std::initializer_list<std::string_view> parts) const;

  const core::Clock& clock_;
  const std::chrono::seconds lifetime_;
  const std::size_t capacity_;
  const std::shared_ptr<const jose::HmacKey> key_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // by the MAC of id and secret
};

}  // namespace tessera::password
