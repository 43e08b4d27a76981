#include "store/postgres/tables.h"
#include "store/word_list.h"

namespace tessera::store::postgres {
namespace {

StoreResult<void> insert_refresh_token(PgConnection& conn, const RefreshTokenRecord& token) {
  auto added = conn.exec(
      "INSERT INTO refresh_tokens (token_hash, family_id, scopes, issued_at, expires_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      {text(token.token_hash), text(token.family_id), text(join_words(token.scopes)),
       integer(seconds_of(token.issued_at)), integer(seconds_of(token.expires_at))});
  if (!added) {
    if (is_unique_violation(added.error())) return std::unexpected(StoreError::kAlreadyExists);
    return std::unexpected(unavailable("insert_refresh_token", added.error()));
  }
  return {};
}

}  // namespace

StoreResult<void> PgRefreshTokens::add_refresh_family(const RefreshFamily& family,
                                                      const RefreshTokenRecord& first) {
  constexpr std::string_view kOp = "add_refresh_family";
  return db_.in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<void> {
    auto added = conn.exec(
        "INSERT INTO refresh_families (id, client_id, subject, created_at, jkt, resource) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {text(family.id), text(family.client_id), text(family.subject),
         integer(seconds_of(family.created_at)), text(family.jkt), text(family.resource)});
    if (!added) {
      if (is_unique_violation(added.error())) return std::unexpected(StoreError::kAlreadyExists);
      return std::unexpected(unavailable(kOp, added.error()));
    }
    return insert_refresh_token(conn, first);
  });
}

StoreResult<std::optional<RefreshTokenState>> PgRefreshTokens::find_refresh_token(
    std::string_view token_hash) {
  auto r =
      db_.query("find_refresh_token",
                "SELECT t.token_hash, t.family_id, t.scopes, t.issued_at, t.expires_at, t.used_at, "
                "f.client_id, f.subject, f.created_at, f.revoked_at, f.jkt, f.resource "
                "FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id "
                "WHERE t.token_hash = $1",
                {text(token_hash)});
  if (!r) return std::unexpected(r.error());
  if (r->size() == 0) return std::optional<RefreshTokenState>();
  RefreshTokenState state;
  state.token = RefreshTokenRecord{.token_hash = r->text(0, 0),
                                   .family_id = r->text(0, 1),
                                   .scopes = split_words(r->text(0, 2)),
                                   .issued_at = from_seconds(r->int64(0, 3)),
                                   .expires_at = from_seconds(r->int64(0, 4)),
                                   .used_at = optional_time(*r, 0, 5)};
  state.family = RefreshFamily{.id = state.token.family_id,
                               .client_id = r->text(0, 6),
                               .subject = r->text(0, 7),
                               .created_at = from_seconds(r->int64(0, 8)),
                               .revoked_at = optional_time(*r, 0, 9),
                               .jkt = r->text(0, 10),
                               .resource = r->text(0, 11)};
  return std::optional<RefreshTokenState>(std::move(state));
}

StoreResult<bool> PgRefreshTokens::rotate_refresh_token(std::string_view used_hash,
                                                        const RefreshTokenRecord& next,
                                                        core::TimePoint now) {
  constexpr std::string_view kOp = "rotate_refresh_token";
  return db_.in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<bool> {
    // The row lock this UPDATE takes makes a concurrent rotation of the same token wait,
    // then see used_at set and change nothing: one winner.
    auto used = conn.exec(
        "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL "
        "AND family_id IN (SELECT id FROM refresh_families WHERE revoked_at IS NULL)",
        {text(used_hash), integer(seconds_of(now))});
    if (!used) return std::unexpected(unavailable(kOp, used.error()));
    if (used->affected() == 0) return false;
    if (auto added = insert_refresh_token(conn, next); !added)
      return std::unexpected(added.error());
    return true;
  });
}

StoreResult<bool> PgRefreshTokens::revoke_refresh_family(std::string_view family_id,
                                                         core::TimePoint now,
                                                         core::TimePoint access_tokens_expire) {
  auto n = revoke_families("revoke_refresh_family",
                           "UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 "
                           "AND revoked_at IS NULL RETURNING id",
                           family_id, now, access_tokens_expire, std::nullopt);
  if (!n) return std::unexpected(n.error());
  return *n > 0;
}

StoreResult<std::size_t> PgRefreshTokens::revoke_subject(std::string_view subject,
                                                         core::TimePoint now,
                                                         core::TimePoint issued_until,
                                                         core::TimePoint access_tokens_expire) {
  return revoke_families("revoke_subject",
                         "UPDATE refresh_families SET revoked_at = $2 WHERE subject = $1 "
                         "AND revoked_at IS NULL RETURNING id",
                         subject, now, access_tokens_expire, issued_until);
}

// Revokes what `update_sql` (RETURNING id) matches for $1 and logs each family, together;
// with `subject_tokens_until`, also logs a kSubject revocation of `key`'s access tokens
// issued up to then.
StoreResult<std::size_t> PgRefreshTokens::revoke_families(
    std::string_view operation, std::string_view update_sql, std::string_view key,
    core::TimePoint now, core::TimePoint access_tokens_expire,
    std::optional<core::TimePoint> subject_tokens_until) {
  return db_.in_transaction(operation, [&](PgConnection& conn) -> StoreResult<std::size_t> {
    auto revoked = conn.exec(update_sql, {text(key), integer(seconds_of(now))});
    if (!revoked) return std::unexpected(unavailable(operation, revoked.error()));
    for (int i = 0; i < revoked->size(); ++i) {
      auto logged =
          conn.exec("INSERT INTO revocations (kind, value, expires_at) VALUES ('sid', $1, $2)",
                    {text(revoked->text(i, 0)), integer(seconds_of(access_tokens_expire))});
      if (!logged) return std::unexpected(unavailable(operation, logged.error()));
    }
    if (subject_tokens_until) {
      auto logged = conn.exec(
          "INSERT INTO revocations (kind, value, expires_at, issued_until_ms) "
          "VALUES ('sub', $1, $2, $3)",
          {text(key), integer(seconds_of(access_tokens_expire)),
           integer(core::unix_milliseconds(*subject_tokens_until))});
      if (!logged) return std::unexpected(unavailable(operation, logged.error()));
    }
    return static_cast<std::size_t>(revoked->size());
  });
}

StoreResult<std::size_t> PgRefreshTokens::purge_expired(core::TimePoint now) {
  constexpr std::string_view kOp = "purge_expired_refresh_tokens";
  return db_.in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<std::size_t> {
    auto tokens =
        conn.exec("DELETE FROM refresh_tokens WHERE expires_at <= $1", {integer(seconds_of(now))});
    if (!tokens) return std::unexpected(unavailable(kOp, tokens.error()));
    auto families = conn.exec(
        "DELETE FROM refresh_families f WHERE NOT EXISTS "
        "(SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id)");
    if (!families) return std::unexpected(unavailable(kOp, families.error()));
    return static_cast<std::size_t>(tokens->affected() + families->affected());
  });
}

}  // namespace tessera::store::postgres
