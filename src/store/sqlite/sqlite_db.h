// A thin RAII layer over the SQLite C API, used only by the SQLite store: a connection with
// its cached prepared statements, a statement that resets itself, and a write transaction.
// Nothing here knows the schema; failures come back as SqliteError values carrying SQLite's
// own (extended) result code and message, and nothing here logs.
//
//   auto conn = SqliteConnection::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
//   auto stmt = (*conn)->prepare("SELECT password_hash FROM users WHERE name = ?1", name);
//   if (!stmt) return std::unexpected(stmt.error());
//   auto row = stmt->step();                  // expected<bool>: true while a row is ready
//   if (row && *row) hash = stmt->column_text(0);
//   // `stmt` is reset when it goes out of scope, ready for its next use.
//
// A connection is not thread-safe (the store opens it with SQLITE_OPEN_NOMUTEX): it must be
// used by one thread at a time, which the store's pool ensures.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

// The C API's handle types, declared here so that <sqlite3.h> stays out of this header.
struct sqlite3;
struct sqlite3_stmt;

namespace tessera::store::sqlite {

struct SqliteError {
  int code;  // an extended result code, such as SQLITE_CONSTRAINT_PRIMARYKEY
  std::string message;
};

// A prepared statement borrowed from its connection's cache. Destroying it resets the
// statement and clears its bindings: a statement left mid-step would keep a WAL read
// snapshot open (and block checkpoints), and cleared bindings drop the copies of the values
// bound (password hashes among them). It must not outlive its connection.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  // true when a row is ready to be read with column_*(), false when the statement is done.
  std::expected<bool, SqliteError> step();

  // Columns of the current row, counted from 0. A NULL reads as "" or 0.
  std::string column_text(int index) const;
  std::int64_t column_int64(int index) const;
  bool column_is_null(int index) const;

 private:
  friend class SqliteConnection;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}

  // Parameters are counted from 1, as in SQL ("?1").
  std::expected<void, SqliteError> bind(int index, std::string_view text);
  std::expected<void, SqliteError> bind(int index, std::int64_t value);
  std::expected<void, SqliteError> bind_null(int index);
  SqliteError error(int code) const;

  sqlite3_stmt* stmt_;
};

// The values a statement parameter takes: text, an integer (bool included), or an optional
// integer or text (NULL when empty).
template <class T>
concept SqliteValue = std::convertible_to<const T&, std::string_view> || std::integral<T> ||
    std::same_as<T, std::optional<std::int64_t>> || std::same_as<T, std::optional<std::string>>;

class SqliteConnection {
 public:
  // `flags` are SQLITE_OPEN_* flags. Extended result codes are turned on.
  static std::expected<std::unique_ptr<SqliteConnection>, SqliteError> open(const std::string& path,
                                                                            int flags);
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  ~SqliteConnection();

  // Runs one or more statements that take no parameters and whose rows are not needed
  // (schema changes, pragmas, BEGIN/COMMIT). Never pass it anything built from data.
  std::expected<void, SqliteError> exec(std::string_view sql);

  // The statement for `sql`, prepared once per connection and kept (keyed by its text), with
  // `args` bound to ?1, ?2, ... Only one Statement for a given text may be alive at a time.
  template <SqliteValue... Args>
  std::expected<Statement, SqliteError> prepare(std::string_view sql, const Args&... args) {
    auto stmt = prepare_cached(sql);
    if (!stmt) return stmt;
    [[maybe_unused]] int index = 0;
    std::expected<void, SqliteError> bound;
    // Stops at the first failure.
    static_cast<void>((... && (bound = bind_arg(*stmt, ++index, args))));
    if (!bound) return std::unexpected(std::move(bound.error()));
    return stmt;
  }

  // Runs a statement that returns no rows and returns how many rows it changed.
  template <SqliteValue... Args>
  std::expected<std::int64_t, SqliteError> run(std::string_view sql, const Args&... args) {
    auto stmt = prepare(sql, args...);
    if (!stmt) return std::unexpected(std::move(stmt.error()));
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row) return changes();
    }
  }

  // Rows changed by the most recent INSERT, UPDATE or DELETE on this connection.
  std::int64_t changes() const;
  // How long a statement waits for another connection's lock before failing with SQLITE_BUSY.
  void set_busy_timeout(std::chrono::milliseconds timeout);
  // Whether SQLite fell back to opening the file read-only.
  bool read_only() const;
  bool in_transaction() const;

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  std::expected<Statement, SqliteError> prepare_cached(std::string_view sql);
  SqliteError error(int code) const;

  template <class T>
  static std::expected<void, SqliteError> bind_arg(Statement& stmt, int index, const T& value) {
    if constexpr (std::integral<T>) {
      return stmt.bind(index, static_cast<std::int64_t>(value));
    } else if constexpr (std::same_as<T, std::optional<std::int64_t>>) {
      return value ? stmt.bind(index, *value) : stmt.bind_null(index);
    } else if constexpr (std::same_as<T, std::optional<std::string>>) {
      return value ? stmt.bind(index, std::string_view(*value)) : stmt.bind_null(index);
    } else {
      return stmt.bind(index, std::string_view(value));
    }
  }

  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> statements_;
};

// BEGIN IMMEDIATE ... COMMIT. IMMEDIATE takes the write lock at the start (waiting up to the
// busy timeout), so a transaction that reads and then writes cannot fail halfway with
// SQLITE_BUSY_SNAPSHOT. Rolled back on scope exit unless committed.
class Transaction {
 public:
  static std::expected<Transaction, SqliteError> begin_immediate(SqliteConnection& conn);
  Transaction(Transaction&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  std::expected<void, SqliteError> commit();

 private:
  explicit Transaction(SqliteConnection& conn) : conn_(&conn) {}
  SqliteConnection* conn_;
};

}  // namespace tessera::store::sqlite
