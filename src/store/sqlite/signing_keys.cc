#include "store/sqlite/tables.h"

namespace tessera::store::sqlite {
namespace {

// Reads a row of (kid, alg, public_jwk, sealed_private, created_at, activates_at, retire_at,
// purpose).
SigningKeyRecord read_signing_key(const Statement& row) {
  return SigningKeyRecord{
      .kid = row.column_text(0),
      .alg = row.column_text(1),
      .public_jwk = row.column_text(2),
      .sealed_private = row.column_text(3),
      .created_at = from_unix_seconds(row.column_int64(4)),
      .activates_at = from_unix_seconds(row.column_int64(5)),
      .retire_at = optional_time(row, 6),
      .purpose = row.column_text(7),
  };
}

}  // namespace

StoreResult<std::vector<SigningKeyRecord>> SqliteKeys::list_signing_keys() {
  auto conn = db_.read();
  auto stmt = conn->prepare(
      "SELECT kid, alg, public_jwk, sealed_private, created_at, activates_at, retire_at, "
      "purpose FROM signing_keys ORDER BY created_at, rowid");
  if (!stmt) return std::unexpected(unavailable("list_signing_keys", stmt.error()));
  std::vector<SigningKeyRecord> keys;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(unavailable("list_signing_keys", row.error()));
    if (!*row) return keys;
    keys.push_back(read_signing_key(*stmt));
  }
}

StoreResult<bool> SqliteKeys::add_signing_key(const SigningKeyRecord& key,
                                              const std::optional<std::string>& expected_newest) {
  constexpr std::string_view kOp = "add_signing_key";
  return db_.transact(kOp, [&](SqliteConnection& conn) -> StoreResult<bool> {
    std::optional<std::string> newest;
    {
      auto stmt = conn.prepare(
          "SELECT kid FROM signing_keys WHERE purpose = ?1 "
          "ORDER BY created_at DESC, rowid DESC LIMIT 1",
          key.purpose);
      if (!stmt) return std::unexpected(unavailable(kOp, stmt.error()));
      auto row = stmt->step();
      if (!row) return std::unexpected(unavailable(kOp, row.error()));
      if (*row) newest = stmt->column_text(0);
    }
    if (newest != expected_newest) return false;
    auto added = conn.run(
        "INSERT INTO signing_keys (kid, alg, public_jwk, sealed_private, created_at, "
        "activates_at, retire_at, purpose) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        key.kid, key.alg, key.public_jwk, key.sealed_private, seconds_of(key.created_at),
        seconds_of(key.activates_at), seconds_of(key.retire_at), key.purpose);
    if (!added) {
      if (is_unique_violation(added.error())) return std::unexpected(StoreError::kAlreadyExists);
      return std::unexpected(unavailable(kOp, added.error()));
    }
    return true;
  });
}

StoreResult<void> SqliteKeys::set_signing_key_retire_at(std::string_view kid, core::TimePoint at) {
  return db_.write_one("set_signing_key_retire_at",
                       "UPDATE signing_keys SET retire_at = ?2 WHERE kid = ?1", kid,
                       seconds_of(at));
}

}  // namespace tessera::store::sqlite
