#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <vector>

#include "core/log.h"
#include "store/connection_pool.h"
#include "store/postgres/pg_connection.h"

namespace tessera::store {
namespace {

using postgres::PgConnection;
using postgres::PgError;
using postgres::PgParam;
using postgres::PgResult;
using Params = std::vector<PgParam>;

// The same logical schema as the SQLite store's, in PostgreSQL's types. Step i takes the
// version from i to i + 1; append, never edit a step that has shipped.
constexpr std::string_view kMigrations[] = {
    // 1: users.
    R"sql(
      CREATE TABLE users (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        scopes TEXT NOT NULL DEFAULT '',
        disabled BOOLEAN NOT NULL DEFAULT false,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
    )sql",
    // 2: signing keys; seq keeps insertion order among keys made in the same second.
    R"sql(
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        sealed_private TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        activates_at BIGINT NOT NULL,
        retire_at BIGINT,
        seq BIGSERIAL NOT NULL
      );
    )sql",
    // 3: clients, refresh tokens (by hash, in families) and the revocation log.
    R"sql(
      CREATE TABLE clients (
        id TEXT PRIMARY KEY,
        secret_hash TEXT,
        grants TEXT NOT NULL,
        scopes TEXT NOT NULL DEFAULT '',
        audience TEXT NOT NULL DEFAULT '',
        created_at BIGINT NOT NULL
      );
      CREATE TABLE refresh_families (
        id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE INDEX refresh_families_subject ON refresh_families (subject);
      CREATE INDEX refresh_families_client ON refresh_families (client_id);
      CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
        scopes TEXT NOT NULL DEFAULT '',
        issued_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
      CREATE TABLE revocations (
        sequence BIGSERIAL PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('jti', 'sid')),
        value TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      );
    )sql",
    // 4: failed credential checks, for throttling.
    R"sql(
      CREATE TABLE throttles (
        key TEXT PRIMARY KEY,
        failures BIGINT NOT NULL,
        window_start BIGINT NOT NULL,
        lockouts BIGINT NOT NULL DEFAULT 0,
        locked_until BIGINT
      );
    )sql",
    // 5: revocations of every access token of a user or a client issued up to a time.
    R"sql(
      ALTER TABLE revocations DROP CONSTRAINT revocations_kind_check;
      ALTER TABLE revocations ADD CONSTRAINT revocations_kind_check
        CHECK (kind IN ('jti', 'sid', 'sub', 'cid'));
      ALTER TABLE revocations ADD COLUMN issued_until_ms BIGINT;  -- Unix milliseconds
    )sql",
};

constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

// Transaction-scoped advisory lock ids: arbitrary constants, one per kind of serialised work.
constexpr std::string_view kMigrationLock = "7405731001";
constexpr std::string_view kSigningKeyLock = "7405731002";

// Writers may commit revocations out of sequence order; a reader that has seen sequence n
// also re-reads this many before it (store.h, revocations_since).
constexpr std::int64_t kRevocationMargin = 1000;

PgParam text(std::string_view v) { return std::string(v); }
PgParam integer(std::int64_t v) { return std::to_string(v); }
PgParam boolean(bool v) { return std::string(v ? "true" : "false"); }
PgParam null() { return std::nullopt; }
PgParam optional_integer(const std::optional<std::int64_t>& v) {
  return v ? integer(*v) : null();
}

std::int64_t seconds_of(core::TimePoint t) { return core::unix_seconds(t); }
core::TimePoint from_seconds(std::int64_t s) { return core::TimePoint(std::chrono::seconds(s)); }

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text.push_back(' ');
    text += item;
  }
  return text;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto space = text.find(' ');
    if (space != 0) out.emplace_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return out;
}

std::optional<core::TimePoint> optional_time(const PgResult& r, int row, int column) {
  if (r.is_null(row, column)) return std::nullopt;
  return from_seconds(r.int64(row, column));
}

bool is_unique_violation(const PgError& e) { return e.sqlstate == "23505"; }

// The one place a database failure is logged; callers see kUnavailable.
StoreError unavailable(std::string_view operation, const PgError& e) {
  core::log(core::LogLevel::kError, "database_error",
            {{"operation", operation},
             {"postgres", e.message},
             {"sqlstate", e.sqlstate},
             {"connection_lost", e.connection_lost}});
  return StoreError::kUnavailable;
}

