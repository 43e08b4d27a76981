#include "store/postgres/tables.h"

namespace tessera::store::postgres {

StoreResult<void> PgRegistrationTokens::add_initial_token(const InitialAccessToken& token) {
  return done(db_.query(
      "add_initial_token",
      "INSERT INTO initial_access_tokens (token_hash, expires_at, max_uses) "
      "VALUES ($1, $2, $3)",
      {text(token.token_hash), integer(seconds_of(token.expires_at)), integer(token.max_uses)}));
}

StoreResult<bool> PgRegistrationTokens::use_initial_token(std::string_view token_hash,
                                                          core::TimePoint now) {
  // One statement: of two registrations racing for the last use, one gets it.
  auto r = db_.query("use_initial_token",
                     "UPDATE initial_access_tokens SET uses = uses + 1 "
                     "WHERE token_hash = $1 AND expires_at > $2 "
                     "AND (max_uses = 0 OR uses < max_uses)",
                     {text(token_hash), integer(seconds_of(now))});
  if (!r) return std::unexpected(r.error());
  return r->affected() == 1;
}

StoreResult<std::size_t> PgRegistrationTokens::purge_expired(core::TimePoint now) {
  auto r =
      db_.query("purge_initial_tokens", "DELETE FROM initial_access_tokens WHERE expires_at < $1",
                {integer(seconds_of(now))});
  if (!r) return std::unexpected(r.error());
  return static_cast<std::size_t>(r->affected());
}

}  // namespace tessera::store::postgres
