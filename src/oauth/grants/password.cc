#include "oauth/grants/password.h"

#include "oauth/limits.h"

namespace tessera::oauth {

std::expected<TokenResponse, OAuthError> PasswordGrant::exchange(const TokenRequest& request,
                                                                 const Client& client) const {
  const auto username = request.params.get("username");
  const auto password = request.params.get("password");
  if (!username) return std::unexpected(invalid_request("username is required"));
  if (!password) return std::unexpected(invalid_request("password is required"));
  if (username->size() > kMaxUserNameBytes) {
    return std::unexpected(invalid_request("username is too long"));
  }
  if (password->size() > password::kMaxPasswordBytes) {
    return std::unexpected(invalid_request("password is too long"));
  }
  // A malformed scope is refused before any hashing work.
  if (auto scope = request.params.get("scope")) {
    if (auto parsed = parse_scope(*scope); !parsed || parsed->empty()) {
      return std::unexpected(OAuthError{ErrorCode::kInvalidScope, "scope is malformed"});
    }
  }

  auto resource = requested_resource(request.params, client);
  if (!resource) return std::unexpected(resource.error());

  auto user = users_.authenticate(*username, *password, request.remote_address);
  if (!user) return std::unexpected(user.error());

  // Least privilege: only what both the user and the client may have, and of that only what
  // was asked for (RFC 6749 section 3.3).
  auto scope = granted_scope(request.params, client.allowed_scopes(user->scopes));
  if (!scope) return std::unexpected(scope.error());
  TokenSubject subject{.subject = user->name,
                       .client_id = client.id,
                       .audience = audience_for(client, *resource),
                       .scope = std::move(*scope),
                       .jkt = request.dpop_jkt};
  std::optional<RefreshTokens::Issued> refresh;
  if (refresh_ != nullptr && client.allows_grant("refresh_token")) {
    auto started = refresh_->start(client, user->name, subject.scope, request.dpop_jkt, *resource);
    if (!started) return std::unexpected(started.error());
    subject.session_id = started->family_id;
    refresh = std::move(*started);
  }
  auto response = issue_access_token(tokens_, "password", subject);
  if (response && refresh) response->refresh_token = std::move(refresh->token);
  return response;
}

}  // namespace tessera::oauth
