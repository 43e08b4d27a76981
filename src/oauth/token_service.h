// The token endpoint as a pipeline of named steps (RFC 6749 section 3.2). plan(), from memory
// and on the I/O thread:
//   1. refuse repeated parameters;
//   2. find the grant type (the seed's clients send username and password without one);
//   3. read the client's credentials, and whether answering may hash;
// then exchange(), blocking (grants hash passwords and query the store), on a worker pool:
//   4. authenticate the client;
//   5. check that the client may use the grant;
//   6. check the DPoP proof, if any, or that the client needs none (RFC 9449 section 5);
//   7. let the grant exchange the request for tokens, bound to the proof's key.
//
//   TokenService service(clients);
//   service.add(std::make_unique<PasswordGrant>(users, hasher, tokens));
//   auto plan = service.plan(request);                 // errors here need no worker
//   auto response = service.exchange(request, *plan);  // on the pool plan->may_hash picks
#pragma once

#include <expected>
#include <memory>
#include <vector>

#include "oauth/client_authenticator.h"
#include "oauth/dpop.h"
#include "oauth/grant.h"

namespace tessera::oauth {

// What plan() learnt of a request: everything exchange() needs that takes no I/O.
struct TokenPlan {
  const Grant* grant = nullptr;
  std::string_view grant_type;
  PresentedClient client;
  // Whether exchange() may hash a password or a client secret: the password grant always may;
  // other grants when the client's secret is not remembered as recently verified. A hint for
  // scheduling, never a decision: exchange() checks everything itself.
  bool may_hash = false;
};

class TokenService {
 public:
  // `dpop` checks DPoP proofs (RFC 9449); without one, a request with a proof is refused.
  explicit TokenService(const ClientAuthenticator& clients, const DpopVerifier* dpop = nullptr)
      : clients_(clients), dpop_(dpop) {}

  void add(std::unique_ptr<Grant> grant) { grants_.push_back(std::move(grant)); }

  // Steps 1 to 3. Thread-safe, no I/O.
  std::expected<TokenPlan, OAuthError> plan(const TokenRequest& request) const;
  // Steps 4 to 7, for a plan of this request. Blocking.
  std::expected<TokenResponse, OAuthError> exchange(const TokenRequest& request,
                                                    const TokenPlan& plan) const;
  // Both, one after the other.
  std::expected<TokenResponse, OAuthError> handle(const TokenRequest& request) const;

  // The registered grant_type values, in registration order (for discovery metadata).
  std::vector<std::string_view> grant_types() const;

 private:
  const Grant* find(std::string_view grant_type) const;
  // The grant_type asked for, or the error that answers the request.
  static std::expected<std::string_view, OAuthError> requested_grant_type(const Parameters& params);

  const ClientAuthenticator& clients_;
  const DpopVerifier* dpop_;
  std::vector<std::unique_ptr<Grant>> grants_;
};

}  // namespace tessera::oauth
