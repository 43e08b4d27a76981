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
#include "store/sqlite/tables.h"

namespace tessera::store {
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
    // 6: browser sign-in: the users' and clients' OpenID Connect fields, sessions (by the
    // hash of the cookie), authorization codes (by hash) and remembered consent.
    R"sql(
      ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
      ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN skip_consent INTEGER NOT NULL DEFAULT 0
        CHECK (skip_consent IN (0, 1));
      ALTER TABLE clients ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT '';
      CREATE TABLE browser_sessions (
        id_hash TEXT PRIMARY KEY,
        sid TEXT NOT NULL UNIQUE,
        subject TEXT NOT NULL,
        auth_time INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX browser_sessions_subject ON browser_sessions (subject);
      CREATE TABLE authorization_codes (
        code_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        subject TEXT NOT NULL,
        scopes TEXT NOT NULL DEFAULT '',
        nonce TEXT NOT NULL DEFAULT '',
        code_challenge TEXT NOT NULL,
        sid TEXT NOT NULL,
        auth_time INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        issued_jti TEXT NOT NULL DEFAULT '',
        issued_family TEXT NOT NULL DEFAULT ''
      ) STRICT;
      CREATE TABLE consents (
        subject TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (subject, client_id)
      ) STRICT;
    )sql",
    // 7: signing keys by purpose: the access tokens' ring and the id_tokens' ring.
    R"sql(
      ALTER TABLE signing_keys ADD COLUMN purpose TEXT NOT NULL DEFAULT 'access'
        CHECK (purpose IN ('access', 'id_token'));
    )sql",
    // 8: DPoP (RFC 9449): clients that must prove a key, refresh families bound to one, and
    // the proofs' jti seen (with client assertions' later), until they expire. PAR (RFC 9126):
    // clients that must push their requests, and the requests pushed. private_key_jwt
    // (RFC 7523): how each client authenticates, and the public keys of those that sign.
    R"sql(
      ALTER TABLE clients ADD COLUMN require_dpop INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE refresh_families ADD COLUMN jkt TEXT NOT NULL DEFAULT '';
      CREATE TABLE used_once (
        key TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      ) STRICT;
      ALTER TABLE clients ADD COLUMN require_par INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE clients ADD COLUMN auth_method TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN jwks TEXT NOT NULL DEFAULT '';
      CREATE TABLE pushed_requests (
        uri_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        params TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      ) STRICT;
    )sql",
    // 9: private_key_jwt clients whose keys are at a URL they serve (RFC 7591 jwks_uri), and
    // authorization codes bound to a DPoP key (RFC 9449 section 10).
    R"sql(
      ALTER TABLE clients ADD COLUMN jwks_uri TEXT NOT NULL DEFAULT '';
      ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';
    )sql",
    // 10: token exchange (RFC 8693): the audiences each client may exchange tokens for.
    R"sql(
      ALTER TABLE clients ADD COLUMN exchange_audiences TEXT NOT NULL DEFAULT '';
    )sql",
    // 11: device authorizations (RFC 8628), from /device_authorization until their tokens go.
    R"sql(
      CREATE TABLE device_codes (
        code_hash TEXT PRIMARY KEY,
        user_code TEXT NOT NULL UNIQUE,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL DEFAULT '',
        expires_at INTEGER NOT NULL,
        poll_interval INTEGER NOT NULL,
        last_poll INTEGER,
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'issued')),
        subject TEXT NOT NULL DEFAULT '',
        sid TEXT NOT NULL DEFAULT '',
        auth_time INTEGER NOT NULL DEFAULT 0
      ) STRICT;
    )sql",
    // 12: resource indicators (RFC 8707): the resources each client's tokens may be for, and
    // the one an authorization code and a refresh family were granted for.
    R"sql(
      ALTER TABLE clients ADD COLUMN resources TEXT NOT NULL DEFAULT '';
      ALTER TABLE authorization_codes ADD COLUMN resource TEXT NOT NULL DEFAULT '';
      ALTER TABLE refresh_families ADD COLUMN resource TEXT NOT NULL DEFAULT '';
    )sql",
    // 13: dynamic client registration (RFC 7591, RFC 7592): the registration access token of
    // each registered client, and the initial access tokens that allow registering.
    R"sql(
      ALTER TABLE clients ADD COLUMN registration_token_hash TEXT NOT NULL DEFAULT '';
      CREATE TABLE initial_access_tokens (
        token_hash TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL,
        max_uses INTEGER NOT NULL DEFAULT 0,
        uses INTEGER NOT NULL DEFAULT 0
      ) STRICT;
    )sql",
};

constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

// Every table over one Database.
class SqliteStore final : public Store {
 public:
  SqliteStore(std::vector<std::unique_ptr<SqliteConnection>> connections,
              std::unique_ptr<sqlite::ReplayFile> replay_file, const core::Clock& clock)
      : db_(std::move(connections), clock),
        users_(db_),
        clients_(db_),
        keys_(db_),
        refresh_tokens_(db_),
        revocations_(db_),
        throttles_(db_),
        sessions_(db_),
        codes_(db_),
        consents_(db_),
        replays_(db_, std::move(replay_file)),
        pushed_(db_),
        device_codes_(db_),
        registration_tokens_(db_) {}

