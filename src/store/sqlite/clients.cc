#include "store/sqlite/tables.h"
#include "store/word_list.h"

namespace tessera::store::sqlite {
namespace {

constexpr std::string_view kColumns =
    "SELECT id, secret_hash, grants, scopes, audience, created_at, redirect_uris, "
    "post_logout_redirect_uris, display_name, skip_consent, id_token_alg, require_dpop, "
    "require_par, auth_method, jwks, jwks_uri, exchange_audiences, resources, "
    "registration_token_hash FROM clients ";

ClientRecord read_client(const Statement& row) {
  ClientRecord client{
      .id = row.column_text(0),
      .secret_hash = std::nullopt,
      .grants = split_words(row.column_text(2)),
      .scopes = split_words(row.column_text(3)),
      .audience = row.column_text(4),
      .created_at = from_unix_seconds(row.column_int64(5)),
      .redirect_uris = split_words(row.column_text(6)),
      .post_logout_redirect_uris = split_words(row.column_text(7)),
      .display_name = row.column_text(8),
      .skip_consent = row.column_int64(9) != 0,
      .id_token_alg = row.column_text(10),
      .require_dpop = row.column_int64(11) != 0,
      .require_par = row.column_int64(12) != 0,
      .auth_method = row.column_text(13),
      .jwks = row.column_text(14),
      .jwks_uri = row.column_text(15),
      .exchange_audiences = split_words(row.column_text(16)),
      .resources = split_words(row.column_text(17)),
      .registration_token_hash = row.column_text(18),
  };
  if (!row.column_is_null(1)) client.secret_hash = row.column_text(1);
  return client;
}

}  // namespace

StoreResult<std::optional<ClientRecord>> SqliteClients::find_client(std::string_view id) {
  auto conn = db_.read();
  auto stmt = conn->prepare(std::string(kColumns) + "WHERE id = ?1", id);
  if (!stmt) return std::unexpected(unavailable("find_client", stmt.error()));
  auto row = stmt->step();
  if (!row) return std::unexpected(unavailable("find_client", row.error()));
  if (!*row) return std::optional<ClientRecord>();
  return read_client(*stmt);
}

StoreResult<std::vector<ClientRecord>> SqliteClients::list_clients() {
  auto conn = db_.read();
  auto stmt = conn->prepare(std::string(kColumns) + "ORDER BY id");
  if (!stmt) return std::unexpected(unavailable("list_clients", stmt.error()));
  std::vector<ClientRecord> clients;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable("list_clients", row.error()));
    if (!*row) return clients;
    clients.push_back(read_client(*stmt));
  }
}

StoreResult<void> SqliteClients::add_client(const ClientRecord& client) {
  auto added = db_.write(
      "add_client",
      "INSERT INTO clients (id, secret_hash, grants, scopes, audience, "
      "created_at, redirect_uris, post_logout_redirect_uris, display_name, "
      "skip_consent, id_token_alg, require_dpop, require_par, auth_method, jwks, "
      "jwks_uri, exchange_audiences, resources, registration_token_hash) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
      "?17, ?18, ?19)",
      client.id, client.secret_hash, join_words(client.grants), join_words(client.scopes),
      client.audience, db_.now_seconds(), join_words(client.redirect_uris),
      join_words(client.post_logout_redirect_uris), client.display_name, client.skip_consent,
      client.id_token_alg, client.require_dpop, client.require_par, client.auth_method, client.jwks,
      client.jwks_uri, join_words(client.exchange_audiences), join_words(client.resources),
      client.registration_token_hash);
  if (!added) return std::unexpected(added.error());
  return {};
}

StoreResult<void> SqliteClients::delete_client(std::string_view id, core::TimePoint now,
                                               core::TimePoint access_tokens_expire) {
  constexpr std::string_view kOp = "delete_client";
  return db_.transact(kOp, [&](SqliteConnection& conn) -> StoreResult<void> {
    auto deleted = conn.run("DELETE FROM clients WHERE id = ?1", id);
    if (!deleted) return std::unexpected(unavailable(kOp, deleted.error()));
    if (*deleted == 0) return std::unexpected(StoreError::kNotFound);
    // Its live families are logged as revoked, for the access tokens issued from them, and
    // so is every access token issued to it, from a family or not (client_credentials).
    // Then the families go, and the cascade takes their refresh tokens.
    auto families_logged = conn.run(
        "INSERT INTO revocations (kind, value, expires_at) SELECT 'sid', id, ?2 "
        "FROM refresh_families WHERE client_id = ?1 AND revoked_at IS NULL",
        id, seconds_of(access_tokens_expire));
    if (!families_logged) return std::unexpected(unavailable(kOp, families_logged.error()));
    auto tokens_logged = conn.run(
        "INSERT INTO revocations (kind, value, expires_at, issued_until_ms) "
        "VALUES ('cid', ?1, ?2, ?3)",
        id, seconds_of(access_tokens_expire), core::unix_milliseconds(now));
    if (!tokens_logged) return std::unexpected(unavailable(kOp, tokens_logged.error()));
    auto families = conn.run("DELETE FROM refresh_families WHERE client_id = ?1", id);
    if (!families) return std::unexpected(unavailable(kOp, families.error()));
    return {};
  });
}

StoreResult<std::vector<std::string>> SqliteClients::list_client_scopes() {
  return db_.distinct_words("list_client_scopes",
                            "SELECT DISTINCT scopes FROM clients WHERE scopes != ''");
}

StoreResult<bool> SqliteClients::update_registered_client(const ClientRecord& client) {
  auto changed = db_.write(
      "update_registered_client",
      "UPDATE clients SET grants = ?3, scopes = ?4, redirect_uris = ?5, display_name = ?6 "
      "WHERE id = ?1 AND registration_token_hash = ?2 AND registration_token_hash != ''",
      client.id, client.registration_token_hash, join_words(client.grants),
      join_words(client.scopes), join_words(client.redirect_uris), client.display_name);
  if (!changed) return std::unexpected(changed.error());
  return *changed == 1;
}

}  // namespace tessera::store::sqlite
