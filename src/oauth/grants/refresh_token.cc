#include "oauth/grants/refresh_token.h"

#include "core/log.h"
#include "oauth/authorization.h"

namespace tessera::oauth {
namespace {

OAuthError invalid_grant() { return {ErrorCode::kInvalidGrant, "the refresh token is invalid"}; }

// RFC 8707 section 2.2: a refresh may name the resource its family was granted for, or, for a
// family granted for none, any of the client's; by default the family's.
std::expected<std::string, OAuthError> resource_of(const TokenRequest& request,
                                                   const Client& client,
                                                   const store::RefreshFamily& family) {
  auto requested = requested_resource(request.params, client);
  if (!requested) return requested;
  if (requested->empty()) return family.resource;
  if (!family.resource.empty() && *requested != family.resource) {
    return std::unexpected(OAuthError{ErrorCode::kInvalidTarget,
                                      "the refresh token was granted for another resource"});
  }
  return requested;
}

}  // namespace

std::expected<TokenResponse, OAuthError> RefreshTokenGrant::exchange(const TokenRequest& request,
                                                                     const Client& client) const {
  const auto presented = request.params.get("refresh_token");
  if (!presented) return std::unexpected(invalid_request("refresh_token is required"));
  auto state = refresh_.find(*presented);
  if (!state) return std::unexpected(state.error());

  // Bound to its client (section 6): another client learns nothing and changes nothing.
  if (state->family.client_id != client.id) return std::unexpected(invalid_grant());
  if (state->family.revoked_at) return std::unexpected(invalid_grant());
  // A public client's family bound to a DPoP key refreshes only with a proof by that key
  // (RFC 9449 section 5): a stolen refresh token is useless without it.
  if (!state->family.jkt.empty() && state->family.jkt != request.dpop_jkt) {
    return std::unexpected(OAuthError{ErrorCode::kInvalidDpopProof,
                                      request.dpop_jkt.empty()
                                          ? "this refresh token needs a DPoP proof"
                                          : "the DPoP proof is not by this refresh token's key"});
  }
  // A token already replaced is a retry within the grace period, or reuse (refresh_tokens.h).
  std::optional<std::string> retried;
  if (state->token.used_at) {
    auto successor = refresh_.reused(*state, *presented);
    if (!successor) return std::unexpected(successor.error());
    retried = std::move(*successor);
  } else if (!refresh_.is_active(*state)) {
    return std::unexpected(invalid_grant());
  }

  auto user = users_.find_user(state->family.subject);
  if (!user) {
    return std::unexpected(unavailable());
  }
  if (!*user || (*user)->disabled) {
    if (auto revoked = refresh_.revoke_family(state->family.id, "user_inactive"); !revoked) {
      return std::unexpected(revoked.error());
    }
    return std::unexpected(invalid_grant());
  }

  // Never wider than first granted, nor than the user and the client may have today.
  // The identity scopes a sign-in granted stay (they are every user's: authorization.h).
  ScopeSet permitted = client.allowed_scopes((*user)->scopes);
  for (const std::string& scope : state->token.scopes) {
    if (is_identity_scope(scope)) permitted.push_back(scope);
  }
  const ScopeSet allowed = intersect(state->token.scopes, make_scope_set(std::move(permitted)));
  auto scope = granted_scope(request.params, allowed);
  if (!scope) return std::unexpected(scope.error());
  auto resource = resource_of(request, client, state->family);
  if (!resource) return std::unexpected(resource.error());

  auto next = retried ? std::expected<std::string, OAuthError>(std::move(*retried))
                      : refresh_.rotate(*state, *presented);
  if (!next) return std::unexpected(next.error());
  auto response = issue_access_token(tokens_, "refresh_token",
                                     {.subject = state->family.subject,
                                      .client_id = client.id,
                                      .audience = audience_for(client, *resource),
                                      .scope = std::move(*scope),
                                      .session_id = state->family.id,
                                      .jkt = request.dpop_jkt});
  if (response) response->refresh_token = std::move(*next);
  return response;
}

}  // namespace tessera::oauth
