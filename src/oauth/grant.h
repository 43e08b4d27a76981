// One grant type of the token endpoint (RFC 6749 section 4). Each lives in grants/, named
// after its grant_type, and is registered with the TokenService; the service authenticates
// the client and checks that it may use the grant before calling exchange().
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "oauth/access_token.h"
#include "oauth/client.h"
#include "oauth/errors.h"
#include "oauth/parameters.h"
#include "oauth/scope.h"

namespace tessera::oauth {

struct TokenRequest {
  Parameters params;
  // HTTP Basic credentials when the request had them (method kSecretBasic), else empty:
  // the service reads client_id and client_secret from the form itself.
  ClientCredentials credentials;
  std::string remote_address;  // for logs
  // The DPoP header's value when the request had exactly one (RFC 9449 section 4.1).
  std::optional<std::string> dpop_proof = std::nullopt;
  // The request's path, which the proof's htu must name (with the issuer before it).
  std::string path = "/token";
  // Set by the TokenService once the proof checked out: the key the tokens are bound to.
  std::string dpop_jkt = {};
};

// RFC 6749 section 5.1.
struct TokenResponse {
  std::string access_token;
  std::chrono::seconds expires_in{0};
  ScopeSet scope;
  std::optional<std::string> refresh_token;
  // The access token's id, for a grant that must be able to revoke it later.
  std::string jti = {};
  // OpenID Connect: the authorization code grant's id_token, with the openid scope.
  std::optional<std::string> id_token = std::nullopt;
  // The key the access token is bound to (DPoP); empty for a bearer token.
  std::string jkt = {};
  // Token exchange (RFC 8693 section 2.2.1): the type of the token issued.
  std::string issued_token_type = {};
};

// Signs the access token of a successful grant and logs it: the one place where a signing
// failure becomes server_error.
std::expected<TokenResponse, OAuthError> issue_access_token(const AccessTokens& tokens,
                                                            std::string_view grant_type,
                                                            const TokenSubject& subject);

// The scope a grant gives (RFC 6749 section 3.3): the requested scope if it is within
// `allowed`, everything allowed when none was requested; invalid_scope for a malformed or
// blank scope parameter or one asking beyond `allowed`.
std::expected<ScopeSet, OAuthError> granted_scope(const Parameters& params,
                                                  const ScopeSet& allowed);

class Grant {
 public:
  virtual ~Grant() = default;
  virtual std::string_view grant_type() const = 0;
  // Whether exchange() hashes a password (beyond authenticating the client), for choosing
  // where to run the request. Most grants only read and write the store.
  virtual bool hashes_passwords() const { return false; }
  // Blocking: may hash a password or query the store.
  virtual std::expected<TokenResponse, OAuthError> exchange(const TokenRequest& request,
                                                            const Client& client) const = 0;
};

}  // namespace tessera::oauth
