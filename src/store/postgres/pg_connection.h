// A thin layer over libpq for the PostgreSQL store: a connection with its prepared
// statements, text-format parameters (NULL included) and results, and errors as values with
// their SQLSTATE. Nothing here knows the schema, and nothing here logs.
//
//   auto conn = PgConnection::open("postgresql://tessera@db/tessera");
//   auto rows = (*conn)->exec("SELECT password_hash FROM users WHERE name = $1", {name});
//   if (rows && rows->size() == 1) hash = rows->text(0, 0);
//
// Not thread-safe: the store's pool lends each connection to one thread at a time.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

struct pg_conn;
struct pg_result;

namespace tessera::store::postgres {

struct PgError {
  std::string sqlstate;  // "23505" for a unique violation; empty when the connection failed
  std::string message;
  bool connection_lost = false;
};

class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  PgResult& operator=(PgResult&&) = delete;
  ~PgResult();

  int size() const;
  // The rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t affected() const;
  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;
  std::int64_t int64(int row, int column) const;

 private:
  pg_result* result_;
};

using PgParam = std::optional<std::string>;

class PgConnection {
 public:
  static std::expected<std::unique_ptr<PgConnection>, PgError> open(const std::string& conninfo);
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // A statement prepared once per connection (keyed by its text), run with `params` as $1...
  std::expected<PgResult, PgError> exec(std::string_view sql,
                                        const std::vector<PgParam>& params = {});
  // Statements without parameters, several at once (schema, BEGIN/COMMIT).
  std::expected<void, PgError> exec_script(std::string_view sql);

  // Whether the connection still works; if not, tries once to make it work again.
  bool ensure_open();

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  PgError error_of(pg_result* result) const;

  pg_conn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
};

}  // namespace tessera::store::postgres
