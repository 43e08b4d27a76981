#include "store/postgres/database.h"

#include <algorithm>

#include "core/log.h"
#include "store/word_list.h"

namespace tessera::store::postgres {

std::optional<core::TimePoint> optional_time(const PgResult& r, int row, int column) {
  if (r.is_null(row, column)) return std::nullopt;
  return from_seconds(r.int64(row, column));
}

bool is_unique_violation(const PgError& e) { return e.sqlstate == "23505"; }

StoreError unavailable(std::string_view operation, const PgError& e) {
  core::log(core::LogLevel::kError, "database_error",
            {{"operation", operation},
             {"postgres", e.message},
             {"sqlstate", e.sqlstate},
             {"connection_lost", e.connection_lost}});
  return StoreError::kUnavailable;
}

StoreResult<PgResult> Database::query(std::string_view operation, std::string_view sql,
                                      const Params& params) {
  auto conn = pool_.acquire();
  if (!conn->ensure_open()) {
    return std::unexpected(unavailable(operation, PgError{"", "cannot reach the database", true}));
  }
  auto first = conn->exec(sql, params);
  // A read on a connection that broke since the check above is safe to run again, on the
  // same connection made anew; a write is not (it may have been committed).
  const bool again =
      !first && first.error().connection_lost && sql.starts_with("SELECT") && conn->ensure_open();
  auto r = again ? conn->exec(sql, params) : std::move(first);
  if (!r) {
    if (is_unique_violation(r.error())) return std::unexpected(StoreError::kAlreadyExists);
    return std::unexpected(unavailable(operation, r.error()));
  }
  return std::move(*r);
}

StoreResult<void> Database::update_one(std::string_view operation, std::string_view sql,
                                       const Params& params) {
  auto r = query(operation, sql, params);
  if (!r) return std::unexpected(r.error());
  if (r->affected() == 0) return std::unexpected(StoreError::kNotFound);
  return {};
}

StoreResult<std::vector<std::string>> Database::distinct_words(std::string_view operation,
                                                               std::string_view sql) {
  auto r = query(operation, sql, {});
  if (!r) return std::unexpected(r.error());
  std::vector<std::string> all;
  for (int i = 0; i < r->size(); ++i) {
    for (std::string& word : split_words(r->text(i, 0))) all.push_back(std::move(word));
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

}  // namespace tessera::store::postgres