  UserStore& users() override { return users_; }
  ClientStore& clients() override { return clients_; }
  KeyStore& keys() override { return keys_; }
  RefreshTokenStore& refresh_tokens() override { return refresh_tokens_; }
  RevocationLog& revocations() override { return revocations_; }
  ThrottleStore& throttles() override { return throttles_; }
  SessionStore& sessions() override { return sessions_; }
  AuthorizationCodeStore& codes() override { return codes_; }
  ConsentStore& consents() override { return consents_; }
  ReplayStore& replays() override { return replays_; }
  PushedRequestStore& pushed_requests() override { return pushed_; }
  DeviceCodeStore& device_codes() override { return device_codes_; }
  RegistrationTokenStore& registration_tokens() override { return registration_tokens_; }

  StoreResult<void> ping() override {
    auto conn = db_.read();
    auto stmt = conn->prepare("SELECT 1");
    if (!stmt) return std::unexpected(sqlite::unavailable("ping", stmt.error()));
    auto row = stmt->step();
    if (!row) return std::unexpected(sqlite::unavailable("ping", row.error()));
    return {};
  }

  PoolStats pool_stats() const override { return db_.pool_stats(); }

 private:
  sqlite::Database db_;
  sqlite::SqliteUsers users_;
  sqlite::SqliteClients clients_;
  sqlite::SqliteKeys keys_;
  sqlite::SqliteRefreshTokens refresh_tokens_;
  sqlite::SqliteRevocations revocations_;
  sqlite::SqliteThrottles throttles_;
  sqlite::SqliteSessions sessions_;
  sqlite::SqliteCodes codes_;
  sqlite::SqliteConsents consents_;
  sqlite::SqliteReplays replays_;
  sqlite::SqlitePushedRequests pushed_;
  sqlite::SqliteDeviceCodes device_codes_;
  sqlite::SqliteRegistrationTokens registration_tokens_;
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

// A database opened read-only must already be at kSchemaVersion.
std::expected<void, std::string> check_current(SqliteConnection& conn) {
  auto version = user_version(conn);
  if (!version) return std::unexpected(version.error().message);
  if (*version > kSchemaVersion) return std::unexpected(newer_schema_message(*version));
  if (*version < kSchemaVersion) {
    return std::unexpected("database schema version " + std::to_string(*version) +
                           " is older than this tessera's (" + std::to_string(kSchemaVersion) +
                           "); the server migrates it when it starts");
  }
  return {};
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

// A connection that cannot write (query_only), for `tessera config check`.
std::expected<std::unique_ptr<SqliteConnection>, std::string> open_read_only(
    const std::string& path) {
  auto conn = SqliteConnection::open(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  if (!conn) return std::unexpected(conn.error().message);
  if (auto set = (*conn)->exec("PRAGMA query_only = ON"); !set) {
    return std::unexpected(set.error().message);
  }
  return std::move(*conn);
}

std::expected<std::unique_ptr<SqliteConnection>, std::string> open_connection(
    const SqliteOptions& options) {
  if (options.read_only) return open_read_only(options.path);
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

std::string replay_file_path(const std::string& database_path) {
  return database_path + "-replays";
}

std::expected<std::int64_t, std::string> stored_sqlite_schema_version(const std::string& path) {
  auto conn = open_read_only(path);
  if (!conn) return std::unexpected("cannot open database " + path + ": " + conn.error());
  auto version = user_version(**conn);
  if (!version)
    return std::unexpected("cannot read database " + path + ": " + version.error().message);
  return *version;
}

std::expected<std::unique_ptr<Store>, std::string> open_sqlite_store(const SqliteOptions& options,
                                                                     const core::Clock& clock) {
  const auto fail = [&](std::string_view problem) {
    return std::unexpected("cannot open database " + options.path + ": " + std::string(problem));
  };
  if (options.connections == 0) return fail("at least one connection is needed");
  if (!options.read_only) {
    if (auto created = create_private_file(options.path); !created) return fail(created.error());
  }

  std::vector<std::unique_ptr<SqliteConnection>> connections;
  for (std::size_t i = 0; i < options.connections; ++i) {
    auto conn = open_connection(options);
    if (!conn) return fail(conn.error());
    if (i == 0 && options.read_only) {
      if (auto current = check_current(**conn); !current) return fail(current.error());
    } else if (i == 0) {
      if (auto migrated = migrate(**conn, options.path); !migrated) return fail(migrated.error());
    }
    connections.push_back(std::move(*conn));
  }
  std::unique_ptr<sqlite::ReplayFile> replay_file;
  if (!options.read_only) {
    auto opened = sqlite::ReplayFile::open(replay_file_path(options.path));
    if (!opened) return fail(opened.error());
    replay_file = std::move(*opened);
  }
  return std::make_unique<SqliteStore>(std::move(connections), std::move(replay_file), clock);
}

}  // namespace tessera::store
