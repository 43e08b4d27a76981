#include "store/sqlite/tables.h"

namespace tessera::store::sqlite {

StoreResult<bool> SqliteReplays::use_once(std::string_view key, core::TimePoint expires_at) {
  Waiting me{.key = {.key = std::string(key), .expires_at = expires_at}, .result = std::nullopt};
  std::unique_lock lock(mutex_);
  queue_.push_back(&me);
  while (!me.result) {
    if (committing_) {
      committed_.wait(lock);
      continue;
    }
    // This caller commits every key queued so far, its own included.
    committing_ = true;
    std::vector<Waiting*> batch;
    batch.swap(queue_);
    lock.unlock();
    std::vector<KeyToUse> keys;
    keys.reserve(batch.size());
    for (const Waiting* w : batch) keys.push_back(w->key);
    auto fresh = use_once_many(keys);
    lock.lock();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->result = fresh ? StoreResult<bool>(bool((*fresh)[i]))
                               : StoreResult<bool>(std::unexpected(fresh.error()));
    }
    committing_ = false;
    committed_.notify_all();
  }
  return *me.result;
}

StoreResult<std::vector<bool>> SqliteReplays::use_once_many(std::span<const KeyToUse> keys) {
  std::vector<bool> fresh;
  fresh.reserve(keys.size());
  // Not fsynced: a DPoP proof or an assertion is good for a minute or so, and a power failure
  // within that minute is a smaller risk than an fsync per request is a cost.
  auto done = db_.transact_unsynced("use_once", [&](SqliteConnection& conn) -> StoreResult<void> {
    for (const KeyToUse& k : keys) {
      auto added = conn.run(
          "INSERT INTO used_once (key, expires_at) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
          k.key, seconds_of(k.expires_at));
      if (!added) return std::unexpected(unavailable("use_once", added.error()));
      fresh.push_back(*added == 1);
    }
    return {};
  });
  if (!done) return std::unexpected(done.error());
  return fresh;
}

StoreResult<std::size_t> SqliteReplays::purge_expired(core::TimePoint now) {
  auto deleted =
      db_.write("purge_used_once", "DELETE FROM used_once WHERE expires_at < ?1", seconds_of(now));
  if (!deleted) return std::unexpected(deleted.error());
  return static_cast<std::size_t>(*deleted);
}

}  // namespace tessera::store::sqlite
