#include "oauth/grants/device_code.h"

namespace tessera::oauth {

std::expected<TokenResponse, OAuthError> DeviceCodeGrant::exchange(const TokenRequest& request,
                                                                   const Client& client) const {
  const auto device_code = request.params.get("device_code");
  if (!device_code) return std::unexpected(invalid_request("device_code is required"));
  auto approved = devices_.poll(*device_code, client);
  if (!approved) return std::unexpected(approved.error());

  auto user = users_.find_user(approved->subject);
  if (!user) return std::unexpected(unavailable());
  if (!*user || (*user)->disabled) {
    return std::unexpected(OAuthError{ErrorCode::kInvalidGrant, "the user is not active"});
  }
  auto issued = issuer_.issue(client, {.grant_type = kDeviceCodeGrant,
                                       .user = **user,
                                       .scope = approved->scopes,
                                       .nonce = {},
                                       .sid = approved->sid,
                                       .auth_time = approved->auth_time,
                                       .jkt = request.dpop_jkt});
  if (!issued) return std::unexpected(issued.error());
  return std::move(issued->response);
}

}  // namespace tessera::oauth
