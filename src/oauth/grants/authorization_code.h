// The authorization code grant at the token endpoint (RFC 6749 section 4.1.3, RFC 7636
// section 4.6):
//   - the code must be one of ours, unexpired, issued to the authenticated client, for the
//     redirect_uri sent (when sent), and the code_verifier must match its S256 challenge;
//   - a code presented a second time was stolen or replayed: what its first use issued (the
//     access token and the refresh family) is revoked, and the answer is invalid_grant
//     (section 4.1.2);
//   - the user must still be active;
//   - a refresh token when the client has the refresh_token grant, an id_token with the openid
//     scope (OpenID Connect Core section 3.1.3.3).
#pragma once

#include "oauth/authorization_codes.h"
#include "oauth/grant.h"
#include "oauth/grants/user_tokens.h"
#include "oauth/revocation_list.h"
#include "store/store.h"

namespace tessera::oauth {

class AuthorizationCodeGrant final : public Grant {
 public:
  AuthorizationCodeGrant(const AuthorizationCodes& codes, store::UserStore& users,
                         const UserTokenIssuer& issuer, store::RevocationLog& revocations,
                         RevocationList& revoked)
      : codes_(codes),
        users_(users),
        issuer_(issuer),
        revocations_(revocations),
        revoked_(revoked) {}

  std::string_view grant_type() const override { return "authorization_code"; }
  std::expected<TokenResponse, OAuthError> exchange(const TokenRequest& request,
                                                    const Client& client) const override;

 private:
  std::expected<void, OAuthError> check(const TokenRequest& request, const Client& client,
                                        const store::AuthorizationCode& code) const;
  // A second use: revokes what the first issued.
  OAuthError refuse_reuse(const store::AuthorizationCode& code) const;

  const AuthorizationCodes& codes_;
  store::UserStore& users_;
  const UserTokenIssuer& issuer_;
  store::RevocationLog& revocations_;
  RevocationList& revoked_;
};

}  // namespace tessera::oauth
