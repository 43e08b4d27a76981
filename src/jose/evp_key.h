// Asymmetric JWS keys over OpenSSL 3 EVP: EdDSA with Ed25519 (RFC 8037), ES256 with P-256
// (RFC 7518 section 3.4), RS256 and PS256 with RSA of 2048 bits or more (sections 3.3, 3.5).
//
//   auto key = tessera::jose::EvpKey::generate(tessera::jose::Algorithm::kEdDSA).value();
//   key->kid();            // the RFC 7638 thumbprint of its public JWK
//   key->public_jwk();     // {"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"}
//   auto der = key->private_pkcs8();                       // to store it (sealed, key_seal.h)
//   auto again = EvpKey::from_pkcs8(Algorithm::kEdDSA, *der, key->kid());
//   auto theirs = EvpKey::from_jwk(jwk_from_a_jwks);       // a public key to verify with
//
// A key holding a private part signs and verifies; one made from a public JWK only verifies.
// Immutable after construction and shared by every thread: signing and verification start
// from contexts initialised once per key and copied per operation.
//
// ES256 signatures are written with a low S (s <= n/2), and verification refuses R or S
// outside [1, n-1]. A high S from another signer is still accepted: JWS does not require low
// S, and PyJWT and others do not produce it.
#pragma once

#include <boost/json/object.hpp>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "jose/signing_key.h"

namespace tessera::jose {

class EvpKey final : public SigningKey, public VerificationKey {
 public:
  // A new random key for `alg` (RSA: 2048 bits). HS256 is not an EVP key: use HmacKey.
  static std::expected<std::shared_ptr<EvpKey>, std::string> generate(Algorithm alg);

  // A JWK (RFC 7517 section 4; RFC 7518 section 6; RFC 8037 section 2) with or without its
  // private members. Supported: OKP Ed25519, EC P-256, RSA of 2048 bits or more. The algorithm
  // is the JWK's "alg", else `alg`, else inferred from the key type where only one fits (RSA
  // needs one of them). A "use" other than "sig" is refused. The kid is the JWK's "kid", else
  // the RFC 7638 thumbprint.
  static std::expected<std::shared_ptr<EvpKey>, std::string> from_jwk(
      const boost::json::object& jwk, std::optional<Algorithm> alg = std::nullopt);

  // The private key as PKCS#8 DER (RFC 5958), for storage; an error for a public-only key.
  std::expected<std::string, std::string> private_pkcs8() const;
  // A key from its PKCS#8 DER, which must be of a type and size that fits `alg`. `kid` is
  // kept when given and checked against the thumbprint.
  static std::expected<std::shared_ptr<EvpKey>, std::string> from_pkcs8(Algorithm alg,
                                                                        std::string_view der,
                                                                        std::string_view kid = {});

  ~EvpKey() override;
  EvpKey(const EvpKey&) = delete;
  EvpKey& operator=(const EvpKey&) = delete;

  Algorithm algorithm() const override { return alg_; }
  const std::string& kid() const override { return kid_; }
  std::expected<std::string, Error> sign(std::string_view signing_input) const override;
  bool verify(std::string_view signing_input, std::string_view signature) const override;

  bool has_private() const;
  // The public JWK with "kid", "alg" and "use":"sig". Never a private member.
  const boost::json::object& public_jwk() const { return public_jwk_; }

  struct Impl;

 private:
  EvpKey(Algorithm alg, std::unique_ptr<Impl> impl);
  static std::expected<std::shared_ptr<EvpKey>, std::string> finish(Algorithm alg,
                                                                    std::unique_ptr<Impl> impl,
                                                                    std::string_view kid);
  Algorithm alg_;
  std::unique_ptr<Impl> impl_;
  boost::json::object public_jwk_;
  std::string kid_;
};

// The RFC 7638 thumbprint (SHA-256, base64url) of a JWK's required public members.
std::expected<std::string, std::string> jwk_thumbprint(const boost::json::object& jwk);

}  // namespace tessera::jose
