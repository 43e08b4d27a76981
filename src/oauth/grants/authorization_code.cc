#include "oauth/grants/authorization_code.h"

#include "core/log.h"

namespace tessera::oauth {
namespace {

OAuthError invalid_code() {
  return {ErrorCode::kInvalidGrant, "the authorization code is invalid"};
}

}  // namespace

std::expected<void, OAuthError> AuthorizationCodeGrant::check(
    const TokenRequest& request, const Client& client, const store::AuthorizationCode& code) const {
  if (code.client_id != client.id) return std::unexpected(invalid_code());
  if (code.expires_at <= codes_.clock().now()) return std::unexpected(invalid_code());
  if (const auto uri = request.params.get("redirect_uri"); uri && *uri != code.redirect_uri) {
    return std::unexpected(OAuthError{ErrorCode::kInvalidGrant,
                                      "redirect_uri is not the one the code was issued for"});
  }
  const auto verifier = request.params.get("code_verifier");
  if (!verifier || !verifier_matches(*verifier, code.code_challenge)) {
    return std::unexpected(
        OAuthError{ErrorCode::kInvalidGrant, "the code_verifier does not match the challenge"});
  }
  // RFC 9449 section 10: a code bound to a key is redeemed with a proof by that key only.
  if (!code.dpop_jkt.empty() && request.dpop_jkt != code.dpop_jkt) {
    return std::unexpected(OAuthError{
        ErrorCode::kInvalidGrant, request.dpop_jkt.empty()
                                      ? "the code is bound to a DPoP key: send a proof by it"
                                      : "the DPoP proof is not by the key the code is bound to"});
  }
  return {};
}

OAuthError AuthorizationCodeGrant::refuse_reuse(const store::AuthorizationCode& code) const {
  core::audit("authorization_code_reused",
              {{"client_id", code.client_id}, {"sub", code.subject}, {"jti", code.issued_jti}});
  if (!code.issued_family.empty()) {
    static_cast<void>(
        issuer_.refresh_tokens().revoke_family(code.issued_family, "authorization_code_reused"));
  }
  if (!code.issued_jti.empty()) {
    const core::TimePoint expires = codes_.clock().now() + issuer_.access_tokens().settings().ttl +
                                    issuer_.access_tokens().settings().leeway;
    if (revocations_.revoke_access_token(code.issued_jti, expires)) {
      revoked_.note({.kind = store::Revocation::Kind::kAccessToken,
                     .value = code.issued_jti,
                     .expires_at = expires});
    }
  }
  return invalid_code();
}

std::expected<TokenResponse, OAuthError> AuthorizationCodeGrant::exchange(
    const TokenRequest& request, const Client& client) const {
  const auto presented = request.params.get("code");
  if (!presented) return std::unexpected(invalid_request("code is required"));
  if (!request.params.get("code_verifier")) {
    return std::unexpected(invalid_request("code_verifier is required (PKCE)"));
  }
  auto code = codes_.redeem(*presented);
  if (!code) return std::unexpected(code.error());
  if (code->used_at) return std::unexpected(refuse_reuse(*code));
  if (auto ok = check(request, client, *code); !ok) return std::unexpected(ok.error());

  auto user = users_.find_user(code->subject);
  if (!user) return std::unexpected(unavailable());
  if (!*user || (*user)->disabled) return std::unexpected(invalid_code());

  // RFC 8707 section 2.2: the token request may name the resource the code was granted for
  // (or, for a code granted for none, one of the client's).
  auto resource = requested_resource(request.params, client);
  if (!resource) return std::unexpected(resource.error());
  if (!resource->empty() && !code->resource.empty() && *resource != code->resource) {
    return std::unexpected(
        OAuthError{ErrorCode::kInvalidTarget, "the code was granted for another resource"});
  }
  auto issued = issuer_.issue(client, {.grant_type = "authorization_code",
                                       .user = **user,
                                       .scope = code->scopes,
                                       .nonce = code->nonce,
                                       .sid = code->sid,
                                       .auth_time = code->auth_time,
                                       .jkt = request.dpop_jkt,
                                       .resource = resource->empty() ? code->resource : *resource});
  if (!issued) return std::unexpected(issued.error());
  codes_.note_issued(code->code_hash, issued->response.jti, issued->family);
  return std::move(issued->response);
}

}  // namespace tessera::oauth
