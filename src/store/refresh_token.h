// Refresh tokens as stored: only a hash of the token, never the token. Tokens of one grant
// form a family: each use replaces the token with its successor (rotation), and the whole
// family is revoked at once (reuse of a replaced token, revocation, a user disabled).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"

namespace tessera::store {

struct RefreshFamily {
  std::string id;
  std::string client_id;
  std::string subject;  // the user name
  core::TimePoint created_at;
  std::optional<core::TimePoint> revoked_at;
};

struct RefreshTokenRecord {
  std::string token_hash;  // base64url SHA-256 of the token
  std::string family_id;
  std::vector<std::string> scopes;  // as granted with the family, sorted
  core::TimePoint issued_at;
  core::TimePoint expires_at;
  std::optional<core::TimePoint> used_at;  // set when it was exchanged for its successor
};

// A token with its family, as a lookup returns it.
struct RefreshTokenState {
  RefreshTokenRecord token;
  RefreshFamily family;
};

// An entry of the revocation log that every server instance follows: an access token (by
// jti) or every access token of a refresh family (by the family id, the tokens' "sid"),
// kept until `expires_at`, when every token it covers has expired anyway.
struct Revocation {
  std::int64_t sequence = 0;  // increasing; set by the store
  enum class Kind { kAccessToken, kFamily };
  Kind kind = Kind::kAccessToken;
  std::string value;
  core::TimePoint expires_at;
};

}  // namespace tessera::store
