#include "oauth/dpop.h"

#include <algorithm>

#include "core/base64.h"
#include "jose/digest.h"
#include "jose/dpop.h"

namespace tessera::oauth {
namespace {

OAuthError refused(std::string description) {
  return {ErrorCode::kInvalidDpopProof, std::move(description)};
}

// What a nonce seals, with what associated data: no sealed private key opens as a nonce.
constexpr std::string_view kNonceContext = "dpop-nonce";

}  // namespace

DpopNonces::DpopNonces(jose::KeySealer sealer, core::Random& random, const core::Clock& clock)
    : sealer_(std::move(sealer)), random_(random), clock_(clock) {}

std::int64_t DpopNonces::step_now() const {
  return core::unix_seconds(clock_.now()) / kStep.count();
}

std::string DpopNonces::current() const {
  const std::int64_t step = step_now();
  std::lock_guard lock(mutex_);
  if (step != made_step_) {
    auto sealed = sealer_.seal(std::to_string(step), kNonceContext, random_);
    if (!sealed) return made_;  // OpenSSL failing: the last nonce, which may still serve
    made_ = core::base64url_encode(*sealed);
    made_step_ = step;
  }
  return made_;
}

bool DpopNonces::accepts(std::string_view nonce) const {
  if (nonce.size() > 128) return false;
  auto sealed = core::base64url_decode(nonce);
  if (!sealed) return false;
  auto opened = sealer_.open(*sealed, kNonceContext);
  if (!opened) return false;
  const std::int64_t step = step_now();
  return *opened == std::to_string(step) || *opened == std::to_string(step - 1);
}

DpopVerifier::DpopVerifier(store::ReplayStore& replays, std::string issuer,
                           const core::Clock& clock, DpopSettings settings,
                           const DpopNonces* nonces)
    : replays_(replays),
      issuer_(std::move(issuer)),
      clock_(clock),
      settings_(std::move(settings)),
      nonces_(nonces) {
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

std::expected<DpopCheck, OAuthError> DpopVerifier::check(const DpopRequest& request) const {
  auto proof = jose::read_dpop_proof(request.proof, settings_.algorithms);
  if (!proof) return std::unexpected(refused(proof.error()));
  const std::string url = issuer_ + std::string(request.path);
  const jose::DpopContext context{.method = request.method,
                                  .url = url,
                                  .access_token = request.access_token,
                                  .now = core::unix_seconds(clock_.now()),
                                  .max_age = settings_.max_age,
                                  .leeway = settings_.leeway};
  if (auto fits = jose::check_dpop_fit(*proof, context); !fits) {
    return std::unexpected(refused(fits.error()));
  }
  if (nonces_ != nullptr && (!proof->nonce || !nonces_->accepts(*proof->nonce))) {
    return std::unexpected(OAuthError{ErrorCode::kUseDpopNonce,
                                      proof->nonce ? "the nonce is stale; use the one in DPoP-Nonce"
                                                   : "the proof needs the nonce in DPoP-Nonce"});
  }
  // Remembered until it would be refused as too old anyway. The key is per client key, so
  // that one client cannot spend another's jti.
  const auto expires =
      core::TimePoint(std::chrono::seconds(proof->iat)) + settings_.max_age + settings_.leeway * 2;
  std::string key = "dpop:" + core::base64url_encode(jose::sha256(proof->jkt + "\n" + proof->jti));
  return DpopCheck{
      .jkt = std::move(proof->jkt), .replay_key = std::move(key), .remember_until = expires};
}

std::expected<std::string, OAuthError> DpopVerifier::verify(const DpopRequest& request) const {
  auto checked = check(request);
  if (!checked) return std::unexpected(checked.error());
  auto fresh = replays_.use_once(checked->replay_key, checked->remember_until);
  if (!fresh)
    return std::unexpected(
        OAuthError{ErrorCode::kTemporarilyUnavailable, "the database is unavailable"});
  if (!*fresh) return std::unexpected(refused("the proof was used before"));
  return std::move(checked->jkt);
}

}  // namespace tessera::oauth
