// The SQLite implementation of Store: the embedded default (TESSERA_DATABASE is a file path).
//
//   auto store = tessera::store::open_sqlite_store({.path = "data/tessera.db"}, clock);
//
// WAL journal, synchronous=FULL (an acknowledged write survives kill -9 and power loss),
// foreign keys on, a busy timeout so that the admin CLI and a running server share the file,
// prepared statements reused per connection, and a small pool of connections so that readers
// run in parallel. The keys used once (DPoP proofs, client assertions) are kept in a memory-mapped
// file beside the database, `<path>-replays`, shared by every process that opens it. Schema
// migrations are versioned (PRAGMA user_version) and applied at open inside one write transaction,
// so two processes opening a new file at once do not race.
#pragma once

#include <chrono>
#include <expected>
#include <memory>
#include <string>

#include "core/clock.h"
#include "store/store.h"

namespace tessera::store {

struct SqliteOptions {
  std::string path;
  // Connections kept open; each is used by one thread at a time.
  std::size_t connections = 4;
  // How long a write waits for another process's write lock before kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
  // `tessera config check`: the file must exist and be at this build's schema version; it is
  // neither created nor migrated, and nothing is written.
  bool read_only = false;
};

// Opens (creating if needed, mode 0600) and migrates the database. The error is one line
// naming the file and what is wrong, for the start-up error message.
std::expected<std::unique_ptr<Store>, std::string> open_sqlite_store(const SqliteOptions& options,
                                                                     const core::Clock& clock);

// The file beside the database where the keys used once are kept (sqlite/replay_file.h).
std::string replay_file_path(const std::string& database_path);

// The schema version this build migrates to.
int sqlite_schema_version();

// The schema version of the database file at `path` (0: a new file), read without writing.
std::expected<std::int64_t, std::string> stored_sqlite_schema_version(const std::string& path);

}  // namespace tessera::store
