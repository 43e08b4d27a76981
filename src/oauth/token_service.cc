#include "oauth/token_service.h"

namespace tessera::oauth {

std::expected<TokenPlan, OAuthError> TokenService::plan(const TokenRequest& request) const {
  if (const auto repeated = request.params.duplicate()) {
    return std::unexpected(invalid_request(*repeated + " is repeated"));
  }
  const auto grant_type = requested_grant_type(request.params);
  if (!grant_type) return std::unexpected(grant_type.error());
  const Grant* grant = find(*grant_type);
  if (grant == nullptr) {
    return std::unexpected(
        OAuthError{ErrorCode::kUnsupportedGrantType, "this grant_type is not supported"});
  }
  auto client = clients_.read(request.credentials, request.params);
  if (!client) return std::unexpected(client.error());
  const bool may_hash = grant->hashes_passwords() || client->may_hash;
  return TokenPlan{.grant = grant,
                   .grant_type = *grant_type,
                   .client = std::move(*client),
                   .may_hash = may_hash};
}

std::expected<TokenResponse, OAuthError> TokenService::exchange(const TokenRequest& request,
                                                                const TokenPlan& plan) const {
  auto client = clients_.authenticate(plan.client, request.remote_address);
  if (!client) return std::unexpected(client.error());
  if (!client->allows_grant(plan.grant_type)) {
    return std::unexpected(
        OAuthError{ErrorCode::kUnauthorizedClient, "the client may not use this grant_type"});
  }
  if (request.dpop_proof) {
    if (dpop_ == nullptr) {
      return std::unexpected(OAuthError{ErrorCode::kInvalidDpopProof, "DPoP is not supported"});
    }
    auto jkt =
        dpop_->verify({.proof = *request.dpop_proof, .method = "POST", .path = request.path});
    if (!jkt) return std::unexpected(jkt.error());
    TokenRequest bound = request;
    bound.dpop_jkt = std::move(*jkt);
    return plan.grant->exchange(bound, *client);
  }
  if (client->require_dpop) {
    return std::unexpected(
        OAuthError{ErrorCode::kInvalidDpopProof, "this client must send a DPoP proof"});
  }
  return plan.grant->exchange(request, *client);
}

std::expected<TokenResponse, OAuthError> TokenService::handle(const TokenRequest& request) const {
  auto planned = plan(request);
  if (!planned) return std::unexpected(planned.error());
  return exchange(request, *planned);
}

std::expected<std::string_view, OAuthError> TokenService::requested_grant_type(
    const Parameters& params) {
  if (const auto given = params.get("grant_type")) return *given;
  // The seed's clients post OAuth2PasswordRequestForm without grant_type (docs/reference.md, Token
  // endpoint).
  if (params.get("username") && params.get("password")) return "password";
  return std::unexpected(invalid_request("grant_type is required"));
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
