#include "admin/client_admin.h"

#include <algorithm>

#include "core/log.h"
#include "core/text.h"
#include "oauth/client.h"

namespace tessera::admin {
namespace {

constexpr std::size_t kMaxAudienceBytes = 512;

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

std::expected<ClientAdmin::Added, std::string> ClientAdmin::add(const NewClient& client) {
  if (auto bad = check_client_id(client.id)) return std::unexpected(*bad);
  std::vector<std::string> grants = client.grants;
  if (grants.empty()) {
    grants = client.is_public ? std::vector<std::string>{"password", "refresh_token"}
                              : std::vector<std::string>{"client_credentials"};
  }
  for (const std::string& grant : grants) {
    if (!oauth::is_grant_type(grant)) {
      return std::unexpected("'" + core::printable(grant) +
                             "' is not a grant type (password, client_credentials, refresh_token)");
    }
  }
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
  if (!client.is_public) {
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
                                   .created_at = {}};
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
  return {};
}

std::expected<std::vector<store::ClientRecord>, std::string> ClientAdmin::list() {
  auto clients = clients_.list_clients();
  if (!clients) return std::unexpected(unavailable());
  return std::move(*clients);
}

}  // namespace tessera::admin
