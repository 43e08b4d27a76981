#include "store/sqlite/tables.h"

namespace tessera::store::sqlite {

StoreResult<void> SqliteRevocations::revoke_access_token(std::string_view jti,
                                                         core::TimePoint expires_at) {
  auto added = db_.write("revoke_access_token",
                         "INSERT INTO revocations (kind, value, expires_at) VALUES ('jti', ?1, ?2)",
                         jti, seconds_of(expires_at));
  if (!added) return std::unexpected(added.error());
  return {};
}

StoreResult<std::vector<Revocation>> SqliteRevocations::revocations_since(std::int64_t after,
                                                                          core::TimePoint now) {
  auto conn = db_.read();
  auto stmt = conn->prepare(
      "SELECT sequence, kind, value, expires_at, COALESCE(issued_until_ms, 0) FROM revocations "
      "WHERE sequence > ?1 AND expires_at > ?2 ORDER BY sequence",
      after, seconds_of(now));
  if (!stmt) return std::unexpected(unavailable("revocations_since", stmt.error()));
  std::vector<Revocation> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable("revocations_since", row.error()));
    if (!*row) return out;
    // The CHECK constraint admits only the kinds parse_revocation_kind knows.
    out.push_back(Revocation{
        .sequence = stmt->column_int64(0),
        .kind =
            parse_revocation_kind(stmt->column_text(1)).value_or(Revocation::Kind::kAccessToken),
        .value = stmt->column_text(2),
        .expires_at = from_unix_seconds(stmt->column_int64(3)),
        .issued_until = core::from_unix_milliseconds(stmt->column_int64(4))});
  }
}

StoreResult<std::size_t> SqliteRevocations::purge_expired(core::TimePoint now) {
  auto n = db_.write("purge_expired_revocations", "DELETE FROM revocations WHERE expires_at <= ?1",
                     seconds_of(now));
  if (!n) return std::unexpected(n.error());
  return static_cast<std::size_t>(*n);
}

}  // namespace tessera::store::sqlite
