#include "store/sqlite/tables.h"
#include "store/word_list.h"

namespace tessera::store::sqlite {
namespace {

constexpr std::string_view kSessionColumns =
    "SELECT id_hash, sid, subject, auth_time, last_seen, expires_at FROM browser_sessions ";

BrowserSession read_session(const Statement& row) {
  return BrowserSession{.id_hash = row.column_text(0),
                        .sid = row.column_text(1),
                        .subject = row.column_text(2),
                        .auth_time = from_unix_seconds(row.column_int64(3)),
                        .last_seen = from_unix_seconds(row.column_int64(4)),
                        .expires_at = from_unix_seconds(row.column_int64(5))};
}

constexpr std::string_view kCodeColumns =
    "SELECT code_hash, client_id, redirect_uri, subject, scopes, nonce, code_challenge, sid, "
    "auth_time, expires_at, used_at, issued_jti, issued_family, dpop_jkt, resource "
    "FROM authorization_codes ";

AuthorizationCode read_code(const Statement& row) {
  return AuthorizationCode{.code_hash = row.column_text(0),
                           .client_id = row.column_text(1),
                           .redirect_uri = row.column_text(2),
                           .subject = row.column_text(3),
                           .scopes = split_words(row.column_text(4)),
                           .nonce = row.column_text(5),
                           .code_challenge = row.column_text(6),
                           .sid = row.column_text(7),
                           .auth_time = from_unix_seconds(row.column_int64(8)),
                           .expires_at = from_unix_seconds(row.column_int64(9)),
                           .used_at = optional_time(row, 10),
                           .issued_jti = row.column_text(11),
                           .issued_family = row.column_text(12),
                           .dpop_jkt = row.column_text(13),
                           .resource = row.column_text(14)};
}

}  // namespace

StoreResult<void> SqliteSessions::add_session(const BrowserSession& session) {
  auto added =
      db_.write("add_session",
                "INSERT INTO browser_sessions (id_hash, sid, subject, auth_time, "
                "last_seen, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                session.id_hash, session.sid, session.subject, seconds_of(session.auth_time),
                seconds_of(session.last_seen), seconds_of(session.expires_at));
  if (!added) return std::unexpected(added.error());
  return {};
}

StoreResult<std::optional<BrowserSession>> SqliteSessions::use_session(std::string_view id_hash,
                                                                       core::TimePoint now,
                                                                       std::chrono::seconds idle) {
  constexpr std::string_view kOp = "use_session";
  std::optional<BrowserSession> found;
  {
    auto conn = db_.read();
    auto stmt = conn->prepare(std::string(kSessionColumns) + "WHERE id_hash = ?1", id_hash);
    if (!stmt) return std::unexpected(unavailable(kOp, stmt.error()));
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable(kOp, row.error()));
    if (*row) found = read_session(*stmt);
  }
  if (!found || !is_live(*found, now, idle)) return std::optional<BrowserSession>();
  if (now - found->last_seen >= kSessionTouchEvery) {
    auto touched = db_.write(kOp, "UPDATE browser_sessions SET last_seen = ?2 WHERE id_hash = ?1",
                             id_hash, seconds_of(now));
    if (!touched) return std::unexpected(touched.error());
    // Ended meanwhile (a sign-out in another tab): not live.
    if (*touched == 0) return std::optional<BrowserSession>();
    found->last_seen = from_unix_seconds(seconds_of(now));
  }
  return found;
}

StoreResult<std::optional<BrowserSession>> SqliteSessions::end_session(std::string_view id_hash) {
  constexpr std::string_view kOp = "end_session";
  return db_.transact(
      kOp, [&](SqliteConnection& conn) -> StoreResult<std::optional<BrowserSession>> {
        auto stmt = conn.prepare(std::string(kSessionColumns) + "WHERE id_hash = ?1", id_hash);
        if (!stmt) return std::unexpected(unavailable(kOp, stmt.error()));
        auto row = stmt->step();
        if (!row) return std::unexpected(unavailable(kOp, row.error()));
        if (!*row) return std::optional<BrowserSession>();
        BrowserSession session = read_session(*stmt);
        auto deleted = conn.run("DELETE FROM browser_sessions WHERE id_hash = ?1", id_hash);
        if (!deleted) return std::unexpected(unavailable(kOp, deleted.error()));
        return std::optional<BrowserSession>(std::move(session));
      });
}

StoreResult<std::size_t> SqliteSessions::end_subject_sessions(std::string_view subject) {
  auto deleted =
      db_.write("end_subject_sessions", "DELETE FROM browser_sessions WHERE subject = ?1", subject);
  if (!deleted) return std::unexpected(deleted.error());
  return static_cast<std::size_t>(*deleted);
}

StoreResult<std::size_t> SqliteSessions::purge_expired(core::TimePoint now,
                                                       std::chrono::seconds idle) {
  auto deleted = db_.write("purge_sessions",
                           "DELETE FROM browser_sessions WHERE expires_at <= ?1 OR last_seen <= ?2",
                           seconds_of(now), seconds_of(now) - idle.count());
  if (!deleted) return std::unexpected(deleted.error());
  return static_cast<std::size_t>(*deleted);
}

