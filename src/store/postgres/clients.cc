#include "store/postgres/tables.h"
#include "store/word_list.h"

namespace tessera::store::postgres {
namespace {

constexpr std::string_view kClientColumns =
    "SELECT id, secret_hash, grants, scopes, audience, created_at, redirect_uris, "
    "post_logout_redirect_uris, display_name, skip_consent, id_token_alg, require_dpop, "
    "require_par, auth_method, jwks, jwks_uri, exchange_audiences, resources, "
    "registration_token_hash FROM clients";

ClientRecord read_client(const PgResult& r, int row) {
  ClientRecord client{.id = r.text(row, 0),
                      .secret_hash = std::nullopt,
                      .grants = split_words(r.text(row, 2)),
                      .scopes = split_words(r.text(row, 3)),
                      .audience = r.text(row, 4),
                      .created_at = from_seconds(r.int64(row, 5)),
                      .redirect_uris = split_words(r.text(row, 6)),
                      .post_logout_redirect_uris = split_words(r.text(row, 7)),
                      .display_name = r.text(row, 8),
                      .skip_consent = r.text(row, 9) == "t",
                      .id_token_alg = r.text(row, 10),
                      .require_dpop = r.text(row, 11) == "t",
                      .require_par = r.text(row, 12) == "t",
                      .auth_method = r.text(row, 13),
                      .jwks = r.text(row, 14),
                      .jwks_uri = r.text(row, 15),
                      .exchange_audiences = split_words(r.text(row, 16)),
                      .resources = split_words(r.text(row, 17)),
                      .registration_token_hash = r.text(row, 18)};
  if (!r.is_null(row, 1)) client.secret_hash = r.text(row, 1);
  return client;
}

}  // namespace

StoreResult<std::optional<ClientRecord>> PgClients::find_client(std::string_view id) {
  auto r = db_.query("find_client", std::string(kClientColumns) + " WHERE id = $1", {text(id)});
  if (!r) return std::unexpected(r.error());
  if (r->size() == 0) return std::optional<ClientRecord>();
  return read_client(*r, 0);
}

StoreResult<std::vector<ClientRecord>> PgClients::list_clients() {
  auto r =
      db_.query("list_clients", std::string(kClientColumns) + " ORDER BY id COLLATE \"C\"", {});
  if (!r) return std::unexpected(r.error());
  std::vector<ClientRecord> clients;
  for (int i = 0; i < r->size(); ++i) clients.push_back(read_client(*r, i));
  return clients;
}

StoreResult<void> PgClients::add_client(const ClientRecord& client) {
  return done(db_.query(
      "add_client",
      "INSERT INTO clients (id, secret_hash, grants, scopes, audience, created_at, "
      "redirect_uris, post_logout_redirect_uris, display_name, skip_consent, "
      "id_token_alg, require_dpop, require_par, auth_method, jwks, jwks_uri, exchange_audiences, "
      "resources, registration_token_hash) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
      "$19)",
      {text(client.id), client.secret_hash ? text(*client.secret_hash) : null(),
       text(join_words(client.grants)), text(join_words(client.scopes)), text(client.audience),
       integer(db_.now_seconds()), text(join_words(client.redirect_uris)),
       text(join_words(client.post_logout_redirect_uris)), text(client.display_name),
       boolean(client.skip_consent), text(client.id_token_alg), boolean(client.require_dpop),
       boolean(client.require_par), text(client.auth_method), text(client.jwks),
       text(client.jwks_uri), text(join_words(client.exchange_audiences)),
       text(join_words(client.resources)), text(client.registration_token_hash)}));
}

StoreResult<void> PgClients::delete_client(std::string_view id, core::TimePoint now,
                                           core::TimePoint access_tokens_expire) {
  constexpr std::string_view kOp = "delete_client";
  return db_.in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<void> {
    auto deleted = conn.exec("DELETE FROM clients WHERE id = $1", {text(id)});
    if (!deleted) return std::unexpected(unavailable(kOp, deleted.error()));
    if (deleted->affected() == 0) return std::unexpected(StoreError::kNotFound);
    auto logged = conn.exec(
        "INSERT INTO revocations (kind, value, expires_at) SELECT 'sid', id, $2 "
        "FROM refresh_families WHERE client_id = $1 AND revoked_at IS NULL",
        {text(id), integer(seconds_of(access_tokens_expire))});
    if (!logged) return std::unexpected(unavailable(kOp, logged.error()));
    // And every access token issued to it, from a family or not (client_credentials).
    auto tokens = conn.exec(
        "INSERT INTO revocations (kind, value, expires_at, issued_until_ms) "
        "VALUES ('cid', $1, $2, $3)",
        {text(id), integer(seconds_of(access_tokens_expire)),
         integer(core::unix_milliseconds(now))});
    if (!tokens) return std::unexpected(unavailable(kOp, tokens.error()));
    auto families = conn.exec("DELETE FROM refresh_families WHERE client_id = $1", {text(id)});
    if (!families) return std::unexpected(unavailable(kOp, families.error()));
    return {};
  });
}

StoreResult<std::vector<std::string>> PgClients::list_client_scopes() {
  return db_.distinct_words("list_client_scopes",
                            "SELECT DISTINCT scopes FROM clients WHERE scopes <> ''");
}

StoreResult<bool> PgClients::update_registered_client(const ClientRecord& client) {
  auto r = db_.query(
      "update_registered_client",
      "UPDATE clients SET grants = $3, scopes = $4, redirect_uris = $5, display_name = $6 "
      "WHERE id = $1 AND registration_token_hash = $2 AND registration_token_hash <> ''",
      {text(client.id), text(client.registration_token_hash), text(join_words(client.grants)),
       text(join_words(client.scopes)), text(join_words(client.redirect_uris)),
       text(client.display_name)});
  if (!r) return std::unexpected(r.error());
  return r->affected() == 1;
}

}  // namespace tessera::store::postgres
