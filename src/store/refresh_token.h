// Refresh tokens as stored: only a hash of the token, never the token. Tokens of one grant
// form a family: each use replaces the token with its successor (rotation), and the whole
// family is revoked at once (reuse of a replaced token, revocation, a user disabled).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace tessera::store {

struct RefreshFamily {
  std::string id;
  std::string client_id;
  std::string subject;  // the user name
  core::TimePoint created_at;
  std::optional<core::TimePoint> revoked_at;
  // The RFC 7638 thumbprint of the DPoP key the family is bound to (a public client's family
  // started with a proof); empty when unbound.
  std::string jkt = {};
  // RFC 8707: the resource its access tokens are for ("aud"); empty: the client's audience.
  std::string resource = {};
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

// An entry of the revocation log that every server instance follows, kept until
// `expires_at`, when every token it covers has expired anyway:
// - kAccessToken: one access token, by its jti (RFC 7009 revocation);
// - kFamily: every access token of a refresh family, by the family id (the tokens' "sid");
// - kSubject: every access token of a user (by "sub") issued at or before `issued_until`
//   (the user was disabled or deleted, or their password changed);
// - kClient: every access token of a client (by "client_id") issued at or before
//   `issued_until` (the client was deleted).
struct Revocation {
  std::int64_t sequence = 0;  // increasing; set by the store
  enum class Kind { kAccessToken, kFamily, kSubject, kClient };
  Kind kind = Kind::kAccessToken;
  std::string value;
  core::TimePoint expires_at;
  core::TimePoint issued_until{};  // kSubject and kClient only
};

// The kind as the stores write it.
constexpr std::string_view revocation_kind_name(Revocation::Kind kind) {
  switch (kind) {
    case Revocation::Kind::kAccessToken: return "jti";
    case Revocation::Kind::kFamily: return "sid";
    case Revocation::Kind::kSubject: return "sub";
    case Revocation::Kind::kClient: return "cid";
  }
  return "jti";
}

constexpr std::optional<Revocation::Kind> parse_revocation_kind(std::string_view name) {
  for (const auto kind : {Revocation::Kind::kAccessToken, Revocation::Kind::kFamily,
                          Revocation::Kind::kSubject, Revocation::Kind::kClient}) {
    if (name == revocation_kind_name(kind)) return kind;
  }
  return std::nullopt;
}

}  // namespace tessera::store
