#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "core/log.h"
#include "store/connection_pool.h"
#include "store/sqlite/sqlite_db.h"

namespace tessera::store {

// Declared in store.h, which has no source file of its own yet.
std::string_view to_string(StoreError e) {
  switch (e) {
    case StoreError::kNotFound: return "record not found";
    case StoreError::kAlreadyExists: return "record already exists";
    case StoreError::kUnavailable: return "database unavailable";
  }
  return "database unavailable";
}

namespace {

using sqlite::SqliteConnection;
using sqlite::SqliteError;
using sqlite::Transaction;

// Schema migrations: step i takes PRAGMA user_version from i to i + 1, and all pending steps
// run in one transaction at open. Append new steps at the end; never edit one that has
// shipped, since existing databases have already run it.
constexpr std::string_view kMigrations[] = {
    // 1: users. Times are Unix seconds. Scopes are space-separated, which is safe because a
    // scope token never contains a space (RFC 6749 section 3.3).
    R"sql(
      CREATE TABLE users (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        scopes TEXT NOT NULL DEFAULT '',
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    )sql",
    // 2: signing keys. retire_at is NULL while a key is current.
    R"sql(
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        sealed_private TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        activates_at INTEGER NOT NULL,
        retire_at INTEGER
      ) STRICT;
    )sql",
    // 3: clients, refresh tokens (by hash, in families) and the revocation log.
    R"sql(
      CREATE TABLE clients (
        id TEXT PRIMARY KEY,
        secret_hash TEXT,
        grants TEXT NOT NULL,
        scopes TEXT NOT NULL DEFAULT '',
        audience TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE refresh_families (
        id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) STRICT;
      CREATE INDEX refresh_families_subject ON refresh_families (subject);
      CREATE INDEX refresh_families_client ON refresh_families (client_id);
      CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
        scopes TEXT NOT NULL DEFAULT '',
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      ) STRICT;
      CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
      CREATE TABLE revocations (
        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('jti', 'sid')),
        value TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
    )sql",
    // 4: failed credential checks, for throttling.
    R"sql(
      CREATE TABLE throttles (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        window_start INTEGER NOT NULL,
        lockouts INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER
      ) STRICT;
    )sql",
    // 5: revocations of every access token of a user or a client issued up to a time. SQLite
    // cannot change a CHECK constraint in place: the table is rebuilt, keeping each entry's
    // sequence and the AUTOINCREMENT counter, so that no follower of the log misses one.
    R"sql(
      CREATE TABLE revocations_v5 (
        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('jti', 'sid', 'sub', 'cid')),
        value TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        issued_until_ms INTEGER  -- Unix milliseconds
      ) STRICT;
      INSERT INTO revocations_v5 (sequence, kind, value, expires_at)
        SELECT sequence, kind, value, expires_at FROM revocations;
      INSERT INTO sqlite_sequence (name, seq)
        SELECT 'revocations_v5', seq FROM sqlite_sequence
        WHERE name = 'revocations' AND NOT EXISTS (SELECT 1 FROM revocations_v5);
      UPDATE sqlite_sequence SET seq = (SELECT MAX(seq) FROM sqlite_sequence
                                        WHERE name IN ('revocations', 'revocations_v5'))
        WHERE name = 'revocations_v5';
      DROP TABLE revocations;
      ALTER TABLE revocations_v5 RENAME TO revocations;
    )sql",
};

constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

using Pool = ConnectionPool<SqliteConnection>;

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string text;
  for (const auto& scope : scopes) {
    if (!text.empty()) text.push_back(' ');
    text += scope;
  }
  return text;
}

std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> scopes;
  while (!text.empty()) {
    const auto space = text.find(' ');
    if (space != 0) scopes.emplace_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return scopes;
}

core::TimePoint from_unix_seconds(std::int64_t seconds) {
  return core::TimePoint(std::chrono::seconds(seconds));
}

// Reads a row of (name, password_hash, scopes, disabled, created_at, updated_at).
User read_user(const sqlite::Statement& row) {
  return User{
      .name = row.column_text(0),
      .password_hash = row.column_text(1),
      .scopes = split_scopes(row.column_text(2)),
      .disabled = row.column_int64(3) != 0,
      .created_at = from_unix_seconds(row.column_int64(4)),
      .updated_at = from_unix_seconds(row.column_int64(5)),
  };
}

std::int64_t seconds_of(core::TimePoint t) { return core::unix_seconds(t); }

std::optional<std::int64_t> seconds_of(const std::optional<core::TimePoint>& t) {
  if (!t) return std::nullopt;
  return core::unix_seconds(*t);
}