// Not fsynced (the WAL is, by the next synced commit: the redemption): a code lives a minute,
// and a power failure that loses one before it is redeemed costs its user one more sign-in.
StoreResult<void> SqliteCodes::add_code(const AuthorizationCode& code) {
  constexpr std::string_view kOp = "add_code";
  return db_.transact_unsynced(kOp, [&](SqliteConnection& conn) -> StoreResult<void> {
    auto added = conn.run(
        "INSERT INTO authorization_codes (code_hash, client_id, redirect_uri, subject, scopes, "
        "nonce, code_challenge, sid, auth_time, expires_at, dpop_jkt, resource) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        code.code_hash, code.client_id, code.redirect_uri, code.subject, join_words(code.scopes),
        code.nonce, code.code_challenge, code.sid, seconds_of(code.auth_time),
        seconds_of(code.expires_at), code.dpop_jkt, code.resource);
    if (!added) return std::unexpected(unavailable(kOp, added.error()));
    return {};
  });
}

StoreResult<std::optional<AuthorizationCode>> SqliteCodes::redeem_code(std::string_view code_hash,
                                                                       core::TimePoint now) {
  constexpr std::string_view kOp = "redeem_code";
  using Result = StoreResult<std::optional<AuthorizationCode>>;
  // Not fsynced here: the fsynced commit of the refresh family the code gives, or else
  // set_code_issued's, writes the WAL to disk with this commit in it before any token leaves.
  return db_.transact_unsynced(kOp, [&](SqliteConnection& conn) -> Result {
    auto stmt = conn.prepare(std::string(kCodeColumns) + "WHERE code_hash = ?1", code_hash);
    if (!stmt) return std::unexpected(unavailable(kOp, stmt.error()));
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable(kOp, row.error()));
    if (!*row) return std::optional<AuthorizationCode>();
    AuthorizationCode code = read_code(*stmt);
    if (!code.used_at) {
      auto used = conn.run("UPDATE authorization_codes SET used_at = ?2 WHERE code_hash = ?1",
                           code_hash, seconds_of(now));
      if (!used) return std::unexpected(unavailable(kOp, used.error()));
    }
    return std::optional<AuthorizationCode>(std::move(code));
  });
}

// Fsynced only when no refresh family was written after the redemption: that family's fsynced
// commit made the redemption durable, and this note only lets a reuse of the code revoke.
StoreResult<void> SqliteCodes::set_code_issued(std::string_view code_hash, std::string_view jti,
                                               std::string_view family_id) {
  constexpr std::string_view kOp = "set_code_issued";
  const auto note = [&](SqliteConnection& conn) -> StoreResult<void> {
    auto changed = conn.run(
        "UPDATE authorization_codes SET issued_jti = ?2, issued_family = ?3 WHERE code_hash = ?1",
        code_hash, jti, family_id);
    if (!changed) return std::unexpected(unavailable(kOp, changed.error()));
    if (*changed == 0) return std::unexpected(StoreError::kNotFound);
    return {};
  };
  return family_id.empty() ? db_.transact(kOp, note) : db_.transact_unsynced(kOp, note);
}

StoreResult<std::size_t> SqliteCodes::purge_expired(core::TimePoint now) {
  auto deleted = db_.write("purge_codes", "DELETE FROM authorization_codes WHERE expires_at < ?1",
                           seconds_of(now));
  if (!deleted) return std::unexpected(deleted.error());
  return static_cast<std::size_t>(*deleted);
}

StoreResult<std::vector<std::string>> SqliteConsents::find_consent(std::string_view subject,
                                                                   std::string_view client_id) {
  auto conn = db_.read();
  auto stmt = conn->prepare("SELECT scopes FROM consents WHERE subject = ?1 AND client_id = ?2",
                            subject, client_id);
  if (!stmt) return std::unexpected(unavailable("find_consent", stmt.error()));
  auto row = stmt->step();
  if (!row) return std::unexpected(unavailable("find_consent", row.error()));
  if (!*row) return std::vector<std::string>();
  return split_words(stmt->column_text(0));
}

StoreResult<void> SqliteConsents::add_consent(std::string_view subject, std::string_view client_id,
                                              const std::vector<std::string>& scopes) {
  constexpr std::string_view kOp = "add_consent";
  return db_.transact(kOp, [&](SqliteConnection& conn) -> StoreResult<void> {
    auto stmt = conn.prepare("SELECT scopes FROM consents WHERE subject = ?1 AND client_id = ?2",
                             subject, client_id);
    if (!stmt) return std::unexpected(unavailable(kOp, stmt.error()));
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable(kOp, row.error()));
    const std::vector<std::string> all = union_of_words(
        *row ? split_words(stmt->column_text(0)) : std::vector<std::string>(), scopes);
    auto saved = conn.run(
        "INSERT INTO consents (subject, client_id, scopes) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (subject, client_id) DO UPDATE SET scopes = excluded.scopes",
        subject, client_id, join_words(all));
    if (!saved) return std::unexpected(unavailable(kOp, saved.error()));
    return {};
  });
}

StoreResult<void> SqliteConsents::forget_subject(std::string_view subject) {
  auto deleted = db_.write("forget_subject", "DELETE FROM consents WHERE subject = ?1", subject);
  if (!deleted) return std::unexpected(deleted.error());
  return {};
}

StoreResult<void> SqliteConsents::forget_client(std::string_view client_id) {
  auto deleted = db_.write("forget_client", "DELETE FROM consents WHERE client_id = ?1", client_id);
  if (!deleted) return std::unexpected(deleted.error());
  return {};
}

}  // namespace tessera::store::sqlite
