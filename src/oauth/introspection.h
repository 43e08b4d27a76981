// Token introspection (RFC 7662) for Tessera's access tokens and refresh tokens. Any
// authenticated confidential client may introspect any token (resource servers introspect
// tokens issued to others; docs/reference.md).
//
//   Introspection introspection(access_tokens, refresh_tokens, users, issuer);
//   json::object answer = introspection.introspect(token);   // {"active":true,...} or
//   {"active":false}
//
// Inactive, unknown, expired, revoked and malformed tokens all get exactly {"active": false}
// (section 2.2): the caller learns nothing more. Blocking (a refresh token is looked up).
#pragma once

#include <boost/json/object.hpp>
#include <expected>
#include <string>
#include <string_view>

#include "oauth/access_token.h"
#include "oauth/errors.h"
#include "oauth/refresh_tokens.h"
#include "store/store.h"

namespace tessera::oauth {

class Introspection {
 public:
  Introspection(const AccessTokens& access, const RefreshTokens& refresh, store::UserStore& users,
                store::ClientStore& clients, std::string issuer)
      : access_(access),
        refresh_(refresh),
        users_(users),
        clients_(clients),
        issuer_(std::move(issuer)) {}

  // temporarily_unavailable only when the database cannot answer.
  std::expected<boost::json::object, OAuthError> introspect(std::string_view token) const;

 private:
  std::expected<boost::json::object, OAuthError> introspect_refresh(std::string_view token) const;

  const AccessTokens& access_;
  const RefreshTokens& refresh_;
  store::UserStore& users_;
  store::ClientStore& clients_;
  std::string issuer_;
};

}  // namespace tessera::oauth
