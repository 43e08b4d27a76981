#include "store/postgres/tables.h"

namespace tessera::store::postgres {

StoreResult<bool> PgReplays::use_once(std::string_view key, core::TimePoint expires_at) {
  // Committed without waiting for the WAL flush (synchronous_commit off for this statement's
  // transaction, set inside it so it stays one round trip): a DPoP proof or an assertion is
  // good for a minute or so, and only a crash of the database server within a fraction of a
  // second could forget it.
  auto r = db_.query(
      "use_once",
      "INSERT INTO used_once (key, expires_at) "
      "SELECT $1::text, $2::bigint FROM (SELECT set_config('synchronous_commit', 'off', true)) s "
      "ON CONFLICT (key) DO NOTHING",
      {text(key), integer(seconds_of(expires_at))});
  if (!r) return std::unexpected(r.error());
  return r->affected() == 1;
}

StoreResult<std::size_t> PgReplays::purge_expired(core::TimePoint now) {
  auto r = db_.query("purge_used_once", "DELETE FROM used_once WHERE expires_at < $1",
                     {integer(seconds_of(now))});
  if (!r) return std::unexpected(r.error());
  return static_cast<std::size_t>(r->affected());
}

}  // namespace tessera::store::postgres
