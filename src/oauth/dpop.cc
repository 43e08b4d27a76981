#include "oauth/dpop.h"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "core/base64.h"
#include "jose/digest.h"
#include "jose/dpop.h"

namespace tessera::oauth {
namespace {

OAuthError refused(std::string description) {
  return {ErrorCode::kInvalidDpopProof, std::move(description)};
}

}  // namespace

std::string normalized_htu(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return {};
  boost::urls::url u(*parsed);
  u.normalize();
  const std::string scheme(u.scheme());
  if (scheme != "http" && scheme != "https") return {};
  if ((scheme == "http" && u.port() == "80") || (scheme == "https" && u.port() == "443")) {
    u.remove_port();
  }
  u.remove_query();
  u.remove_fragment();
  u.remove_userinfo();
  if (u.encoded_path().empty()) u.set_encoded_path("/");
  return std::string(u.buffer());
}

DpopVerifier::DpopVerifier(store::ReplayStore& replays, std::string issuer,
                           const core::Clock& clock, DpopSettings settings)
    : replays_(replays), issuer_(std::move(issuer)), clock_(clock), settings_(std::move(settings)) {
  while (!issuer_.empty() && issuer_.back() == '/') issuer_.pop_back();
}

std::vector<std::string> DpopVerifier::algorithm_names() const {
  std::vector<std::string> names;
  for (const auto alg : settings_.algorithms) {
    names.emplace_back(jose::name(alg));
    // The fully-specified name of RFC 9864 section 2.2, accepted as EdDSA with Ed25519.
    if (alg == jose::Algorithm::kEdDSA) names.emplace_back("Ed25519");
  }
  return names;
}

std::expected<void, OAuthError> DpopVerifier::fits_request(const DpopRequest& request,
                                                           std::string_view htm,
                                                           std::string_view htu,
                                                           std::int64_t iat) const {
  if (htm != request.method) return std::unexpected(refused("the proof's htm is not this method"));
  const std::string expected = normalized_htu(issuer_ + std::string(request.path));
  if (expected.empty() || normalized_htu(htu) != expected) {
    return std::unexpected(refused("the proof's htu is not this URL"));
  }
  const std::int64_t now = core::unix_seconds(clock_.now());
  if (iat > now + settings_.leeway.count()) {
    return std::unexpected(refused("the proof's iat is in the future"));
  }
  if (iat < now - settings_.max_age.count() - settings_.leeway.count()) {
    return std::unexpected(refused("the proof is too old"));
  }
  return {};
}

std::expected<std::string, OAuthError> DpopVerifier::verify(const DpopRequest& request) const {
  auto proof = jose::read_dpop_proof(request.proof, settings_.algorithms);
  if (!proof) return std::unexpected(refused(proof.error()));
  if (auto fits = fits_request(request, proof->htm, proof->htu, proof->iat); !fits) {
    return std::unexpected(fits.error());
  }
  if (!request.access_token.empty()) {
    const std::string ath = core::base64url_encode(jose::sha256(request.access_token));
    if (proof->ath != ath) return std::unexpected(refused("the proof's ath is not this token's"));
  }
  // Remembered until it would be refused as too old anyway. The key is per client key, so
  // that one client cannot spend another's jti.
  const auto expires =
      core::TimePoint(std::chrono::seconds(proof->iat)) + settings_.max_age + settings_.leeway * 2;
  const std::string key =
      "dpop:" + core::base64url_encode(jose::sha256(proof->jkt + "\n" + proof->jti));
  auto fresh = replays_.use_once(key, expires);
  if (!fresh)
    return std::unexpected(
        OAuthError{ErrorCode::kTemporarilyUnavailable, "the database is unavailable"});
  if (!*fresh) return std::unexpected(refused("the proof was used before"));
  return std::move(proof->jkt);
}

}  // namespace tessera::oauth
