// DPoP proofs checked against the request they came with (RFC 9449 section 4.3): at the token
// endpoint (section 5) and at the resources this server serves (/userinfo, /users/me,
// section 7). jose::read_dpop_proof checks the proof by itself; this adds what only the
// request tells: the method, the URL, the time, the access token's hash, and that the proof
// was never used before, anywhere (the replay store is the database every instance shares).
//
//   DpopVerifier dpop(store.replays(), issuer, clock);
//   auto jkt = dpop.verify({.proof = header, .method = "POST", .path = "/token"});
//   if (!jkt) return oauth_error_response(jkt.error());   // invalid_dpop_proof
//   subject.jkt = *jkt;                                    // the token's cnf.jkt
//
// Server nonces (section 8), when the operator asks for them: every proof must then carry a
// nonce this server (or another instance sharing its key-encryption key) made within the last
// two steps; a proof without one, or with an older one, is use_dpop_nonce, and each answer to a
// request with a proof carries the current nonce in a DPoP-Nonce header. A nonce is the step's
// start sealed under the KEK (key_seal.h), so instances need no shared state to accept each
// other's and nobody else can make one.
#pragma once

#include <chrono>
#include <expected>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "jose/algorithm.h"
#include "jose/key_seal.h"
#include "oauth/errors.h"
#include "store/store.h"

namespace tessera::oauth {

struct DpopSettings {
  // The proof algorithms accepted (discovery's dpop_signing_alg_values_supported).
  std::vector<jose::Algorithm> algorithms = {jose::Algorithm::kEdDSA, jose::Algorithm::kES256,
                                             jose::Algorithm::kRS256, jose::Algorithm::kPS256};
  // How old a proof's iat may be, and how far ahead of our clock (section 11.1).
  std::chrono::seconds max_age{60};
  std::chrono::seconds leeway{5};
};

struct DpopRequest {
  std::string_view proof;   // the DPoP header's value
  std::string_view method;  // "POST", "GET"
  std::string_view path;    // the request's path, without the query
  // At a resource: the access token the proof must carry the hash of (ath); empty at /token.
  std::string_view access_token = {};
};

class DpopNonces {
 public:
  // A nonce is current for one step and accepted for two (so for 5 to 10 minutes).
  static constexpr std::chrono::seconds kStep{5 * 60};

  DpopNonces(jose::KeySealer sealer, core::Random& random, const core::Clock& clock);

  // The nonce to hand out now (made once per step).
  std::string current() const;
  // Whether `nonce` was made by a holder of the same KEK in this step or the one before.
  bool accepts(std::string_view nonce) const;

 private:
  std::int64_t step_now() const;

  jose::KeySealer sealer_;
  core::Random& random_;
  const core::Clock& clock_;
  mutable std::mutex mutex_;
  mutable std::int64_t made_step_ = -1;
  mutable std::string made_;
};

// A proof that passed every check but the replay one: its key's thumbprint, and the key under
// which its use is remembered, until when (ReplayStore::use_once).
struct DpopCheck {
  std::string jkt;
  std::string replay_key;
  core::TimePoint remember_until;
};

class DpopVerifier {
 public:
  // With `nonces`, every proof must carry a current server nonce (section 8).
  DpopVerifier(store::ReplayStore& replays, std::string issuer, const core::Clock& clock,
               DpopSettings settings = {}, const DpopNonces* nonces = nullptr);

  // The RFC 7638 thumbprint of the key that made the proof; invalid_dpop_proof with the
  // reason otherwise, or temporarily_unavailable when the replay store cannot answer.
  // Blocking: remembering the proof's jti writes to the store.
  std::expected<std::string, OAuthError> verify(const DpopRequest& request) const;

  // verify() without the replay check, which is the caller's, with what check() returns: for
  // a caller that batches the writes of many requests. No I/O.
  std::expected<DpopCheck, OAuthError> check(const DpopRequest& request) const;

  // The names of the accepted algorithms, for discovery.
  std::vector<std::string> algorithm_names() const;

  // The nonce for a DPoP-Nonce header, when nonces are required; empty otherwise.
  std::string nonce() const { return nonces_ == nullptr ? std::string() : nonces_->current(); }

 private:
  store::ReplayStore& replays_;
  std::string issuer_;
  const core::Clock& clock_;
  DpopSettings settings_;
  const DpopNonces* nonces_;
};

}  // namespace tessera::oauth
