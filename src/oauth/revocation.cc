#include "oauth/revocation.h"

#include <algorithm>

#include "core/log.h"
#include "jose/jwt.h"

namespace tessera::oauth {

std::expected<void, OAuthError> Revocation::revoke(std::string_view token,
                                                   const Client& client) const {
  if (token.find('.') == std::string_view::npos) {
    auto state = refresh_.find(token);
    if (!state) {
      if (state.error().code == ErrorCode::kTemporarilyUnavailable)
        return std::unexpected(state.error());
      return {};
    }
    if (state->family.client_id != client.id) return {};
    return refresh_.revoke_family(state->family.id, "revoked_by_client");
  }
  auto claims = access_.verify(token);
  // Expired, already revoked, not ours: nothing left to revoke.
  if (!claims) return {};
  if (claims->at("client_id").get_string() != client.id) return {};
  const std::string jti(claims->at("jti").get_string());
  // verify() checked exp is a NumericDate (in the seed's HS256 mode others may mint tokens,
  // so it may have a fraction).
  // Clamped to the year 9999, which a time_point in nanoseconds can hold.
  constexpr std::int64_t kLastSecondOf9999 = 253'402'300'799;
  const std::int64_t exp = std::min(*jose::numeric_date(claims->at("exp")), kLastSecondOf9999);
  // Kept while any verifier would still take the token: until exp plus the leeway.
  const core::TimePoint expires =
      core::TimePoint(std::chrono::seconds(exp) + access_.settings().leeway);
  if (!store_.revoke_access_token(jti, expires)) {
    return std::unexpected(unavailable());
  }
  revoked_.note(
      {.kind = store::Revocation::Kind::kAccessToken, .value = jti, .expires_at = expires});
  core::audit("access_token_revoked", {{"jti", jti}, {"client_id", client.id}});
  return {};
}

}  // namespace tessera::oauth