using Pool = ConnectionPool<PgConnection>;

// BEGIN ... COMMIT, rolled back on scope exit unless committed.
class Transaction {
 public:
  explicit Transaction(PgConnection& conn) : conn_(conn) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (open_) static_cast<void>(conn_.exec_script("ROLLBACK"));
  }
  std::expected<void, PgError> begin() {
    auto begun = conn_.exec_script("BEGIN");
    open_ = begun.has_value();
    return begun;
  }
  std::expected<void, PgError> commit() {
    open_ = false;
    return conn_.exec_script("COMMIT");
  }

 private:
  PgConnection& conn_;
  bool open_ = false;
};

User read_user(const PgResult& r, int row) {
  return User{.name = r.text(row, 0),
              .password_hash = r.text(row, 1),
              .scopes = split(r.text(row, 2)),
              .disabled = r.text(row, 3) == "t",
              .created_at = from_seconds(r.int64(row, 4)),
              .updated_at = from_seconds(r.int64(row, 5))};
}

SigningKeyRecord read_signing_key(const PgResult& r, int row) {
  return SigningKeyRecord{.kid = r.text(row, 0),
                          .alg = r.text(row, 1),
                          .public_jwk = r.text(row, 2),
                          .sealed_private = r.text(row, 3),
                          .created_at = from_seconds(r.int64(row, 4)),
                          .activates_at = from_seconds(r.int64(row, 5)),
                          .retire_at = optional_time(r, row, 6)};
}

ClientRecord read_client(const PgResult& r, int row) {
  ClientRecord client{.id = r.text(row, 0),
                      .secret_hash = std::nullopt,
                      .grants = split(r.text(row, 2)),
                      .scopes = split(r.text(row, 3)),
                      .audience = r.text(row, 4),
                      .created_at = from_seconds(r.int64(row, 5))};
  if (!r.is_null(row, 1)) client.secret_hash = r.text(row, 1);
  return client;
}

constexpr std::string_view kUserColumns =
    "SELECT name, password_hash, scopes, disabled, created_at, updated_at FROM users";
constexpr std::string_view kKeyColumns =
    "SELECT kid, alg, public_jwk, sealed_private, created_at, activates_at, retire_at "
    "FROM signing_keys";
constexpr std::string_view kClientColumns =
    "SELECT id, secret_hash, grants, scopes, audience, created_at FROM clients";

class PostgresStore final : public Store {
 public:
  PostgresStore(std::vector<std::unique_ptr<PgConnection>> connections, const core::Clock& clock)
      : pool_(std::move(connections)), clock_(clock) {}

  // --- users -------------------------------------------------------------------------------

  StoreResult<std::optional<User>> find_user(std::string_view name) override {
    auto r = query("find_user", std::string(kUserColumns) + " WHERE name = $1", {text(name)});
    if (!r) return std::unexpected(r.error());
    if (r->size() == 0) return std::optional<User>();
    return read_user(*r, 0);
  }

  StoreResult<std::vector<User>> list_users() override {
    // COLLATE "C": ordered by bytes, as the SQLite store does, whatever the database locale.
    auto r = query("list_users", std::string(kUserColumns) + " ORDER BY name COLLATE \"C\"", {});
    if (!r) return std::unexpected(r.error());
    std::vector<User> users;
    for (int i = 0; i < r->size(); ++i) users.push_back(read_user(*r, i));
    return users;
  }

  StoreResult<bool> has_users() override {
    auto r = query("has_users", "SELECT EXISTS (SELECT 1 FROM users)", {});
    if (!r) return std::unexpected(r.error());
    return r->text(0, 0) == "t";
  }

  StoreResult<std::vector<std::string>> list_user_scopes() override {
    return distinct_scopes("list_user_scopes", "SELECT DISTINCT scopes FROM users WHERE scopes <> ''");
  }

  StoreResult<void> add_user(const User& user) override {
    const std::int64_t now = now_seconds();
    return done(query("add_user",
                      "INSERT INTO users (name, password_hash, scopes, disabled, created_at, "
                      "updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
                      {text(user.name), text(user.password_hash), text(join(user.scopes)),
                       boolean(user.disabled), integer(now)}));
  }

