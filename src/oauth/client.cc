#include "oauth/client.h"

#include <algorithm>

namespace tessera::oauth {

bool Client::allows_grant(std::string_view grant_type) const {
  return std::find(grants.begin(), grants.end(), grant_type) != grants.end();
}

ScopeSet Client::allowed_scopes(const ScopeSet& wanted) const {
  return scopes ? intersect(*scopes, wanted) : wanted;
}

Client default_client() {
  return Client{.id = std::string(kDefaultClientId),
                .is_public = true,
                .grants = {"password", "refresh_token"},
                .scopes = std::nullopt,
                .audience = {}};
}

}  // namespace tessera::oauth
