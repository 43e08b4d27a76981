// The refresh token grant (RFC 6749 section 6) with rotation and reuse detection (RFC 9700
// section 4.14.2):
//   - the token must belong to the authenticated client; another client's token is
//     invalid_grant and is left alone;
//   - a token already used (replaced by its successor) means a copy is in other hands: the
//     whole family is revoked, access tokens included, and the answer is invalid_grant;
//     unless its own client presents it again within the grace period, when the answer
//     carries the same successor again (a lost answer retried; refresh_tokens.h);
//   - a user since disabled or deleted ends the family;
//   - the scope may be narrowed, never widened, and never beyond what the user and the
//     client may still have;
//   - the answer carries a new refresh token with the family's original scope.
#pragma once

#include "oauth/access_token.h"
#include "oauth/grant.h"
#include "oauth/refresh_tokens.h"
#include "store/store.h"

namespace tessera::oauth {

class RefreshTokenGrant final : public Grant {
 public:
  RefreshTokenGrant(store::UserStore& users, const RefreshTokens& refresh,
                    const AccessTokens& tokens)
      : users_(users), refresh_(refresh), tokens_(tokens) {}

  std::string_view grant_type() const override { return "refresh_token"; }
  std::expected<TokenResponse, OAuthError> exchange(const TokenRequest& request,
                                                    const Client& client) const override;

 private:
  store::UserStore& users_;
  const RefreshTokens& refresh_;
  const AccessTokens& tokens_;
};

}  // namespace tessera::oauth
