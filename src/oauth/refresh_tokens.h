// Refresh tokens (RFC 6749 sections 1.5 and 6, with the rotation and reuse detection of RFC
// 9700 section 4.14.2): opaque, 256 random bits, stored only as their SHA-256, bound to a
// client, a user and a scope, and replaced on every use. The tokens of one grant form a
// family; presenting a token that was already replaced means it was copied, and revokes the
// family, access tokens included (they carry the family id as "sid").
//
// Unless a grace period forgives it: the answer with the successor may have been lost, or two
// tabs refreshed at once. Within `reuse_grace` after its replacement, the replaced token
// presented again by its own client gets the same successor again and nothing is revoked. The
// successor is not stored to make that possible: it is HMAC-SHA256 of the presented token
// under a key derived from the key-encryption key, so every instance computes the same one,
// and of two racing requests the loser answers with the winner's successor.
//
//   RefreshTokens refresh(store, {.lifetime = 30d, .idle = 7d, .access_token_lifetime = 15m},
//                         clock, random, revoked);
//   auto started = refresh.start(client, "alice", scope);   // with the password grant
//   auto state = refresh.find(presented);                   // with the refresh_token grant
//   auto next = refresh.rotate(*state, presented);
#pragma once

#include <chrono>
#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "jose/hmac_key.h"
#include "oauth/client.h"
#include "oauth/errors.h"
#include "oauth/revocation_list.h"
#include "store/store.h"

namespace tessera::oauth {

struct RefreshSettings {
  // From the first token of a family: TESSERA_REFRESH_TOKEN_TTL.
  std::chrono::seconds lifetime{30 * 24 * 3600};
  // A token unused this long expires, however long its family may live.
  std::chrono::seconds idle{7 * 24 * 3600};
  // How long an access token issued from a family may still be presented after it was
  // issued (TTL plus leeway): a family's revocation is kept in the log that long.
  std::chrono::seconds access_token_lifetime{15 * 60 + 10};
  // TESSERA_REFRESH_REUSE_GRACE; 0 disables it, and so does the lack of a successor key.
  std::chrono::seconds reuse_grace{10};
};

class RefreshTokens {
 public:
  // `successor_key`: the HMAC key that derives successors (jose::KeySealer::derive_key); without
  // one, successors are random and the grace period is off.
  RefreshTokens(store::RefreshTokenStore& store, RefreshSettings settings, const core::Clock& clock,
                core::Random& random, RevocationList& revoked,
                std::shared_ptr<const jose::HmacKey> successor_key = nullptr);

  struct Issued {
    std::string token;
    std::string family_id;
  };

  // A new family for `subject` at `client`, and its first token. A public client's family is
  // bound to `jkt`, the DPoP key the request proved (RFC 9449 section 5), when there is one.
  std::expected<Issued, OAuthError> start(const Client& client, std::string_view subject,
                                          const ScopeSet& scope, std::string_view jkt = {},
                                          std::string_view resource = {}) const;

  // The stored state of a presented token, or invalid_grant when it is unknown (or not even
  // shaped like one of ours).
  std::expected<store::RefreshTokenState, OAuthError> find(std::string_view token) const;

  // Whether the token may be used now: unused, unexpired, family live.
  bool is_active(const store::RefreshTokenState& state) const;

  // Replaces `presented`, which was found active as `used`, by its successor. When another
  // request used it first, the answer is reused()'s.
  std::expected<std::string, OAuthError> rotate(const store::RefreshTokenState& used,
                                                std::string_view presented) const;

  // A token presented again after it was replaced: within the grace period, its successor
  // again; after it, reuse, which revokes the family and answers invalid_grant.
  std::expected<std::string, OAuthError> reused(const store::RefreshTokenState& used,
                                                std::string_view presented) const;

  // Revokes a family and the access tokens issued from it; logs `reason`.
  std::expected<void, OAuthError> revoke_family(std::string_view family_id,
                                                std::string_view reason) const;

  // Ends what a user holds: every live refresh family with the access tokens issued from
  // it, and every other access token issued to them at or before `issued_until`. The
  // revocation reaches the other processes sharing the database within their next sync.
  // Returns how many families were live.
  std::expected<std::size_t, OAuthError> revoke_subject(std::string_view subject,
                                                        core::TimePoint issued_until,
                                                        std::string_view reason) const;

  // The stored form of a token: base64url(SHA-256(token)).
  static std::string hash(std::string_view token);

  const RefreshSettings& settings() const { return settings_; }

 private:
  store::RefreshTokenRecord next_record(std::string_view family_id, const ScopeSet& scope,
                                        core::TimePoint family_created, std::string& token) const;
  // The successor of `presented`: derived when there is a successor key, else random.
  std::string successor_of(std::string_view presented) const;

  store::RefreshTokenStore& store_;
  RefreshSettings settings_;
  const core::Clock& clock_;
  core::Random& random_;
  RevocationList& revoked_;
  std::shared_ptr<const jose::HmacKey> successor_key_;
};

}  // namespace tessera::oauth
