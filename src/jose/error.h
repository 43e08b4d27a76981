// Every way a JWS or JWT can be refused, as one closed set, so that callers and tests see
// the exact reason and never a boolean.
#pragma once

#include <string_view>

namespace tessera::jose {

enum class Error {
  // Shape of the compact serialization.
  kTooLarge,     // longer than the limit for a token
  kMalformed,    // not three non-empty dot-separated segments
  kBadBase64,    // a segment is not canonical unpadded base64url
  kBadJson,      // header or payload is not strict JSON (includes duplicate keys)
  kNotAnObject,  // header or payload is JSON but not an object
  // Header.
  kMissingAlgorithm,     // no "alg", or not a string
  kUnknownAlgorithm,     // "alg" is not one we implement ("none" lands here)
  kAlgorithmNotAllowed,  // an algorithm we know but the verifier was not configured for
  kUnknownKey,           // "kid" names no key we hold, or no key fits
  kForbiddenHeader,      // "jku", "x5u", "jwk", "x5c": never followed (RFC 8725 section 3.10)
  kUnsupportedCritical,  // "crit" present: we implement no extensions (RFC 7515 section 4.1.11)
  kWrongType,  // "typ" is not the expected one (RFC 9068 section 4, RFC 8725 section 3.11)
  // Signature.
  kBadSignature,
  // Claims (RFC 7519 section 4.1).
  kMissingClaim,    // a required claim is absent
  kBadClaim,        // a claim has the wrong JSON type or an impossible value
  kExpired,         // now >= exp + leeway
  kNotYetValid,     // now < nbf - leeway
  kIssuedInFuture,  // iat > now + leeway
  kWrongIssuer,
  kWrongAudience,
  // Valid by itself, but revoked (RFC 7009) or of a revoked refresh family.
  kRevoked,
  // The library failed (out of memory).
  kInternal,
};

std::string_view to_string(Error e);

}  // namespace tessera::jose
