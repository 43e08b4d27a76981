#include "store/postgres/tables.h"

namespace tessera::store::postgres {
namespace {

// A transaction-scoped advisory lock id: one writer at a time decides which key is newest.
constexpr std::string_view kSigningKeyLock = "7405731002";

constexpr std::string_view kKeyColumns =
    "SELECT kid, alg, public_jwk, sealed_private, created_at, activates_at, retire_at, purpose "
    "FROM signing_keys";

SigningKeyRecord read_signing_key(const PgResult& r, int row) {
  return SigningKeyRecord{.kid = r.text(row, 0),
                          .alg = r.text(row, 1),
                          .public_jwk = r.text(row, 2),
                          .sealed_private = r.text(row, 3),
                          .created_at = from_seconds(r.int64(row, 4)),
                          .activates_at = from_seconds(r.int64(row, 5)),
                          .retire_at = optional_time(r, row, 6),
                          .purpose = r.text(row, 7)};
}

}  // namespace

StoreResult<std::vector<SigningKeyRecord>> PgKeys::list_signing_keys() {
  auto r =
      db_.query("list_signing_keys", std::string(kKeyColumns) + " ORDER BY created_at, seq", {});
  if (!r) return std::unexpected(r.error());
  std::vector<SigningKeyRecord> keys;
  for (int i = 0; i < r->size(); ++i) keys.push_back(read_signing_key(*r, i));
  return keys;
}

StoreResult<bool> PgKeys::add_signing_key(const SigningKeyRecord& key,
                                          const std::optional<std::string>& expected_newest) {
  constexpr std::string_view kOp = "add_signing_key";
  return db_.in_transaction(kOp, [&](PgConnection& conn) -> StoreResult<bool> {
    // One writer at a time decides: the newest key is read and the new one added under
    // the same lock, in every instance.
    if (auto locked = conn.exec("SELECT pg_advisory_xact_lock($1)", {text(kSigningKeyLock)});
        !locked) {
      return std::unexpected(unavailable(kOp, locked.error()));
    }
    auto newest = conn.exec(
        "SELECT kid FROM signing_keys WHERE purpose = $1 ORDER BY created_at DESC, seq DESC "
        "LIMIT 1",
        {text(key.purpose)});
    if (!newest) return std::unexpected(unavailable(kOp, newest.error()));
    const std::optional<std::string> current =
        newest->size() == 0 ? std::nullopt : std::optional<std::string>(newest->text(0, 0));
    if (current != expected_newest) return false;
    auto added = conn.exec(
        "INSERT INTO signing_keys (kid, alg, public_jwk, sealed_private, created_at, "
        "activates_at, retire_at, purpose) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        {text(key.kid), text(key.alg), text(key.public_jwk), text(key.sealed_private),
         integer(seconds_of(key.created_at)), integer(seconds_of(key.activates_at)),
         key.retire_at ? integer(seconds_of(*key.retire_at)) : null(), text(key.purpose)});
    if (!added) {
      if (is_unique_violation(added.error())) return std::unexpected(StoreError::kAlreadyExists);
      return std::unexpected(unavailable(kOp, added.error()));
    }
    return true;
  });
}

StoreResult<void> PgKeys::set_signing_key_retire_at(std::string_view kid, core::TimePoint at) {
  return db_.update_one("set_signing_key_retire_at",
                        "UPDATE signing_keys SET retire_at = $2 WHERE kid = $1",
                        {text(kid), integer(seconds_of(at))});
}

}  // namespace tessera::store::postgres
