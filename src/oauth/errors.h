// The OAuth error vocabulary: the closed set of RFC 6749 section 5.2 plus the two server-side
// conditions a token endpoint can meet. Mapped to status, body and headers in exactly one
// place, http/response.cc.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::oauth {

enum class ErrorCode {
  kInvalidRequest,          // 400
  kInvalidClient,           // 401 with WWW-Authenticate: Basic
  kInvalidGrant,            // 400
  kUnauthorizedClient,      // 400
  kUnsupportedGrantType,    // 400
  kInvalidScope,            // 400
  kTemporarilyUnavailable,  // 503: the database or the hashing pool cannot take it now
  kTooManyAttempts,         // 429 with Retry-After: credential checks throttled (throttle.h)
  kServerError,             // 500: a bug or a failing library; details only in the log
  // Authorization responses (RFC 6749 section 4.1.2.1, OpenID Connect Core section 3.1.2.6).
  kUnsupportedResponseType,
  kAccessDenied,
  kLoginRequired,
  kConsentRequired,
  // RFC 9449 section 5: a DPoP proof missing where required, malformed, or not for this
  // request. 400 at the token endpoint; at a resource, 401 with a DPoP challenge.
  kInvalidDpopProof,
  // RFC 9449 section 8: the proof lacks the server's nonce, or has a stale one; the answer
  // carries a fresh one in its DPoP-Nonce header. 400 at the token endpoint, 401 at a resource.
  kUseDpopNonce,
  // RFC 8693 section 2.2.2: the audience or resource asked for is not one this client may
  // reach. 400.
  kInvalidTarget,
  // RFC 8628 section 3.5, polling for a device's tokens (all 400): the user has not answered
  // yet; polled sooner than the interval allows; the device code has expired.
  kAuthorizationPending,
  kSlowDown,
  kExpiredToken,
};

// The "error" value, e.g. "invalid_grant".
std::string_view error_name(ErrorCode code);

struct OAuthError {
  ErrorCode code;
  // Human-readable, safe to show to the client (RFC 6749 section 5.2 error_description:
  // printable ASCII, no quote or backslash). Never names a secret.
  std::string description;
  // For kTooManyAttempts: how long until the lock ends.
  std::optional<std::chrono::seconds> retry_after = std::nullopt;
};

inline OAuthError invalid_request(std::string description) {
  return {ErrorCode::kInvalidRequest, std::move(description)};
}

// The database (or another shared resource) cannot answer now: 503, the same words always.
inline OAuthError unavailable() {
  return {ErrorCode::kTemporarilyUnavailable, "the service is temporarily unavailable"};
}

}  // namespace tessera::oauth
