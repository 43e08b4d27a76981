#include "oauth/grants/user_tokens.h"

namespace tessera::oauth {

std::expected<UserTokens, OAuthError> UserTokenIssuer::issue(const Client& client,
                                                             const SignedInGrant& grant) const {
  UserTokens out;
  std::optional<std::string> refresh_token;
  if (client.allows_grant("refresh_token")) {
    auto started = refresh_.start(client, grant.user.name, grant.scope, grant.jkt, grant.resource);
    if (!started) return std::unexpected(started.error());
    out.family = started->family_id;
    refresh_token = std::move(started->token);
  }
  auto response = issue_access_token(tokens_, grant.grant_type,
                                     {.subject = grant.user.name,
                                      .client_id = client.id,
                                      .audience = audience_for(client, grant.resource),
                                      .scope = grant.scope,
                                      .session_id = out.family,
                                      .jkt = grant.jkt});
  if (!response) return std::unexpected(response.error());
  response->refresh_token = std::move(refresh_token);
  if (id_tokens_ != nullptr && contains(grant.scope, "openid")) {
    auto id_token = id_tokens_->issue({.user = grant.user,
                                       .client_id = client.id,
                                       .alg = client.id_token_alg,
                                       .scope = grant.scope,
                                       .nonce = grant.nonce,
                                       .sid = grant.sid,
                                       .auth_time = grant.auth_time,
                                       .access_token = response->access_token});
    if (!id_token) return std::unexpected(id_token.error());
    response->id_token = std::move(*id_token);
  }
  out.response = std::move(*response);
  return out;
}

}  // namespace tessera::oauth
