// The client credentials grant (RFC 6749 section 4.4): a confidential client asks for a
// token for itself. "sub" is the client id; no refresh token (section 4.4.3).
#pragma once

#include "oauth/access_token.h"
#include "oauth/grant.h"

namespace tessera::oauth {

class ClientCredentialsGrant final : public Grant {
 public:
  explicit ClientCredentialsGrant(const AccessTokens& tokens) : tokens_(tokens) {}

  std::string_view grant_type() const override { return "client_credentials"; }
  std::expected<TokenResponse, OAuthError> exchange(const TokenRequest& request,
                                                    const Client& client) const override;

 private:
  const AccessTokens& tokens_;
};

}  // namespace tessera::oauth
