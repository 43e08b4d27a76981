// Token exchange (RFC 8693) at the token endpoint: a service that received a user's access
// token asks for a narrower one to call the next service with.
//   - the subject_token is an access token Tessera issued, live (not expired, not revoked);
//   - the audience (or resource) must be one the client was registered for
//     (client add --exchange-audience), else invalid_target;
//   - the scope may only narrow the subject token's;
//   - the new token keeps the subject's "sub" and "sid" (so revoking the subject's refresh
//     family or user ends it too), never outlives the subject token, and records the chain
//     in "act" (section 4.1): {"sub": client id}, with the subject token's own "act" nested;
//   - a subject token that names who may act for it ("may_act", section 4.4) is exchanged
//     only by that client;
//   - an actor_token, when sent, must be a live access token issued to the same client.
#pragma once

#include "oauth/access_token.h"
#include "oauth/grant.h"

namespace tessera::oauth {

inline constexpr std::string_view kAccessTokenType =
    "urn:ietf:params:oauth:token-type:access_token";

class TokenExchangeGrant final : public Grant {
 public:
  explicit TokenExchangeGrant(const AccessTokens& tokens) : tokens_(tokens) {}

  std::string_view grant_type() const override { return kTokenExchangeGrant; }
  std::expected<TokenResponse, OAuthError> exchange(const TokenRequest& request,
                                                    const Client& client) const override;

 private:
  const AccessTokens& tokens_;
};

}  // namespace tessera::oauth
