#include "oauth/client.h"

#include <algorithm>

namespace tessera::oauth {

bool Client::allows_grant(std::string_view grant_type) const {
  return std::find(grants.begin(), grants.end(), grant_type) != grants.end();
}

ScopeSet Client::allowed_scopes(const ScopeSet& wanted) const {
  return scopes ? intersect(*scopes, wanted) : wanted;
}

bool is_grant_type(std::string_view grant_type) {
  return std::find(std::begin(kGrantTypes), std::end(kGrantTypes), grant_type) !=
         std::end(kGrantTypes);
}

Client client_from_record(const store::ClientRecord& record) {
  return Client{
      .id = record.id,
      // A client that signs assertions holds keys instead of a secret: confidential.
      .is_public = !record.secret_hash.has_value() && record.auth_method != "private_key_jwt",
      .grants = record.grants,
      .scopes = make_scope_set(record.scopes),
      .audience = record.audience,
      .id_token_alg = record.id_token_alg,
      .require_dpop = record.require_dpop,
      .exchange_audiences = record.exchange_audiences,
      .resources = record.resources};
}

Client default_client() {
  return Client{.id = std::string(kDefaultClientId),
                .is_public = true,
                .grants = {"password", "refresh_token"},
                .scopes = std::nullopt,
                .audience = {}};
}

std::expected<std::string, OAuthError> requested_resource(const Parameters& params,
                                                          const Client& client) {
  const auto resource = params.get("resource");
  if (!resource) return std::string();
  if (params.is_repeated("resource")) {
    return std::unexpected(
        OAuthError{ErrorCode::kInvalidTarget, "one resource at a time: a token has one audience"});
  }
  if (std::find(client.resources.begin(), client.resources.end(), *resource) ==
      client.resources.end()) {
    return std::unexpected(
        OAuthError{ErrorCode::kInvalidTarget, "the client may not have tokens for that resource"});
  }
  return std::string(*resource);
}

}  // namespace tessera::oauth
