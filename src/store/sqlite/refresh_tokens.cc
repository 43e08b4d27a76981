#include "store/sqlite/tables.h"
#include "store/word_list.h"

namespace tessera::store::sqlite {
namespace {

// Inside a transaction the caller holds.
StoreResult<void> insert_refresh_token(SqliteConnection& conn, const RefreshTokenRecord& token) {
  auto added = conn.run(
      "INSERT INTO refresh_tokens (token_hash, family_id, scopes, issued_at, expires_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)",
      token.token_hash, token.family_id, join_words(token.scopes), seconds_of(token.issued_at),
      seconds_of(token.expires_at));
  if (!added) {
    if (is_unique_violation(added.error())) return std::unexpected(StoreError::kAlreadyExists);
    return std::unexpected(unavailable("insert_refresh_token", added.error()));
  }
  return {};
}

}  // namespace

StoreResult<void> SqliteRefreshTokens::add_refresh_family(const RefreshFamily& family,
                                                          const RefreshTokenRecord& first) {
  constexpr std::string_view kOp = "add_refresh_family";
  return db_.transact(kOp, [&](SqliteConnection& conn) -> StoreResult<void> {
    auto added = conn.run(
        "INSERT INTO refresh_families (id, client_id, subject, created_at, jkt, resource) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        family.id, family.client_id, family.subject, seconds_of(family.created_at), family.jkt,
        family.resource);
    if (!added) {
      if (is_unique_violation(added.error())) return std::unexpected(StoreError::kAlreadyExists);
      return std::unexpected(unavailable(kOp, added.error()));
    }
    return insert_refresh_token(conn, first);
  });
}

StoreResult<std::optional<RefreshTokenState>> SqliteRefreshTokens::find_refresh_token(
    std::string_view token_hash) {
  auto conn = db_.read();
  auto stmt = conn->prepare(
      "SELECT t.token_hash, t.family_id, t.scopes, t.issued_at, t.expires_at, t.used_at, "
      "f.client_id, f.subject, f.created_at, f.revoked_at, f.jkt, f.resource "
      "FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id "
      "WHERE t.token_hash = ?1",
      token_hash);
  if (!stmt) return std::unexpected(unavailable("find_refresh_token", stmt.error()));
  auto row = stmt->step();
  if (!row) return std::unexpected(unavailable("find_refresh_token", row.error()));
  if (!*row) return std::optional<RefreshTokenState>();
  RefreshTokenState state;
  state.token = RefreshTokenRecord{.token_hash = stmt->column_text(0),
                                   .family_id = stmt->column_text(1),
                                   .scopes = split_words(stmt->column_text(2)),
                                   .issued_at = from_unix_seconds(stmt->column_int64(3)),
                                   .expires_at = from_unix_seconds(stmt->column_int64(4)),
                                   .used_at = optional_time(*stmt, 5)};
  state.family = RefreshFamily{.id = state.token.family_id,
                               .client_id = stmt->column_text(6),
                               .subject = stmt->column_text(7),
                               .created_at = from_unix_seconds(stmt->column_int64(8)),
                               .revoked_at = optional_time(*stmt, 9),
                               .jkt = stmt->column_text(10),
                               .resource = stmt->column_text(11)};
  return std::optional<RefreshTokenState>(std::move(state));
}

StoreResult<bool> SqliteRefreshTokens::rotate_refresh_token(std::string_view used_hash,
                                                            const RefreshTokenRecord& next,
                                                            core::TimePoint now) {
  constexpr std::string_view kOp = "rotate_refresh_token";
  return db_.transact(kOp, [&](SqliteConnection& conn) -> StoreResult<bool> {
    // The compare-and-set: only an unused token of a live family is used, once.
    auto used = conn.run(
        "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL "
        "AND family_id IN (SELECT id FROM refresh_families WHERE revoked_at IS NULL)",
        used_hash, seconds_of(now));
    if (!used) return std::unexpected(unavailable(kOp, used.error()));
    if (*used == 0) return false;
    if (auto token = insert_refresh_token(conn, next); !token) {
      return std::unexpected(token.error());
    }
    return true;
  });
}

StoreResult<bool> SqliteRefreshTokens::revoke_refresh_family(std::string_view family_id,
                                                             core::TimePoint now,
                                                             core::TimePoint access_tokens_expire) {
  auto revoked =
      revoke_families("revoke_refresh_family",
                      "SELECT id FROM refresh_families WHERE id = ?1 AND revoked_at IS NULL",
                      family_id, now, access_tokens_expire, std::nullopt);
  if (!revoked) return std::unexpected(revoked.error());
  return *revoked > 0;
}

StoreResult<std::size_t> SqliteRefreshTokens::revoke_subject(std::string_view subject,
                                                             core::TimePoint now,
                                                             core::TimePoint issued_until,
                                                             core::TimePoint access_tokens_expire) {
  return revoke_families(
      "revoke_subject", "SELECT id FROM refresh_families WHERE subject = ?1 AND revoked_at IS NULL",
      subject, now, access_tokens_expire, issued_until);
}

// Revokes the live families `select_sql` finds (by ?1) and logs each as a kFamily revocation,
// in one transaction; with `subject_tokens_until`, also logs a kSubject revocation of `key`'s
// access tokens issued up to then. Returns how many families.
StoreResult<std::size_t> SqliteRefreshTokens::revoke_families(
    std::string_view operation, std::string_view select_sql, std::string_view key,
    core::TimePoint now, core::TimePoint access_tokens_expire,
    std::optional<core::TimePoint> subject_tokens_until) {
  return db_.transact(operation, [&](SqliteConnection& conn) -> StoreResult<std::size_t> {
    std::vector<std::string> ids;
    {
      auto stmt = conn.prepare(select_sql, key);
      if (!stmt) return std::unexpected(unavailable(operation, stmt.error()));
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::unexpected(unavailable(operation, row.error()));
        if (!*row) break;
        ids.push_back(stmt->column_text(0));
      }
    }
    for (const std::string& id : ids) {
      auto revoked = conn.run("UPDATE refresh_families SET revoked_at = ?2 WHERE id = ?1", id,
                              seconds_of(now));
      if (!revoked) return std::unexpected(unavailable(operation, revoked.error()));
      auto logged =
          conn.run("INSERT INTO revocations (kind, value, expires_at) VALUES ('sid', ?1, ?2)", id,
                   seconds_of(access_tokens_expire));
      if (!logged) return std::unexpected(unavailable(operation, logged.error()));
    }
    if (subject_tokens_until) {
      auto logged = conn.run(
          "INSERT INTO revocations (kind, value, expires_at, issued_until_ms) "
          "VALUES ('sub', ?1, ?2, ?3)",
          key, seconds_of(access_tokens_expire), core::unix_milliseconds(*subject_tokens_until));
      if (!logged) return std::unexpected(unavailable(operation, logged.error()));
    }
    return ids.size();
  });
}

StoreResult<std::size_t> SqliteRefreshTokens::purge_expired(core::TimePoint now) {
  constexpr std::string_view kOp = "purge_expired_refresh_tokens";
  return db_.transact(kOp, [&](SqliteConnection& conn) -> StoreResult<std::size_t> {
    auto tokens = conn.run("DELETE FROM refresh_tokens WHERE expires_at <= ?1", seconds_of(now));
    if (!tokens) return std::unexpected(unavailable(kOp, tokens.error()));
    auto families = conn.run(
        "DELETE FROM refresh_families WHERE NOT EXISTS "
        "(SELECT 1 FROM refresh_tokens t WHERE t.family_id = refresh_families.id)");
    if (!families) return std::unexpected(unavailable(kOp, families.error()));
    return static_cast<std::size_t>(*tokens + *families);
  });
}

}  // namespace tessera::store::sqlite
