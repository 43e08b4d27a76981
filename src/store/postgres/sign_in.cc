#include "store/postgres/tables.h"
#include "store/word_list.h"

namespace tessera::store::postgres {
namespace {

constexpr std::string_view kSessionColumns =
    "SELECT id_hash, sid, subject, auth_time, last_seen, expires_at FROM browser_sessions";

BrowserSession read_session(const PgResult& r, int row) {
  return BrowserSession{.id_hash = r.text(row, 0),
                        .sid = r.text(row, 1),
                        .subject = r.text(row, 2),
                        .auth_time = from_seconds(r.int64(row, 3)),
                        .last_seen = from_seconds(r.int64(row, 4)),
                        .expires_at = from_seconds(r.int64(row, 5))};
}

constexpr std::string_view kCodeColumns =
    "SELECT code_hash, client_id, redirect_uri, subject, scopes, nonce, code_challenge, sid, "
    "auth_time, expires_at, used_at, issued_jti, issued_family, dpop_jkt, resource "
    "FROM authorization_codes";

AuthorizationCode read_code(const PgResult& r, int row) {
  AuthorizationCode code{.code_hash = r.text(row, 0),
                         .client_id = r.text(row, 1),
                         .redirect_uri = r.text(row, 2),
                         .subject = r.text(row, 3),
                         .scopes = split_words(r.text(row, 4)),
                         .nonce = r.text(row, 5),
                         .code_challenge = r.text(row, 6),
                         .sid = r.text(row, 7),
                         .auth_time = from_seconds(r.int64(row, 8)),
                         .expires_at = from_seconds(r.int64(row, 9)),
                         .used_at = std::nullopt,
                         .issued_jti = r.text(row, 11),
                         .issued_family = r.text(row, 12),
                         .dpop_jkt = r.text(row, 13),
                         .resource = r.text(row, 14)};
  if (!r.is_null(row, 10)) code.used_at = from_seconds(r.int64(row, 10));
  return code;
}

StoreResult<std::size_t> affected(const StoreResult<PgResult>& r) {
  if (!r) return std::unexpected(r.error());
  return static_cast<std::size_t>(r->affected());
}

}  // namespace

StoreResult<void> PgSessions::add_session(const BrowserSession& session) {
  return done(
      db_.query("add_session",
                "INSERT INTO browser_sessions (id_hash, sid, subject, auth_time, "
                "last_seen, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                {text(session.id_hash), text(session.sid), text(session.subject),
                 integer(seconds_of(session.auth_time)), integer(seconds_of(session.last_seen)),
                 integer(seconds_of(session.expires_at))}));
}

StoreResult<std::optional<BrowserSession>> PgSessions::use_session(std::string_view id_hash,
                                                                   core::TimePoint now,
                                                                   std::chrono::seconds idle) {
  constexpr std::string_view kOp = "use_session";
  auto r = db_.query(kOp, std::string(kSessionColumns) + " WHERE id_hash = $1", {text(id_hash)});
  if (!r) return std::unexpected(r.error());
  if (r->size() == 0) return std::optional<BrowserSession>();
  BrowserSession found = read_session(*r, 0);
  if (!is_live(found, now, idle)) return std::optional<BrowserSession>();
  if (now - found.last_seen >= kSessionTouchEvery) {
    auto touched =
        affected(db_.query(kOp, "UPDATE browser_sessions SET last_seen = $2 WHERE id_hash = $1",
                           {text(id_hash), integer(seconds_of(now))}));
    if (!touched) return std::unexpected(touched.error());
    // Ended meanwhile (a sign-out in another tab or instance): not live.
    if (*touched == 0) return std::optional<BrowserSession>();
    found.last_seen = from_seconds(seconds_of(now));
  }
  return found;
}

StoreResult<std::optional<BrowserSession>> PgSessions::end_session(std::string_view id_hash) {
  auto r = db_.query("end_session",
                     "DELETE FROM browser_sessions WHERE id_hash = $1 RETURNING id_hash, sid, "
                     "subject, auth_time, last_seen, expires_at",
                     {text(id_hash)});
  if (!r) return std::unexpected(r.error());
  if (r->size() == 0) return std::optional<BrowserSession>();
  return read_session(*r, 0);
}

StoreResult<std::size_t> PgSessions::end_subject_sessions(std::string_view subject) {
  return affected(db_.query("end_subject_sessions",
                            "DELETE FROM browser_sessions WHERE subject = $1", {text(subject)}));
}

