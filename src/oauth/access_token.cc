#include "oauth/access_token.h"

#include <boost/json/serialize.hpp>

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

}  // namespace

std::expected<json::object, jose::Error> AccessTokens::verify(std::string_view token) const {
  auto claims = verify_claims(token);
  verifications(claims.has_value()).inc();
  return claims;
}

std::expected<json::object, jose::Error> AccessTokens::verify_claims(std::string_view token) const {
  const auto keys = keys_.verification_keys();
  auto claims = jose::verify_jwt(token, *keys, policy_, clock_.now());
  if (!claims) return claims;
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
  std::string_view sid;
  if (const json::value* v = claims->if_contains("sid")) {
    if (!v->is_string()) return std::unexpected(jose::Error::kBadClaim);
    sid = v->get_string();
  }
  if (revoked_ != nullptr && revoked_->contains(claims->at("jti").get_string(), sid)) {
    return std::unexpected(jose::Error::kRevoked);
  }
  return claims;
}

}  // namespace tessera::oauth
