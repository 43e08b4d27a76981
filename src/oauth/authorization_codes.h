// Authorization codes (RFC 6749 section 4.1.2): 256 random bits, stored only as their
// SHA-256, living 60 seconds, bound to the client, the redirect URI, the user's sign-in and the
// PKCE challenge (RFC 7636), and redeemed once.
//
//   AuthorizationCodes codes(store, clock, random);
//   auto code = codes.issue(request, granted_scope, signed_in);   // after login and consent
//   auto found = codes.redeem(presented);                         // at the token endpoint
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "oauth/authorization.h"
#include "oauth/errors.h"
#include "store/store.h"

namespace tessera::oauth {

// Who signed in, in which browser session, and when (for the id_token's auth_time and sid).
struct SignedIn {
  std::string subject;
  std::string sid;
  core::TimePoint auth_time;
};

class AuthorizationCodes {
 public:
  static constexpr std::chrono::seconds kLifetime{60};

  AuthorizationCodes(store::AuthorizationCodeStore& store, const core::Clock& clock,
                     core::Random& random)
      : store_(store), clock_(clock), random_(random) {}

  // A new code for a request the user allowed with `scope`. Blocking.
  std::expected<std::string, OAuthError> issue(const AuthorizationRequest& request,
                                               const ScopeSet& scope, const SignedIn& who) const;

  // The code as it was stored, marked used from now on; used_at is set when this is not its
  // first use. invalid_grant for an unknown code or one not shaped like ours. Blocking.
  std::expected<store::AuthorizationCode, OAuthError> redeem(std::string_view code) const;

  // Records what a code's first use issued, for a second use to revoke.
  void note_issued(std::string_view code_hash, std::string_view jti,
                   std::string_view family_id) const;

  static std::string hash(std::string_view code);
  const core::Clock& clock() const { return clock_; }

 private:
  store::AuthorizationCodeStore& store_;
  const core::Clock& clock_;
  core::Random& random_;
};

// RFC 7636 section 4.6: whether BASE64URL(SHA-256(verifier)) is the challenge, in constant
// time; false for a verifier that is not 43 to 128 unreserved characters (section 4.1).
bool verifier_matches(std::string_view verifier, std::string_view challenge);

}  // namespace tessera::oauth
