#include "oauth/introspection.h"

namespace tessera::oauth {

namespace json = boost::json;

namespace {

json::object inactive() { return json::object{{"active", false}}; }

}  // namespace

std::expected<json::object, OAuthError> Introspection::introspect(std::string_view token) const {
  // Our access tokens are JWTs (three dot-separated parts); refresh tokens are opaque.
  if (token.find('.') == std::string_view::npos) return introspect_refresh(token);
  auto verified = access_.verify_shared(token);
  if (!verified) return inactive();
  const json::object* claims = &(*verified)->claims;
  json::object out;
  out["active"] = true;
  for (const std::string_view name :
       {"scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti", "cnf"}) {
    if (const json::value* v = claims->if_contains(name)) out[name] = *v;
  }
  // RFC 9449 section 6.2: a bound token is of type DPoP and shows its key's thumbprint.
  out["token_type"] = (*verified)->jkt.empty() ? "bearer" : "DPoP";
  // RFC 7662 section 2.2: "username", for tokens a resource owner authorized.
  if (claims->at("sub") != claims->at("client_id")) out["username"] = claims->at("sub");
  return out;
}

std::expected<json::object, OAuthError> Introspection::introspect_refresh(
    std::string_view token) const {
  auto state = refresh_.find(token);
  if (!state) {
    if (state.error().code == ErrorCode::kTemporarilyUnavailable)
      return std::unexpected(state.error());
    return inactive();
  }
  if (!refresh_.is_active(*state)) return inactive();
  auto user = users_.find_user(state->family.subject);
  if (!user) return std::unexpected(unavailable());
  if (!*user || (*user)->disabled) return inactive();
  std::string audience = issuer_;
  if (state->family.client_id != kDefaultClientId) {
    auto client = clients_.find_client(state->family.client_id);
    if (!client) return std::unexpected(unavailable());
    if (!*client) return inactive();
    if (!(*client)->audience.empty()) audience = (*client)->audience;
  }
  json::object out;
  out["active"] = true;
  out["scope"] = format_scope(state->token.scopes);
  out["client_id"] = state->family.client_id;
  out["sub"] = state->family.subject;
  out["username"] = state->family.subject;
  out["exp"] = core::unix_seconds(state->token.expires_at);
  out["iat"] = core::unix_seconds(state->token.issued_at);
  out["iss"] = issuer_;
  out["aud"] = audience;
  out["token_type"] = "refresh_token";
  return out;
}

}  // namespace tessera::oauth
