// Authorization server metadata (RFC 8414) and its OpenID Connect Discovery form: what a
// client or resource server needs to find Tessera's endpoints and keys.
//
//   ServerMetadata metadata({.issuer = "https://auth.example", .grant_types = {"password"},
//                            .signing_algorithms = {"EdDSA"}});
//   json::object doc = metadata.oauth(scopes);     // /.well-known/oauth-authorization-server
//   json::object oidc = metadata.openid(scopes);   // /.well-known/openid-configuration
#pragma once

#include <boost/json/object.hpp>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "oauth/errors.h"
#include "store/store.h"

namespace tessera::oauth {

struct MetadataSettings {
  std::string issuer;
  std::vector<std::string> grant_types;
  std::vector<std::string> token_endpoint_auth_methods;
  // Algorithms of the access tokens, the JWKS keys and the userinfo answers' tokens.
  std::vector<std::string> signing_algorithms;
  // The DPoP proof algorithms accepted (RFC 9449 section 5.1); empty: no DPoP.
  std::vector<std::string> dpop_algorithms = {};
  // Whether /par (RFC 9126) is served.
  bool pushed_requests = false;
  // RFC 8628 section 4: device_authorization_endpoint.
  bool device_authorization = false;
  // RFC 8414 section 2: registration_endpoint, when dynamic registration is on.
  bool registration = false;
};

class ServerMetadata {
 public:
  explicit ServerMetadata(MetadataSettings settings);

  // `scopes`: every scope a token may carry now (they change as users are added).
  boost::json::object oauth(const std::vector<std::string>& scopes) const;
  // The same, plus the members OpenID Connect Discovery 1.0 section 3 requires.
  boost::json::object openid(const std::vector<std::string>& scopes) const;

 private:
  MetadataSettings settings_;
  boost::json::object base_;
};

// The metadata documents as they are now: their scopes_supported are the scopes the users and
// clients in the store may have. Blocking (it reads the store).
class Discovery {
 public:
  Discovery(const ServerMetadata& metadata, store::UserStore& users, store::ClientStore& clients)
      : metadata_(metadata), users_(users), clients_(clients) {}

  enum class Form { kOAuth, kOpenId };
  // temporarily_unavailable when the database cannot answer.
  std::expected<boost::json::object, OAuthError> document(Form form) const;

 private:
  const ServerMetadata& metadata_;
  store::UserStore& users_;
  store::ClientStore& clients_;
};

}  // namespace tessera::oauth
