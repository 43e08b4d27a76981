// Randomness as the rest of Tessera sees it: an interface so tests can make it predictable,
// and the kernel's CSPRNG (getrandom(2)) in production.
//
//   tessera::core::SystemRandom random;
//   std::string jti = tessera::core::random_token(random, 16);   // 22 base64url characters
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace tessera::core {

class Random {
 public:
  virtual ~Random() = default;
  // Fills `out` with unpredictable bytes; never fails (aborts if the kernel cannot deliver).
  virtual void fill(std::span<std::byte> out) = 0;
};

class SystemRandom final : public Random {
 public:
  void fill(std::span<std::byte> out) override;
};

// `n` random bytes.
std::string random_bytes(Random& random, std::size_t n);

// `n` random bytes, base64url-encoded: identifiers, generated passwords and secrets.
std::string random_token(Random& random, std::size_t n);

}  // namespace tessera::core
