// Managing registered clients: the rules an id, a secret, grants, scopes and an audience must
// follow, in one place for the admin CLI (docs/reference.md, Commands).
//
//   ClientAdmin admin(store, hasher, random, clock, access_token_lifetime);
//   auto added = admin.add({.id = "billing", .is_public = false, .secret = std::nullopt,
//                           .grants = {}, .scopes = {"invoices:read"}, .audience = ""});
//   // added->generated_secret holds the secret to show once
//
// Errors are one line for a human. Blocking: a secret is hashed with argon2id.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "oauth/limits.h"
#include "oauth/scope.h"
#include "password/password_hasher.h"
#include "store/store.h"

namespace tessera::admin {

using oauth::kMaxClientIdBytes;
inline constexpr std::size_t kMinClientSecretBytes = 16;

// 1 to 128 printable ASCII characters without spaces (RFC 6749 Appendix A.1 allows VSCHAR; a
// space would be ambiguous in logs and lists), and not the built-in "default".
std::optional<std::string> check_client_id(std::string_view id);

struct NewClient {
  std::string id;
  bool is_public = false;
  // A confidential client's secret; std::nullopt makes one (32 random bytes, base64url).
  std::optional<std::string> secret;
  // Empty: client_credentials for a confidential client, password and refresh_token for a
  // public one (docs/reference.md, Commands).
  std::vector<std::string> grants;
  oauth::ScopeSet scopes;
  std::string audience;
  // Browser sign-in (docs/reference.md, Browser sign-in). Redirect URIs make the default
  // grants authorization_code and refresh_token; the authorization_code grant needs one.
  std::vector<std::string> redirect_uris = {};
  std::vector<std::string> post_logout_redirect_uris = {};
  std::string display_name = {};  // shown on the consent page
  bool skip_consent = false;
  std::string id_token_alg = {};  // EdDSA, ES256, RS256 or PS256; empty: RS256
  bool require_dpop = false;      // its tokens must be DPoP-bound (docs/reference.md, DPoP)
  bool require_par = false;       // its authorization requests must come through /par
  // client_secret_basic, client_secret_post, private_key_jwt or none; empty: by the secret
  // either way (confidential) or none (public). private_key_jwt needs `jwks` and no secret.
  std::string auth_method = {};
  std::string jwks = {};      // a JWKS document of public keys
  std::string jwks_uri = {};  // or the URL of one (https), instead
  // Token exchange (RFC 8693): the audiences it may exchange tokens for; needs that grant.
  std::vector<std::string> exchange_audiences = {};
  // Resource indicators (RFC 8707): the resources its tokens may be for (absolute URIs).
  std::vector<std::string> resources = {};
  // Registered through /register (RFC 7591): its registration access token's hash.
  std::string registration_token_hash = {};
};

class ClientAdmin {
 public:
  ClientAdmin(store::Store& store, const password::PasswordHasher& hasher, core::Random& random,
              const core::Clock& clock, std::chrono::seconds access_token_lifetime)
      : clients_(store.clients()),
        consents_(store.consents()),
        users_(store.users()),
        hasher_(hasher),
        random_(random),
        clock_(clock),
        access_token_lifetime_(access_token_lifetime) {}

  struct Added {
    std::vector<std::string> grants;
    std::optional<std::string> generated_secret;
  };
  std::expected<Added, std::string> add(const NewClient& client);
  // Its refresh tokens, and the access tokens issued from them, stop working.
  std::expected<void, std::string> remove(std::string_view id);
  std::expected<std::vector<store::ClientRecord>, std::string> list();

 private:
  store::ClientStore& clients_;
  store::ConsentStore& consents_;
  store::UserStore& users_;
  const password::PasswordHasher& hasher_;
  core::Random& random_;
  const core::Clock& clock_;
  const std::chrono::seconds access_token_lifetime_;
};

}  // namespace tessera::admin
