#include "oauth/token_service.h"

namespace tessera::oauth {

std::expected<TokenResponse, OAuthError> TokenService::handle(const TokenRequest& request) const {
  if (const auto repeated = request.params.duplicate()) {
    return std::unexpected(invalid_request(*repeated + " is repeated"));
  }

  std::string_view grant_type;
  if (const auto given = request.params.get("grant_type")) {
    grant_type = *given;
  } else if (request.params.get("username") && request.params.get("password")) {
    // The seed's clients post OAuth2PasswordRequestForm without grant_type (CONTRACT.md).
    grant_type = "password";
  } else {
    return std::unexpected(invalid_request("grant_type is required"));
  }
  const Grant* grant = find(grant_type);
  if (grant == nullptr) {
    return std::unexpected(
        OAuthError{ErrorCode::kUnsupportedGrantType, "this grant_type is not supported"});
  }

  auto client = clients_.authenticate(request.credentials, request.params, request.remote_address);
  if (!client) return std::unexpected(client.error());
  if (!client->allows_grant(grant_type)) {
    return std::unexpected(
        OAuthError{ErrorCode::kUnauthorizedClient, "the client may not use this grant_type"});
  }
  return grant->exchange(request, *client);
}

std::vector<std::string_view> TokenService::grant_types() const {
  std::vector<std::string_view> out;
  for (const auto& g : grants_) out.push_back(g->grant_type());
  return out;
}

const Grant* TokenService::find(std::string_view grant_type) const {
  for (const auto& g : grants_) {
    if (g->grant_type() == grant_type) return g.get();
  }
  return nullptr;
}

}  // namespace tessera::oauth
