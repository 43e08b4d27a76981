#include "store/postgres/tables.h"

namespace tessera::store::postgres {

StoreResult<void> PgPushedRequests::add_pushed_request(const PushedRequest& request) {
  return done(db_.query("add_pushed_request",
                        "INSERT INTO pushed_requests (uri_hash, client_id, params, expires_at) "
                        "VALUES ($1, $2, $3, $4)",
                        {text(request.uri_hash), text(request.client_id), text(request.params),
                         integer(seconds_of(request.expires_at))}));
}

StoreResult<std::optional<PushedRequest>> PgPushedRequests::find_pushed_request(
    std::string_view uri_hash) {
  auto r = db_.query("find_pushed_request",
                     "SELECT uri_hash, client_id, params, expires_at, used_at FROM pushed_requests "
                     "WHERE uri_hash = $1",
                     {text(uri_hash)});
  if (!r) return std::unexpected(r.error());
  if (r->size() == 0) return std::optional<PushedRequest>();
  return std::optional<PushedRequest>(PushedRequest{.uri_hash = r->text(0, 0),
                                                    .client_id = r->text(0, 1),
                                                    .params = r->text(0, 2),
                                                    .expires_at = from_seconds(r->int64(0, 3)),
                                                    .used_at = optional_time(*r, 0, 4)});
}

StoreResult<bool> PgPushedRequests::use_pushed_request(std::string_view uri_hash,
                                                       core::TimePoint now) {
  auto r = db_.query("use_pushed_request",
                     "UPDATE pushed_requests SET used_at = $2 "
                     "WHERE uri_hash = $1 AND used_at IS NULL",
                     {text(uri_hash), integer(seconds_of(now))});
  if (!r) return std::unexpected(r.error());
  return r->affected() == 1;
}

StoreResult<std::size_t> PgPushedRequests::purge_expired(core::TimePoint now) {
  auto r = db_.query("purge_pushed_requests", "DELETE FROM pushed_requests WHERE expires_at < $1",
                     {integer(seconds_of(now))});
  if (!r) return std::unexpected(r.error());
  return static_cast<std::size_t>(r->affected());
}

}  // namespace tessera::store::postgres
