// DPoP proofs (RFC 9449 section 4), which any client may send to /token, /par and the
// resources: jose::read_dpop_proof and jose::check_dpop_fit on the raw input, and on the input
// signed by the harness (so that headers and claims the fuzzer invents get past the signature
// check), and jose::normalized_htu on the input as a URL.
//
// Properties beyond "no crash": an accepted proof's jkt is the RFC 7638 thumbprint of the jwk
// in its header, and a proof fits a request only for its own normalised htu.
//
// The input "HEADER\nCLAIMS" is signed with RFC 8037 A.1's Ed25519 key, whose public JWK the
// seed corpus puts in the headers (tests/fuzz/make_corpus.py).
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/base64.h"
#include "core/strict_json.h"
#include "fuzz_support.h"
#include "jose/dpop.h"
#include "jose/evp_key.h"

namespace {

using namespace tessera;

constexpr jose::Algorithm kAllowed[] = {jose::Algorithm::kEdDSA, jose::Algorithm::kES256,
                                        jose::Algorithm::kRS256, jose::Algorithm::kPS256};

// tests/data/rfc8037_a.txt (private_jwk).
constexpr std::string_view kEd25519Jwk =
    R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",)"
    R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";

const jose::EvpKey& signer() {
  static const std::shared_ptr<jose::EvpKey> key = [] {
    auto made = jose::EvpKey::from_jwk(boost::json::parse(kEd25519Jwk).as_object());
    if (!made) tessera::fuzz::fail("RFC 8037 A.1 key", made.error());
    return *made;
  }();
  return *key;
}

std::string signed_by(const jose::EvpKey& key, std::string_view header, std::string_view claims) {
  std::string proof = core::base64url_encode(header) + '.' + core::base64url_encode(claims);
  const auto signature = key.sign(proof);
  if (!signature) tessera::fuzz::fail("sign failed", proof);
  return proof + '.' + core::base64url_encode(*signature);
}

void check(std::string_view proof_text) {
  const auto proof = jose::read_dpop_proof(proof_text, kAllowed);
  if (!proof) return;
  // The jkt is the thumbprint of the header's jwk.
  const auto dot = proof_text.find('.');
  const auto header_json = core::base64url_decode(proof_text.substr(0, dot));
  if (!header_json) tessera::fuzz::fail("accepted a proof whose header is not base64url");
  const auto header = core::parse_strict_json(*header_json);
  if (!header || !header->is_object() || !header->as_object().contains("jwk")) {
    tessera::fuzz::fail("accepted a proof without a jwk object", *header_json);
  }
  const auto jkt = jose::jwk_thumbprint(header->as_object().at("jwk").as_object());
  if (!jkt || *jkt != proof->jkt)
    tessera::fuzz::fail("jkt is not the jwk's thumbprint", proof_text);
  // It fits its own htu (when that is a URL) at its own time, and no other URL.
  const std::string htu = jose::normalized_htu(proof->htu);
  const jose::DpopContext own{.method = proof->htm,
                              .url = proof->htu,
                              .access_token = "",
                              .now = proof->iat,
                              .max_age = std::chrono::seconds(60),
                              .leeway = std::chrono::seconds(5)};
  const bool fits = jose::check_dpop_fit(*proof, own).has_value();
  if (!htu.empty() && !fits && !proof->ath) {
    tessera::fuzz::fail("a proof does not fit its own request", proof_text);
  }
  const jose::DpopContext other{.method = proof->htm,
                                .url = "https://elsewhere.fuzz.test/x",
                                .access_token = "",
                                .now = proof->iat,
                                .max_age = std::chrono::seconds(60),
                                .leeway = std::chrono::seconds(5)};
  if (htu != jose::normalized_htu(other.url) && jose::check_dpop_fit(*proof, other)) {
    tessera::fuzz::fail("a proof fits another URL", proof_text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = tessera::fuzz::text(data, size);
  (void)jose::normalized_htu(input);
  check(input);
  const std::size_t newline = input.find('\n');
  if (newline != std::string_view::npos) {
    check(signed_by(signer(), input.substr(0, newline), input.substr(newline + 1)));
  }
  return 0;
}
