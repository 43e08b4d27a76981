#include "core/log.h"
#include "store/sqlite/tables.h"

namespace tessera::store::sqlite {

StoreResult<bool> SqliteReplays::use_once(std::string_view key, core::TimePoint expires_at) {
  if (file_ == nullptr) return std::unexpected(StoreError::kUnavailable);
  switch (file_->use_once(key, seconds_of(expires_at), db_.now_seconds())) {
    case ReplayFile::Use::kFresh: return true;
    case ReplayFile::Use::kUsed: return false;
    case ReplayFile::Use::kFull: break;
  }
  core::log(core::LogLevel::kError, "replay_file_full",
            {{"detail", "no room for the key in the replay file; the use is refused"}});
  return std::unexpected(StoreError::kUnavailable);
}

StoreResult<std::size_t> SqliteReplays::purge_expired(core::TimePoint now) {
  const std::size_t purged = file_ != nullptr ? file_->purge_expired(seconds_of(now)) : 0;
  // Rows that versions before the replay file wrote.
  auto deleted =
      db_.write("purge_used_once", "DELETE FROM used_once WHERE expires_at < ?1", seconds_of(now));
  if (!deleted) return std::unexpected(deleted.error());
  return purged + static_cast<std::size_t>(*deleted);
}

}  // namespace tessera::store::sqlite
