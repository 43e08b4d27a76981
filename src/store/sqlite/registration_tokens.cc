#include "store/sqlite/tables.h"

namespace tessera::store::sqlite {

StoreResult<void> SqliteRegistrationTokens::add_initial_token(const InitialAccessToken& token) {
  auto added = db_.write("add_initial_token",
                         "INSERT INTO initial_access_tokens (token_hash, expires_at, max_uses) "
                         "VALUES (?1, ?2, ?3)",
                         token.token_hash, seconds_of(token.expires_at), token.max_uses);
  if (!added) return std::unexpected(added.error());
  return {};
}

StoreResult<bool> SqliteRegistrationTokens::use_initial_token(std::string_view token_hash,
                                                              core::TimePoint now) {
  // One statement: of two registrations racing for the last use, one gets it.
  auto used = db_.write("use_initial_token",
                        "UPDATE initial_access_tokens SET uses = uses + 1 "
                        "WHERE token_hash = ?1 AND expires_at > ?2 "
                        "AND (max_uses = 0 OR uses < max_uses)",
                        token_hash, seconds_of(now));
  if (!used) return std::unexpected(used.error());
  return *used == 1;
}

StoreResult<std::size_t> SqliteRegistrationTokens::purge_expired(core::TimePoint now) {
  auto deleted =
      db_.write("purge_initial_tokens", "DELETE FROM initial_access_tokens WHERE expires_at < ?1",
                seconds_of(now));
  if (!deleted) return std::unexpected(deleted.error());
  return static_cast<std::size_t>(*deleted);
}

}  // namespace tessera::store::sqlite
