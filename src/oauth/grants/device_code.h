// The device code grant at the token endpoint (RFC 8628 section 3.4): the device polls with
// its device_code until the person at the verification page has answered. The tokens go out
// once, to the client that asked (section 3.5), for the user who allowed it and the scope they
// granted, while that user is still active; an id_token too with the openid scope.
#pragma once

#include "oauth/device_authorizations.h"
#include "oauth/grant.h"
#include "oauth/grants/user_tokens.h"
#include "store/store.h"

namespace tessera::oauth {

class DeviceCodeGrant final : public Grant {
 public:
  DeviceCodeGrant(const DeviceAuthorizations& devices, store::UserStore& users,
                  const UserTokenIssuer& issuer)
      : devices_(devices), users_(users), issuer_(issuer) {}

  std::string_view grant_type() const override { return kDeviceCodeGrant; }
  std::expected<TokenResponse, OAuthError> exchange(const TokenRequest& request,
                                                    const Client& client) const override;

 private:
  const DeviceAuthorizations& devices_;
  store::UserStore& users_;
  const UserTokenIssuer& issuer_;
};

}  // namespace tessera::oauth
