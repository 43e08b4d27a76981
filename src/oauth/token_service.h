// The token endpoint as a pipeline of named steps (RFC 6749 section 3.2):
//   1. refuse repeated parameters;
//   2. find the grant type (the seed's clients send username and password without one);
//   3. authenticate the client;
//   4. check that the client may use the grant;
//   5. let the grant exchange the request for tokens.
//
//   TokenService service(clients);
//   service.add(std::make_unique<PasswordGrant>(users, hasher, tokens));
//   auto response = service.handle(request);   // expected<TokenResponse, OAuthError>
//
// Blocking (grants hash passwords and query the store): the HTTP layer runs it on a worker
// pool, the lower-priority one when may_hash() says the request may hash.
#pragma once

#include <expected>
#include <memory>
#include <vector>

#include "oauth/client_authenticator.h"
#include "oauth/grant.h"

namespace tessera::oauth {

class TokenService {
 public:
  explicit TokenService(const ClientAuthenticator& clients) : clients_(clients) {}

  void add(std::unique_ptr<Grant> grant) { grants_.push_back(std::move(grant)); }

  std::expected<TokenResponse, OAuthError> handle(const TokenRequest& request) const;

  // Whether handle(request) may hash a password or a client secret: the password grant
  // always may; other grants when the client's secret is not remembered as recently verified
  // (ClientAuthenticator::may_hash). From memory alone, thread-safe; a hint for scheduling,
  // never a decision: handle() checks everything itself.
  bool may_hash(const TokenRequest& request) const;

  // The registered grant_type values, in registration order (for discovery metadata).
  std::vector<std::string_view> grant_types() const;

 private:
  const Grant* find(std::string_view grant_type) const;
  // The grant_type asked for, or the error that answers the request.
  static std::expected<std::string_view, OAuthError> requested_grant_type(const Parameters& params);

  const ClientAuthenticator& clients_;
  std::vector<std::unique_ptr<Grant>> grants_;
};

}  // namespace tessera::oauth