// Reads a row of (kid, alg, public_jwk, sealed_private, created_at, activates_at, retire_at).
SigningKeyRecord read_signing_key(const sqlite::Statement& row) {
  SigningKeyRecord key{
      .kid = row.column_text(0),
      .alg = row.column_text(1),
      .public_jwk = row.column_text(2),
      .sealed_private = row.column_text(3),
      .created_at = from_unix_seconds(row.column_int64(4)),
      .activates_at = from_unix_seconds(row.column_int64(5)),
      .retire_at = std::nullopt,
  };
  if (!row.column_is_null(6)) key.retire_at = from_unix_seconds(row.column_int64(6));
  return key;
}

// Reads a row of (id, secret_hash, grants, scopes, audience, created_at).
ClientRecord read_client(const sqlite::Statement& row) {
  ClientRecord client{
      .id = row.column_text(0),
      .secret_hash = std::nullopt,
      .grants = split_scopes(row.column_text(2)),
      .scopes = split_scopes(row.column_text(3)),
      .audience = row.column_text(4),
      .created_at = from_unix_seconds(row.column_int64(5)),
  };
  if (!row.column_is_null(1)) client.secret_hash = row.column_text(1);
  return client;
}

std::optional<core::TimePoint> optional_time(const sqlite::Statement& row, int index) {
  if (row.column_is_null(index)) return std::nullopt;
  return from_unix_seconds(row.column_int64(index));
}

bool is_unique_violation(const SqliteError& e) {
  return e.code == SQLITE_CONSTRAINT_PRIMARYKEY || e.code == SQLITE_CONSTRAINT_UNIQUE;
}

