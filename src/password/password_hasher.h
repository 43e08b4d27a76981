// Password hashing and verification.
//
//   tessera::core::SystemRandom random;
//   tessera::password::PasswordHasher hasher(random);
//   std::string stored = hasher.hash("correct horse").value();   //
//   "$argon2id$v=19$m=19456,t=2,p=1$..." bool ok = hasher.verify("correct horse", stored).value();
//   // true if (ok && hasher.needs_rehash(stored)) { /* store hasher.hash(...) instead */ }
//
// New hashes are argon2id PHC strings (RFC 9106) made by libargon2. Verification also accepts
// bcrypt hashes ($2a$, $2b$, $2y$, as passlib writes them) through libcrypt, so users move
// over from the seed's service with their hashes and are upgraded on their next login.
//
// Every call here is slow on purpose (tens of milliseconds) and blocks: callers run it on a
// worker pool, never on an I/O thread. Nothing here logs or keeps a password.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "core/random.h"

namespace tessera::password {

// OWASP's recommended argon2id settings (m=19 MiB, t=2, p=1): about 20-40 ms on one core
// here, and small enough that a burst of logins cannot exhaust memory.
struct Argon2Params {
  std::uint32_t memory_kib = 19 * 1024;
  std::uint32_t iterations = 2;
  std::uint32_t parallelism = 1;
};

enum class HashError {
  kUnsupportedFormat,  // not argon2id PHC and not bcrypt $2a$/$2b$/$2y$, or malformed
  kCostOutOfRange,     // a known format with parameters outside what we accept (see below)
  kPasswordTooLong,    // over kMaxPasswordBytes
  kInternal,           // the library failed (out of memory)
};

std::string_view to_string(HashError e);

// Longer passwords are refused before any hashing, so a request cannot buy unbounded CPU.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

class PasswordHasher {
 public:
  // Cheap (no hashing). Throws std::invalid_argument for `params` outside the bounds verify()
  // accepts (m 8*p..1048576 KiB, t 1..16, p 1..16): a configuration error.
  explicit PasswordHasher(core::Random& random, Argon2Params params = {});

  // A new argon2id PHC string with a fresh 16-byte salt and a 32-byte hash.
  std::expected<std::string, HashError> hash(std::string_view password) const;

  // Whether `password` matches `stored` (argon2id PHC or bcrypt). The final comparison is
  // constant-time. A bcrypt hash only ever looks at the first 72 bytes of the password, as
  // every bcrypt does; a password containing a NUL byte never matches a bcrypt hash.
  std::expected<bool, HashError> verify(std::string_view password, std::string_view stored) const;

  // Costs the same as verify() against a hash made with the current parameters and throws
  // the answer away: used for unknown user names, so that timing does not tell which exist.
  void dummy_verify(std::string_view password) const;

  // True when `stored` is not argon2id with exactly the current parameters.
  bool needs_rehash(std::string_view stored) const;

  const Argon2Params& params() const { return params_; }

 private:
  core::Random& random_;
  Argon2Params params_;
  std::string dummy_hash_;
};

// Checks a hash offered for import (`tessera user add --password-hash`): a well-formed
// argon2id PHC string with m <= 1 GiB, t <= 16, p <= 16, or a bcrypt hash with cost 4..16.
// The bounds keep an imported hash from making every login of that user a denial of service.
std::expected<void, HashError> check_importable(std::string_view stored);

// Equality of two byte strings in time that depends only on their lengths.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace tessera::password
