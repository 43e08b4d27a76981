// OpenID Connect id_tokens (OpenID Connect Core sections 2, 3.1.3.6 and 5.4): who signed in,
// for which client, when, in which session. Signed with the id_token key ring's RS256 key (OIDC
// Core 15.1: every relying party can check RS256), or with the access tokens' current key when
// the client registered that key's algorithm (client add --id-token-alg).
//
//   IdTokens id_tokens(id_token_keys, &access_keys, issuer, clock);
//   auto id_token = id_tokens.issue({.user = user, .client_id = "web", .scope = scope,
//                                    .nonce = n, .sid = sid, .auth_time = t,
//                                    .access_token = at});
//
// Claims: iss, sub, aud (the client id), exp, iat, auth_time, nonce (when the request had
// one), at_hash, sid; name and preferred_username with the profile scope, email with the email
// scope. Header typ JWT.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "jose/key_source.h"
#include "oauth/errors.h"
#include "oauth/scope.h"
#include "store/user.h"

namespace tessera::oauth {

struct IdTokenSubject {
  const store::User& user;
  std::string_view client_id;
  std::string_view alg;  // the client's registered algorithm; empty: RS256
  const ScopeSet& scope;
  std::string_view nonce;
  std::string_view sid;
  core::TimePoint auth_time;
  std::string_view access_token;  // for at_hash
};

// What an id_token_hint tells about the sign-in it came from (RP-Initiated Logout 1.0
// section 2): who, for which client, in which session.
struct IdTokenHint {
  std::string subject;
  std::string client_id;
  std::string sid;  // empty when the id_token had none
};

class IdTokens {
 public:
  static constexpr std::chrono::seconds kLifetime{5 * 60};

  // `access_keys` may be null: then every id_token is signed by `keys`.
  IdTokens(const jose::KeySource& keys, const jose::KeySource* access_keys, std::string issuer,
           const core::Clock& clock)
      : keys_(keys), access_keys_(access_keys), issuer_(std::move(issuer)), clock_(clock) {}

  // server_error when the key cannot sign.
  std::expected<std::string, OAuthError> issue(const IdTokenSubject& subject) const;

  // An id_token this server issued, expired or not (RP-Initiated Logout 1.0 section 2): signed
  // by a key of either ring with an asymmetric algorithm, typ JWT, our "iss", a "sub" and one
  // audience. invalid_request for anything else, an access token included.
  std::expected<IdTokenHint, OAuthError> read_hint(std::string_view token) const;

 private:
  std::shared_ptr<const jose::SigningKey> key_for(std::string_view alg) const;

  const jose::KeySource& keys_;
  const jose::KeySource* access_keys_;
  std::string issuer_;
  const core::Clock& clock_;
};

// The claims about a user that `scope` allows (section 5.4): name and preferred_username for
// profile, email for email; the same at /userinfo and in the id_token.
void add_scope_claims(boost::json::object& claims, const store::User& user, const ScopeSet& scope);

// OpenID Connect Core section 3.1.3.6: the left half of the hash of the access token, with the
// hash of the signing algorithm (SHA-512 for Ed25519), base64url.
std::string at_hash(std::string_view access_token, jose::Algorithm alg);

}  // namespace tessera::oauth