// The one place a database failure is logged; the caller only sees kUnavailable. SQLite's
// messages name tables and columns, never the values involved.
StoreError unavailable(std::string_view operation, const SqliteError& e) {
  core::log(core::LogLevel::kError, "database_error",
            {{"operation", operation}, {"sqlite", e.message}, {"code", e.code}});
  return StoreError::kUnavailable;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::vector<std::unique_ptr<SqliteConnection>> connections, const core::Clock& clock)
      : pool_(std::move(connections)), clock_(clock) {}

  StoreResult<std::optional<User>> find_user(std::string_view name) override {
    auto conn = pool_.acquire();
    auto stmt = conn->prepare(
        "SELECT name, password_hash, scopes, disabled, created_at, updated_at "
        "FROM users WHERE name = ?1",
        name);
    if (!stmt) return std::unexpected(unavailable("find_user", stmt.error()));
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable("find_user", row.error()));
    if (!*row) return std::optional<User>();
    return read_user(*stmt);
  }

  StoreResult<std::vector<User>> list_users() override {
    // BINARY collation: names ordered by their UTF-8 bytes, whatever the locale.
    auto conn = pool_.acquire();
    auto stmt = conn->prepare(
        "SELECT name, password_hash, scopes, disabled, created_at, updated_at "
        "FROM users ORDER BY name");
    if (!stmt) return std::unexpected(unavailable("list_users", stmt.error()));
    std::vector<User> users;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::unexpected(unavailable("list_users", row.error()));
      if (!*row) return users;
      users.push_back(read_user(*stmt));
    }
  }

  StoreResult<bool> has_users() override {
    auto conn = pool_.acquire();
    auto stmt = conn->prepare("SELECT EXISTS (SELECT 1 FROM users)");
    if (!stmt) return std::unexpected(unavailable("has_users", stmt.error()));
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable("has_users", row.error()));
    return *row && stmt->column_int64(0) != 0;
  }

  StoreResult<std::vector<std::string>> list_user_scopes() override {
    return distinct_scopes("list_user_scopes", "SELECT DISTINCT scopes FROM users WHERE scopes != ''");
  }

  StoreResult<void> add_user(const User& user) override {
    const std::int64_t now = now_seconds();
    auto added = write("add_user",
                       "INSERT INTO users (name, password_hash, scopes, disabled, created_at, "
                       "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                       user.name, user.password_hash, join_scopes(user.scopes), user.disabled, now);
    if (!added) return std::unexpected(added.error());
    return {};
  }

  StoreResult<void> set_user_disabled(std::string_view name, bool disabled) override {
    return update_user("set_user_disabled",
                       "UPDATE users SET disabled = ?2, updated_at = ?3 WHERE name = ?1", name,
                       disabled, now_seconds());
  }

  StoreResult<void> set_user_scopes(std::string_view name,
                                    const std::vector<std::string>& scopes) override {
    return update_user("set_user_scopes",
                       "UPDATE users SET scopes = ?2, updated_at = ?3 WHERE name = ?1", name,
                       join_scopes(scopes), now_seconds());
  }

  StoreResult<void> set_password_hash(std::string_view name, std::string_view hash) override {
    return update_user("set_password_hash",
                       "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE name = ?1", name,
                       hash, now_seconds());
  }

  // A compare-and-set in one statement. An unknown user is not an error here: its hash was not
  // replaced, which is all a caller rehashing after a login needs to know.
  StoreResult<bool> replace_password_hash(std::string_view name, std::string_view old_hash,
                                          std::string_view new_hash) override {
    auto changed = write("replace_password_hash",
                         "UPDATE users SET password_hash = ?3, updated_at = ?4 "
                         "WHERE name = ?1 AND password_hash = ?2",
                         name, old_hash, new_hash, now_seconds());
    if (!changed) return std::unexpected(changed.error());
    return *changed > 0;
  }

  StoreResult<void> delete_user(std::string_view name) override {
    return update_user("delete_user", "DELETE FROM users WHERE name = ?1", name);
  }

  StoreResult<std::vector<SigningKeyRecord>> list_signing_keys() override {
    auto conn = pool_.acquire();
    auto stmt = conn->prepare(
        "SELECT kid, alg, public_jwk, sealed_private, created_at, activates_at, retire_at "
        "FROM signing_keys ORDER BY created_at, rowid");
    if (!stmt) return std::unexpected(unavailable("list_signing_keys", stmt.error()));
    std::vector<SigningKeyRecord> keys;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::unexpected(unavailable("list_signing_keys", row.error()));
      if (!*row) return keys;
      keys.push_back(read_signing_key(*stmt));
    }
  }

  StoreResult<bool> add_signing_key(const SigningKeyRecord& key,
                                    const std::optional<std::string>& expected_newest) override {
    constexpr std::string_view kOp = "add_signing_key";
    std::lock_guard writer(write_mutex_);
    auto conn = pool_.acquire();
    auto tx = Transaction::begin_immediate(*conn);
    if (!tx) return std::unexpected(unavailable(kOp, tx.error()));
    std::optional<std::string> newest;
    {
      auto stmt = conn->prepare("SELECT kid FROM signing_keys ORDER BY created_at DESC, rowid DESC LIMIT 1");
      if (!stmt) return std::unexpected(unavailable(kOp, stmt.error()));
      auto row = stmt->step();
      if (!row) return std::unexpected(unavailable(kOp, row.error()));
      if (*row) newest = stmt->column_text(0);
    }
    if (newest != expected_newest) return false;
    auto added = conn->run(
        "INSERT INTO signing_keys (kid, alg, public_jwk, sealed_private, created_at, "
        "activates_at, retire_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        key.kid, key.alg, key.public_jwk, key.sealed_private, seconds_of(key.created_at),
        seconds_of(key.activates_at), seconds_of(key.retire_at));
    if (!added) {
      if (is_unique_violation(added.error())) return std::unexpected(StoreError::kAlreadyExists);
      return std::unexpected(unavailable(kOp, added.error()));
    }
    if (auto committed = tx->commit(); !committed) {
      return std::unexpected(unavailable(kOp, committed.error()));
    }
    return true;
  }

  StoreResult<void> set_signing_key_retire_at(std::string_view kid, core::TimePoint at) override {
    auto changed = write("set_signing_key_retire_at",
                         "UPDATE signing_keys SET retire_at = ?2 WHERE kid = ?1", kid,
                         seconds_of(at));
    if (!changed) return std::unexpected(changed.error());
    if (*changed == 0) return std::unexpected(StoreError::kNotFound);
    return {};
  }

  // --- clients ---------------------------------------------------------------------------

  StoreResult<std::optional<ClientRecord>> find_client(std::string_view id) override {
    auto conn = pool_.acquire();
    auto stmt = conn->prepare(
        "SELECT id, secret_hash, grants, scopes, audience, created_at FROM clients WHERE id = ?1",
        id);
    if (!stmt) return std::unexpected(unavailable("find_client", stmt.error()));
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable("find_client", row.error()));
    if (!*row) return std::optional<ClientRecord>();
    return read_client(*stmt);
  }

  StoreResult<std::vector<ClientRecord>> list_clients() override {
    auto conn = pool_.acquire();
    auto stmt = conn->prepare(
        "SELECT id, secret_hash, grants, scopes, audience, created_at FROM clients ORDER BY id");
    if (!stmt) return std::unexpected(unavailable("list_clients", stmt.error()));
    std::vector<ClientRecord> clients;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::unexpected(unavailable("list_clients", row.error()));
      if (!*row) return clients;
      clients.push_back(read_client(*stmt));
    }
  }

  StoreResult<void> add_client(const ClientRecord& client) override {
    auto added = write("add_client",
                       "INSERT INTO clients (id, secret_hash, grants, scopes, audience, created_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                       client.id, client.secret_hash, join_scopes(client.grants),
                       join_scopes(client.scopes), client.audience, now_seconds());
    if (!added) return std::unexpected(added.error());
    return {};
  }

  StoreResult<void> delete_client(std::string_view id, core::TimePoint now,
                                  core::TimePoint access_tokens_expire) override {
    constexpr std::string_view kOp = "delete_client";
    std::lock_guard writer(write_mutex_);
    auto conn = pool_.acquire();
    auto tx = Transaction::begin_immediate(*conn);
    if (!tx) return std::unexpected(unavailable(kOp, tx.error()));
    auto deleted = conn->run("DELETE FROM clients WHERE id = ?1", id);
    if (!deleted) return std::unexpected(unavailable(kOp, deleted.error()));
    if (*deleted == 0) return std::unexpected(StoreError::kNotFound);
    // Its live families are logged as revoked, for the access tokens issued from them; then
    // they go, and the cascade takes their refresh tokens.
    if (auto logged = conn->run(
            "INSERT INTO revocations (kind, value, expires_at) SELECT 'sid', id, ?2 "
            "FROM refresh_families WHERE client_id = ?1 AND revoked_at IS NULL",
            id, seconds_of(access_tokens_expire));
        !logged) {
      return std::unexpected(unavailable(kOp, logged.error()));
    }
    // And every access token issued to it, from a family or not (client_credentials).
    if (auto logged = conn->run(
            "INSERT INTO revocations (kind, value, expires_at, issued_until_ms) "
            "VALUES ('cid', ?1, ?2, ?3)",
            id, seconds_of(access_tokens_expire), core::unix_milliseconds(now));
        !logged) {
      return std::unexpected(unavailable(kOp, logged.error()));
    }
    if (auto families = conn->run("DELETE FROM refresh_families WHERE client_id = ?1", id);
        !families) {
      return std::unexpected(unavailable(kOp, families.error()));
    }
    if (auto committed = tx->commit(); !committed) {
      return std::unexpected(unavailable(kOp, committed.error()));
    }
    return {};
  }

  StoreResult<std::vector<std::string>> list_client_scopes() override {
    return distinct_scopes("list_client_scopes", "SELECT DISTINCT scopes FROM clients WHERE scopes != ''");
  }

  // --- refresh tokens and revocations ------------------------------------------------------

  StoreResult<void> add_refresh_family(const RefreshFamily& family,
                                       const RefreshTokenRecord& first) override {
    constexpr std::string_view kOp = "add_refresh_family";
    std::lock_guard writer(write_mutex_);
    auto conn = pool_.acquire();
    auto tx = Transaction::begin_immediate(*conn);
    if (!tx) return std::unexpected(unavailable(kOp, tx.error()));
    auto added = conn->run(
        "INSERT INTO refresh_families (id, client_id, subject, created_at) VALUES (?1, ?2, ?3, ?4)",
        family.id, family.client_id, family.subject, seconds_of(family.created_at));
    if (!added) {
      if (is_unique_violation(added.error())) return std::unexpected(StoreError::kAlreadyExists);
      return std::unexpected(unavailable(kOp, added.error()));
    }
    if (auto token = insert_refresh_token(*conn, first); !token) {
      return std::unexpected(token.error());
    }
    if (auto committed = tx->commit(); !committed) {
      return std::unexpected(unavailable(kOp, committed.error()));
    }
    return {};
  }

  StoreResult<std::optional<RefreshTokenState>> find_refresh_token(
      std::string_view token_hash) override {
    auto conn = pool_.acquire();
    auto stmt = conn->prepare(
        "SELECT t.token_hash, t.family_id, t.scopes, t.issued_at, t.expires_at, t.used_at, "
        "f.client_id, f.subject, f.created_at, f.revoked_at "
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
                                     .scopes = split_scopes(stmt->column_text(2)),
                                     .issued_at = from_unix_seconds(stmt->column_int64(3)),
                                     .expires_at = from_unix_seconds(stmt->column_int64(4)),
                                     .used_at = optional_time(*stmt, 5)};
    state.family = RefreshFamily{.id = state.token.family_id,
                                 .client_id = stmt->column_text(6),
                                 .subject = stmt->column_text(7),
                                 .created_at = from_unix_seconds(stmt->column_int64(8)),
                                 .revoked_at = optional_time(*stmt, 9)};
    return std::optional<RefreshTokenState>(std::move(state));
  }

  StoreResult<bool> rotate_refresh_token(std::string_view used_hash, const RefreshTokenRecord& next,
                                         core::TimePoint now) override {
    constexpr std::string_view kOp = "rotate_refresh_token";
    std::lock_guard writer(write_mutex_);
    auto conn = pool_.acquire();
    auto tx = Transaction::begin_immediate(*conn);
    if (!tx) return std::unexpected(unavailable(kOp, tx.error()));
    // The compare-and-set: only an unused token of a live family is used, once.
    auto used = conn->run(
        "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL "
        "AND family_id IN (SELECT id FROM refresh_families WHERE revoked_at IS NULL)",
        used_hash, seconds_of(now));
    if (!used) return std::unexpected(unavailable(kOp, used.error()));
    if (*used == 0) return false;
    if (auto token = insert_refresh_token(*conn, next); !token) {
      return std::unexpected(token.error());
    }
    if (auto committed = tx->commit(); !committed) {
      return std::unexpected(unavailable(kOp, committed.error()));
    }
    return true;
  }

  StoreResult<bool> revoke_refresh_family(std::string_view family_id, core::TimePoint now,
                                          core::TimePoint access_tokens_expire) override {
    auto revoked = revoke_families("revoke_refresh_family",
                                   "SELECT id FROM refresh_families WHERE id = ?1 AND revoked_at IS NULL",
                                   family_id, now, access_tokens_expire);
    if (!revoked) return std::unexpected(revoked.error());
    return *revoked > 0;
  }

  StoreResult<std::size_t> revoke_subject(std::string_view subject, core::TimePoint now,
                                          core::TimePoint issued_until,
                                          core::TimePoint access_tokens_expire) override {
    return revoke_families(
        "revoke_subject",
        "SELECT id FROM refresh_families WHERE subject = ?1 AND revoked_at IS NULL", subject, now,
        access_tokens_expire, issued_until);
  }

  StoreResult<void> revoke_access_token(std::string_view jti, core::TimePoint expires_at) override {
    auto added = write("revoke_access_token",
                       "INSERT INTO revocations (kind, value, expires_at) VALUES ('jti', ?1, ?2)",
                       jti, seconds_of(expires_at));
    if (!added) return std::unexpected(added.error());
    return {};
  }

  StoreResult<std::vector<Revocation>> revocations_since(std::int64_t after,
                                                         core::TimePoint now) override {
    auto conn = pool_.acquire();
    auto stmt = conn->prepare(
        "SELECT sequence, kind, value, expires_at, COALESCE(issued_until_ms, 0) FROM revocations "
        "WHERE sequence > ?1 AND expires_at > ?2 ORDER BY sequence",
        after, seconds_of(now));
    if (!stmt) return std::unexpected(unavailable("revocations_since", stmt.error()));
    std::vector<Revocation> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::unexpected(unavailable("revocations_since", row.error()));
      if (!*row) return out;
      // The CHECK constraint admits only the kinds parse_revocation_kind knows.
      out.push_back(Revocation{
          .sequence = stmt->column_int64(0),
          .kind = parse_revocation_kind(stmt->column_text(1)).value_or(Revocation::Kind::kAccessToken),
          .value = stmt->column_text(2),
          .expires_at = from_unix_seconds(stmt->column_int64(3)),
          .issued_until = core::from_unix_milliseconds(stmt->column_int64(4))});
    }
  }

  StoreResult<std::size_t> purge_expired(core::TimePoint now) override {
    constexpr std::string_view kOp = "purge_expired";
    std::lock_guard writer(write_mutex_);
    auto conn = pool_.acquire();
    auto tx = Transaction::begin_immediate(*conn);
    if (!tx) return std::unexpected(unavailable(kOp, tx.error()));
    std::size_t total = 0;
    for (const std::string_view sql :
         {std::string_view("DELETE FROM revocations WHERE expires_at <= ?1"),
          std::string_view("DELETE FROM refresh_tokens WHERE expires_at <= ?1"),
          std::string_view("DELETE FROM refresh_families WHERE NOT EXISTS "
                           "(SELECT 1 FROM refresh_tokens t WHERE t.family_id = refresh_families.id)"),
          // Counters idle for a day, and not locked, can no longer matter.
          std::string_view("DELETE FROM throttles WHERE window_start <= ?1 - 86400 "
                           "AND (locked_until IS NULL OR locked_until <= ?1)")}) {
      auto n = sql.find("?1") != std::string_view::npos ? conn->run(sql, seconds_of(now)) : conn->run(sql);
      if (!n) return std::unexpected(unavailable(kOp, n.error()));
      total += static_cast<std::size_t>(*n);
    }
    if (auto committed = tx->commit(); !committed) {
      return std::unexpected(unavailable(kOp, committed.error()));
    }
    return total;
  }

  // --- throttles -----------------------------------------------------------------------

  StoreResult<std::optional<core::TimePoint>> locked_until(std::string_view key,
                                                          std::string_view other,
                                                          core::TimePoint now) override {
    // Two primary-key lookups on one connection: measured faster here than any one statement
    // for both keys (IN builds an ephemeral table; MAX over a UNION ALL a subquery).
    auto conn = pool_.acquire();
    std::optional<core::TimePoint> until;
    for (const std::string_view k : {key, other}) {
      auto stmt = conn->prepare(
          "SELECT locked_until FROM throttles WHERE key = ?1 AND locked_until > ?2", k,
          seconds_of(now));
      if (!stmt) return std::unexpected(unavailable("locked_until", stmt.error()));
      auto row = stmt->step();
      if (!row) return std::unexpected(unavailable("locked_until", row.error()));
      if (!*row) continue;
      const core::TimePoint t = from_unix_seconds(stmt->column_int64(0));
      if (!until || t > *until) until = t;
    }
    return until;
  }

  StoreResult<ThrottleState> record_failure(std::string_view key, core::TimePoint now,
                                            const ThrottlePolicy& policy) override {
    constexpr std::string_view kOp = "record_failure";
    std::lock_guard writer(write_mutex_);
    auto conn = pool_.acquire();
    auto tx = Transaction::begin_immediate(*conn);
    if (!tx) return std::unexpected(unavailable(kOp, tx.error()));
    const std::int64_t t = seconds_of(now);
    std::int64_t failures = 0;
    std::int64_t window_start = t;
    std::int64_t lockouts = 0;
    {
      auto stmt = conn->prepare(
          "SELECT failures, window_start, lockouts FROM throttles WHERE key = ?1", key);
      if (!stmt) return std::unexpected(unavailable(kOp, stmt.error()));
      auto row = stmt->step();
      if (!row) return std::unexpected(unavailable(kOp, row.error()));
      if (*row) {
        failures = stmt->column_int64(0);
        window_start = stmt->column_int64(1);
        lockouts = stmt->column_int64(2);
      }
    }
    if (t - window_start >= policy.window.count()) {
      failures = 0;
      window_start = t;
    }
    ++failures;
    ThrottleState state{.failures = failures, .lockouts = lockouts, .locked_until = std::nullopt};
    std::optional<std::int64_t> locked;
    if (failures >= policy.threshold) {
      std::int64_t duration = policy.first_lockout.count();
      for (std::int64_t i = 0; i < lockouts && duration < policy.max_lockout.count(); ++i) duration *= 2;
      duration = std::min(duration, policy.max_lockout.count());
      locked = t + duration;
      state.lockouts = ++lockouts;
      state.locked_until = from_unix_seconds(*locked);
      failures = 0;
      window_start = t;
    }
    auto saved = conn->run(
        "INSERT INTO throttles (key, failures, window_start, lockouts, locked_until) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO UPDATE SET failures = ?2, "
        "window_start = ?3, lockouts = ?4, "
        "locked_until = COALESCE(?5, CASE WHEN locked_until > ?6 THEN locked_until END)",
        key, failures, window_start, lockouts, locked, t);
    if (!saved) return std::unexpected(unavailable(kOp, saved.error()));
    if (auto committed = tx->commit(); !committed) {
      return std::unexpected(unavailable(kOp, committed.error()));
    }
    return state;
  }

  StoreResult<void> clear_failures(std::string_view key) override {
    auto cleared = write("clear_failures", "DELETE FROM throttles WHERE key = ?1", key);
    if (!cleared) return std::unexpected(cleared.error());
    return {};
  }

  PoolStats pool_stats() const override { return pool_.stats(); }

  StoreResult<void> ping() override {
    auto conn = pool_.acquire();
    auto stmt = conn->prepare("SELECT 1");
    if (!stmt) return std::unexpected(unavailable("ping", stmt.error()));
    if (auto row = stmt->step(); !row) return std::unexpected(unavailable("ping", row.error()));
    return {};
  }

 private:
  std::int64_t now_seconds() const { return core::unix_seconds(clock_.now()); }

  StoreResult<std::vector<std::string>> distinct_scopes(std::string_view operation,
                                                        std::string_view sql) {
    auto conn = pool_.acquire();
    auto stmt = conn->prepare(sql);
    if (!stmt) return std::unexpected(unavailable(operation, stmt.error()));
    std::vector<std::string> all;
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::unexpected(unavailable(operation, row.error()));
      if (!*row) break;
      for (std::string& scope : split_scopes(stmt->column_text(0))) all.push_back(std::move(scope));
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }

  // Inside a transaction the caller holds.
  StoreResult<void> insert_refresh_token(SqliteConnection& conn, const RefreshTokenRecord& token) {
    auto added = conn.run(
        "INSERT INTO refresh_tokens (token_hash, family_id, scopes, issued_at, expires_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        token.token_hash, token.family_id, join_scopes(token.scopes), seconds_of(token.issued_at),
        seconds_of(token.expires_at));
    if (!added) {
      if (is_unique_violation(added.error())) return std::unexpected(StoreError::kAlreadyExists);
      return std::unexpected(unavailable("insert_refresh_token", added.error()));
    }
    return {};
  }

  // Revokes the live families `select_sql` finds (by ?1) and logs each as a kFamily
  // revocation, in one transaction; with `subject_tokens_until`, also logs a kSubject
  // revocation of `key`'s access tokens issued up to then. Returns how many families.
  StoreResult<std::size_t> revoke_families(
      std::string_view operation, std::string_view select_sql, std::string_view key,
      core::TimePoint now, core::TimePoint access_tokens_expire,
      std::optional<core::TimePoint> subject_tokens_until = std::nullopt) {
    std::lock_guard writer(write_mutex_);
    auto conn = pool_.acquire();
    auto tx = Transaction::begin_immediate(*conn);
    if (!tx) return std::unexpected(unavailable(operation, tx.error()));
    std::vector<std::string> ids;
    {
      auto stmt = conn->prepare(select_sql, key);
      if (!stmt) return std::unexpected(unavailable(operation, stmt.error()));
      for (;;) {
        auto row = stmt->step();
        if (!row) return std::unexpected(unavailable(operation, row.error()));
        if (!*row) break;
        ids.push_back(stmt->column_text(0));
      }
    }
    for (const std::string& id : ids) {
      auto revoked = conn->run("UPDATE refresh_families SET revoked_at = ?2 WHERE id = ?1", id,
                               seconds_of(now));
      if (!revoked) return std::unexpected(unavailable(operation, revoked.error()));
      auto logged = conn->run(
          "INSERT INTO revocations (kind, value, expires_at) VALUES ('sid', ?1, ?2)", id,
          seconds_of(access_tokens_expire));
      if (!logged) return std::unexpected(unavailable(operation, logged.error()));
    }
    if (subject_tokens_until) {
      auto logged = conn->run(
          "INSERT INTO revocations (kind, value, expires_at, issued_until_ms) "
          "VALUES ('sub', ?1, ?2, ?3)",
          key, seconds_of(access_tokens_expire), core::unix_milliseconds(*subject_tokens_until));
      if (!logged) return std::unexpected(unavailable(operation, logged.error()));
    }
    if (auto committed = tx->commit(); !committed) {
      return std::unexpected(unavailable(operation, committed.error()));
    }
    return ids.size();
  }

  // Runs one statement that writes, and returns how many rows it changed. A taken key is
  // kAlreadyExists.
  template <class... Args>
  StoreResult<std::int64_t> write(std::string_view operation, std::string_view sql,
                                  const Args&... args) {
    // SQLite takes one writer at a time. Writers in this process queue here instead of
    // sleep-polling in SQLite's busy handler, which is left to wait for other processes
    // (the admin CLI) only.
    std::lock_guard writer(write_mutex_);
    auto conn = pool_.acquire();
    auto changed = conn->run(sql, args...);
    if (changed) return *changed;
    if (is_unique_violation(changed.error())) return std::unexpected(StoreError::kAlreadyExists);
    return std::unexpected(unavailable(operation, changed.error()));
  }

  // A write to one named user: kNotFound when no row matched.
  template <class... Args>
  StoreResult<void> update_user(std::string_view operation, std::string_view sql,
                                const Args&... args) {
    auto changed = write(operation, sql, args...);
    if (!changed) return std::unexpected(changed.error());
    if (*changed == 0) return std::unexpected(StoreError::kNotFound);
    return {};
  }

  Pool pool_;
  std::mutex write_mutex_;
  const core::Clock& clock_;
};

