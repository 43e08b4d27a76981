#include "store/postgres/tables.h"

namespace tessera::store::postgres {

StoreResult<std::optional<core::TimePoint>> PgThrottles::locked_until(std::string_view key,
                                                                      std::string_view other,
                                                                      core::TimePoint now) {
  auto r =
      db_.query("locked_until",
                "SELECT locked_until FROM throttles WHERE key IN ($1, $2) AND locked_until > $3 "
                "ORDER BY locked_until DESC LIMIT 1",
                {text(key), text(other), integer(seconds_of(now))});
  if (!r) return std::unexpected(r.error());
  if (r->size() == 0) return std::optional<core::TimePoint>();
  return std::optional<core::TimePoint>(from_seconds(r->int64(0, 0)));
}

StoreResult<void> PgThrottles::clear_failures(std::string_view key) {
  auto r = db_.query("clear_failures", "DELETE FROM throttles WHERE key = $1", {text(key)});
  if (!r) return std::unexpected(r.error());
  return {};
}

StoreResult<ThrottleState> PgThrottles::record_failure(std::string_view key, core::TimePoint now,
                                                       const ThrottlePolicy& policy) {
  constexpr std::string_view kOp = "record_failure";
  return db_.in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<ThrottleState> {
    // The key's own lock, so that counting is exact across instances.
    if (auto locked =
            conn.exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {text(key)});
        !locked) {
      return std::unexpected(unavailable(kOp, locked.error()));
    }
    auto row = conn.exec(
        "SELECT failures, window_start, lockouts, locked_until FROM throttles WHERE key = $1",
        {text(key)});
    if (!row) return std::unexpected(unavailable(kOp, row.error()));
    std::optional<ThrottleRecord> before;
    if (row->size() == 1) {
      before = ThrottleRecord{.failures = row->int64(0, 0),
                              .window_start = from_seconds(row->int64(0, 1)),
                              .lockouts = row->int64(0, 2),
                              .locked_until = optional_time(*row, 0, 3)};
    }
    const CountedFailure counted = count_failure(before, now, policy);
    const ThrottleRecord& after = counted.record;
    auto saved = conn.exec(
        "INSERT INTO throttles (key, failures, window_start, lockouts, locked_until) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO UPDATE SET failures = $2, "
        "window_start = $3, lockouts = $4, locked_until = $5",
        {text(key), integer(after.failures), integer(seconds_of(after.window_start)),
         integer(after.lockouts),
         optional_integer(after.locked_until
                              ? std::optional<std::int64_t>(seconds_of(*after.locked_until))
                              : std::nullopt)});
    if (!saved) return std::unexpected(unavailable(kOp, saved.error()));
    return counted.state;
  });
}

// Counters idle for a day, and not locked, can no longer matter.
StoreResult<std::size_t> PgThrottles::purge_idle(core::TimePoint now) {
  auto r = db_.query("purge_idle_throttles",
                     "DELETE FROM throttles WHERE window_start <= $1 - 86400 "
                     "AND (locked_until IS NULL OR locked_until <= $1)",
                     {integer(seconds_of(now))});
  if (!r) return std::unexpected(r.error());
  return static_cast<std::size_t>(r->affected());
}

}  // namespace tessera::store::postgres
