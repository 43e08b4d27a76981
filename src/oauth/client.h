// OAuth clients (RFC 6749 section 2): who may ask for tokens, with which grants and scopes.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oauth/errors.h"
#include "oauth/parameters.h"
#include "oauth/scope.h"
#include "store/client.h"

namespace tessera::oauth {

struct Client {
  std::string id;
  // Public clients hold no secret and authenticate by client_id alone (RFC 6749 section 2.1).
  bool is_public = true;
  // grant_type values this client may use.
  std::vector<std::string> grants;
  // The scopes this client may request; std::nullopt means every scope (the built-in client).
  std::optional<ScopeSet> scopes;
  // The "aud" of its tokens; empty means the issuer.
  std::string audience;
  // The algorithm its id_tokens are signed with (client add --id-token-alg); empty: RS256.
  std::string id_token_alg = {};
  // Its tokens must be bound to a key by a DPoP proof (RFC 9449; client add --require-dpop).
  bool require_dpop = false;
  // Token exchange (RFC 8693): the audiences it may exchange a token for.
  std::vector<std::string> exchange_audiences = {};
  // Resource indicators (RFC 8707): what its tokens may be for, by `resource` (client add
  // --resource).
  std::vector<std::string> resources = {};

  bool allows_grant(std::string_view grant_type) const;
  // The scopes a token for this client may carry, out of `wanted`.
  ScopeSet allowed_scopes(const ScopeSet& wanted) const;
};

// The grant types a client may be registered with. (Discovery lists those the token endpoint
// serves: TokenService::grant_types.)
inline constexpr std::string_view kTokenExchangeGrant =
    "urn:ietf:params:oauth:grant-type:token-exchange";
inline constexpr std::string_view kDeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";
inline constexpr std::string_view kGrantTypes[] = {"password",          "client_credentials",
                                                   "refresh_token",     "authorization_code",
                                                   kTokenExchangeGrant, kDeviceCodeGrant};
bool is_grant_type(std::string_view grant_type);

// RFC 8707 section 2: the `resource` a request names, which must be one of the client's;
// empty when it names none. invalid_target for another, or for more than one (a token here
// has one audience).
std::expected<std::string, OAuthError> requested_resource(const Parameters& params,
                                                          const Client& client);

// The "aud" of a token for `client` and `resource` (empty: the client's audience).
inline const std::string& audience_for(const Client& client, const std::string& resource) {
  return resource.empty() ? client.audience : resource;
}

// A stored client as the protocol sees it.
Client client_from_record(const store::ClientRecord& record);

// The built-in public client that serves the seed's clientless password grant: the
// password and refresh_token grants and every scope (docs/reference.md, Commands).
inline constexpr std::string_view kDefaultClientId = "default";
Client default_client();

// What the request presented to authenticate its client.
struct ClientCredentials {
  // kAssertion: private_key_jwt (RFC 7523 section 2.2).
  enum class Method { kNone, kSecretBasic, kSecretPost, kAssertion };
  Method method = Method::kNone;
  std::string id;
  std::optional<std::string> secret;
  std::string assertion = {};  // kAssertion: the client_assertion JWT
};

}  // namespace tessera::oauth