StoreResult<std::size_t> PgSessions::purge_expired(core::TimePoint now, std::chrono::seconds idle) {
  return affected(db_.query(
      "purge_sessions", "DELETE FROM browser_sessions WHERE expires_at <= $1 OR last_seen <= $2",
      {integer(seconds_of(now)), integer(seconds_of(now) - idle.count())}));
}

StoreResult<void> PgCodes::add_code(const AuthorizationCode& code) {
  return done(db_.query(
      "add_code",
      "INSERT INTO authorization_codes (code_hash, client_id, redirect_uri, subject, scopes, "
      "nonce, code_challenge, sid, auth_time, expires_at, dpop_jkt, resource) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
      {text(code.code_hash), text(code.client_id), text(code.redirect_uri), text(code.subject),
       text(join_words(code.scopes)), text(code.nonce), text(code.code_challenge), text(code.sid),
       integer(seconds_of(code.auth_time)), integer(seconds_of(code.expires_at)),
       text(code.dpop_jkt), text(code.resource)}));
}

StoreResult<std::optional<AuthorizationCode>> PgCodes::redeem_code(std::string_view code_hash,
                                                                   core::TimePoint now) {
  constexpr std::string_view kOp = "redeem_code";
  using Result = StoreResult<std::optional<AuthorizationCode>>;
  return db_.in_transaction(kOp, [&](PgConnection& conn) -> Result {
    // FOR UPDATE: a concurrent redemption of the same code waits, then finds it used.
    auto r = conn.exec(std::string(kCodeColumns) + " WHERE code_hash = $1 FOR UPDATE",
                       {text(code_hash)});
    if (!r) return std::unexpected(unavailable(kOp, r.error()));
    if (r->size() == 0) return std::optional<AuthorizationCode>();
    AuthorizationCode code = read_code(*r, 0);
    if (!code.used_at) {
      auto used = conn.exec("UPDATE authorization_codes SET used_at = $2 WHERE code_hash = $1",
                            {text(code_hash), integer(seconds_of(now))});
      if (!used) return std::unexpected(unavailable(kOp, used.error()));
    }
    return std::optional<AuthorizationCode>(std::move(code));
  });
}

StoreResult<void> PgCodes::set_code_issued(std::string_view code_hash, std::string_view jti,
                                           std::string_view family_id) {
  return db_.update_one(
      "set_code_issued",
      "UPDATE authorization_codes SET issued_jti = $2, issued_family = $3 WHERE code_hash = $1",
      {text(code_hash), text(jti), text(family_id)});
}

StoreResult<std::size_t> PgCodes::purge_expired(core::TimePoint now) {
  return affected(db_.query("purge_codes", "DELETE FROM authorization_codes WHERE expires_at < $1",
                            {integer(seconds_of(now))}));
}

StoreResult<std::vector<std::string>> PgConsents::find_consent(std::string_view subject,
                                                               std::string_view client_id) {
  auto r =
      db_.query("find_consent", "SELECT scopes FROM consents WHERE subject = $1 AND client_id = $2",
                {text(subject), text(client_id)});
  if (!r) return std::unexpected(r.error());
  if (r->size() == 0) return std::vector<std::string>();
  return split_words(r->text(0, 0));
}

StoreResult<void> PgConsents::add_consent(std::string_view subject, std::string_view client_id,
                                          const std::vector<std::string>& scopes) {
  constexpr std::string_view kOp = "add_consent";
  return db_.in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<void> {
    // The row exists, then is locked: two consents given at once both count.
    auto made = conn.exec(
        "INSERT INTO consents (subject, client_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        {text(subject), text(client_id)});
    if (!made) return std::unexpected(unavailable(kOp, made.error()));
    auto r =
        conn.exec("SELECT scopes FROM consents WHERE subject = $1 AND client_id = $2 FOR UPDATE",
                  {text(subject), text(client_id)});
    if (!r) return std::unexpected(unavailable(kOp, r.error()));
    const auto all = union_of_words(split_words(r->text(0, 0)), scopes);
    auto saved = conn.exec("UPDATE consents SET scopes = $3 WHERE subject = $1 AND client_id = $2",
                           {text(subject), text(client_id), text(join_words(all))});
    if (!saved) return std::unexpected(unavailable(kOp, saved.error()));
    return {};
  });
}

StoreResult<void> PgConsents::forget_subject(std::string_view subject) {
  return done(
      db_.query("forget_subject", "DELETE FROM consents WHERE subject = $1", {text(subject)}));
}

StoreResult<void> PgConsents::forget_client(std::string_view client_id) {
  return done(
      db_.query("forget_client", "DELETE FROM consents WHERE client_id = $1", {text(client_id)}));
}

}  // namespace tessera::store::postgres
