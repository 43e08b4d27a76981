#include "oauth/errors.h"

namespace tessera::oauth {

std::string_view error_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest: return "invalid_request";
    case ErrorCode::kInvalidClient: return "invalid_client";
    case ErrorCode::kInvalidGrant: return "invalid_grant";
    case ErrorCode::kUnauthorizedClient: return "unauthorized_client";
    case ErrorCode::kUnsupportedGrantType: return "unsupported_grant_type";
    case ErrorCode::kInvalidScope: return "invalid_scope";
    case ErrorCode::kTemporarilyUnavailable: return "temporarily_unavailable";
    // RFC 6749 has no code for throttling; the request is fine, the server will not take it
    // yet, which is what this code says (section 4.1.2.1).
    case ErrorCode::kTooManyAttempts: return "temporarily_unavailable";
    case ErrorCode::kServerError: return "server_error";
    case ErrorCode::kUnsupportedResponseType: return "unsupported_response_type";
    case ErrorCode::kAccessDenied: return "access_denied";
    case ErrorCode::kLoginRequired: return "login_required";
    case ErrorCode::kConsentRequired: return "consent_required";
    case ErrorCode::kInvalidDpopProof: return "invalid_dpop_proof";
    case ErrorCode::kUseDpopNonce: return "use_dpop_nonce";
    case ErrorCode::kInvalidTarget: return "invalid_target";
    case ErrorCode::kAuthorizationPending: return "authorization_pending";
    case ErrorCode::kSlowDown: return "slow_down";
    case ErrorCode::kExpiredToken: return "expired_token";
  }
  return "server_error";
}

}  // namespace tessera::oauth
