#include "store/sqlite/tables.h"

namespace tessera::store::sqlite {

StoreResult<bool> SqliteReplays::use_once(std::string_view key, core::TimePoint expires_at) {
  // Not fsynced: a DPoP proof or an assertion is good for a minute or so, and a power failure
  // within that minute is a smaller risk than an fsync per request is a cost.
  auto added = db_.write_unsynced("use_once",
                                  "INSERT INTO used_once (key, expires_at) VALUES (?1, ?2) "
                                  "ON CONFLICT (key) DO NOTHING",
                                  key, seconds_of(expires_at));
  if (!added) return std::unexpected(added.error());
  return *added == 1;
}

StoreResult<std::size_t> SqliteReplays::purge_expired(core::TimePoint now) {
  auto deleted =
      db_.write("purge_used_once", "DELETE FROM used_once WHERE expires_at < ?1", seconds_of(now));
  if (!deleted) return std::unexpected(deleted.error());
  return static_cast<std::size_t>(*deleted);
}

}  // namespace tessera::store::sqlite
