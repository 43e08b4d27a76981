#include "oauth/client_authenticator.h"

namespace tessera::oauth {
namespace {

OAuthError invalid_client() { return {ErrorCode::kInvalidClient, "client authentication failed"}; }

}  // namespace

std::expected<Client, OAuthError> ClientAuthenticator::authenticate(
    const ClientCredentials& credentials) const {
  using Method = ClientCredentials::Method;
  if (credentials.method == Method::kNone && credentials.id.empty()) return default_client();
  if (credentials.id != kDefaultClientId) return std::unexpected(invalid_client());
  // A public client has no secret; one that sends a secret is not who it claims.
  if (credentials.secret.has_value()) return std::unexpected(invalid_client());
  return default_client();
}

}  // namespace tessera::oauth
