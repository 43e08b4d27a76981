#include "store/postgres/pg_connection.h"

#include <libpq-fe.h>

#include <charconv>

namespace tessera::store::postgres {
namespace {

// libpq's messages span lines ("...failed: Connection refused\n\tIs the server running...");
// ours are one line.
std::string one_line(std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  while (!message.empty() && message.back() == ' ') message.pop_back();
  std::string out;
  for (const char c : message) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out.push_back(c);
  }
  return out;
}

// Notices ("relation ... already exists, skipping") are not errors; libpq would print them on
// stderr, where every line is a JSON log record.
void ignore_notice(void* /*arg*/, const char* /*message*/) {}

}  // namespace

PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}

int PgResult::size() const { return PQntuples(result_); }

std::int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(result_);
  std::int64_t value = 0;
  if (n != nullptr) std::from_chars(n, n + std::char_traits<char>::length(n), value);
  return value;
}

bool PgResult::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string PgResult::text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<std::size_t>(PQgetlength(result_, row, column)));
}

std::int64_t PgResult::int64(int row, int column) const {
  const char* v = PQgetvalue(result_, row, column);
  std::int64_t value = 0;
  std::from_chars(v, v + PQgetlength(result_, row, column), value);
  return value;
}

std::expected<std::unique_ptr<PgConnection>, PgError> PgConnection::open(
    const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return std::unexpected(PgError{"", "out of memory", true});
  if (PQstatus(conn) != CONNECTION_OK) {
    PgError error{"", one_line(PQerrorMessage(conn)), true};
    PQfinish(conn);
    return std::unexpected(std::move(error));
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::ensure_open() {
  // An idle connection whose server went away (a restart) has the server's goodbye and an
  // end-of-file waiting on its socket. Reading without blocking (twice: libpq stops after the
  // bytes of the first read) marks such a connection bad, so it is reset here instead of
  // failing the statement it would be given.
  if (PQstatus(conn_) == CONNECTION_OK && PQconsumeInput(conn_) != 0 &&
      PQconsumeInput(conn_) != 0) {
    return true;
  }
  // After a reset the server has forgotten our prepared statements.
  prepared_.clear();
  PQreset(conn_);
  return PQstatus(conn_) == CONNECTION_OK;
}

PgError PgConnection::error_of(pg_result* result) const {
  PgError error;
  if (result != nullptr) {
    if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) error.sqlstate = state;
    error.message = PQresultErrorMessage(result);
  }
  if (error.message.empty()) error.message = PQerrorMessage(conn_);
  error.message = one_line(std::move(error.message));
  error.connection_lost = PQstatus(conn_) != CONNECTION_OK;
  return error;
}

std::expected<PgResult, PgError> PgConnection::exec(std::string_view sql,
                                                    const std::vector<PgParam>& params) {
  auto it = prepared_.find(std::string(sql));
  if (it == prepared_.end()) {
    const std::string name = "s" + std::to_string(prepared_.size());
    PGresult* prepared = PQprepare(conn_, name.c_str(), std::string(sql).c_str(), 0, nullptr);
    if (prepared == nullptr || PQresultStatus(prepared) != PGRES_COMMAND_OK) {
      PgError error = error_of(prepared);
      if (prepared != nullptr) PQclear(prepared);
      return std::unexpected(std::move(error));
    }
    PQclear(prepared);
    it = prepared_.emplace(std::string(sql), name).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* result = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()),
                                    values.data(), nullptr, nullptr, 0);
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    PgError error = error_of(result);
    if (result != nullptr) PQclear(result);
    return std::unexpected(std::move(error));
  }
  return PgResult(result);
}

std::expected<void, PgError> PgConnection::exec_script(std::string_view sql) {
  PGresult* result = PQexec(conn_, std::string(sql).c_str());
  const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    PgError error = error_of(result);
    if (result != nullptr) PQclear(result);
    return std::unexpected(std::move(error));
  }
  PQclear(result);
  return {};
}

}  // namespace tessera::store::postgres
