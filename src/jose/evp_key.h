// Asymmetric JWS keys over OpenSSL 3 EVP: EdDSA with Ed25519 (RFC 8037), ES256 with P-256
// (RFC 7518 section 3.4), RS256 and PS256 with RSA of 2048 bits or more (sections 3.3, 3.5).
//
//   auto key = tessera::jose::EvpKey::generate(tessera::jose::Algorithm::kEdDSA).value();
//   key->kid();            // the RFC 7638 thumbprint of its public JWK
//   key->public_jwk();     // {"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"}
//
// A key holding a private part signs and verifies; one made from a public JWK only verifies.
// Immutable after construction and shared by every thread.
#pragma once

#include <boost/json/object.hpp>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "jose/signing_key.h"

namespace tessera::jose {

class EvpKey final : public SigningKey, public VerificationKey {
 public:
  // A new random key for `alg` (RSA: 2048 bits). HS256 is not an EVP key: use HmacKey.
  static std::expected<std::shared_ptr<EvpKey>, std::string> generate(Algorithm alg);

  ~EvpKey() override;
  EvpKey(const EvpKey&) = delete;
  EvpKey& operator=(const EvpKey&) = delete;

  Algorithm algorithm() const override { return alg_; }
  const std::string& kid() const override { return kid_; }
  std::expected<std::string, Error> sign(std::string_view signing_input) const override;
  bool verify(std::string_view signing_input, std::string_view signature) const override;

  // The public JWK (RFC 7517 section 4) with "kid", "alg" and "use":"sig". Never a private part.
  const boost::json::object& public_jwk() const { return public_jwk_; }

 private:
  struct Impl;
  EvpKey(Algorithm alg, std::unique_ptr<Impl> impl);
  Algorithm alg_;
  std::unique_ptr<Impl> impl_;
  boost::json::object public_jwk_;
  std::string kid_;
};

}  // namespace tessera::jose
