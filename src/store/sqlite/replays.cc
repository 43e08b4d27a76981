#include "store/sqlite/tables.h"

namespace tessera::store::sqlite {

StoreResult<bool> SqliteReplays::use_once(std::string_view key, core::TimePoint expires_at) {
  Waiting me{.key = key, .expires_at = seconds_of(expires_at), .result = std::nullopt};
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
    auto results = commit(batch);
    lock.lock();
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->result = std::move(results[i]);
    committing_ = false;
    committed_.notify_all();
  }
  return *me.result;
}

std::vector<StoreResult<bool>> SqliteReplays::commit(const std::vector<Waiting*>& batch) {
  std::vector<StoreResult<bool>> results;
  results.reserve(batch.size());
  // Not fsynced: a DPoP proof or an assertion is good for a minute or so, and a power failure
  // within that minute is a smaller risk than an fsync per request is a cost.
  auto done = db_.transact_unsynced("use_once", [&](SqliteConnection& conn) -> StoreResult<void> {
    for (const Waiting* w : batch) {
      auto added = conn.run(
          "INSERT INTO used_once (key, expires_at) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
          w->key, w->expires_at);
      if (!added) return std::unexpected(unavailable("use_once", added.error()));
      results.emplace_back(*added == 1);
    }
    return {};
  });
  if (!done) results.assign(batch.size(), std::unexpected(done.error()));
  return results;
}

StoreResult<std::size_t> SqliteReplays::purge_expired(core::TimePoint now) {
  auto deleted =
      db_.write("purge_used_once", "DELETE FROM used_once WHERE expires_at < ?1", seconds_of(now));
  if (!deleted) return std::unexpected(deleted.error());
  return static_cast<std::size_t>(*deleted);
}

}  // namespace tessera::store::sqlite
