// What a grant that signed a person in through a browser issues (the authorization code grant,
// the device code grant): an access token, a refresh token when the client has the
// refresh_token grant, and an id_token when the scope has openid (OpenID Connect Core section
// 3.1.3.3).
#pragma once

#include <expected>
#include <string>

#include "oauth/access_token.h"
#include "oauth/grant.h"
#include "oauth/id_tokens.h"
#include "oauth/refresh_tokens.h"
#include "store/user.h"

namespace tessera::oauth {

struct SignedInGrant {
  std::string_view grant_type;
  const store::User& user;
  ScopeSet scope;
  std::string nonce;  // empty: none was sent
  std::string sid;    // the browser session the user signed in with
  core::TimePoint auth_time;
  std::string jkt;  // the DPoP key the request proved; empty: none
  // RFC 8707: the resource the access tokens are for; empty: the client's audience.
  std::string resource = {};
};

struct UserTokens {
  TokenResponse response;
  std::string family;  // the refresh family started; empty: none
};

class UserTokenIssuer {
 public:
  // `id_tokens` is null in the HS256 mode, which refuses openid before a grant gets here.
  UserTokenIssuer(const AccessTokens& tokens, const RefreshTokens& refresh,
                  const IdTokens* id_tokens)
      : tokens_(tokens), refresh_(refresh), id_tokens_(id_tokens) {}

  // Blocking: a refresh family is written.
  std::expected<UserTokens, OAuthError> issue(const Client& client,
                                              const SignedInGrant& grant) const;

  const AccessTokens& access_tokens() const { return tokens_; }
  const RefreshTokens& refresh_tokens() const { return refresh_; }

 private:
  const AccessTokens& tokens_;
  const RefreshTokens& refresh_;
  const IdTokens* id_tokens_;
};

}  // namespace tessera::oauth
