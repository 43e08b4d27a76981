// What every table of the SQLite store shares: the connection pool, the one writer lock of the
// process, the clock, the logging of failures, and the conversions between rows and records.
// Internal to store/sqlite.
//
//   Database db(std::move(connections), clock);
//   auto conn = db.read();                                     // any reader
//   auto n = db.write("add_user", "INSERT ...", name, hash);   // one statement
//   db.transact("rotate", [&](SqliteConnection& c) -> StoreResult<bool> { ... });
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "store/connection_pool.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace tessera::store::sqlite {

using Pool = ConnectionPool<SqliteConnection>;

inline std::int64_t seconds_of(core::TimePoint t) { return core::unix_seconds(t); }
inline std::optional<std::int64_t> seconds_of(const std::optional<core::TimePoint>& t) {
  if (!t) return std::nullopt;
  return core::unix_seconds(*t);
}
inline core::TimePoint from_unix_seconds(std::int64_t seconds) {
  return core::TimePoint(std::chrono::seconds(seconds));
}
// A nullable column of Unix seconds.
std::optional<core::TimePoint> optional_time(const Statement& row, int index);

bool is_unique_violation(const SqliteError& e);

// The one place a database failure is logged; the caller only sees kUnavailable. SQLite's
// messages name tables and columns, never the values involved.
StoreError unavailable(std::string_view operation, const SqliteError& e);

class Database {
 public:
  Database(std::vector<std::unique_ptr<SqliteConnection>> connections, const core::Clock& clock)
      : pool_(std::move(connections)), clock_(clock) {}

  // A connection for reading; readers run in parallel (WAL).
  Pool::Lease read() { return pool_.acquire(); }

  // Runs one statement that writes, and returns how many rows it changed. A taken key is
  // kAlreadyExists.
  template <class... Args>
  StoreResult<std::int64_t> write(std::string_view operation, std::string_view sql,
                                  const Args&... args) {
    std::lock_guard writer(write_mutex_);
    auto conn = pool_.acquire();
    auto changed = conn->run(sql, args...);
    if (changed) return *changed;
    if (is_unique_violation(changed.error())) return std::unexpected(StoreError::kAlreadyExists);
    return std::unexpected(unavailable(operation, changed.error()));
  }

  // A write to one named record: kNotFound when no row matched.
  template <class... Args>
  StoreResult<void> write_one(std::string_view operation, std::string_view sql,
                              const Args&... args) {
    auto changed = write(operation, sql, args...);
    if (!changed) return std::unexpected(changed.error());
    if (*changed == 0) return std::unexpected(StoreError::kNotFound);
    return {};
  }

  // Runs `work(connection)` in a write transaction (BEGIN IMMEDIATE), committed when it
  // succeeds and rolled back when it returns an error. SQLite takes one writer at a time:
  // writers of this process queue on a mutex instead of sleep-polling in SQLite's busy
  // handler, which is left to wait for other processes (the admin CLI) only.
  template <class Work>
  auto transact(std::string_view operation, Work&& work)
      -> decltype(work(std::declval<SqliteConnection&>())) {
    std::lock_guard writer(write_mutex_);
    auto conn = pool_.acquire();
    return in_transaction(*conn, operation, work);
  }

  // transact(), committed without waiting for the disk (synchronous=NORMAL for this commit):
  // in WAL mode it survives a crash of the process, and only a power failure or an OS crash
  // can lose it. For records worth less than an fsync: the replay cache's short-lived keys.
  template <class Work>
  auto transact_unsynced(std::string_view operation, Work&& work)
      -> decltype(work(std::declval<SqliteConnection&>())) {
    std::lock_guard writer(write_mutex_);
    auto conn = pool_.acquire();
    if (auto set = conn->exec("PRAGMA synchronous = NORMAL"); !set) {
      return std::unexpected(unavailable(operation, set.error()));
    }
    auto result = in_transaction(*conn, operation, work);
    auto reset = conn->exec("PRAGMA synchronous = FULL");
    if (result && !reset) return std::unexpected(unavailable(operation, reset.error()));
    return result;
  }

  // Every word of a word-list column (scopes) over the rows `sql` selects, sorted, unique.
  StoreResult<std::vector<std::string>> distinct_words(std::string_view operation,
                                                       std::string_view sql);

  std::int64_t now_seconds() const { return core::unix_seconds(clock_.now()); }
  Store::PoolStats pool_stats() const { return pool_.stats(); }

 private:
  template <class Work>
  static auto in_transaction(SqliteConnection& conn, std::string_view operation, Work& work)
      -> decltype(work(std::declval<SqliteConnection&>())) {
    auto tx = Transaction::begin_immediate(conn);
    if (!tx) return std::unexpected(unavailable(operation, tx.error()));
    auto result = work(conn);
    if (!result) return result;
    if (auto committed = tx->commit(); !committed) {
      return std::unexpected(unavailable(operation, committed.error()));
    }
    return result;
  }

  Pool pool_;
  std::mutex write_mutex_;
  const core::Clock& clock_;
};

}  // namespace tessera::store::sqlite
