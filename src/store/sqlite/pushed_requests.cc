#include "store/sqlite/tables.h"

namespace tessera::store::sqlite {

StoreResult<void> SqlitePushedRequests::add_pushed_request(const PushedRequest& request) {
  auto added = db_.write("add_pushed_request",
                         "INSERT INTO pushed_requests (uri_hash, client_id, params, expires_at) "
                         "VALUES (?1, ?2, ?3, ?4)",
                         request.uri_hash, request.client_id, request.params,
                         seconds_of(request.expires_at));
  if (!added) return std::unexpected(added.error());
  return {};
}

StoreResult<std::optional<PushedRequest>> SqlitePushedRequests::find_pushed_request(
    std::string_view uri_hash) {
  constexpr std::string_view kOp = "find_pushed_request";
  auto conn = db_.read();
  auto stmt = conn->prepare(
      "SELECT uri_hash, client_id, params, expires_at, used_at FROM pushed_requests "
      "WHERE uri_hash = ?1",
      uri_hash);
  if (!stmt) return std::unexpected(unavailable(kOp, stmt.error()));
  auto row = stmt->step();
  if (!row) return std::unexpected(unavailable(kOp, row.error()));
  if (!*row) return std::optional<PushedRequest>();
  return std::optional<PushedRequest>(
      PushedRequest{.uri_hash = stmt->column_text(0),
                    .client_id = stmt->column_text(1),
                    .params = stmt->column_text(2),
                    .expires_at = from_unix_seconds(stmt->column_int64(3)),
                    .used_at = optional_time(*stmt, 4)});
}

StoreResult<bool> SqlitePushedRequests::use_pushed_request(std::string_view uri_hash,
                                                           core::TimePoint now) {
  auto used = db_.write("use_pushed_request",
                        "UPDATE pushed_requests SET used_at = ?2 "
                        "WHERE uri_hash = ?1 AND used_at IS NULL",
                        uri_hash, seconds_of(now));
  if (!used) return std::unexpected(used.error());
  return *used == 1;
}

StoreResult<std::size_t> SqlitePushedRequests::purge_expired(core::TimePoint now) {
  auto deleted = db_.write("purge_pushed_requests",
                           "DELETE FROM pushed_requests WHERE expires_at < ?1", seconds_of(now));
  if (!deleted) return std::unexpected(deleted.error());
  return static_cast<std::size_t>(*deleted);
}

}  // namespace tessera::store::sqlite
