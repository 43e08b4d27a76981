#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <vector>

#include "core/log.h"
#include "store/connection_pool.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/tables.h"

namespace tessera::store {
namespace {

using postgres::integer;
using postgres::PgConnection;
using postgres::text;
using postgres::Transaction;

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
    // 6: browser sign-in: the users' and clients' OpenID Connect fields, sessions (by the
    // hash of the cookie), authorization codes (by hash) and remembered consent.
    R"sql(
      ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
      ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN skip_consent BOOLEAN NOT NULL DEFAULT false;
      ALTER TABLE clients ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT '';
      CREATE TABLE browser_sessions (
        id_hash TEXT PRIMARY KEY,
        sid TEXT NOT NULL UNIQUE,
        subject TEXT NOT NULL,
        auth_time BIGINT NOT NULL,
        last_seen BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
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
        auth_time BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT,
        issued_jti TEXT NOT NULL DEFAULT '',
        issued_family TEXT NOT NULL DEFAULT ''
      );
      CREATE TABLE consents (
        subject TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scopes TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (subject, client_id)
      );
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
      ALTER TABLE clients ADD COLUMN require_dpop BOOLEAN NOT NULL DEFAULT false;
      ALTER TABLE refresh_families ADD COLUMN jkt TEXT NOT NULL DEFAULT '';
      CREATE TABLE used_once (
        key TEXT PRIMARY KEY,
        expires_at BIGINT NOT NULL
      );
      ALTER TABLE clients ADD COLUMN require_par BOOLEAN NOT NULL DEFAULT false;
      ALTER TABLE clients ADD COLUMN auth_method TEXT NOT NULL DEFAULT '';
      ALTER TABLE clients ADD COLUMN jwks TEXT NOT NULL DEFAULT '';
      CREATE TABLE pushed_requests (
        uri_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        params TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT
      );
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
        expires_at BIGINT NOT NULL,
        poll_interval BIGINT NOT NULL,
        last_poll BIGINT,
        state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'issued')),
        subject TEXT NOT NULL DEFAULT '',
        sid TEXT NOT NULL DEFAULT '',
        auth_time BIGINT NOT NULL DEFAULT 0
      );
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
        expires_at BIGINT NOT NULL,
        max_uses BIGINT NOT NULL DEFAULT 0,
        uses BIGINT NOT NULL DEFAULT 0
      );
    )sql",
};

constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

// A transaction-scoped advisory lock id: instances starting together migrate one at a time.
constexpr std::string_view kMigrationLock = "7405731001";

// Every table over one Database.
class PostgresStore final : public Store {
 public:
  PostgresStore(std::vector<std::unique_ptr<PgConnection>> connections, const core::Clock& clock)
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
        replays_(db_),
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

  StoreResult<void> ping() override { return postgres::done(db_.query("ping", "SELECT 1", {})); }
  PoolStats pool_stats() const override { return db_.pool_stats(); }

 private:
  postgres::Database db_;
  postgres::PgUsers users_;
  postgres::PgClients clients_;
  postgres::PgKeys keys_;
  postgres::PgRefreshTokens refresh_tokens_;
  postgres::PgRevocations revocations_;
  postgres::PgThrottles throttles_;
  postgres::PgSessions sessions_;
  postgres::PgCodes codes_;
  postgres::PgConsents consents_;
  postgres::PgReplays replays_;
  postgres::PgPushedRequests pushed_;
  postgres::PgDeviceCodes device_codes_;
  postgres::PgRegistrationTokens registration_tokens_;
};

// Brings the schema to kSchemaVersion under an advisory lock, so that instances starting
// together apply each step once.
std::expected<void, std::string> migrate(PgConnection& conn) {
  Transaction tx(conn);
  if (auto begun = tx.begin(); !begun) return std::unexpected(begun.error().message);
  if (auto locked = conn.exec("SELECT pg_advisory_xact_lock($1)", {text(kMigrationLock)});
      !locked) {
    return std::unexpected(locked.error().message);
  }
  if (auto created =
          conn.exec_script("CREATE TABLE IF NOT EXISTS tessera_schema (version INTEGER NOT NULL)");
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
    auto set =
        conn.exec("INSERT INTO tessera_schema (version) VALUES ($1)", {integer(kSchemaVersion)});
    if (!cleared || !set) return std::unexpected("cannot record the schema version");
  }
  if (auto committed = tx.commit(); !committed) return std::unexpected(committed.error().message);
  if (from != kSchemaVersion) {
    core::log(core::LogLevel::kInfo, "database_migrated", {{"from", from}, {"to", kSchemaVersion}});
  }
  return {};
}

