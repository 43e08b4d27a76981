#include "oauth/access_token.h"

#include <boost/json/serialize.hpp>

#include <cmath>
#include <limits>

#include "core/metrics.h"
#include "jose/jws.h"

namespace tessera::oauth {

namespace json = boost::json;

AccessTokens::AccessTokens(const jose::KeySource& keys, AccessTokenSettings settings,
                           const core::Clock& clock, core::Random& random,
                           const RevocationList* revoked)
    : keys_(keys),
      settings_(std::move(settings)),
      policy_{.issuer = settings_.issuer,
              .audience = std::nullopt,
              .algorithms = settings_.algorithms,
              .typ = "at+jwt",
              .leeway = settings_.leeway},
      clock_(clock),
      random_(random),
      revoked_(revoked) {}

std::expected<IssuedToken, jose::Error> AccessTokens::issue(const TokenSubject& subject) const {
  const std::int64_t now = core::unix_seconds(clock_.now());
  std::string jti = core::random_token(random_, 16);
  json::object claims;
  claims.reserve(8);
  claims["iss"] = settings_.issuer;
  claims["sub"] = subject.subject;
  claims["aud"] = subject.audience.empty() ? settings_.issuer : subject.audience;
  claims["exp"] = now + settings_.ttl.count();
  claims["iat"] = now;
  claims["jti"] = jti;
  claims["client_id"] = subject.client_id;
  claims["scope"] = format_scope(subject.scope);
  if (!subject.session_id.empty()) claims["sid"] = subject.session_id;
  const auto key = keys_.signing_key();
  auto token = jose::sign_compact(*key, "at+jwt", json::serialize(claims));
  if (!token) return std::unexpected(token.error());
  return IssuedToken{
      .access_token = std::move(*token), .expires_in = settings_.ttl, .jti = std::move(jti)};
}

namespace {

core::Counter& verifications(bool valid) {
  static core::Counter& ok = core::metrics().counter(
      "tessera_token_verifications_total", "Access tokens checked by Tessera's own endpoints",
      {{"result", "valid"}});
  static core::Counter& refused = core::metrics().counter(
      "tessera_token_verifications_total", "Access tokens checked by Tessera's own endpoints",
      {{"result", "invalid"}});
  return valid ? ok : refused;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  }
  return sum;
}

// Signature checks actually run (tokens not found in the verified-token cache).
core::Counter& signature_checks() {
  static core::Counter& checks = core::metrics().counter(
      "tessera_token_signature_checks_total",
      "Access-token signatures checked (the rest were found in the verified-token cache)");
  return checks;
}

}  // namespace

std::expected<json::object, jose::Error> AccessTokens::verify(std::string_view token) const {
  auto verified = verify_shared(token);
  if (!verified) return std::unexpected(verified.error());
  return (*verified)->claims;
}

std::expected<std::shared_ptr<const VerifiedToken>, jose::Error> AccessTokens::verify_shared(
    std::string_view token) const {
  const auto keys = keys_.verification_keys();
  const std::int64_t now = core::unix_seconds(clock_.now());
  std::shared_ptr<const VerifiedToken> verified = cache_.find(token, now, keys);
  if (!verified) {
    signature_checks().inc();
    auto fresh = verify_claims(token, keys);
    if (!fresh) {
      verifications(false).inc();
      return std::unexpected(fresh.error());
    }
    verified = std::move(*fresh);
    cache_.insert(token, verified, keys);
  }
  // Revocation can come at any time: checked on every use, cached or not.
  if (is_revoked(*verified)) {
    verifications(false).inc();
    return std::unexpected(jose::Error::kRevoked);
  }
  verifications(true).inc();
  return verified;
}

bool AccessTokens::is_revoked(const VerifiedToken& token) const {
  return revoked_ != nullptr && revoked_->revokes({.jti = token.jti,
                                                   .sid = token.sid,
                                                   .sub = token.sub,
                                                   .client_id = token.client_id,
                                                   .iat = token.iat});
}

std::expected<std::shared_ptr<const VerifiedToken>, jose::Error> AccessTokens::verify_claims(
    std::string_view token, const std::shared_ptr<const jose::KeySet>& keys) const {
  auto claims = jose::verify_jwt(token, *keys, policy_, clock_.now());
  if (!claims) return std::unexpected(claims.error());
  for (const std::string_view name : {"sub", "client_id", "jti"}) {
    const json::value* v = claims->if_contains(name);
    if (v == nullptr) return std::unexpected(jose::Error::kMissingClaim);
    if (!v->is_string()) return std::unexpected(jose::Error::kBadClaim);
  }
  // RFC 9068 section 2.2: "aud" is required, whatever its value (our own endpoints accept any
  // audience, CONTRACT.md), as a string or an array of strings.
  const json::value* aud = claims->if_contains("aud");
  if (aud == nullptr) return std::unexpected(jose::Error::kMissingClaim);
  if (!aud->is_string() && !aud->is_array()) return std::unexpected(jose::Error::kBadClaim);
  if (aud->is_array()) {
    for (const json::value& item : aud->get_array()) {
      if (!item.is_string()) return std::unexpected(jose::Error::kBadClaim);
    }
  }
  auto verified = std::make_shared<VerifiedToken>();
  if (const json::value* v = claims->if_contains("sid")) {
    if (!v->is_string()) return std::unexpected(jose::Error::kBadClaim);
    verified->sid = v->get_string();
  }
  verified->jti = claims->at("jti").get_string();
  verified->sub = claims->at("sub").get_string();
  verified->client_id = claims->at("client_id").get_string();
  if (const json::value* iat = claims->if_contains("iat")) {
    verified->iat = jose::numeric_date(*iat).value_or(0);
  }
  // verify_jwt checked exp is a NumericDate; the entry is good until the leeway runs out.
  verified->valid_until = saturating_add(*jose::numeric_date(claims->at("exp")), policy_.leeway.count());
  verified->json = json::serialize(*claims);
  verified->claims = std::move(*claims);
  return std::shared_ptr<const VerifiedToken>(std::move(verified));
}

}  // namespace tessera::oauth
