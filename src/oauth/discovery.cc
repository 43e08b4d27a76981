#include "oauth/discovery.h"

#include "oauth/scope.h"

namespace tessera::oauth {

namespace json = boost::json;

namespace {

json::array strings(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

// Endpoint URLs below the issuer, without doubling a trailing slash.
std::string endpoint(std::string_view issuer, std::string_view path) {
  while (!issuer.empty() && issuer.back() == '/') issuer.remove_suffix(1);
  return std::string(issuer) + std::string(path);
}

}  // namespace

ServerMetadata::ServerMetadata(MetadataSettings settings) : settings_(std::move(settings)) {
  const std::string& issuer = settings_.issuer;
  base_["issuer"] = issuer;
  base_["token_endpoint"] = endpoint(issuer, "/token");
  base_["jwks_uri"] = endpoint(issuer, "/.well-known/jwks.json");
  base_["userinfo_endpoint"] = endpoint(issuer, "/userinfo");
  base_["introspection_endpoint"] = endpoint(issuer, "/introspect");
  base_["revocation_endpoint"] = endpoint(issuer, "/revoke");
  base_["grant_types_supported"] = strings(settings_.grant_types);
  base_["token_endpoint_auth_methods_supported"] = strings(settings_.token_endpoint_auth_methods);
  // Introspection is for confidential clients only; public clients may revoke their tokens.
  base_["introspection_endpoint_auth_methods_supported"] =
      json::array{"client_secret_basic", "client_secret_post"};
  base_["revocation_endpoint_auth_methods_supported"] =
      strings(settings_.token_endpoint_auth_methods);
  // RFC 8414 section 2 requires this member; Tessera has no authorization endpoint, so no
  // response type is supported.
  base_["response_types_supported"] = json::array();
  base_["access_token_signing_alg_values_supported"] = strings(settings_.signing_algorithms);
}

json::object ServerMetadata::oauth(const std::vector<std::string>& scopes) const {
  json::object doc = base_;
  doc["scopes_supported"] = strings(scopes);
  return doc;
}

json::object ServerMetadata::openid(const std::vector<std::string>& scopes) const {
  json::object doc = oauth(scopes);
  doc["subject_types_supported"] = json::array{"public"};
  doc["id_token_signing_alg_values_supported"] = strings(settings_.signing_algorithms);
  doc["claims_supported"] =
      json::array{"sub", "preferred_username", "scope", "iss", "aud", "exp", "iat"};
  return doc;
}

std::expected<json::object, OAuthError> Discovery::document(Form form) const {
  auto scopes = users_.list_user_scopes();
  auto client_scopes = clients_.list_client_scopes();
  if (!scopes || !client_scopes) {
    return std::unexpected(
        OAuthError{ErrorCode::kTemporarilyUnavailable, "the service is temporarily unavailable"});
  }
  scopes->insert(scopes->end(), client_scopes->begin(), client_scopes->end());
  const ScopeSet all = make_scope_set(std::move(*scopes));
  return form == Form::kOpenId ? metadata_.openid(all) : metadata_.oauth(all);
}

}  // namespace tessera::oauth
