#include "store/sqlite/tables.h"

namespace tessera::store::sqlite {

StoreResult<std::optional<core::TimePoint>> SqliteThrottles::locked_until(std::string_view key,
                                                                          std::string_view other,
                                                                          core::TimePoint now) {
  // Two primary-key lookups on one connection: measured faster here than any one statement
  // for both keys (IN builds an ephemeral table; MAX over a UNION ALL a subquery).
  auto conn = db_.read();
  std::optional<core::TimePoint> until;
  for (const std::string_view k : {key, other}) {
    auto stmt =
        conn->prepare("SELECT locked_until FROM throttles WHERE key = ?1 AND locked_until > ?2", k,
                      seconds_of(now));
    if (!stmt) return std::unexpected(unavailable("locked_until", stmt.error()));
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable("locked_until", row.error()));
    if (!*row) continue;
    const core::TimePoint t = from_unix_seconds(stmt->column_int64(0));
    if (!until || t > *until) until = t;
  }
  return until;
}

StoreResult<ThrottleState> SqliteThrottles::record_failure(std::string_view key,
                                                           core::TimePoint now,
                                                           const ThrottlePolicy& policy) {
  constexpr std::string_view kOp = "record_failure";
  return db_.transact(kOp, [&](SqliteConnection& conn) -> StoreResult<ThrottleState> {
    std::optional<ThrottleRecord> before;
    {
      auto stmt = conn.prepare(
          "SELECT failures, window_start, lockouts, locked_until FROM throttles WHERE key = ?1",
          key);
      if (!stmt) return std::unexpected(unavailable(kOp, stmt.error()));
      auto row = stmt->step();
      if (!row) return std::unexpected(unavailable(kOp, row.error()));
      if (*row) {
        before = ThrottleRecord{.failures = stmt->column_int64(0),
                                .window_start = from_unix_seconds(stmt->column_int64(1)),
                                .lockouts = stmt->column_int64(2),
                                .locked_until = optional_time(*stmt, 3)};
      }
    }
    const CountedFailure counted = count_failure(before, now, policy);
    const ThrottleRecord& after = counted.record;
    auto saved = conn.run(
        "INSERT INTO throttles (key, failures, window_start, lockouts, locked_until) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO UPDATE SET failures = ?2, "
        "window_start = ?3, lockouts = ?4, locked_until = ?5",
        key, after.failures, seconds_of(after.window_start), after.lockouts,
        seconds_of(after.locked_until));
    if (!saved) return std::unexpected(unavailable(kOp, saved.error()));
    return counted.state;
  });
}

StoreResult<void> SqliteThrottles::clear_failures(std::string_view key) {
  auto cleared = db_.write("clear_failures", "DELETE FROM throttles WHERE key = ?1", key);
  if (!cleared) return std::unexpected(cleared.error());
  return {};
}

// Counters idle for a day, and not locked, can no longer matter.
StoreResult<std::size_t> SqliteThrottles::purge_idle(core::TimePoint now) {
  auto n = db_.write("purge_idle_throttles",
                     "DELETE FROM throttles WHERE window_start <= ?1 - 86400 "
                     "AND (locked_until IS NULL OR locked_until <= ?1)",
                     seconds_of(now));
  if (!n) return std::unexpected(n.error());
  return static_cast<std::size_t>(*n);
}

}  // namespace tessera::store::sqlite
