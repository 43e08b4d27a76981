// A signing key as stored: plain data. When it signs and when it leaves the JWKS is decided
// in keys/; the private part is sealed there (jose/key_seal.h) before it gets here.
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"

namespace tessera::store {

struct SigningKeyRecord {
  std::string kid;             // RFC 7638 thumbprint
  std::string alg;             // "EdDSA", "ES256", "RS256" or "PS256"
  std::string public_jwk;      // JSON text, public members only
  std::string sealed_private;  // base64url of the sealed PKCS#8; never logged
  core::TimePoint created_at;
  // From when the key signs new tokens (published before then, so caches learn it first).
  core::TimePoint activates_at;
  // From when the key is out of the JWKS and verifies nothing; none while it is current.
  std::optional<core::TimePoint> retire_at;
  // Which tokens the key signs: "access" (access tokens) or "id_token" (OpenID Connect
  // id_tokens, RS256 by default). Each purpose is a key ring of its own.
  std::string purpose = "access";
};

}  // namespace tessera::store