// A session that cannot write, and the schema version it finds (0 before the first migration).
std::expected<std::int64_t, std::string> read_only_session(PgConnection& conn) {
  if (auto set = conn.exec_script("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"); !set) {
    return std::unexpected(set.error().message);
  }
  auto exists = conn.exec("SELECT to_regclass('tessera_schema') IS NOT NULL");
  if (!exists) return std::unexpected(exists.error().message);
  if (exists->text(0, 0) != "t") return 0;
  auto current = conn.exec("SELECT version FROM tessera_schema");
  if (!current) return std::unexpected(current.error().message);
  return current->size() == 0 ? 0 : current->int64(0, 0);
}

// A database opened read-only must already be at kSchemaVersion.
std::expected<void, std::string> check_current(PgConnection& conn) {
  auto version = read_only_session(conn);
  if (!version) return std::unexpected(version.error());
  if (*version == kSchemaVersion) return {};
  const bool newer = *version > kSchemaVersion;
  return std::unexpected("database schema version " + std::to_string(*version) + " is " +
                         (newer ? "newer" : "older") + " than this tessera's (" +
                         std::to_string(kSchemaVersion) + ")" +
                         (newer ? "" : "; the server migrates it when it starts"));
}

}  // namespace

int postgres_schema_version() { return kSchemaVersion; }

std::expected<std::int64_t, std::string> stored_postgres_schema_version(std::string_view url) {
  auto conn = PgConnection::open(std::string(url));
  if (!conn) {
    return std::unexpected("cannot open database " + redact_database_url(url) + ": " +
                           conn.error().message);
  }
  auto version = read_only_session(**conn);
  if (!version) {
    return std::unexpected("cannot read database " + redact_database_url(url) + ": " +
                           version.error());
  }
  return *version;
}

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
      while (key_start > i && !std::isspace(static_cast<unsigned char>(out[key_start - 1])))
        --key_start;
      std::size_t value = eq + 1;
      while (value < out.size() && std::isspace(static_cast<unsigned char>(out[value]))) ++value;
      std::size_t value_end = value;
      if (value_end < out.size() && out[value_end] == '\'') {
        for (++value_end; value_end < out.size() && out[value_end] != '\''; ++value_end) {
          if (out[value_end] == '\\') ++value_end;
        }
        value_end = std::min(value_end + 1, out.size());
      } else {
        while (value_end < out.size() &&
               !std::isspace(static_cast<unsigned char>(out[value_end]))) {
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

std::expected<std::unique_ptr<Store>, std::string> open_postgres_store(
    const PostgresOptions& options, const core::Clock& clock) {
  const auto fail = [&](std::string_view problem) {
    return std::unexpected("cannot open database " + redact_database_url(options.url) + ": " +
                           std::string(problem));
  };
  if (options.connections == 0) return fail("at least one connection is needed");
  std::vector<std::unique_ptr<PgConnection>> connections;
  for (std::size_t i = 0; i < options.connections; ++i) {
    auto conn = PgConnection::open(options.url);
    if (!conn) return fail(conn.error().message);
    if (options.read_only && i == 0) {
      if (auto current = check_current(**conn); !current) return fail(current.error());
    } else if (options.read_only) {
      if (auto session = read_only_session(**conn); !session) return fail(session.error());
    } else if (i == 0) {
      if (auto migrated = migrate(**conn); !migrated) return fail(migrated.error());
    }
    connections.push_back(std::move(*conn));
  }
  return std::make_unique<PostgresStore>(std::move(connections), clock);
}

}  // namespace tessera::store
