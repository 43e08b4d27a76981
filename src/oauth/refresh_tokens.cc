#include "oauth/refresh_tokens.h"

#include <algorithm>

#include "core/base64.h"
#include "core/log.h"
#include "jose/digest.h"

namespace tessera::oauth {
namespace {

constexpr std::size_t kTokenBytes = 32;  // 256 bits
// base64url of 32 bytes: anything else cannot be one of ours, and is not even hashed.
constexpr std::size_t kTokenChars = 43;

OAuthError invalid_grant() { return {ErrorCode::kInvalidGrant, "the refresh token is invalid"}; }

core::TimePoint whole_seconds(core::TimePoint t) {
  return core::TimePoint(std::chrono::seconds(core::unix_seconds(t)));
}

}  // namespace

RefreshTokens::RefreshTokens(store::RefreshTokenStore& store, RefreshSettings settings,
                             const core::Clock& clock, core::Random& random,
                             RevocationList& revoked,
                             std::shared_ptr<const jose::HmacKey> successor_key)
    : store_(store),
      settings_(settings),
      clock_(clock),
      random_(random),
      revoked_(revoked),
      successor_key_(std::move(successor_key)) {}

std::string RefreshTokens::hash(std::string_view token) {
  return core::base64url_encode(jose::sha256(token));
}

std::string RefreshTokens::successor_of(std::string_view presented) const {
  if (successor_key_) {
    if (auto mac = successor_key_->sign(presented); mac && mac->size() == kTokenBytes) {
      return core::base64url_encode(*mac);
    }
  }
  return core::random_token(random_, kTokenBytes);
}

store::RefreshTokenRecord RefreshTokens::next_record(std::string_view family_id,
                                                     const ScopeSet& scope,
                                                     core::TimePoint family_created,
                                                     std::string& token) const {
  if (token.empty()) token = core::random_token(random_, kTokenBytes);
  const core::TimePoint now = whole_seconds(clock_.now());
  const core::TimePoint expires =
      std::min(family_created + settings_.lifetime, now + settings_.idle);
  return store::RefreshTokenRecord{.token_hash = hash(token),
                                   .family_id = std::string(family_id),
                                   .scopes = scope,
                                   .issued_at = now,
                                   .expires_at = expires,
                                   .used_at = std::nullopt};
}

std::expected<RefreshTokens::Issued, OAuthError> RefreshTokens::start(
    const Client& client, std::string_view subject, const ScopeSet& scope, std::string_view jkt,
    std::string_view resource) const {
  const store::RefreshFamily family{.id = core::random_token(random_, 16),
                                    .client_id = client.id,
                                    .subject = std::string(subject),
                                    .created_at = whole_seconds(clock_.now()),
                                    .revoked_at = std::nullopt,
                                    .jkt = client.is_public ? std::string(jkt) : std::string(),
                                    .resource = std::string(resource)};
  Issued issued{.token = {}, .family_id = family.id};
  const store::RefreshTokenRecord first =
      next_record(family.id, scope, family.created_at, issued.token);
  if (!store_.add_refresh_family(family, first)) return std::unexpected(unavailable());
  return issued;
}

std::expected<store::RefreshTokenState, OAuthError> RefreshTokens::find(
    std::string_view token) const {
  if (token.size() != kTokenChars) return std::unexpected(invalid_grant());
  auto state = store_.find_refresh_token(hash(token));
  if (!state) return std::unexpected(unavailable());
  if (!*state) return std::unexpected(invalid_grant());
  return std::move(**state);
}

bool RefreshTokens::is_active(const store::RefreshTokenState& state) const {
  return !state.token.used_at && !state.family.revoked_at && clock_.now() < state.token.expires_at;
}

std::expected<std::string, OAuthError> RefreshTokens::rotate(const store::RefreshTokenState& used,
                                                             std::string_view presented) const {
  std::string token = successor_of(presented);
  const store::RefreshTokenRecord next =
      next_record(used.family.id, used.token.scopes, used.family.created_at, token);
  auto rotated = store_.rotate_refresh_token(used.token.token_hash, next, next.issued_at);
  if (!rotated) return std::unexpected(unavailable());
  if (*rotated) return token;
  // Another request used the same token a moment ago: a retry, or one of the two holds a copy.
  auto now_used = find(presented);
  if (!now_used) return std::unexpected(now_used.error());
  if (now_used->family.revoked_at || !now_used->token.used_at) {
    return std::unexpected(invalid_grant());
  }
  return reused(*now_used, presented);
}

std::expected<std::string, OAuthError> RefreshTokens::reused(const store::RefreshTokenState& used,
                                                             std::string_view presented) const {
  const bool in_grace = successor_key_ && settings_.reuse_grace.count() > 0 && used.token.used_at &&
                        !used.family.revoked_at &&
                        clock_.now() <= *used.token.used_at + settings_.reuse_grace;
  if (in_grace) {
    // The successor is the one stored only if this token was replaced under the same key.
    std::string successor = successor_of(presented);
    auto stored = store_.find_refresh_token(hash(successor));
    if (!stored) return std::unexpected(unavailable());
    if (*stored && (*stored)->family.id == used.family.id) {
      core::audit("refresh_token_retried", {{"family", used.family.id}});
      return successor;
    }
  }
  if (auto revoked = revoke_family(used.family.id, "refresh_token_reused"); !revoked) {
    return std::unexpected(revoked.error());
  }
  return std::unexpected(invalid_grant());
}

std::expected<void, OAuthError> RefreshTokens::revoke_family(std::string_view family_id,
                                                             std::string_view reason) const {
  const core::TimePoint now = clock_.now();
  const core::TimePoint access_tokens_expire = now + settings_.access_token_lifetime;
  auto revoked = store_.revoke_refresh_family(family_id, now, access_tokens_expire);
  if (!revoked) return std::unexpected(unavailable());
  revoked_.note({.kind = store::Revocation::Kind::kFamily,
                 .value = std::string(family_id),
                 .expires_at = access_tokens_expire});
  if (*revoked) {
    core::audit("refresh_family_revoked", {{"family", family_id}, {"reason", reason}});
  }
  return {};
}

std::expected<std::size_t, OAuthError> RefreshTokens::revoke_subject(
    std::string_view subject, core::TimePoint issued_until, std::string_view reason) const {
  const core::TimePoint now = clock_.now();
  const core::TimePoint access_tokens_expire = now + settings_.access_token_lifetime;
  auto revoked = store_.revoke_subject(subject, now, issued_until, access_tokens_expire);
  if (!revoked) return std::unexpected(unavailable());
  revoked_.note({.kind = store::Revocation::Kind::kSubject,
                 .value = std::string(subject),
                 .expires_at = access_tokens_expire,
                 .issued_until = issued_until});
  core::audit("user_tokens_revoked", {{"sub", subject},
                                      {"refresh_families", *revoked},
                                      {"issued_until_ms", core::unix_milliseconds(issued_until)},
                                      {"reason", reason}});
  return *revoked;
}

}  // namespace tessera::oauth
