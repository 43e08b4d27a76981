// Configuration: parsed and validated once at start into an immutable Config, from an
// optional TOML file and the TESSERA_* environment (the environment wins). Every default and
// the reason for it lives here (docs/reference.md, Settings).
//
//   auto config = tessera::config::load_config(path, tessera::config::process_environment());
//   if (!config) { std::cerr << config.error() << "\n"; return 1; }   // one line
//
// TOML keys are the variable names without the prefix, lower-cased (listen, database, ...).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/log.h"
#include "jose/algorithm.h"

namespace tessera::config {

struct ListenAddress {
  std::string host = "127.0.0.1";  // an IP literal; IPv6 without brackets
  std::uint16_t port = 8080;       // 0: the kernel picks a free port
};

struct Config {
  ListenAddress listen;
  // The "iss" of every token. Unset: http://ADDR:PORT as actually bound.
  std::optional<std::string> issuer;
  // A file path (SQLite; relative to the working directory) or a postgresql:// URL.
  std::string database = "data/tessera.db";
  // Connections to the database each process keeps.
  unsigned database_pool = 8;
  bool uses_postgresql() const {
    return database.starts_with("postgresql://") || database.starts_with("postgres://");
  }
  // EdDSA: small fast signatures and keys, no parameter choices to get wrong.
  jose::Algorithm signing_alg = jose::Algorithm::kEdDSA;
  // HS256 only: the shared secret, its bytes as given, at least 32.
  std::optional<std::string> secret_key;
  // Short-lived access tokens limit what a leaked token can do (the seed's security notes).
  std::chrono::seconds access_token_ttl{15 * 60};
  std::chrono::seconds refresh_token_ttl{30 * 24 * 3600};
  // A replaced refresh token presented again by its client this soon after gets the same
  // successor (a lost answer retried) instead of revoking its family; 0: never.
  std::chrono::seconds refresh_reuse_grace{10};
  std::chrono::seconds key_rotation{30 * 24 * 3600};
  // Browser sessions: ended when idle this long, and this long after the login however busy.
  std::chrono::seconds session_idle{30 * 60};
  std::chrono::seconds session_lifetime{10 * 3600};
  // The device flow (RFC 8628): how long a device code waits for the user, and the least
  // time between two polls of the token endpoint.
  std::chrono::seconds device_code_ttl{10 * 60};
  std::chrono::seconds device_poll_interval{5};
  // A folder of the sign-in pages' templates replacing the built-in ones (templates/ in the
  // repository shows what it must hold).
  std::optional<std::string> templates_dir;
  // Longer than the JWKS max-age, so caches know a key before it signs anything.
  std::chrono::seconds key_publish_delay{10 * 60};
  std::optional<std::string> key_encryption_key;
  // PEM files; with them the server speaks HTTPS only.
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  // Plain HTTP is only for loopback addresses unless this is set (TLS terminated in front).
  bool allow_insecure_http = false;
  // DPoP proofs must carry a server nonce (RFC 9449 section 8): proofs made ahead of time by a
  // thief holding the key for a while stop working. Off: every client would need a retry.
  bool dpop_nonce = false;
  // Dynamic client registration (RFC 7591): "off", "token" (an initial access token from
  // `tessera registration token create` is needed) or "open".
  std::string registration = "off";
  // The scopes a registered client may ask for, besides openid, profile and email.
  std::vector<std::string> registration_scopes = {};
  // The resources (RFC 8707) every registered client may name: absolute URIs.
  std::vector<std::string> registration_resources = {};
  // Reverse proxies (IP addresses) whose X-Forwarded-For is believed for the client address
  // that brute-force counters and logs use. Empty: the peer's address is the client's.
  std::vector<std::string> trusted_proxies;
  // Connections one client address may hold open at once (trusted proxies are not counted),
  // out of the 10,000 the server takes in all: generous for browsers and load tests behind
  // one address, yet no single address can take every slot.
  unsigned max_connections_per_address = 1024;
  // When set, GET /metrics needs "Authorization: Bearer <this>": for a server whose /metrics
  // no proxy guards. Unset: /metrics is open, as Prometheus scrapers expect by default.
  std::optional<std::string> metrics_token;
  std::optional<std::string> admin_username;
  std::optional<std::string> admin_password;
  // I/O threads: one per core.
  unsigned threads = 1;
  core::LogLevel log = core::LogLevel::kInfo;
  // Non-fatal remarks found while loading (unsafe choices), for the caller to log at start.
  std::vector<std::string> warnings;
};

// Looks up one environment variable.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;
Environment process_environment();

// `file` is the --config path, if any. The error is one line naming the variable (or the
// TOML key and file) and what is wrong with it.
std::expected<Config, std::string> load_config(const std::optional<std::string>& file,
                                               const Environment& env);

// Every problem load_config would find, one line each, not only the first: `tessera config
// check`. Empty when the configuration loads.
std::vector<std::string> config_problems(const std::optional<std::string>& file,
                                         const Environment& env);

}  // namespace tessera::config
