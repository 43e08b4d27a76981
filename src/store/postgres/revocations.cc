#include "store/postgres/tables.h"

namespace tessera::store::postgres {
namespace {

// Writers may commit revocations out of sequence order; a reader that has seen sequence n
// also re-reads this many before it (store.h, revocations_since).
constexpr std::int64_t kRevocationMargin = 1000;

}  // namespace

StoreResult<void> PgRevocations::revoke_access_token(std::string_view jti,
                                                     core::TimePoint expires_at) {
  return done(db_.query("revoke_access_token",
                        "INSERT INTO revocations (kind, value, expires_at) VALUES ('jti', $1, $2)",
                        {text(jti), integer(seconds_of(expires_at))}));
}

StoreResult<std::vector<Revocation>> PgRevocations::revocations_since(std::int64_t after,
                                                                      core::TimePoint now) {
  auto r = db_.query(
      "revocations_since",
      "SELECT sequence, kind, value, expires_at, COALESCE(issued_until_ms, 0) "
      "FROM revocations WHERE sequence > $1 AND expires_at > $2 ORDER BY sequence",
      {integer(std::max<std::int64_t>(0, after - kRevocationMargin)), integer(seconds_of(now))});
  if (!r) return std::unexpected(r.error());
  std::vector<Revocation> out;
  for (int i = 0; i < r->size(); ++i) {
    // The CHECK constraint admits only the kinds parse_revocation_kind knows.
    out.push_back(Revocation{
        .sequence = r->int64(i, 0),
        .kind = parse_revocation_kind(r->text(i, 1)).value_or(Revocation::Kind::kAccessToken),
        .value = r->text(i, 2),
        .expires_at = from_seconds(r->int64(i, 3)),
        .issued_until = core::from_unix_milliseconds(r->int64(i, 4))});
  }
  return out;
}

StoreResult<std::size_t> PgRevocations::purge_expired(core::TimePoint now) {
  auto r = db_.query("purge_expired_revocations", "DELETE FROM revocations WHERE expires_at <= $1",
                     {integer(seconds_of(now))});
  if (!r) return std::unexpected(r.error());
  return static_cast<std::size_t>(r->affected());
}

}  // namespace tessera::store::postgres
