// Clients that authenticate with their own keys (private_key_jwt: RFC 7523 section 2.2 and
// OpenID Connect Core section 9): a short-lived JWT the client signs, sent as
// client_assertion with client_assertion_type jwt-bearer. No secret is stored, so nothing a
// database dump reveals lets anyone act as the client.
//
//   ClientAssertions assertions(store.replays(), issuer, clock);
//   auto ok = assertions.verify(assertion, "billing", record.jwks);   // on a worker pool
//
// The rules: signed by a key of the client's registered JWKS with an asymmetric algorithm
// (client_secret_jwt's HS256 is refused), "iss" and "sub" the client id, "aud" the issuer or
// one of its endpoint URLs, "exp" in the future but at most kMaxLifetime ahead, and a "jti"
// never seen before by any instance (the replay store).
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "jose/signing_key.h"
#include "oauth/errors.h"
#include "store/store.h"

namespace tessera::oauth {

inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

class ClientAssertions {
 public:
  static constexpr std::chrono::seconds kMaxLifetime{5 * 60};
  static constexpr std::chrono::seconds kLeeway{10};

  ClientAssertions(store::ReplayStore& replays, std::string issuer, const core::Clock& clock);

  // The client an assertion claims to come from (its "sub", else "iss"), read without
  // checking anything: only to know whose keys to check it with.
  static std::optional<std::string> claimed_client(std::string_view assertion);

  // Whether `assertion` authenticates `client_id`, whose registered JWKS is `jwks`: the reason
  // it does not (for the audit log; the client sees only invalid_client), or
  // temporarily_unavailable when the replay store cannot answer. Blocking.
  std::expected<void, OAuthError> verify(std::string_view assertion, std::string_view client_id,
                                         std::string_view jwks) const;

 private:
  std::shared_ptr<const jose::KeySet> keys_of(std::string_view client_id,
                                              std::string_view jwks) const;
  bool audience_is_ours(const boost::json::value* aud) const;

  store::ReplayStore& replays_;
  std::string issuer_;
  const core::Clock& clock_;
  // Parsed JWKS per client, kept while the registered text stays the same.
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::pair<std::string, std::shared_ptr<const jose::KeySet>>,
                   std::less<>>
      parsed_;
};

}  // namespace tessera::oauth
