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
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "jose/algorithm.h"
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

class DpopVerifier {
 public:
  DpopVerifier(store::ReplayStore& replays, std::string issuer, const core::Clock& clock,
               DpopSettings settings = {});

  // The RFC 7638 thumbprint of the key that made the proof; invalid_dpop_proof with the
  // reason otherwise, or temporarily_unavailable when the replay store cannot answer.
  // Blocking: remembering the proof's jti writes to the store.
  std::expected<std::string, OAuthError> verify(const DpopRequest& request) const;

  // The names of the accepted algorithms, for discovery.
  std::vector<std::string> algorithm_names() const;

 private:
  store::ReplayStore& replays_;
  std::string issuer_;
  const core::Clock& clock_;
  DpopSettings settings_;
};

}  // namespace tessera::oauth
