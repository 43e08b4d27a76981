#include "jose/dpop.h"

#include <algorithm>
#include <array>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <memory>
#include <vector>

#include "core/base64.h"
#include "core/strict_json.h"
#include "jose/digest.h"
#include "jose/evp_key.h"
#include "jose/jwt.h"

namespace tessera::jose {
namespace {

namespace json = boost::json;

// JWK members that only a private or symmetric key has (RFC 7518 section 6).
constexpr std::array<std::string_view, 8> kPrivateMembers = {"d",  "p",  "q",   "dp",
                                                             "dq", "qi", "oth", "k"};
// Header members that would point the verifier elsewhere or need extensions we lack.
constexpr std::array<std::string_view, 4> kRefusedHeaders = {"jku", "x5u", "x5c", "crit"};

using Reason = std::unexpected<std::string>;

std::expected<json::object, std::string> decode_object(std::string_view segment,
                                                       std::string_view what) {
  auto bytes = core::base64url_decode(segment);
  if (!bytes) return Reason("the proof's " + std::string(what) + " is not base64url");
  auto value = core::parse_strict_json(*bytes);
  if (!value || !value->is_object()) {
    return Reason("the proof's " + std::string(what) + " is not a JSON object");
  }
  return std::move(value->as_object());
}

bool is_dpop_type(const json::value* typ) {
  if (typ == nullptr || !typ->is_string()) return false;
  std::string lowered(typ->get_string());
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered == "dpop+jwt" || lowered == "application/dpop+jwt";
}

// A proof's key, imported, with the thumbprint of its jwk.
struct ProofKey {
  std::shared_ptr<EvpKey> key;
  std::string jkt;
};

// The key of a proof's jwk. A client signs every proof with the same key, and importing it
// costs a tenth of a signature check for Ed25519 (OpenSSL looks the key type and the signature
// up again each time) and more than a check for a P-256 point (its validation): each thread
// keeps the keys it imported lately. An entry is found by the whole jwk, so that whatever
// member import would refuse is refused the same way.
std::expected<ProofKey, std::string> imported_key(const json::object& jwk, Algorithm alg) {
  struct Cached {
    json::object jwk;
    Algorithm alg;
    ProofKey key;
  };
  constexpr std::size_t kCapacity = 64;
  thread_local std::vector<Cached> cache;
  // "x" tells most keys apart: the whole objects are compared only when it matches.
  const json::value* x = jwk.if_contains("x");
  const auto same_x = [x](const json::object& other) {
    const json::value* y = other.if_contains("x");
    return x == nullptr ? y == nullptr : y != nullptr && *x == *y;
  };
  for (const Cached& c : cache) {
    if (c.alg == alg && same_x(c.jwk) && c.jwk == jwk) return c.key;
  }
  auto key = EvpKey::from_jwk(jwk, alg);
  if (!key) return Reason("the proof's jwk is not usable: " + key.error());
  if ((*key)->algorithm() != alg) return Reason("the proof's jwk is not a key for its alg");
  auto jkt = jwk_thumbprint(jwk);
  if (!jkt) return Reason("the proof's jwk has no thumbprint: " + jkt.error());
  ProofKey imported{std::move(*key), std::move(*jkt)};
  if (cache.size() == kCapacity) cache.erase(cache.begin());
  // Its own copy, in the default memory resource: the parsed header's goes with the request.
  cache.push_back({json::object(jwk, json::storage_ptr()), alg, imported});
  return imported;
}

// The header's algorithm and key, after every rule of section 4.3 items 4 to 7.
std::expected<ProofKey, std::string> header_key(const json::object& header,
                                                std::span<const Algorithm> allowed,
                                                Algorithm& alg) {
  if (!is_dpop_type(header.if_contains("typ"))) return Reason("the proof's typ is not dpop+jwt");
  for (const std::string_view name : kRefusedHeaders) {
    if (header.contains(name)) return Reason("the proof's header has " + std::string(name));
  }
  const auto* alg_value = header.if_contains("alg");
  auto parsed = alg_value != nullptr && alg_value->is_string()
                    ? parse_algorithm(alg_value->get_string())
                    : std::nullopt;
  // RFC 9864 names EdDSA with Ed25519 "Ed25519", as oauth4webapi and openid-client send it.
  if (alg_value != nullptr && alg_value->is_string() && alg_value->get_string() == "Ed25519") {
    parsed = Algorithm::kEdDSA;
  }
  if (!parsed || *parsed == Algorithm::kHS256 ||
      std::find(allowed.begin(), allowed.end(), *parsed) == allowed.end()) {
    return Reason("the proof's alg is not one this server accepts");
  }
  alg = *parsed;
  const auto* jwk = header.if_contains("jwk");
  if (jwk == nullptr || !jwk->is_object()) return Reason("the proof has no jwk");
  for (const std::string_view name : kPrivateMembers) {
    if (jwk->get_object().contains(name)) return Reason("the proof's jwk is not a public key");
  }
  return imported_key(jwk->get_object(), alg);
}

std::optional<std::string> string_claim(const json::object& claims, std::string_view name) {
  const auto* value = claims.if_contains(name);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

std::expected<void, std::string> read_claims(const json::object& claims, DpopProof& proof) {
  auto jti = string_claim(claims, "jti");
  auto htm = string_claim(claims, "htm");
  auto htu = string_claim(claims, "htu");
  const auto* iat = claims.if_contains("iat");
  const auto iat_seconds = iat != nullptr ? numeric_date(*iat) : std::nullopt;
  if (!jti || jti->empty() || jti->size() > kMaxDpopJtiBytes) {
    return Reason("the proof's jti is missing or too long");
  }
  if (!htm || !htu || !iat_seconds) return Reason("the proof lacks htm, htu or iat");
  proof.jti = std::move(*jti);
  proof.htm = std::move(*htm);
  proof.htu = std::move(*htu);
  proof.iat = *iat_seconds;
  if (claims.contains("ath")) {
    proof.ath = string_claim(claims, "ath");
    if (!proof.ath) return Reason("the proof's ath is not a string");
  }
  if (claims.contains("nonce")) {
    proof.nonce = string_claim(claims, "nonce");
    if (!proof.nonce) return Reason("the proof's nonce is not a string");
  }
  return {};
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

std::expected<void, std::string> check_dpop_fit(const DpopProof& proof,
                                                const DpopContext& context) {
  if (proof.htm != context.method) return Reason("the proof's htm is not this method");
  // The request's URL is the same at each request to an endpoint, and a client usually writes
  // htu as that very text: then neither is parsed again.
  thread_local std::string last_url;
  thread_local std::string last_normalized;
  if (context.url != last_url) {
    last_normalized = normalized_htu(context.url);
    last_url = context.url;
  }
  const std::string& expected = last_normalized;
  if (expected.empty() || (proof.htu != context.url && normalized_htu(proof.htu) != expected)) {
    return Reason("the proof's htu is not this URL");
  }
  if (proof.iat > context.now + context.leeway.count()) {
    return Reason("the proof's iat is in the future");
  }
  if (proof.iat < context.now - context.max_age.count() - context.leeway.count()) {
    return Reason("the proof is too old");
  }
  if (!context.access_token.empty()) {
    const std::string ath = core::base64url_encode(sha256(context.access_token));
    if (proof.ath != ath) return Reason("the proof's ath is not this token's");
  }
  return {};
}

std::expected<DpopProof, std::string> read_dpop_proof(std::string_view proof,
                                                      std::span<const Algorithm> allowed) {
  if (proof.size() > kMaxDpopProofBytes) return Reason("the proof is too long");
  const auto first = proof.find('.');
  const auto second = first == std::string_view::npos ? first : proof.find('.', first + 1);
  if (second == std::string_view::npos || proof.find('.', second + 1) != std::string_view::npos) {
    return Reason("the proof is not a compact JWS");
  }
  auto header = decode_object(proof.substr(0, first), "header");
  if (!header) return Reason(header.error());
  DpopProof out;
  auto key = header_key(*header, allowed, out.alg);
  if (!key) return Reason(key.error());
  auto signature = core::base64url_decode(proof.substr(second + 1));
  if (!signature || signature->empty() || !key->key->verify(proof.substr(0, second), *signature)) {
    return Reason("the proof's signature does not verify with its jwk");
  }
  auto claims = decode_object(proof.substr(first + 1, second - first - 1), "payload");
  if (!claims) return Reason(claims.error());
  if (auto read = read_claims(*claims, out); !read) return Reason(read.error());
  out.jkt = std::move(key->jkt);
  return out;
}

}  // namespace tessera::jose
