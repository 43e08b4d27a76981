// The PostgreSQL implementation of Store, for several Tessera instances sharing one database
// (TESSERA_DATABASE is a postgresql:// URL).
//
//   auto store = tessera::store::open_postgres_store(
//       {.url = "postgresql://tessera@db.example/tessera", .connections = 8}, clock);
//
// A pool of libpq connections, each with its prepared statements; a connection that breaks
// (a database restart) is reconnected on its next use, so the server recovers without a
// restart. Schema migrations are versioned in a table and applied at open under an advisory
// lock, so several instances starting at once apply them once. Operations that read and then
// write run in transactions, serialised where it matters (signing-key rotation, throttle
// counters) by transaction-scoped advisory locks; refresh-token rotation is a conditional
// UPDATE, so of two instances racing with one token exactly one wins.
#pragma once

#include <cstddef>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "store/store.h"

namespace tessera::store {

struct PostgresOptions {
  std::string url;  // a libpq connection URI (postgresql://...) or key=value string
  std::size_t connections = 8;
  // `tessera config check`: read-only sessions; the schema must be this build's, and is not
  // migrated.
  bool read_only = false;
};

// Connects (every connection at once, so a bad URL or password fails the start) and migrates.
// The error is one line, without the password.
std::expected<std::unique_ptr<Store>, std::string> open_postgres_store(
    const PostgresOptions& options, const core::Clock& clock);

int postgres_schema_version();

// The schema version of the database (0: never migrated), read in a read-only session.
std::expected<std::int64_t, std::string> stored_postgres_schema_version(std::string_view url);

// The connection setting with any password replaced by ***, for logs and messages.
std::string redact_database_url(std::string_view url);

}  // namespace tessera::store
