#include "jose/error.h"

namespace tessera::jose {

std::string_view to_string(Error e) {
  switch (e) {
    case Error::kTooLarge: return "token is too large";
    case Error::kMalformed: return "token is not a compact JWS";
    case Error::kBadBase64: return "token segment is not base64url";
    case Error::kBadJson: return "token header or payload is not valid JSON";
    case Error::kNotAnObject: return "token header or payload is not a JSON object";
    case Error::kMissingAlgorithm: return "token header has no alg";
    case Error::kUnknownAlgorithm: return "token algorithm is not supported";
    case Error::kAlgorithmNotAllowed: return "token algorithm is not accepted here";
    case Error::kUnknownKey: return "token key is unknown";
    case Error::kForbiddenHeader: return "token header refers to an outside key";
    case Error::kUnsupportedCritical: return "token header has unsupported critical parameters";
    case Error::kWrongType: return "token type is not at+jwt";
    case Error::kBadSignature: return "token signature does not verify";
    case Error::kMissingClaim: return "token lacks a required claim";
    case Error::kBadClaim: return "token has a malformed claim";
    case Error::kExpired: return "token has expired";
    case Error::kNotYetValid: return "token is not valid yet";
    case Error::kIssuedInFuture: return "token is issued in the future";
    case Error::kWrongIssuer: return "token issuer is not accepted";
    case Error::kWrongAudience: return "token audience is not accepted";
    case Error::kRevoked: return "token has been revoked";
    case Error::kInternal: return "internal error";
  }
  return "invalid token";
}

}  // namespace tessera::jose
