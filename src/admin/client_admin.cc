#include "admin/client_admin.h"

#include <algorithm>

#include "admin/user_admin.h"
#include "core/log.h"
#include "core/strict_json.h"
#include "core/text.h"
#include "jose/jwks.h"
#include "oauth/client.h"
#include "oauth/redirect_uri.h"

namespace tessera::admin {
namespace {

constexpr std::size_t kMaxAudienceBytes = 512;
constexpr std::size_t kMaxClientNameBytes = 128;

std::string unavailable() { return "the database is unavailable (see the log)"; }

}  // namespace

std::optional<std::string> check_client_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxClientIdBytes) return "a client id is 1 to 128 characters";
  if (!std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    return "a client id is printable ASCII without spaces";
  }
  if (id == oauth::kDefaultClientId) return "\"default\" is the built-in public client";
  return std::nullopt;
}

namespace {

std::vector<std::string> default_grants(const NewClient& client) {
  if (!client.redirect_uris.empty()) return {"authorization_code", "refresh_token"};
  if (client.is_public) return {"password", "refresh_token"};
  return {"client_credentials"};
}

std::optional<std::string> check_sign_in(const NewClient& client,
                                         const std::vector<std::string>& grants) {
  for (const auto* uris : {&client.redirect_uris, &client.post_logout_redirect_uris}) {
    for (const std::string& uri : *uris) {
      if (auto bad = oauth::check_redirect_uri(uri)) return *bad;
    }
  }
  const bool code_grant =
      std::find(grants.begin(), grants.end(), "authorization_code") != grants.end();
  if (code_grant && client.redirect_uris.empty()) {
    return "the authorization_code grant needs at least one --redirect-uri";
  }
  if (!code_grant && !client.redirect_uris.empty()) {
    return "redirect URIs are for the authorization_code grant";
  }
  if (!code_grant && client.require_par) {
    return "--require-par is for clients with the authorization_code grant (--redirect-uri)";
  }
  if (auto bad = check_display_name(client.display_name, kMaxClientNameBytes)) return *bad;
  const std::string_view alg = client.id_token_alg;
  if (!alg.empty() && alg != "EdDSA" && alg != "ES256" && alg != "RS256" && alg != "PS256") {
    return "'" + core::printable(alg) +
           "' is not an id_token algorithm (EdDSA, ES256, RS256, PS256)";
  }
  return std::nullopt;
}

}  // namespace

namespace {

// The registered authentication method and keys (RFC 7591 section 2): one that fits the
// client's kind, and for private_key_jwt a JWKS of public keys this server can use.
std::optional<std::string> check_auth_method(const NewClient& client) {
  const std::string& method = client.auth_method;
  if (!method.empty() && method != "client_secret_basic" && method != "client_secret_post" &&
      method != "private_key_jwt" && method != "none") {
    return "--auth-method must be client_secret_basic, client_secret_post, private_key_jwt or "
           "none";
  }
  if (client.is_public != (method == "none") && !method.empty()) {
    return client.is_public ? "a public client authenticates with none"
                            : "--auth-method none is for public clients (--public)";
  }
  if (method != "private_key_jwt") {
    if (!client.jwks.empty() || !client.jwks_uri.empty()) {
      return "--jwks and --jwks-uri are for clients with --auth-method private_key_jwt";
    }
    return std::nullopt;
  }
  if (client.secret) return "a private_key_jwt client has no secret";
  if (!client.jwks.empty() && !client.jwks_uri.empty()) {
    return "give the client's public keys either as --jwks FILE or at --jwks-uri URL, not both";
  }
  if (!client.jwks_uri.empty()) return oauth::check_jwks_uri(client.jwks_uri);
  if (client.jwks.empty()) {
    return "a private_key_jwt client needs its public keys (--jwks FILE or --jwks-uri URL)";
  }
  auto parsed = jose::parse_jwks(client.jwks);
  if (!parsed) return "--jwks: " + parsed.error();
  if (parsed->used == 0) return "--jwks: no key this server can check signatures with";
  // Private members would put the client's private keys in our database.
  auto doc = core::parse_strict_json(client.jwks);
  for (const auto& key : doc->as_object().at("keys").as_array()) {
    for (const std::string_view name : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      if (key.is_object() && key.as_object().contains(name)) {
        return "--jwks holds a private or symmetric key: register public keys only";
      }
    }
  }
  return std::nullopt;
}

}  // namespace

namespace {

std::optional<std::string> check_grant_types(const std::vector<std::string>& grants) {
  for (const std::string& grant : grants) {
    if (!oauth::is_grant_type(grant)) {
      std::string known;
      for (const std::string_view g : oauth::kGrantTypes) {
        if (!known.empty()) known += ", ";
        known += g;
      }
      return "'" + core::printable(grant) + "' is not a grant type (" + known + ")";
    }
  }
  return std::nullopt;
}

// Token exchange (RFC 8693): the grant and the audiences it may reach go together.
std::optional<std::string> check_exchange(const NewClient& client,
                                          const std::vector<std::string>& grants) {
  const bool exchange =
      std::find(grants.begin(), grants.end(), oauth::kTokenExchangeGrant) != grants.end();
  if (exchange && client.exchange_audiences.empty()) {
    return "the token-exchange grant needs at least one --exchange-audience";
  }
  if (!exchange && !client.exchange_audiences.empty()) {
    return "--exchange-audience is for clients with the grant " +
           std::string(oauth::kTokenExchangeGrant);
  }
  for (const std::string& audience : client.exchange_audiences) {
    const bool bad_char = std::any_of(audience.begin(), audience.end(), [](char c) {
      return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
    });
    if (audience.empty() || audience.size() > kMaxAudienceBytes || bad_char) {
      return "an --exchange-audience is 1 to 512 bytes without spaces or control characters";
    }
  }
  return std::nullopt;
}

// Resource indicators (RFC 8707 section 2): absolute URIs without a fragment.
std::optional<std::string> check_resources(const std::vector<std::string>& resources) {
  for (const std::string& resource : resources) {
    if (auto bad = oauth::check_resource_uri(resource)) return "--resource: " + *bad;
  }
  return std::nullopt;
}

}  // namespace

