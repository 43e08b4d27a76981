// Token revocation (RFC 7009). A client may revoke only tokens issued to it; anything else,
// an unknown token or garbage included, is answered the same (200) and changes nothing
// (section 2.2).
//   - a refresh token revokes its whole family, and the access tokens issued from it;
//   - an access token goes on the deny list by its jti until it expires.
#pragma once

#include <expected>
#include <string_view>

#include "oauth/access_token.h"
#include "oauth/client.h"
#include "oauth/errors.h"
#include "oauth/refresh_tokens.h"
#include "oauth/revocation_list.h"
#include "store/store.h"

namespace tessera::oauth {

class Revocation {
 public:
  Revocation(const AccessTokens& access, const RefreshTokens& refresh, store::RevocationLog& store,
             RevocationList& revoked, const core::Clock& clock)
      : access_(access), refresh_(refresh), store_(store), revoked_(revoked), clock_(clock) {}

  // temporarily_unavailable only when the database cannot take the revocation.
  std::expected<void, OAuthError> revoke(std::string_view token, const Client& client) const;

 private:
  const AccessTokens& access_;
  const RefreshTokens& refresh_;
  store::RevocationLog& store_;
  RevocationList& revoked_;
  const core::Clock& clock_;
};

}  // namespace tessera::oauth
