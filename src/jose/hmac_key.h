// HS256 (RFC 7518 section 3.2): HMAC-SHA256 under a shared secret, the seed's mode. The
// same object signs and verifies. Its kid is derived from the secret by HMAC, so it names
// the key without revealing anything an HS256 token does not already reveal.
//
//   auto key = tessera::jose::HmacKey::create(secret);   // secret: at least 32 bytes
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "jose/signing_key.h"

namespace tessera::jose {

class HmacKey final : public SigningKey, public VerificationKey {
 public:
  // RFC 7518 section 3.2: a key of the same size as the hash output (32 bytes) or larger.
  static constexpr std::size_t kMinSecretBytes = 32;

  // A one-line reason on failure: a secret shorter than kMinSecretBytes, or OpenSSL failing.
  static std::expected<std::shared_ptr<HmacKey>, std::string> create(std::string_view secret);

  ~HmacKey() override;
  HmacKey(const HmacKey&) = delete;
  HmacKey& operator=(const HmacKey&) = delete;

  Algorithm algorithm() const override { return Algorithm::kHS256; }
  const std::string& kid() const override { return kid_; }
  std::expected<std::string, Error> sign(std::string_view signing_input) const override;
  bool verify(std::string_view signing_input, std::string_view signature) const override;

 private:
  struct Impl;
  explicit HmacKey(std::unique_ptr<Impl> impl, std::string kid);
  std::unique_ptr<Impl> impl_;
  std::string kid_;
};

}  // namespace tessera::jose
