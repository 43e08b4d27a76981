// The resource owner password credentials grant (RFC 6749 section 4.3), the seed's login.
//
// Unknown users, disabled users and wrong passwords get one and the same invalid_grant,
// after the same amount of hashing work, so that neither the answer nor its timing tells
// which user names exist. A correct password stored in an older format (bcrypt, or argon2id
// with other parameters) is rehashed with the current parameters. Clients allowed the
// refresh_token grant also get a refresh token.
#pragma once

#include "oauth/access_token.h"
#include "oauth/grant.h"
#include "oauth/refresh_tokens.h"
#include "oauth/throttle.h"
#include "oauth/user_authenticator.h"
#include "password/password_hasher.h"
#include "store/store.h"

namespace tessera::oauth {

class PasswordGrant final : public Grant {
 public:
  // `refresh` may be null: then no refresh tokens are issued; `throttle` may be null: then
  // failures are not counted.
  PasswordGrant(store::UserStore& users, const password::PasswordHasher& hasher,
                const AccessTokens& tokens, const RefreshTokens* refresh = nullptr,
                const LoginThrottle* throttle = nullptr)
      : users_(users, hasher, throttle), tokens_(tokens), refresh_(refresh) {}

  std::string_view grant_type() const override { return "password"; }
  // Even a refused login hashes, so that its timing tells nothing.
  bool hashes_passwords() const override { return true; }
  std::expected<TokenResponse, OAuthError> exchange(const TokenRequest& request,
                                                    const Client& client) const override;

 private:
  UserAuthenticator users_;
  const AccessTokens& tokens_;
  const RefreshTokens* refresh_;
};

}  // namespace tessera::oauth
