// What every table of the PostgreSQL store shares: the connection pool, reconnection after a
// database restart, transactions, the logging of failures, and the conversions between rows
// and records. Internal to store/postgres.
//
//   Database db(std::move(connections), clock);
//   auto r = db.query("find_user", "SELECT ... WHERE name = $1", {text(name)});
//   db.in_transaction("rotate", [&](PgConnection& c) -> StoreResult<bool> { ... });
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "store/connection_pool.h"
#include "store/postgres/pg_connection.h"
#include "store/store.h"

namespace tessera::store::postgres {

using Pool = ConnectionPool<PgConnection>;
using Params = std::vector<PgParam>;

inline PgParam text(std::string_view v) { return std::string(v); }
inline PgParam integer(std::int64_t v) { return std::to_string(v); }
inline PgParam boolean(bool v) { return std::string(v ? "true" : "false"); }
inline PgParam null() { return std::nullopt; }
inline PgParam optional_integer(const std::optional<std::int64_t>& v) {
  return v ? integer(*v) : null();
}

inline std::int64_t seconds_of(core::TimePoint t) { return core::unix_seconds(t); }
inline core::TimePoint from_seconds(std::int64_t s) {
  return core::TimePoint(std::chrono::seconds(s));
}
std::optional<core::TimePoint> optional_time(const PgResult& r, int row, int column);

bool is_unique_violation(const PgError& e);

// The one place a database failure is logged; callers see kUnavailable.
StoreError unavailable(std::string_view operation, const PgError& e);

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

inline StoreResult<void> done(const StoreResult<PgResult>& r) {
  if (!r) return std::unexpected(r.error());
  return {};
}

class Database {
 public:
  Database(std::vector<std::unique_ptr<PgConnection>> connections, const core::Clock& clock)
      : pool_(std::move(connections)), clock_(clock) {}

  // One statement on a pooled connection, reconnecting first if the connection broke (a
  // database restart). A unique violation is kAlreadyExists.
  StoreResult<PgResult> query(std::string_view operation, std::string_view sql,
                              const Params& params);

  // A write to one named record: kNotFound when no row matched.
  StoreResult<void> update_one(std::string_view operation, std::string_view sql,
                               const Params& params);

  // Runs `body(connection)` between BEGIN and COMMIT, rolled back when it returns an error.
  template <class F>
  auto in_transaction(std::string_view operation, F body)
      -> std::invoke_result_t<F&, PgConnection&> {
    auto conn = pool_.acquire();
    if (!conn->ensure_open()) {
      return std::unexpected(
          unavailable(operation, PgError{"", "cannot reach the database", true}));
    }
    Transaction tx(*conn);
    if (auto begun = tx.begin(); !begun)
      return std::unexpected(unavailable(operation, begun.error()));
    auto result = body(*conn);
    if (!result) return result;
    if (auto committed = tx.commit(); !committed) {
      return std::unexpected(unavailable(operation, committed.error()));
    }
    return result;
  }

  // Every word of a word-list column (scopes) over the rows `sql` selects, sorted, unique.
  StoreResult<std::vector<std::string>> distinct_words(std::string_view operation,
                                                       std::string_view sql);

  std::int64_t now_seconds() const { return core::unix_seconds(clock_.now()); }
  Store::PoolStats pool_stats() const { return pool_.stats(); }

 private:
  Pool pool_;
  const core::Clock& clock_;
};

}  // namespace tessera::store::postgres
