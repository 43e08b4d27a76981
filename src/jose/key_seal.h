// Sealing private keys for storage: AES-256-GCM under a key-encryption key (KEK), with the
// key's identity as associated data, so a sealed key moved to another row or altered in any
// bit does not open.
//
//   auto sealer = tessera::jose::KeySealer::from_secret(kek_bytes).value();
//   std::string sealed = sealer.seal(pkcs8, "kid|EdDSA", random);
//   auto pkcs8_again = sealer.open(sealed, "kid|EdDSA");   // error if tampered or wrong KEK
//
// The KEK is derived from the given secret with HKDF-SHA256 (RFC 5869), so a secret of any
// length from 32 bytes on gives a full-strength AES key. A sealed value is
// 0x01 || nonce (12 bytes, random) || ciphertext || tag (16 bytes).
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "core/random.h"

namespace tessera::jose {

class KeySealer {
 public:
  static constexpr std::size_t kMinSecretBytes = 32;

  // A one-line reason on failure (a secret under 32 bytes, OpenSSL failing).
  static std::expected<KeySealer, std::string> from_secret(std::string_view secret);

  KeySealer(KeySealer&&) noexcept;
  KeySealer& operator=(KeySealer&&) noexcept;
  ~KeySealer();

  std::expected<std::string, std::string> seal(std::string_view plaintext,
                                               std::string_view associated_data,
                                               core::Random& random) const;
  // Fails, saying only that it cannot, when the value was altered, belongs to other
  // associated data, or was sealed under another KEK.
  std::expected<std::string, std::string> open(std::string_view sealed,
                                               std::string_view associated_data) const;

  // A 32-byte key for another use of the same secret (HKDF-SHA256 with `purpose` as its info),
  // independent of the sealing key and of every other purpose's.
  std::expected<std::string, std::string> derive_key(std::string_view purpose) const;

 private:
  explicit KeySealer(std::string key) : key_(std::move(key)) {}
  std::string key_;  // 32 bytes, wiped on destruction
};

}  // namespace tessera::jose