std::expected<std::int64_t, SqliteError> user_version(SqliteConnection& conn) {
  auto stmt = conn.prepare("PRAGMA user_version");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  return *row ? stmt->column_int64(0) : 0;
}

std::string newer_schema_message(std::int64_t version) {
  return "database schema version " + std::to_string(version) +
         " is newer than this tessera supports (" + std::to_string(kSchemaVersion) + ")";
}

// Brings the schema to kSchemaVersion. The version is checked again once the write lock is
// held, so that when two processes open a new file at once, the second one finds the work
// done instead of running it twice.
std::expected<void, std::string> migrate(SqliteConnection& conn, const std::string& path) {
  auto version = user_version(conn);
  if (!version) return std::unexpected(version.error().message);
  if (*version > kSchemaVersion) return std::unexpected(newer_schema_message(*version));
  if (*version == kSchemaVersion) return {};

  auto tx = Transaction::begin_immediate(conn);
  if (!tx) return std::unexpected(tx.error().message);
  version = user_version(conn);
  if (!version) return std::unexpected(version.error().message);
  if (*version > kSchemaVersion) return std::unexpected(newer_schema_message(*version));
  if (*version == kSchemaVersion) return {};
  const std::int64_t from = *version;
  for (std::int64_t v = from; v < kSchemaVersion; ++v) {
    if (auto done = conn.exec(kMigrations[v]); !done) {
      return std::unexpected("migration to schema version " + std::to_string(v + 1) +
                             " failed: " + done.error().message);
    }
  }
  // A pragma takes no parameters; the number is ours, not data.
  if (auto set = conn.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion)); !set) {
    return std::unexpected(set.error().message);
  }
  if (auto committed = tx->commit(); !committed) return std::unexpected(committed.error().message);
  core::log(core::LogLevel::kInfo, "database_migrated",
            {{"path", path}, {"from", from}, {"to", kSchemaVersion}});
  return {};
}

