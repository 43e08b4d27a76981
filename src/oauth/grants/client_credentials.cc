#include "oauth/grants/client_credentials.h"

namespace tessera::oauth {

std::expected<TokenResponse, OAuthError> ClientCredentialsGrant::exchange(
    const TokenRequest& request, const Client& client) const {
  // Section 4.4: only confidential clients. (A public client is refused earlier, as it may
  // not be registered with this grant, but the rule belongs here.)
  if (client.is_public) {
    return std::unexpected(OAuthError{ErrorCode::kUnauthorizedClient,
                                      "a public client cannot use client_credentials"});
  }
  // A client has a fixed set of scopes (never "every scope": that is only the built-in
  // public client).
  auto scope = granted_scope(request.params, client.scopes.value_or(ScopeSet{}));
  if (!scope) return std::unexpected(scope.error());
  auto resource = requested_resource(request.params, client);
  if (!resource) return std::unexpected(resource.error());
  return issue_access_token(tokens_, "client_credentials",
                            {.subject = client.id,
                             .client_id = client.id,
                             .audience = audience_for(client, *resource),
                             .scope = std::move(*scope),
                             .jkt = request.dpop_jkt});
}

}  // namespace tessera::oauth
