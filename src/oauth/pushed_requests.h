// Pushed authorization requests (RFC 9126): a client posts its authorization request to /par
// over the back channel, authenticated, and sends the browser to /authorize with only its
// client_id and the request_uri it got back. The request is validated when pushed, so a
// browser can neither read nor change it, and its request_uri works for that client only,
// until a code (or an error) answers it, and for kLifetime at most.
//
//   PushedRequests pushed(store.pushed_requests(), clock, random);
//   auto answer = pushed.push(client, params, authorization);   // at /par: 201 with it
//   auto params = pushed.resolve("web", request_uri);           // at /authorize
//   pushed.use(request_uri);                                     // once, when answered
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "oauth/client.h"
#include "oauth/errors.h"
#include "oauth/parameters.h"
#include "store/store.h"

namespace tessera::oauth {

class Authorization;

inline constexpr std::string_view kRequestUriPrefix = "urn:ietf:params:oauth:request_uri:";

struct PushedAnswer {
  std::string request_uri;
  std::chrono::seconds expires_in;
};

class PushedRequests {
 public:
  // Long enough for a person to sign in between /authorize and the code, which is when the
  // request_uri is used up (RFC 9126 section 4 lets reloads in between resolve it again).
  static constexpr std::chrono::seconds kLifetime{300};

  PushedRequests(store::PushedRequestStore& store, const core::Clock& clock, core::Random& random)
      : store_(store), clock_(clock), random_(random) {}

  // Validates the request as /authorize would (its errors come back as they are, for a JSON
  // answer: RFC 9126 section 2.3) and keeps it. `client` is the authenticated client; the
  // credentials among `params` are not kept. Blocking.
  std::expected<PushedAnswer, OAuthError> push(const Client& client, const Parameters& params,
                                               const Authorization& authorization) const;

  // The parameters pushed under `request_uri` by `client_id`; invalid_request when it is
  // unknown, another client's, expired or used. Blocking.
  std::expected<Parameters, OAuthError> resolve(std::string_view client_id,
                                                std::string_view request_uri) const;

  // Uses the request_uri up; invalid_request when it was used already. Blocking.
  std::expected<void, OAuthError> use(std::string_view request_uri) const;

 private:
  store::PushedRequestStore& store_;
  const core::Clock& clock_;
  core::Random& random_;
};

}  // namespace tessera::oauth