// The file holds password hashes, and SQLite would create it 0644 less the umask, so it is
// created 0600 here first. SQLite creates the -wal and -shm files with the mode of the
// database file, so they follow. (The umask is process-wide; changing it around the open
// would race with other threads.)
std::expected<void, std::string> create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return {};
    return std::unexpected(std::generic_category().message(errno));
  }
  // The mode given to open() is reduced by the umask; 0600 is what is wanted, exactly.
  const int chmod_rc = ::fchmod(fd, 0600);
  const int chmod_errno = errno;
  ::close(fd);
  if (chmod_rc != 0) return std::unexpected(std::generic_category().message(chmod_errno));
  return {};
}

// WAL: readers do not block the writer nor it them. The mode is stored in the file. Turning it
// on needs the file to itself and SQLite does not run the busy handler for that, so when
// several processes open a new file at once, all but one get SQLITE_BUSY at once: retry here,
// within the busy timeout. (This waits in real time, like SQLite's own busy handler.)
std::expected<void, std::string> use_wal(SqliteConnection& conn,
                                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    auto stmt = conn.prepare("PRAGMA journal_mode = WAL");
    if (!stmt) return std::unexpected(stmt.error().message);
    auto row = stmt->step();
    if (row) {
      // The pragma returns the mode now in force, which is not WAL where the file system
      // cannot share memory between processes.
      const std::string mode = *row ? stmt->column_text(0) : "";
      if (mode != "wal") return std::unexpected("cannot use WAL journal mode (got '" + mode + "')");
      return {};
    }
    if ((row.error().code & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) {
      return std::unexpected(row.error().message);
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

std::expected<std::unique_ptr<SqliteConnection>, std::string> open_connection(
    const SqliteOptions& options) {
  // NOMUTEX: the pool gives each connection to one thread at a time, so SQLite's own
  // per-connection mutex would be pure cost.
  auto conn = SqliteConnection::open(
      options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
  if (!conn) return std::unexpected(conn.error().message);
  SqliteConnection& c = **conn;
  // SQLite silently falls back to read-only when the file is not writable; every write would
  // then fail, so refuse at start instead.
  if (c.read_only()) return std::unexpected("the file is not writable");
  c.set_busy_timeout(options.busy_timeout);

  if (auto wal = use_wal(c, options.busy_timeout); !wal) return std::unexpected(wal.error());
  // synchronous=FULL: in WAL mode NORMAL can lose the last commits on power loss; an
  // acknowledged write (a revocation, a password change) must survive it. Both settings are
  // per connection.
  if (auto set = c.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"); !set) {
    return std::unexpected(set.error().message);
  }
  return std::move(*conn);
}

}  // namespace

int sqlite_schema_version() { return kSchemaVersion; }

std::expected<std::unique_ptr<Store>, std::string> open_sqlite_store(const SqliteOptions& options,
                                                                     const core::Clock& clock) {
  const auto fail = [&](std::string_view problem) {
    return std::unexpected("cannot open database " + options.path + ": " + std::string(problem));
  };
  if (options.connections == 0) return fail("at least one connection is needed");
  if (auto created = create_private_file(options.path); !created) return fail(created.error());

  std::vector<std::unique_ptr<SqliteConnection>> connections;
  for (std::size_t i = 0; i < options.connections; ++i) {
    auto conn = open_connection(options);
    if (!conn) return fail(conn.error());
    if (i == 0) {
      if (auto migrated = migrate(**conn, options.path); !migrated) return fail(migrated.error());
    }
    connections.push_back(std::move(*conn));
  }
  return std::make_unique<SqliteStore>(std::move(connections), clock);
}

}  // namespace tessera::store
