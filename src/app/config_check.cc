#include "app/config_check.h"

#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <filesystem>

#include "app/settings.h"
#include "core/clock.h"
#include "core/random.h"
#include "http/templates.h"
#include "http/tls.h"
#include "jose/hmac_key.h"
#include "keys/key_encryption_key.h"
#include "keys/key_manager.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace tessera::app {
namespace {

namespace fs = std::filesystem;

// What the server checks as it binds, short of binding: the port may be a running server's.
void check_network(const config::Config& config, CheckReport& report) {
  if (config.tls_cert) {
    if (auto tls = http::make_tls_context(*config.tls_cert, *config.tls_key); !tls) {
      report.problems.push_back(tls.error());
    }
    return;
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(config.listen.host, ec);
  if (!ec && !address.is_loopback() && !config.allow_insecure_http) {
    report.problems.push_back("TESSERA_LISTEN: plain HTTP on " + config.listen.host +
                              " would send passwords and tokens in clear; set TESSERA_TLS_CERT "
                              "and TESSERA_TLS_KEY, or TESSERA_ALLOW_INSECURE_HTTP=1 behind a "
                              "TLS proxy");
  }
}

void check_templates(const config::Config& config, CheckReport& report) {
  if (!config.templates_dir) return;
  if (auto loaded = http::Templates::load(*config.templates_dir); !loaded) {
    report.problems.push_back("TESSERA_TEMPLATES_DIR: " + loaded.error());
  }
}

// A SQLite file that is not there yet is made at start: its nearest existing folder must be
// writable by whoever runs this (the service's user, under systemd).
bool sqlite_file_exists(const config::Config& config, CheckReport& report) {
  std::error_code ec;
  const fs::path path(config.database);
  if (fs::exists(path, ec)) return true;
  fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  while (!fs::exists(dir, ec) && dir.has_parent_path() && dir != dir.parent_path()) {
    dir = dir.parent_path();
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    report.problems.push_back("TESSERA_DATABASE: " + config.database +
                              " does not exist and cannot be created: " + dir.string() +
                              " is not writable");
  } else {
    report.notes.push_back("TESSERA_DATABASE: " + config.database +
                           " does not exist yet; the server creates it at start");
  }
  return false;
}

// The signing keys of each purpose open with the key-encryption key.
void check_keys(const config::Config& config, store::Store& store, CheckReport& report) {
  if (config.signing_alg == jose::Algorithm::kHS256) {
    if (auto key = jose::HmacKey::create(*config.secret_key); !key) {
      report.problems.push_back("TESSERA_SECRET_KEY: " + key.error());
    }
    return;
  }
  auto stored = store.keys().list_signing_keys();
  if (!stored) {
    report.problems.push_back("TESSERA_DATABASE: cannot read the signing keys");
    return;
  }
  const std::string kek_path = keys::key_encryption_key_path(config.database);
  core::SystemRandom random;
  auto sealer = keys::load_key_encryption_key(config.key_encryption_key, kek_path, random,
                                              /*may_create=*/false);
  if (!sealer) {
    if (stored->empty() && !config.key_encryption_key && !fs::exists(kek_path)) {
      report.notes.push_back("no signing keys yet: the server makes them, and " + kek_path +
                             ", at start");
    } else {
      report.problems.push_back((config.key_encryption_key ? "TESSERA_KEY_ENCRYPTION_KEY: " : "") +
                                sealer.error());
    }
    return;
  }
  const Settings settings = derive_settings(config);
  const core::SystemClock clock;
  for (const keys::KeyPolicy* policy : {&settings.keys, &settings.id_token_keys}) {
    auto kek = keys::load_key_encryption_key(config.key_encryption_key, kek_path, random, false);
    if (!kek) continue;  // read a moment ago
    keys::KeyManager manager(store.keys(), std::move(*kek), *policy, clock, random);
    if (auto checked = manager.check_keys(); !checked) {
      report.problems.push_back(policy->purpose + " signing keys: " + checked.error());
    }
  }
}

void check_database(const config::Config& config, CheckReport& report) {
  const bool postgres = config.uses_postgresql();
  if (!postgres && !sqlite_file_exists(config, report)) return;
  const int wanted = postgres ? store::postgres_schema_version() : store::sqlite_schema_version();
  auto version = postgres ? store::stored_postgres_schema_version(config.database)
                          : store::stored_sqlite_schema_version(config.database);
  if (!version) {
    report.problems.push_back("TESSERA_DATABASE: " + version.error());
    return;
  }
  if (*version != wanted) {
    const std::string found = "TESSERA_DATABASE: schema version " + std::to_string(*version);
    if (*version > wanted) {
      report.problems.push_back(found + " is newer than this tessera's (" + std::to_string(wanted) +
                                "): a newer tessera made it");
    } else {
      report.notes.push_back(found + "; the server migrates it to " + std::to_string(wanted) +
                             " at start (the keys are checked then)");
    }
    return;
  }
  const core::SystemClock clock;
  auto store = postgres ? store::open_postgres_store(
                              {.url = config.database, .connections = 1, .read_only = true}, clock)
                        : store::open_sqlite_store({.path = config.database,
                                                    .connections = 1,
                                                    .busy_timeout = std::chrono::seconds(5),
                                                    .read_only = true},
                                                   clock);
  if (!store) {
    report.problems.push_back("TESSERA_DATABASE: " + store.error());
    return;
  }
  check_keys(config, **store, report);
}

}  // namespace

CheckReport check_configuration(const config::Config& config) {
  CheckReport report;
  check_network(config, report);
  check_templates(config, report);
  check_database(config, report);
  return report;
}

}  // namespace tessera::app
