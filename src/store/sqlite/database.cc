#include "store/sqlite/database.h"

#include <sqlite3.h>

#include <algorithm>

#include "core/log.h"
#include "store/word_list.h"

namespace tessera::store::sqlite {

std::optional<core::TimePoint> optional_time(const Statement& row, int index) {
  if (row.column_is_null(index)) return std::nullopt;
  return from_unix_seconds(row.column_int64(index));
}

bool is_unique_violation(const SqliteError& e) {
  return e.code == SQLITE_CONSTRAINT_PRIMARYKEY || e.code == SQLITE_CONSTRAINT_UNIQUE;
}

StoreError unavailable(std::string_view operation, const SqliteError& e) {
  core::log(core::LogLevel::kError, "database_error",
            {{"operation", operation}, {"sqlite", e.message}, {"code", e.code}});
  return StoreError::kUnavailable;
}

StoreResult<std::vector<std::string>> Database::distinct_words(std::string_view operation,
                                                               std::string_view sql) {
  auto conn = read();
  auto stmt = conn->prepare(sql);
  if (!stmt) return std::unexpected(unavailable(operation, stmt.error()));
  std::vector<std::string> all;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable(operation, row.error()));
    if (!*row) break;
    for (std::string& word : split_words(stmt->column_text(0))) all.push_back(std::move(word));
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

}  // namespace tessera::store::sqlite
