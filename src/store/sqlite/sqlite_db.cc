#include "store/sqlite/sqlite_db.h"

#include <sqlite3.h>

#include <algorithm>
#include <climits>

namespace tessera::store::sqlite {

Statement::Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  // reset() repeats the error of the last step, which the caller has already seen.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::expected<bool, SqliteError> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(error(rc));
}

std::string Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (text == nullptr) return {};
  return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::int64_t Statement::column_int64(int index) const { return sqlite3_column_int64(stmt_, index); }

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

std::expected<void, SqliteError> Statement::bind(int index, std::string_view text) {
  // An empty view may have a null data(), which SQLite would bind as NULL rather than ''.
  const char* data = text.empty() ? "" : text.data();
  const int rc =
      sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) return std::unexpected(error(rc));
  return {};
}

std::expected<void, SqliteError> Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) return std::unexpected(error(rc));
  return {};
}

std::expected<void, SqliteError> Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) return std::unexpected(error(rc));
  return {};
}

SqliteError Statement::error(int code) const {
  return SqliteError{code, sqlite3_errmsg(sqlite3_db_handle(stmt_))};
}

std::expected<std::unique_ptr<SqliteConnection>, SqliteError> SqliteConnection::open(
    const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    // SQLite returns a handle even on failure (except when out of memory), to read the error.
    SqliteError error{rc, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)};
    sqlite3_close_v2(db);
    return std::unexpected(std::move(error));
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db));
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

std::expected<void, SqliteError> SqliteConnection::exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(error(rc));
  return {};
}

std::expected<Statement, SqliteError> SqliteConnection::prepare_cached(std::string_view sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return Statement(it->second);
  if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
    return std::unexpected(SqliteError{SQLITE_TOOBIG, "statement text too long"});
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  // PERSISTENT: these statements live as long as the connection, so SQLite keeps them out of
  // its short-lived lookaside memory.
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) return std::unexpected(error(rc));
  const bool one_statement =
      stmt != nullptr && std::all_of(tail, sql.data() + sql.size(), [](char c) {
        return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == ';';
      });
  if (!one_statement) {
    sqlite3_finalize(stmt);
    return std::unexpected(SqliteError{SQLITE_MISUSE, "prepare() takes exactly one statement"});
  }
  statements_.emplace(std::string(sql), stmt);
  return Statement(stmt);
}

std::int64_t SqliteConnection::changes() const { return sqlite3_changes64(db_); }

void SqliteConnection::set_busy_timeout(std::chrono::milliseconds timeout) {
  sqlite3_busy_timeout(db_, static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(
                                timeout.count(), 0, INT_MAX)));
}

bool SqliteConnection::read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }

bool SqliteConnection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

SqliteError SqliteConnection::error(int code) const {
  return SqliteError{code, sqlite3_errmsg(db_)};
}

std::expected<Transaction, SqliteError> Transaction::begin_immediate(SqliteConnection& conn) {
  if (auto begun = conn.exec("BEGIN IMMEDIATE"); !begun) return std::unexpected(begun.error());
  return Transaction(conn);
}

Transaction::~Transaction() {
  // After some errors (SQLITE_FULL, SQLITE_IOERR, ...) SQLite has already rolled back, and a
  // second ROLLBACK would only fail.
  if (conn_ != nullptr && conn_->in_transaction()) static_cast<void>(conn_->exec("ROLLBACK"));
}

std::expected<void, SqliteError> Transaction::commit() {
  auto committed = conn_->exec("COMMIT");
  if (committed) conn_ = nullptr;
  return committed;
}

}  // namespace tessera::store::sqlite
