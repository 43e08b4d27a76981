// Keys as the JWS code sees them: something that signs, something that verifies, and the
// set of verification keys a verifier trusts. Implementations hold their OpenSSL state
// privately and are immutable after construction, so one key is shared by every thread.
//
//   auto key = tessera::jose::HmacKey::create(secret).value();   // hmac_key.h
//   KeySet keys;
//   keys.add(key);
//   auto jws = tessera::jose::sign_compact(*key, "at+jwt", payload_json);    // jws.h
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jose/algorithm.h"
#include "jose/error.h"

namespace tessera::jose {

class VerificationKey {
 public:
  virtual ~VerificationKey() = default;
  virtual Algorithm algorithm() const = 0;
  virtual const std::string& kid() const = 0;
  // Whether `signature` (raw bytes, as decoded from the third segment) is valid for
  // `signing_input` (ASCII(BASE64URL(header) || '.' || BASE64URL(payload))).
  virtual bool verify(std::string_view signing_input, std::string_view signature) const = 0;
};

class SigningKey {
 public:
  virtual ~SigningKey() = default;
  virtual Algorithm algorithm() const = 0;
  virtual const std::string& kid() const = 0;
  // The raw signature bytes over `signing_input`.
  virtual std::expected<std::string, Error> sign(std::string_view signing_input) const = 0;
};

// The verification keys a verifier trusts. Lookup is by "kid" and algorithm together: a key
// is only ever used with its own algorithm, which rules out algorithm confusion (RFC 8725
// section 2.1), such as an HS256 signature checked with a public key as the HMAC secret.
class KeySet {
 public:
  void add(std::shared_ptr<const VerificationKey> key);

  // With a kid: the key with that kid, if its algorithm is `alg`. Without one: the only key
  // for `alg`, if there is exactly one.
  const VerificationKey* find(std::string_view kid, Algorithm alg) const;

  bool empty() const { return keys_.empty(); }

 private:
  std::vector<std::shared_ptr<const VerificationKey>> keys_;
};

}  // namespace tessera::jose
