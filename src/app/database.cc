#include "app/database.h"

#include <sys/stat.h>

#include <filesystem>

#include "keys/key_encryption_key.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace tessera::app {
namespace {

// How long a SQLite write waits for another process's write lock (the admin CLI's) before
// the request gets 503.
constexpr std::chrono::milliseconds kSqliteBusyTimeout{5000};

}  // namespace

std::expected<std::unique_ptr<store::Store>, std::string> open_store(const config::Config& config,
                                                                     const core::Clock& clock) {
  if (config.uses_postgresql()) {
    return store::open_postgres_store({.url = config.database, .connections = config.database_pool},
                                      clock);
  }
  const std::filesystem::path path(config.database);
  if (path.has_parent_path()) {
    std::error_code ec;
    const auto dir = path.parent_path();
    if (!std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (ec) return std::unexpected("cannot create " + dir.string() + ": " + ec.message());
      ::chmod(dir.c_str(), 0700);
    }
  }
  return store::open_sqlite_store({.path = config.database,
                                   .connections = config.database_pool,
                                   .busy_timeout = kSqliteBusyTimeout},
                                  clock);
}

std::expected<std::unique_ptr<keys::KeyManager>, std::string> open_key_manager(
    const config::Config& config, const keys::KeyPolicy& policy, store::KeyStore& keys,
    const core::Clock& clock, core::Random& random) {
  auto existing = keys.list_signing_keys();
  if (!existing) return std::unexpected("the database is unavailable (see the log)");
  auto sealer = keys::load_key_encryption_key(config.key_encryption_key,
                                              keys::key_encryption_key_path(config.database),
                                              random, /*may_create=*/existing->empty());
  if (!sealer) return std::unexpected(sealer.error());
  return std::make_unique<keys::KeyManager>(keys, std::move(*sealer), policy, clock, random);
}

}  // namespace tessera::app
