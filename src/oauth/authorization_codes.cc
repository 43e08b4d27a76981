#include "oauth/authorization_codes.h"

#include <algorithm>

#include "core/base64.h"
#include "core/log.h"
#include "jose/digest.h"
#include "password/password_hasher.h"

namespace tessera::oauth {
namespace {

constexpr std::size_t kCodeBytes = 32;
constexpr std::size_t kCodeChars = 43;  // base64url of 32 bytes

OAuthError invalid_code() {
  return {ErrorCode::kInvalidGrant, "the authorization code is invalid"};
}

}  // namespace

std::string AuthorizationCodes::hash(std::string_view code) {
  return core::base64url_encode(jose::sha256(code));
}

std::expected<std::string, OAuthError> AuthorizationCodes::issue(
    const AuthorizationRequest& request, const ScopeSet& scope, const SignedIn& who) const {
  std::string code = core::random_token(random_, kCodeBytes);
  const store::AuthorizationCode record{.code_hash = hash(code),
                                        .client_id = request.client.id,
                                        .redirect_uri = request.redirect_uri,
                                        .subject = who.subject,
                                        .scopes = scope,
                                        .nonce = request.nonce,
                                        .code_challenge = request.code_challenge,
                                        .sid = who.sid,
                                        .auth_time = who.auth_time,
                                        .expires_at = clock_.now() + kLifetime,
                                        .used_at = std::nullopt,
                                        .issued_jti = {},
                                        .issued_family = {},
                                        .dpop_jkt = request.dpop_jkt,
                                        .resource = request.resource};
  if (!store_.add_code(record)) return std::unexpected(unavailable());
  return code;
}

std::expected<store::AuthorizationCode, OAuthError> AuthorizationCodes::redeem(
    std::string_view code) const {
  if (code.size() != kCodeChars) return std::unexpected(invalid_code());
  auto found = store_.redeem_code(hash(code), clock_.now());
  if (!found) return std::unexpected(unavailable());
  if (!*found) return std::unexpected(invalid_code());
  return std::move(**found);
}

void AuthorizationCodes::note_issued(std::string_view code_hash, std::string_view jti,
                                     std::string_view family_id) const {
  if (!store_.set_code_issued(code_hash, jti, family_id)) {
    // The tokens stand; only a later reuse of the code could not revoke them.
    core::log(core::LogLevel::kWarn, "code_issue_not_recorded", {{"jti", jti}});
  }
}

bool verifier_matches(std::string_view verifier, std::string_view challenge) {
  const bool shaped = verifier.size() >= 43 && verifier.size() <= 128 &&
                      std::all_of(verifier.begin(), verifier.end(), [](char c) {
                        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                               (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                               c == '~';
                      });
  if (!shaped) return false;
  return password::constant_time_equals(core::base64url_encode(jose::sha256(verifier)), challenge);
}

}  // namespace tessera::oauth
