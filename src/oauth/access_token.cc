#include "oauth/access_token.h"

#include <boost/json/serialize.hpp>
#include <cmath>
#include <limits>

#include "core/base64.h"
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

namespace {

constexpr std::size_t kJtiTimeBytes = 6;     // milliseconds since 1970: until the year 10889
constexpr std::size_t kJtiRandomBytes = 12;  // 96 random bits: unique within a millisecond

}  // namespace

// The jti is ours to shape (RFC 7519 section 4.1.7: unique, and opaque to everyone else): it
// carries the issue time to the millisecond, where "iat" has whole seconds only, so that a
// revocation of "every token of this user up to now" spares a token issued a moment later
// in the same second (a user enabled again and signing in at once).
std::string make_jti(std::int64_t issued_ms, core::Random& random) {
  std::string bytes(kJtiTimeBytes, '\0');
  for (std::size_t i = 0; i < kJtiTimeBytes; ++i) {
    bytes[kJtiTimeBytes - 1 - i] = static_cast<char>((issued_ms >> (8 * i)) & 0xff);
  }
  bytes += core::random_bytes(random, kJtiRandomBytes);
  return core::base64url_encode(bytes);
}

std::int64_t issued_at_ms(std::string_view jti, std::int64_t iat) {
  // Any other token (an older one, or one minted by another holder of the HS256 secret) is
  // taken as issued at the start of its second: revocations up to that second cover it.
  const std::int64_t start_of_second = iat > std::numeric_limits<std::int64_t>::max() / 1000
                                           ? std::numeric_limits<std::int64_t>::max()
                                           : iat * 1000;
  const auto bytes = core::base64url_decode(jti);
  if (!bytes || bytes->size() != kJtiTimeBytes + kJtiRandomBytes) return start_of_second;
  std::int64_t ms = 0;
  for (std::size_t i = 0; i < kJtiTimeBytes; ++i) {
    ms = ms << 8 | static_cast<unsigned char>((*bytes)[i]);
  }
  // Believed only when it agrees with the signed "iat".
  return ms / 1000 == iat ? ms : start_of_second;
}

std::expected<IssuedToken, jose::Error> AccessTokens::issue(const TokenSubject& subject) const {
  const auto issued = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.now());
  const std::int64_t now = core::unix_seconds(issued);
  std::string jti = make_jti(issued.time_since_epoch().count(), random_);
  json::object claims;
  claims.reserve(8);
  claims["iss"] = settings_.issuer;
  claims["sub"] = subject.subject;
  claims["aud"] = subject.audience.empty() ? settings_.issuer : subject.audience;
  const std::int64_t exp = std::min(now + settings_.ttl.count(),
                                    subject.expires_by.value_or(now + settings_.ttl.count()));
  claims["exp"] = exp;
  claims["iat"] = now;
  claims["jti"] = jti;
  claims["client_id"] = subject.client_id;
  claims["scope"] = format_scope(subject.scope);
  if (!subject.session_id.empty()) claims["sid"] = subject.session_id;
  if (!subject.jkt.empty()) claims["cnf"] = json::object{{"jkt", subject.jkt}};
  if (subject.act) claims["act"] = *subject.act;
  const auto key = keys_.signing_key();
  auto token = jose::sign_compact(*key, "at+jwt", json::serialize(claims));
  if (!token) return std::unexpected(token.error());
  return IssuedToken{.access_token = std::move(*token),
                     .expires_in = std::chrono::seconds(std::max<std::int64_t>(exp - now, 0)),
                     .jti = std::move(jti)};
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
    return b > 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
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
                                                   .issued_ms = token.issued_ms});
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
  // audience, docs/reference.md), as a string or an array of strings.
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
  // RFC 9449 section 6.1: a bound token names its key's thumbprint.
  if (const json::value* cnf = claims->if_contains("cnf")) {
    const json::value* jkt = cnf->is_object() ? cnf->get_object().if_contains("jkt") : nullptr;
    if (jkt == nullptr || !jkt->is_string() || jkt->get_string().empty()) {
      return std::unexpected(jose::Error::kBadClaim);
    }
    verified->jkt = jkt->get_string();
  }
  verified->jti = claims->at("jti").get_string();
  verified->sub = claims->at("sub").get_string();
  verified->client_id = claims->at("client_id").get_string();
  std::int64_t iat = 0;
  if (const json::value* v = claims->if_contains("iat")) iat = jose::numeric_date(*v).value_or(0);
  verified->issued_ms = issued_at_ms(verified->jti, iat);
  // verify_jwt checked exp is a NumericDate; the entry is good until the leeway runs out.
  verified->valid_until =
      saturating_add(*jose::numeric_date(claims->at("exp")), policy_.leeway.count());
  verified->json = json::serialize(*claims);
  verified->claims = std::move(*claims);
  return std::shared_ptr<const VerifiedToken>(std::move(verified));
}

}  // namespace tessera::oauth
