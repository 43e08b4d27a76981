#include "oauth/discovery.h"

#include <algorithm>

#include "oauth/authorization.h"
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
  json::array confidential;
  for (const std::string& method : settings_.token_endpoint_auth_methods) {
    if (method != "none") confidential.emplace_back(method);
  }
  base_["introspection_endpoint_auth_methods_supported"] = std::move(confidential);
  if (std::find(settings_.token_endpoint_auth_methods.begin(),
                settings_.token_endpoint_auth_methods.end(),
                "private_key_jwt") != settings_.token_endpoint_auth_methods.end()) {
    // RFC 8414 section 2: the algorithms private_key_jwt assertions may be signed with.
    const json::array algs{"EdDSA", "Ed25519", "ES256", "RS256", "PS256"};
    for (const char* name : {"token_endpoint_auth_signing_alg_values_supported",
                             "introspection_endpoint_auth_signing_alg_values_supported",
                             "revocation_endpoint_auth_signing_alg_values_supported"}) {
      base_[name] = algs;
    }
  }
  base_["revocation_endpoint_auth_methods_supported"] =
      strings(settings_.token_endpoint_auth_methods);
  // The authorization code flow with PKCE (RFC 8414 section 2, RFC 9207 section 3).
  base_["authorization_endpoint"] = endpoint(issuer, "/authorize");
  base_["response_types_supported"] = json::array{"code"};
  base_["response_modes_supported"] = json::array{"query"};
  base_["code_challenge_methods_supported"] = json::array{"S256"};
  base_["authorization_response_iss_parameter_supported"] = true;
  base_["access_token_signing_alg_values_supported"] = strings(settings_.signing_algorithms);
  if (settings_.registration) base_["registration_endpoint"] = endpoint(issuer, "/register");
  if (settings_.device_authorization) {
    base_["device_authorization_endpoint"] = endpoint(issuer, "/device_authorization");
  }
  if (settings_.pushed_requests) {
    base_["pushed_authorization_request_endpoint"] = endpoint(issuer, "/par");
    base_["require_pushed_authorization_requests"] = false;
  }
  if (!settings_.dpop_algorithms.empty()) {
    base_["dpop_signing_alg_values_supported"] = strings(settings_.dpop_algorithms);
  }
}

json::object ServerMetadata::oauth(const std::vector<std::string>& scopes) const {
  json::object doc = base_;
  doc["scopes_supported"] = strings(scopes);
  return doc;
}

json::object ServerMetadata::openid(const std::vector<std::string>& scopes) const {
  json::object doc = oauth(scopes);
  doc["end_session_endpoint"] = endpoint(settings_.issuer, "/logout");
  doc["subject_types_supported"] = json::array{"public"};
  doc["id_token_signing_alg_values_supported"] = strings(settings_.signing_algorithms);
  doc["claims_supported"] =
      json::array{"sub",   "iss", "aud",     "exp",  "iat",   "auth_time",
                  "nonce", "sid", "at_hash", "name", "email", "preferred_username"};
  doc["prompt_values_supported"] = json::array{"none", "login", "consent", "select_account"};
  return doc;
}

std::expected<json::object, OAuthError> Discovery::document(Form form) const {
  auto scopes = users_.list_user_scopes();
  auto client_scopes = clients_.list_client_scopes();
  if (!scopes || !client_scopes) {
    return std::unexpected(unavailable());
  }
  scopes->insert(scopes->end(), client_scopes->begin(), client_scopes->end());
  // The identity scopes every sign-in client may ask for (OpenID Connect Core section 5.4).
  scopes->insert(scopes->end(), std::begin(kIdentityScopes), std::end(kIdentityScopes));
  const ScopeSet all = make_scope_set(std::move(*scopes));
  return form == Form::kOpenId ? metadata_.openid(all) : metadata_.oauth(all);
}

}  // namespace tessera::oauth
