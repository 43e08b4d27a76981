// Access tokens: JWTs per RFC 9068, signed with the current key of a jose::KeySource.
//
//   AccessTokens tokens(keys, {.issuer = "http://127.0.0.1:8080", .ttl = 15min,
//                              .algorithms = {jose::Algorithm::kEdDSA}}, clock, random);
//   auto issued = tokens.issue({.subject = "alice", .client_id = "default",
//                               .audience = "", .scope = {"profile"}});
//   auto claims = tokens.verify(issued->access_token);   // for Tessera's own endpoints
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "jose/algorithm.h"
#include "jose/error.h"
#include "jose/jwt.h"
#include "jose/key_source.h"
#include "oauth/revocation_list.h"
#include "oauth/scope.h"
#include "oauth/token_cache.h"

namespace tessera::oauth {

struct AccessTokenSettings {
  std::string issuer;
  std::chrono::seconds ttl{15 * 60};
  // The signing algorithm family accepted when verifying our own tokens.
  std::vector<jose::Algorithm> algorithms;
  std::chrono::seconds leeway{10};
};

struct TokenSubject {
  std::string subject;  // user name, or client id for client_credentials
  std::string client_id;
  std::string audience;  // empty: the issuer
  ScopeSet scope;
  // The refresh family the token comes from, written as "sid" so that revoking the family
  // revokes the token too; empty for grants without refresh tokens.
  std::string session_id = {};
  // The RFC 7638 thumbprint of the DPoP key the token is bound to (RFC 9449 section 6.1:
  // "cnf":{"jkt":...}); empty for a bearer token.
  std::string jkt = {};
  // Token exchange (RFC 8693 section 4.1): who acts for the subject, nested for each hop.
  std::optional<boost::json::object> act = std::nullopt;
  // The latest the token may expire (Unix seconds): an exchanged token outlives not its
  // subject token.
  std::optional<std::int64_t> expires_by = std::nullopt;
};

struct IssuedToken {
  std::string access_token;
  std::chrono::seconds expires_in;
  std::string jti;
};

// The jti of a token issued at `issued_ms` (Unix milliseconds): the time, then random bytes.
std::string make_jti(std::int64_t issued_ms, core::Random& random);
// When a token with this jti and "iat" was issued, in Unix milliseconds: from the jti when it
// is one make_jti made and agrees with `iat`, else the start of the `iat` second.
std::int64_t issued_at_ms(std::string_view jti, std::int64_t iat);

class AccessTokens {
 public:
  // `revoked`, when given, is consulted by verify(): a revoked token is kRevoked.
  AccessTokens(const jose::KeySource& keys, AccessTokenSettings settings, const core::Clock& clock,
               core::Random& random, const RevocationList* revoked = nullptr);

  // Header {"alg","typ":"at+jwt","kid"}; claims iss, sub, aud, exp, iat, jti, client_id, scope.
  std::expected<IssuedToken, jose::Error> issue(const TokenSubject& subject) const;

  // A token we issued, whatever its audience: signature by one of our keys with the
  // configured algorithm family, typ at+jwt, iss, exp, iat, nbf, and the presence of the
  // RFC 9068 claims sub, client_id and jti as strings and aud as a string or array; then,
  // that it is not revoked.
  std::expected<boost::json::object, jose::Error> verify(std::string_view token) const;

  // The same, sharing what is known of a token presented before (token_cache.h): a token
  // seen again costs a lookup and the revocation check instead of a signature check.
  std::expected<std::shared_ptr<const VerifiedToken>, jose::Error> verify_shared(
      std::string_view token) const;

  const AccessTokenSettings& settings() const { return settings_; }

 private:
  std::expected<std::shared_ptr<const VerifiedToken>, jose::Error> verify_claims(
      std::string_view token, const std::shared_ptr<const jose::KeySet>& keys) const;
  bool is_revoked(const VerifiedToken& token) const;

  const jose::KeySource& keys_;
  AccessTokenSettings settings_;
  jose::JwtPolicy policy_;
  const core::Clock& clock_;
  core::Random& random_;
  const RevocationList* revoked_;
  mutable VerifiedTokenCache cache_;
};

}  // namespace tessera::oauth