  StoreResult<void> set_user_disabled(std::string_view name, bool disabled) override {
    return update_one("set_user_disabled",
                      "UPDATE users SET disabled = $2, updated_at = $3 WHERE name = $1",
                      {text(name), boolean(disabled), integer(now_seconds())});
  }

  StoreResult<void> set_user_scopes(std::string_view name,
                                    const std::vector<std::string>& scopes) override {
    return update_one("set_user_scopes",
                      "UPDATE users SET scopes = $2, updated_at = $3 WHERE name = $1",
                      {text(name), text(join(scopes)), integer(now_seconds())});
  }

  StoreResult<void> set_password_hash(std::string_view name, std::string_view hash) override {
    return update_one("set_password_hash",
                      "UPDATE users SET password_hash = $2, updated_at = $3 WHERE name = $1",
                      {text(name), text(hash), integer(now_seconds())});
  }

  StoreResult<bool> replace_password_hash(std::string_view name, std::string_view old_hash,
                                          std::string_view new_hash) override {
    auto r = query("replace_password_hash",
                   "UPDATE users SET password_hash = $3, updated_at = $4 "
                   "WHERE name = $1 AND password_hash = $2",
                   {text(name), text(old_hash), text(new_hash), integer(now_seconds())});
    if (!r) return std::unexpected(r.error());
    return r->affected() > 0;
  }

  StoreResult<void> delete_user(std::string_view name) override {
    return update_one("delete_user", "DELETE FROM users WHERE name = $1", {text(name)});
  }

  // --- signing keys ------------------------------------------------------------------------

  StoreResult<std::vector<SigningKeyRecord>> list_signing_keys() override {
    auto r = query("list_signing_keys", std::string(kKeyColumns) + " ORDER BY created_at, seq", {});
    if (!r) return std::unexpected(r.error());
    std::vector<SigningKeyRecord> keys;
    for (int i = 0; i < r->size(); ++i) keys.push_back(read_signing_key(*r, i));
    return keys;
  }

