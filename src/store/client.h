// A registered OAuth client as stored: plain data. What it may do is decided in oauth/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"

namespace tessera::store {

struct ClientRecord {
  std::string id;
  // argon2id PHC string of the secret; none for a public client. Never logged.
  std::optional<std::string> secret_hash;
  std::vector<std::string> grants;  // grant_type values
  std::vector<std::string> scopes;  // sorted, without duplicates
  std::string audience;             // empty: the issuer
  core::TimePoint created_at;
  // Browser sign-in (docs/reference.md, Browser sign-in).
  std::vector<std::string> redirect_uris{};  // compared by exact string, in registration order
  std::vector<std::string> post_logout_redirect_uris{};
  std::string display_name{};  // what the consent page shows; empty: the id
  bool skip_consent = false;   // a first-party client: its users are not asked
  std::string id_token_alg{};  // empty: RS256
  // Sender-constrained tokens (docs/reference.md, DPoP): /token refuses it without a proof.
  bool require_dpop = false;
  // Its authorization requests must come through /par (RFC 9126 section 6; --require-par).
  bool require_par = false;
  // How it authenticates (RFC 7591 token_endpoint_auth_method): "client_secret_basic",
  // "client_secret_post", "private_key_jwt" or "none"; empty: by its secret either way, or none.
  std::string auth_method{};
  // private_key_jwt: its public keys, as a JWKS document (RFC 7517 section 5).
  std::string jwks{};
  // private_key_jwt: the https URL of that document instead, fetched when needed.
  std::string jwks_uri{};
  // Token exchange (RFC 8693): the audiences it may exchange a token for (--exchange-audience).
  std::vector<std::string> exchange_audiences{};
  // Resource indicators (RFC 8707): the resources its tokens may be for ("aud").
  std::vector<std::string> resources{};
  // Dynamic registration (RFC 7591): base64url SHA-256 of its registration access token, for
  // the client configuration endpoint (RFC 7592); empty for a client an administrator added.
  std::string registration_token_hash{};
};

// An initial access token (RFC 7591 section 3): what /register needs in the token mode.
struct InitialAccessToken {
  std::string token_hash;  // base64url SHA-256 of the token
  core::TimePoint expires_at;
  std::int64_t max_uses = 0;  // 0: any number within its life
  std::int64_t uses = 0;
};

}  // namespace tessera::store