std::expected<ClientAdmin::Added, std::string> ClientAdmin::add(const NewClient& client) {
  if (auto bad = check_client_id(client.id)) return std::unexpected(*bad);
  if (auto bad = check_auth_method(client)) return std::unexpected(*bad);
  std::vector<std::string> grants = client.grants.empty() ? default_grants(client) : client.grants;
  if (auto bad = check_grant_types(grants)) return std::unexpected(*bad);
  if (auto bad = check_sign_in(client, grants)) return std::unexpected(*bad);
  if (auto bad = check_exchange(client, grants)) return std::unexpected(*bad);
  if (auto bad = check_resources(client.resources)) return std::unexpected(*bad);
  std::sort(grants.begin(), grants.end());
  grants.erase(std::unique(grants.begin(), grants.end()), grants.end());
  // RFC 6749 section 4.4: the client credentials grant is for confidential clients only.
  if (client.is_public &&
      std::find(grants.begin(), grants.end(), "client_credentials") != grants.end()) {
    return std::unexpected("a public client cannot have the client_credentials grant");
  }
  for (const std::string& scope : client.scopes) {
    if (!oauth::is_scope_token(scope))
      return std::unexpected("'" + core::printable(scope) + "' is not a scope token");
  }
  if (client.audience.size() > kMaxAudienceBytes || core::has_control_character(client.audience)) {
    return std::unexpected("an audience is at most 512 bytes without control characters");
  }

  // A client_credentials token's "sub" is the client id: it must name no user (RFC 9700
  // section 4.15), or /userinfo and introspection could not tell the two apart.
  auto user = users_.find_user(client.id);
  if (!user) return std::unexpected(unavailable());
  if (*user) {
    return std::unexpected("a user is named " + client.id + "; client and user names must differ");
  }

  Added added{.grants = grants, .generated_secret = std::nullopt};
  std::optional<std::string> secret_hash;
  if (!client.is_public && client.auth_method != "private_key_jwt") {
    std::string secret;
    if (client.secret) {
      secret = *client.secret;
      if (secret.size() < kMinClientSecretBytes) {
        return std::unexpected("a client secret must be at least 16 characters");
      }
      if (secret.size() > password::kMaxPasswordBytes) {
        return std::unexpected("a client secret is at most 1024 bytes");
      }
    } else {
      secret = core::random_token(random_, 32);
      added.generated_secret = secret;
    }
    auto hash = hasher_.hash(secret);
    if (!hash) return std::unexpected(std::string(password::to_string(hash.error())));
    secret_hash = std::move(*hash);
  }
  const store::ClientRecord record{.id = client.id,
                                   .secret_hash = std::move(secret_hash),
                                   .grants = grants,
                                   .scopes = oauth::make_scope_set(client.scopes),
                                   .audience = client.audience,
                                   .created_at = {},
                                   .redirect_uris = client.redirect_uris,
                                   .post_logout_redirect_uris = client.post_logout_redirect_uris,
                                   .display_name = client.display_name,
                                   .skip_consent = client.skip_consent,
                                   .id_token_alg = client.id_token_alg,
                                   .require_dpop = client.require_dpop,
                                   .require_par = client.require_par,
                                   .auth_method = client.auth_method,
                                   .jwks = client.jwks,
                                   .jwks_uri = client.jwks_uri,
                                   .exchange_audiences = client.exchange_audiences,
                                   .resources = client.resources,
                                   .registration_token_hash = client.registration_token_hash};
  if (auto ok = clients_.add_client(record); !ok) {
    if (ok.error() == store::StoreError::kAlreadyExists) {
      return std::unexpected("client " + client.id + " already exists");
    }
    return std::unexpected(unavailable());
  }
  core::audit("client_added", {{"client_id", client.id}, {"public", client.is_public}});
  return added;
}

std::expected<void, std::string> ClientAdmin::remove(std::string_view id) {
  if (id == oauth::kDefaultClientId)
    return std::unexpected("the built-in client \"default\" cannot be deleted");
  if (auto ok = clients_.delete_client(id, clock_.now(), clock_.now() + access_token_lifetime_);
      !ok) {
    if (ok.error() == store::StoreError::kNotFound) {
      return std::unexpected("client " + std::string(id) + " does not exist");
    }
    return std::unexpected(unavailable());
  }
  core::audit("client_deleted", {{"client_id", id}});
  if (!consents_.forget_client(id)) {
    return std::unexpected(
        "client " + std::string(id) +
        " deleted, but the consents given to it could not be forgotten: " + unavailable());
  }
  return {};
}

std::expected<std::vector<store::ClientRecord>, std::string> ClientAdmin::list() {
  auto clients = clients_.list_clients();
  if (!clients) return std::unexpected(unavailable());
  return std::move(*clients);
}

}  // namespace tessera::admin