  StoreResult<bool> add_signing_key(const SigningKeyRecord& key,
                                    const std::optional<std::string>& expected_newest) override {
    constexpr std::string_view kOp = "add_signing_key";
    return in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<bool> {
      // One writer at a time decides: the newest key is read and the new one added under
      // the same lock, in every instance.
      if (auto locked = conn.exec("SELECT pg_advisory_xact_lock($1)", {text(kSigningKeyLock)}); !locked) {
        return std::unexpected(unavailable(kOp, locked.error()));
      }
      auto newest = conn.exec("SELECT kid FROM signing_keys ORDER BY created_at DESC, seq DESC LIMIT 1");
      if (!newest) return std::unexpected(unavailable(kOp, newest.error()));
      const std::optional<std::string> current =
          newest->size() == 0 ? std::nullopt : std::optional<std::string>(newest->text(0, 0));
      if (current != expected_newest) return false;
      auto added = conn.exec(
          "INSERT INTO signing_keys (kid, alg, public_jwk, sealed_private, created_at, "
          "activates_at, retire_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
          {text(key.kid), text(key.alg), text(key.public_jwk), text(key.sealed_private),
           integer(seconds_of(key.created_at)), integer(seconds_of(key.activates_at)),
           key.retire_at ? integer(seconds_of(*key.retire_at)) : null()});
      if (!added) {
        if (is_unique_violation(added.error())) return std::unexpected(StoreError::kAlreadyExists);
        return std::unexpected(unavailable(kOp, added.error()));
      }
      return true;
    });
  }

  StoreResult<void> set_signing_key_retire_at(std::string_view kid, core::TimePoint at) override {
    return update_one("set_signing_key_retire_at",
                      "UPDATE signing_keys SET retire_at = $2 WHERE kid = $1",
                      {text(kid), integer(seconds_of(at))});
  }

  // --- clients -----------------------------------------------------------------------------

  StoreResult<std::optional<ClientRecord>> find_client(std::string_view id) override {
    auto r = query("find_client", std::string(kClientColumns) + " WHERE id = $1", {text(id)});
    if (!r) return std::unexpected(r.error());
    if (r->size() == 0) return std::optional<ClientRecord>();
    return read_client(*r, 0);
  }

  StoreResult<std::vector<ClientRecord>> list_clients() override {
    auto r = query("list_clients", std::string(kClientColumns) + " ORDER BY id COLLATE \"C\"", {});
    if (!r) return std::unexpected(r.error());
    std::vector<ClientRecord> clients;
    for (int i = 0; i < r->size(); ++i) clients.push_back(read_client(*r, i));
    return clients;
  }

  StoreResult<void> add_client(const ClientRecord& client) override {
    return done(query("add_client",
                      "INSERT INTO clients (id, secret_hash, grants, scopes, audience, created_at) "
                      "VALUES ($1, $2, $3, $4, $5, $6)",
                      {text(client.id), client.secret_hash ? text(*client.secret_hash) : null(),
                       text(join(client.grants)), text(join(client.scopes)),
                       text(client.audience), integer(now_seconds())}));
  }

  StoreResult<void> delete_client(std::string_view id, core::TimePoint now,
                                  core::TimePoint access_tokens_expire) override {
    constexpr std::string_view kOp = "delete_client";
    return in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<void> {
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
          {text(id), integer(seconds_of(access_tokens_expire)), integer(core::unix_milliseconds(now))});
      if (!tokens) return std::unexpected(unavailable(kOp, tokens.error()));
      auto families = conn.exec("DELETE FROM refresh_families WHERE client_id = $1", {text(id)});
      if (!families) return std::unexpected(unavailable(kOp, families.error()));
      return {};
    });
  }

  StoreResult<std::vector<std::string>> list_client_scopes() override {
    return distinct_scopes("list_client_scopes", "SELECT DISTINCT scopes FROM clients WHERE scopes <> ''");
  }

  // --- refresh tokens and revocations --------------------------------------------------------

  StoreResult<void> add_refresh_family(const RefreshFamily& family,
                                       const RefreshTokenRecord& first) override {
    constexpr std::string_view kOp = "add_refresh_family";
    return in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<void> {
      auto added = conn.exec(
          "INSERT INTO refresh_families (id, client_id, subject, created_at) VALUES ($1, $2, $3, $4)",
          {text(family.id), text(family.client_id), text(family.subject),
           integer(seconds_of(family.created_at))});
      if (!added) {
        if (is_unique_violation(added.error())) return std::unexpected(StoreError::kAlreadyExists);
        return std::unexpected(unavailable(kOp, added.error()));
      }
      return insert_refresh_token(conn, first);
    });
  }

  StoreResult<std::optional<RefreshTokenState>> find_refresh_token(
      std::string_view token_hash) override {
    auto r = query("find_refresh_token",
                   "SELECT t.token_hash, t.family_id, t.scopes, t.issued_at, t.expires_at, t.used_at, "
                   "f.client_id, f.subject, f.created_at, f.revoked_at "
                   "FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id "
                   "WHERE t.token_hash = $1",
                   {text(token_hash)});
    if (!r) return std::unexpected(r.error());
    if (r->size() == 0) return std::optional<RefreshTokenState>();
    RefreshTokenState state;
    state.token = RefreshTokenRecord{.token_hash = r->text(0, 0),
                                     .family_id = r->text(0, 1),
                                     .scopes = split(r->text(0, 2)),
                                     .issued_at = from_seconds(r->int64(0, 3)),
                                     .expires_at = from_seconds(r->int64(0, 4)),
                                     .used_at = optional_time(*r, 0, 5)};
    state.family = RefreshFamily{.id = state.token.family_id,
                                 .client_id = r->text(0, 6),
                                 .subject = r->text(0, 7),
                                 .created_at = from_seconds(r->int64(0, 8)),
                                 .revoked_at = optional_time(*r, 0, 9)};
    return std::optional<RefreshTokenState>(std::move(state));
  }

  StoreResult<bool> rotate_refresh_token(std::string_view used_hash, const RefreshTokenRecord& next,
                                         core::TimePoint now) override {
    constexpr std::string_view kOp = "rotate_refresh_token";
    return in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<bool> {
      // The row lock this UPDATE takes makes a concurrent rotation of the same token wait,
      // then see used_at set and change nothing: one winner.
      auto used = conn.exec(
          "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL "
          "AND family_id IN (SELECT id FROM refresh_families WHERE revoked_at IS NULL)",
          {text(used_hash), integer(seconds_of(now))});
      if (!used) return std::unexpected(unavailable(kOp, used.error()));
      if (used->affected() == 0) return false;
      if (auto added = insert_refresh_token(conn, next); !added) return std::unexpected(added.error());
      return true;
    });
  }

  StoreResult<bool> revoke_refresh_family(std::string_view family_id, core::TimePoint now,
                                          core::TimePoint access_tokens_expire) override {
    auto n = revoke_families("revoke_refresh_family",
                             "UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 "
                             "AND revoked_at IS NULL RETURNING id",
                             family_id, now, access_tokens_expire);
    if (!n) return std::unexpected(n.error());
    return *n > 0;
  }

  StoreResult<std::size_t> revoke_subject(std::string_view subject, core::TimePoint now,
                                          core::TimePoint issued_until,
                                          core::TimePoint access_tokens_expire) override {
    return revoke_families("revoke_subject",
                           "UPDATE refresh_families SET revoked_at = $2 WHERE subject = $1 "
                           "AND revoked_at IS NULL RETURNING id",
                           subject, now, access_tokens_expire, issued_until);
  }

  StoreResult<void> revoke_access_token(std::string_view jti, core::TimePoint expires_at) override {
    return done(query("revoke_access_token",
                      "INSERT INTO revocations (kind, value, expires_at) VALUES ('jti', $1, $2)",
                      {text(jti), integer(seconds_of(expires_at))}));
  }

  StoreResult<std::vector<Revocation>> revocations_since(std::int64_t after,
                                                         core::TimePoint now) override {
    auto r = query("revocations_since",
                   "SELECT sequence, kind, value, expires_at, COALESCE(issued_until_ms, 0) "
                   "FROM revocations WHERE sequence > $1 AND expires_at > $2 ORDER BY sequence",
                   {integer(std::max<std::int64_t>(0, after - kRevocationMargin)),
                    integer(seconds_of(now))});
    if (!r) return std::unexpected(r.error());
    std::vector<Revocation> out;
    for (int i = 0; i < r->size(); ++i) {
      // The CHECK constraint admits only the kinds parse_revocation_kind knows.
      out.push_back(Revocation{
          .sequence = r->int64(i, 0),
          .kind = parse_revocation_kind(r->text(i, 1)).value_or(Revocation::Kind::kAccessToken),
          .value = r->text(i, 2),
          .expires_at = from_seconds(r->int64(i, 3)),
          .issued_until = core::from_unix_milliseconds(r->int64(i, 4))});
    }
    return out;
  }

  StoreResult<std::size_t> purge_expired(core::TimePoint now) override {
    constexpr std::string_view kOp = "purge_expired";
    return in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<std::size_t> {
      std::size_t total = 0;
      for (const std::string_view sql :
           {std::string_view("DELETE FROM revocations WHERE expires_at <= $1"),
            std::string_view("DELETE FROM refresh_tokens WHERE expires_at <= $1"),
            std::string_view("DELETE FROM throttles WHERE window_start <= $1 - 86400 "
                             "AND (locked_until IS NULL OR locked_until <= $1)")}) {
        auto n = conn.exec(sql, {integer(seconds_of(now))});
        if (!n) return std::unexpected(unavailable(kOp, n.error()));
        total += static_cast<std::size_t>(n->affected());
      }
      auto families = conn.exec(
          "DELETE FROM refresh_families f WHERE NOT EXISTS "
          "(SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id)");
      if (!families) return std::unexpected(unavailable(kOp, families.error()));
      return total + static_cast<std::size_t>(families->affected());
    });
  }

  // --- throttles -----------------------------------------------------------------------------

  StoreResult<std::optional<core::TimePoint>> locked_until(std::string_view key,
                                                          std::string_view other,
                                                          core::TimePoint now) override {
    auto r = query("locked_until",
                   "SELECT locked_until FROM throttles WHERE key IN ($1, $2) AND locked_until > $3 "
                   "ORDER BY locked_until DESC LIMIT 1",
                   {text(key), text(other), integer(seconds_of(now))});
    if (!r) return std::unexpected(r.error());
    if (r->size() == 0) return std::optional<core::TimePoint>();
    return std::optional<core::TimePoint>(from_seconds(r->int64(0, 0)));
  }

  StoreResult<ThrottleState> record_failure(std::string_view key, core::TimePoint now,
                                            const ThrottlePolicy& policy) override {
    constexpr std::string_view kOp = "record_failure";
    return in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<ThrottleState> {
      // The key's own lock, so that counting is exact across instances.
      if (auto locked = conn.exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {text(key)});
          !locked) {
        return std::unexpected(unavailable(kOp, locked.error()));
      }
      const std::int64_t t = seconds_of(now);
      std::int64_t failures = 0;
      std::int64_t window_start = t;
      std::int64_t lockouts = 0;
      std::optional<std::int64_t> still_locked;
      auto row = conn.exec(
          "SELECT failures, window_start, lockouts, locked_until FROM throttles WHERE key = $1",
          {text(key)});
      if (!row) return std::unexpected(unavailable(kOp, row.error()));
      if (row->size() == 1) {
        failures = row->int64(0, 0);
        window_start = row->int64(0, 1);
        lockouts = row->int64(0, 2);
        if (!row->is_null(0, 3) && row->int64(0, 3) > t) still_locked = row->int64(0, 3);
      }
      if (t - window_start >= policy.window.count()) {
        failures = 0;
        window_start = t;
      }
      ++failures;
      ThrottleState state{.failures = failures, .lockouts = lockouts, .locked_until = std::nullopt};
      std::optional<std::int64_t> locked = still_locked;
      if (failures >= policy.threshold) {
        std::int64_t duration = policy.first_lockout.count();
        for (std::int64_t i = 0; i < lockouts && duration < policy.max_lockout.count(); ++i) duration *= 2;
        duration = std::min(duration, policy.max_lockout.count());
        locked = t + duration;
        state.lockouts = ++lockouts;
        state.locked_until = from_seconds(*locked);
        failures = 0;
        window_start = t;
      }
      auto saved = conn.exec(
          "INSERT INTO throttles (key, failures, window_start, lockouts, locked_until) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO UPDATE SET failures = $2, "
          "window_start = $3, lockouts = $4, locked_until = $5",
          {text(key), integer(failures), integer(window_start), integer(lockouts),
           optional_integer(locked)});
      if (!saved) return std::unexpected(unavailable(kOp, saved.error()));
      return state;
    });
  }

  StoreResult<void> clear_failures(std::string_view key) override {
    auto r = query("clear_failures", "DELETE FROM throttles WHERE key = $1", {text(key)});
    if (!r) return std::unexpected(r.error());
    return {};
  }

  PoolStats pool_stats() const override { return pool_.stats(); }

  StoreResult<void> ping() override {
    auto r = query("ping", "SELECT 1", {});
    if (!r) return std::unexpected(r.error());
    return {};
  }

 private:
  std::int64_t now_seconds() const { return core::unix_seconds(clock_.now()); }

  // One statement on a pooled connection, reconnecting first if the connection broke (a
  // database restart). A unique violation is kAlreadyExists.
  StoreResult<PgResult> query(std::string_view operation, std::string_view sql, const Params& params) {
    auto conn = pool_.acquire();
    if (!conn->ensure_open()) {
      return std::unexpected(unavailable(operation, PgError{"", "cannot reach the database", true}));
    }
    auto first = conn->exec(sql, params);
    // A read on a connection that broke since the check above is safe to run again, on the
    // same connection made anew; a write is not (it may have been committed).
    const bool again = !first && first.error().connection_lost && sql.starts_with("SELECT") &&
                       conn->ensure_open();
    auto r = again ? conn->exec(sql, params) : std::move(first);
    if (!r) {
      if (is_unique_violation(r.error())) return std::unexpected(StoreError::kAlreadyExists);
      return std::unexpected(unavailable(operation, r.error()));
    }
    return std::move(*r);
  }

  static StoreResult<void> done(const StoreResult<PgResult>& r) {
    if (!r) return std::unexpected(r.error());
    return {};
  }

  StoreResult<void> update_one(std::string_view operation, std::string_view sql, const Params& params) {
    auto r = query(operation, sql, params);
    if (!r) return std::unexpected(r.error());
    if (r->affected() == 0) return std::unexpected(StoreError::kNotFound);
    return {};
  }

  template <class F>
  auto in_transaction(std::string_view operation, F body) -> std::invoke_result_t<F&, PgConnection&> {
    auto conn = pool_.acquire();
    if (!conn->ensure_open()) {
      return std::unexpected(unavailable(operation, PgError{"", "cannot reach the database", true}));
    }
    Transaction tx(*conn);
    if (auto begun = tx.begin(); !begun) return std::unexpected(unavailable(operation, begun.error()));
    auto result = body(*conn);
    if (!result) return result;
    if (auto committed = tx.commit(); !committed) {
      return std::unexpected(unavailable(operation, committed.error()));
    }
    return result;
  }

  StoreResult<std::vector<std::string>> distinct_scopes(std::string_view operation,
                                                        std::string_view sql) {
    auto r = query(operation, sql, {});
    if (!r) return std::unexpected(r.error());
    std::vector<std::string> all;
    for (int i = 0; i < r->size(); ++i) {
      for (std::string& scope : split(r->text(i, 0))) all.push_back(std::move(scope));
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }

  StoreResult<void> insert_refresh_token(PgConnection& conn, const RefreshTokenRecord& token) {
    auto added = conn.exec(
        "INSERT INTO refresh_tokens (token_hash, family_id, scopes, issued_at, expires_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        {text(token.token_hash), text(token.family_id), text(join(token.scopes)),
         integer(seconds_of(token.issued_at)), integer(seconds_of(token.expires_at))});
    if (!added) {
      if (is_unique_violation(added.error())) return std::unexpected(StoreError::kAlreadyExists);
      return std::unexpected(unavailable("insert_refresh_token", added.error()));
    }
    return {};
  }

  // Revokes what `update_sql` (RETURNING id) matches for $1 and logs each family, together;
  // with `subject_tokens_until`, also logs a kSubject revocation of `key`'s access tokens
  // issued up to then.
  StoreResult<std::size_t> revoke_families(
      std::string_view operation, std::string_view update_sql, std::string_view key,
      core::TimePoint now, core::TimePoint access_tokens_expire,
      std::optional<core::TimePoint> subject_tokens_until = std::nullopt) {
    return in_transaction(operation, [&](PgConnection& conn) -> StoreResult<std::size_t> {
      auto revoked = conn.exec(update_sql, {text(key), integer(seconds_of(now))});
      if (!revoked) return std::unexpected(unavailable(operation, revoked.error()));
      for (int i = 0; i < revoked->size(); ++i) {
        auto logged = conn.exec(
            "INSERT INTO revocations (kind, value, expires_at) VALUES ('sid', $1, $2)",
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

  Pool pool_;
  const core::Clock& clock_;
};

// Brings the schema to kSchemaVersion under an advisory lock, so that instances starting
// together apply each step once.
std::expected<void, std::string> migrate(PgConnection& conn) {
  Transaction tx(conn);
  if (auto begun = tx.begin(); !begun) return std::unexpected(begun.error().message);
  if (auto locked = conn.exec("SELECT pg_advisory_xact_lock($1)", {text(kMigrationLock)}); !locked) {
    return std::unexpected(locked.error().message);
  }
  if (auto created = conn.exec_script(
          "CREATE TABLE IF NOT EXISTS tessera_schema (version INTEGER NOT NULL)");
      !created) {
    return std::unexpected(created.error().message);
  }
  auto current = conn.exec("SELECT version FROM tessera_schema");
  if (!current) return std::unexpected(current.error().message);
  const std::int64_t from = current->size() == 0 ? 0 : current->int64(0, 0);
  if (from > kSchemaVersion) {
    return std::unexpected("database schema version " + std::to_string(from) +
                           " is newer than this tessera supports (" +
                           std::to_string(kSchemaVersion) + ")");
  }
  for (std::int64_t v = from; v < kSchemaVersion; ++v) {
    if (auto applied = conn.exec_script(kMigrations[v]); !applied) {
      return std::unexpected("migration to schema version " + std::to_string(v + 1) +
                             " failed: " + applied.error().message);
    }
  }
  if (from != kSchemaVersion) {
    auto cleared = conn.exec_script("DELETE FROM tessera_schema");
    auto set = conn.exec("INSERT INTO tessera_schema (version) VALUES ($1)", {integer(kSchemaVersion)});
    if (!cleared || !set) return std::unexpected("cannot record the schema version");
  }
  if (auto committed = tx.commit(); !committed) return std::unexpected(committed.error().message);
  if (from != kSchemaVersion) {
    core::log(core::LogLevel::kInfo, "database_migrated", {{"from", from}, {"to", kSchemaVersion}});
  }
  return {};
}

}  // namespace

int postgres_schema_version() { return kSchemaVersion; }

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether a connection parameter's name, percent-decoded as libpq decodes URI parameters,
// names a secret: the password, or the passphrase of the client key.
bool names_a_secret(std::string_view key) {
  std::string decoded;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '%' && i + 2 < key.size() && hex_digit(key[i + 1]) >= 0 &&
        hex_digit(key[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(hex_digit(key[i + 1]) << 4 | hex_digit(key[i + 2])));
      i += 2;
    } else {
      decoded.push_back(key[i]);
    }
  }
  std::transform(decoded.begin(), decoded.end(), decoded.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return decoded == "password" || decoded == "sslpassword";
}

}  // namespace

std::string redact_database_url(std::string_view url) {
  std::string out(url);
  const auto scheme = out.find("://");
  if (scheme == std::string::npos) {
    // A keyword/value string: "host=db password = 'a b' user=x". Each value after a secret's
    // name, quoted or not, goes.
    for (std::size_t i = 0; i < out.size();) {
      const auto eq = out.find('=', i);
      if (eq == std::string::npos) break;
      std::size_t key_end = eq;
      while (key_end > i && std::isspace(static_cast<unsigned char>(out[key_end - 1]))) --key_end;
      std::size_t key_start = key_end;
      while (key_start > i && !std::isspace(static_cast<unsigned char>(out[key_start - 1]))) --key_start;
      std::size_t value = eq + 1;
      while (value < out.size() && std::isspace(static_cast<unsigned char>(out[value]))) ++value;
      std::size_t value_end = value;
      if (value_end < out.size() && out[value_end] == '\'') {
        for (++value_end; value_end < out.size() && out[value_end] != '\''; ++value_end) {
          if (out[value_end] == '\\') ++value_end;
        }
        value_end = std::min(value_end + 1, out.size());
      } else {
        while (value_end < out.size() && !std::isspace(static_cast<unsigned char>(out[value_end]))) {
          ++value_end;
        }
      }
      if (names_a_secret(std::string_view(out).substr(key_start, key_end - key_start))) {
        out.replace(value, value_end - value, "***");
        value_end = value + 3;
      }
      i = value_end;
    }
    return out;
  }
  // The password of the URI's user info: postgresql://user:PASSWORD@host/db. libpq ends the
  // user info at the first '@'; an unencoded '@' in the password would move it, so everything
  // up to the last '@' of the authority goes.
  const std::size_t authority = scheme + 3;
  const std::size_t authority_end = std::min(out.find_first_of("/?#", authority), out.size());
  const auto at = out.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
  if (at != std::string::npos && at >= authority) {
    const auto colon = out.find(':', authority);
    if (colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  // Parameters: ?password=...&sslpassword=..., their names percent-encoded or not.
  const auto query = out.find('?', authority);
  if (query == std::string::npos) return out;
  for (std::size_t i = query + 1; i < out.size();) {
    std::size_t end = std::min(out.find_first_of("&#", i), out.size());
    const auto eq = out.find('=', i);
    if (eq < end && names_a_secret(std::string_view(out).substr(i, eq - i))) {
      out.replace(eq + 1, end - eq - 1, "***");
      end = eq + 4;
    }
    if (end >= out.size() || out[end] == '#') break;
    i = end + 1;
  }
  return out;
}

std::expected<std::unique_ptr<Store>, std::string> open_postgres_store(const PostgresOptions& options,
                                                                       const core::Clock& clock) {
  const auto fail = [&](std::string_view problem) {
    return std::unexpected("cannot open database " + redact_database_url(options.url) + ": " +
                           std::string(problem));
  };
  if (options.connections == 0) return fail("at least one connection is needed");
  std::vector<std::unique_ptr<PgConnection>> connections;
  for (std::size_t i = 0; i < options.connections; ++i) {
    auto conn = PgConnection::open(options.url);
    if (!conn) return fail(conn.error().message);
    if (i == 0) {
      if (auto migrated = migrate(**conn); !migrated) return fail(migrated.error());
    }
    connections.push_back(std::move(*conn));
  }
  return std::make_unique<PostgresStore>(std::move(connections), clock);
}

}  // namespace tessera::store
