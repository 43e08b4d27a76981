// The JWT path of every request that carries a token: jose::verify_compact and
// jose::verify_jwt on the raw input, and on the input signed by the harness (so that headers
// and claims the fuzzer invents get past the signature check); base64url and strict JSON,
// which they use, on the raw input.
//
// Properties beyond "no crash": base64url has one encoding per byte string, and whatever
// sign_compact signs, verify_compact accepts and gives back unchanged.
//
// The keys are fixed, so that a finding replays: RFC 7515 A.1's HMAC key and RFC 8037 A.1's
// Ed25519 key (their RFC tokens are in the seed corpus and verify), plus ES256, RS256 and
// PS256 keys generated once, whose signature checks the fuzzer exercises without passing.
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/base64.h"
#include "core/clock.h"
#include "core/strict_json.h"
#include "fuzz_support.h"
#include "jose/algorithm.h"
#include "jose/evp_key.h"
#include "jose/hmac_key.h"
#include "jose/jws.h"
#include "jose/jwt.h"
#include "jose/signing_key.h"

namespace {

using namespace tessera;

constexpr jose::Algorithm kAll[] = {jose::Algorithm::kHS256, jose::Algorithm::kEdDSA,
                                    jose::Algorithm::kES256, jose::Algorithm::kRS256,
                                    jose::Algorithm::kPS256};

// tests/data/rfc7515_a1.txt (key_k) and tests/data/rfc8037_a.txt (private_jwk).
constexpr std::string_view kHmacKeyB64 =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
constexpr std::string_view kEd25519Jwk =
    R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",)"
    R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";

struct Keys {
  std::shared_ptr<jose::HmacKey> hmac;
  std::shared_ptr<jose::EvpKey> ed25519;
  jose::KeySet set;
  jose::JwtPolicy policy;
};

template <class T>
T must(T result, std::string_view what) {
  if (!result) tessera::fuzz::fail(what);
  return result;
}

const Keys& keys() {
  static const Keys* const keys = [] {
    auto* k = new Keys;
    const auto secret = must(core::base64url_decode(kHmacKeyB64), "RFC 7515 A.1 key");
    k->hmac = *must(jose::HmacKey::create(*secret), "HmacKey::create");
    k->ed25519 = *must(jose::EvpKey::from_jwk(boost::json::parse(kEd25519Jwk).as_object()),
                       "RFC 8037 A.1 key");
    k->set.add(k->hmac);
    k->set.add(k->ed25519);
    for (const auto alg :
         {jose::Algorithm::kES256, jose::Algorithm::kRS256, jose::Algorithm::kPS256}) {
      k->set.add(*must(jose::EvpKey::generate(alg), "EvpKey::generate"));
    }
    k->policy = {.issuer = "https://issuer.example",
                 .audience = "api",
                 .algorithms = {std::begin(kAll), std::end(kAll)},
                 .typ = "at+jwt",
                 .leeway = std::chrono::seconds(10)};
    return k;
  }();
  return *keys;
}

// 2023-11-14T22:13:20Z, the time of the tokens in the corpus.
const core::TimePoint kNow = std::chrono::sys_seconds{std::chrono::seconds{1700000000}};

// header '.' payload, each base64url-encoded, and the signature of `key` over it.
std::string signed_by(const jose::SigningKey& key, std::string_view header,
                      std::string_view payload) {
  std::string token = core::base64url_encode(header) + '.' + core::base64url_encode(payload);
  const auto signature = key.sign(token);
  if (!signature) tessera::fuzz::fail("sign failed", token);
  return token + '.' + core::base64url_encode(*signature);
}

void round_trip(const jose::SigningKey& key, std::string_view payload) {
  const auto token = jose::sign_compact(key, "at+jwt", payload);
  if (!token) tessera::fuzz::fail("sign_compact failed", payload);
  if (payload.empty() || token->size() > jose::kMaxTokenBytes) return;
  const auto verified = jose::verify_compact(*token, keys().set, kAll);
  if (!verified) tessera::fuzz::fail("verify_compact refused what sign_compact made", *token);
  if (verified->payload() != payload)
    tessera::fuzz::fail("payload changed in a round trip", *token);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = tessera::fuzz::text(data, size);
  const Keys& k = keys();

  {
    char buffer[4096];
    const auto into = core::base64url_decode_into(input.substr(0, 4096), buffer);
    const auto whole = core::base64url_decode(input.substr(0, 4096));
    if (into.has_value() != whole.has_value() || (whole && *into != *whole)) {
      tessera::fuzz::fail("base64url_decode_into and base64url_decode disagree", input);
    }
  }
  if (const auto decoded = core::base64url_decode(input)) {
    if (core::base64url_encode(*decoded) != input) {
      tessera::fuzz::fail("base64url: two encodings of one byte string", input);
    }
  }
  (void)core::parse_strict_json(input);

  // The input as a token.
  (void)jose::verify_compact(input, k.set, kAll);
  (void)jose::verify_jwt(input, k.set, k.policy, kNow);

  // The input as "header JSON \n payload", signed here.
  const std::size_t newline = input.find('\n');
  if (newline != std::string_view::npos) {
    const std::string_view header = input.substr(0, newline);
    const std::string_view payload = input.substr(newline + 1);
    (void)jose::verify_jwt(signed_by(*k.hmac, header, payload), k.set, k.policy, kNow);
    (void)jose::verify_jwt(signed_by(*k.ed25519, header, payload), k.set, k.policy, kNow);
  }

  // The input as a payload, through sign_compact and back.
  round_trip(*k.hmac, input);
  round_trip(*k.ed25519, input);
  return 0;
}
