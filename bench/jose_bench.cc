// Sign and verify throughput of the JOSE module per algorithm, with OpenSSL called directly
// in-process as the baseline, and the codecs every token passes through.
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_TESTS=OFF
//   ninja -C build-bench jose_bench && ./build-bench/bench/jose_bench --benchmark_min_time=1
//
// Each benchmark reports items_per_second: tokens signed or verified (or values encoded,
// decoded, parsed) per second on one thread. The baselines start from an EVP_PKEY already
// loaded and build a fresh EVP_MD_CTX per operation, as a plain OpenSSL caller would; they
// do no JSON, no base64url, and ES256 stays in DER.
#include <benchmark/benchmark.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <boost/json/monotonic_resource.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/base64.h"
#include "core/strict_json.h"
#include "jose/evp_key.h"
#include "jose/hmac_key.h"
#include "jose/jws.h"
#include "jose/signing_key.h"

namespace {

using tessera::jose::Algorithm;

// An access token's claims as Tessera issues them (RFC 9068 section 2.2), 281 bytes.
constexpr std::string_view kClaims =
    R"({"iss":"https://auth.example.com","sub":"user-8c0f5e2a-4b7d-4f7e-9a51-2d3c6b1e9f04",)"
    R"("aud":"https://api.example.com","client_id":"web-frontend",)"
    R"("scope":"openid profile email orders:read orders:write","iat":1764200000,)"
    R"("nbf":1764200000,"exp":1764203600,"jti":"Zk3x9QpL2mN8vR4tY6wB1c"})";

[[noreturn]] void die(std::string_view what) {
  std::fprintf(stderr, "jose_bench: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

// One key per algorithm for the whole run (RSA generation takes a while).
struct Keys {
  std::shared_ptr<tessera::jose::EvpKey> evp[5];
  std::shared_ptr<tessera::jose::HmacKey> hmac;
  std::string hmac_secret = std::string(32, '\x5a');
};

const Keys& keys() {
  static const Keys k = [] {
    Keys made;
    for (const Algorithm alg :
         {Algorithm::kEdDSA, Algorithm::kES256, Algorithm::kRS256, Algorithm::kPS256}) {
      auto key = tessera::jose::EvpKey::generate(alg);
      if (!key) die(key.error());
      made.evp[static_cast<int>(alg)] = *key;
    }
    auto hmac = tessera::jose::HmacKey::create(made.hmac_secret);
    if (!hmac) die(hmac.error());
    made.hmac = *hmac;
    return made;
  }();
  return k;
}

const tessera::jose::SigningKey& signing_key(Algorithm alg) {
  if (alg == Algorithm::kHS256) return *keys().hmac;
  return *keys().evp[static_cast<int>(alg)];
}

std::shared_ptr<const tessera::jose::VerificationKey> verification_key(Algorithm alg) {
  if (alg == Algorithm::kHS256) return keys().hmac;
  return keys().evp[static_cast<int>(alg)];
}

std::string token_for(Algorithm alg) {
  auto token = tessera::jose::sign_compact(signing_key(alg), "at+jwt", kClaims);
  if (!token) die("sign_compact failed");
  return *token;
}

// --- Ours ---------------------------------------------------------------------------------

void BM_SignCompact(benchmark::State& state, Algorithm alg) {
  const tessera::jose::SigningKey& key = signing_key(alg);
  for (auto _ : state) {
    auto token = tessera::jose::sign_compact(key, "at+jwt", kClaims);
    if (!token) {
      state.SkipWithError("sign_compact failed");
      break;
    }
    benchmark::DoNotOptimize(token);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_VerifyCompact(benchmark::State& state, Algorithm alg) {
  tessera::jose::KeySet set;
  set.add(verification_key(alg));
  const std::string token = token_for(alg);
  const Algorithm allowed[] = {alg};
  for (auto _ : state) {
    auto verified = tessera::jose::verify_compact(token, set, allowed);
    if (!verified) {
      state.SkipWithError("verify_compact failed");
      break;
    }
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["token_bytes"] = static_cast<double>(token.size());
}

// Two tokens whose headers differ (typ), in turn: verify_compact's per-thread memo of the last
// header never hits, so this is the cost of decoding and parsing every header.
void BM_VerifyCompactNewHeaderEachTime(benchmark::State& state, Algorithm alg) {
  tessera::jose::KeySet set;
  set.add(verification_key(alg));
  std::string tokens[2];
  for (int i = 0; i < 2; ++i) {
    auto token = tessera::jose::sign_compact(signing_key(alg), i == 0 ? "at+jwt" : "jwt", kClaims);
    if (!token) die("sign_compact failed");
    tokens[i] = *token;
  }
  const Algorithm allowed[] = {alg};
  std::size_t i = 0;
  for (auto _ : state) {
    auto verified = tessera::jose::verify_compact(tokens[i++ & 1], set, allowed);
    if (!verified) {
      state.SkipWithError("verify_compact failed");
      break;
    }
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations());
}

// --- OpenSSL directly ------------------------------------------------------------------------

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};

// The same key as ours, loaded into a plain EVP_PKEY from its PKCS#8.
std::unique_ptr<EVP_PKEY, PkeyFree> raw_pkey(Algorithm alg) {
  auto der = keys().evp[static_cast<int>(alg)]->private_pkcs8();
  if (!der) die(der.error());
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der->size())));
  if (!pkey) die("d2i_AutoPrivateKey failed");
  return pkey;
}

// What a JWS signer hands the primitive: ASCII(BASE64URL(header) '.' BASE64URL(payload)).
std::string signing_input(Algorithm alg) {
  const std::string token = token_for(alg);
  return token.substr(0, token.rfind('.'));
}

bool init(EVP_MD_CTX* ctx, Algorithm alg, EVP_PKEY* pkey, bool sign) {
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = alg == Algorithm::kEdDSA ? nullptr : EVP_sha256();
  const int ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey)
                      : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey);
  if (ok != 1) return false;
  if (alg == Algorithm::kPS256) {
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
  }
  return true;
}

std::string openssl_sign(EVP_PKEY* pkey, Algorithm alg, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || !init(ctx.get(), alg, pkey, true)) return {};
  std::string sig(EVP_PKEY_get_size(pkey), '\0');
  std::size_t n = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return {};
  }
  sig.resize(n);
  return sig;
}

void BM_OpenSslSign(benchmark::State& state, Algorithm alg) {
  const auto pkey = raw_pkey(alg);
  const std::string input = signing_input(alg);
  for (auto _ : state) {
    std::string sig = openssl_sign(pkey.get(), alg, input);
    if (sig.empty()) {
      state.SkipWithError("EVP_DigestSign failed");
      break;
    }
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_OpenSslVerify(benchmark::State& state, Algorithm alg) {
  const auto pkey = raw_pkey(alg);
  const std::string input = signing_input(alg);
  const std::string sig = openssl_sign(pkey.get(), alg, input);  // DER for ES256
  if (sig.empty()) die("EVP_DigestSign failed");
  const auto* sig_bytes = reinterpret_cast<const unsigned char*>(sig.data());
  const auto* in_bytes = reinterpret_cast<const unsigned char*>(input.data());
  for (auto _ : state) {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx || !init(ctx.get(), alg, pkey.get(), false) ||
        EVP_DigestVerify(ctx.get(), sig_bytes, sig.size(), in_bytes, input.size()) != 1) {
      state.SkipWithError("EVP_DigestVerify failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

bool hmac_sha256(std::string_view key, std::string_view input, unsigned char* out) {
  std::size_t n = 0;
  return EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                   reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, 32,
                   &n) != nullptr &&
         n == 32;
}

void BM_OpenSslHmacSign(benchmark::State& state) {
  const std::string input = signing_input(Algorithm::kHS256);
  for (auto _ : state) {
    unsigned char mac[32];
    if (!hmac_sha256(keys().hmac_secret, input, mac)) {
      state.SkipWithError("EVP_Q_mac failed");
      break;
    }
    benchmark::DoNotOptimize(mac);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_OpenSslHmacVerify(benchmark::State& state) {
  const std::string input = signing_input(Algorithm::kHS256);
  unsigned char expected[32];
  if (!hmac_sha256(keys().hmac_secret, input, expected)) die("EVP_Q_mac failed");
  for (auto _ : state) {
    unsigned char mac[32];
    if (!hmac_sha256(keys().hmac_secret, input, mac) || CRYPTO_memcmp(mac, expected, 32) != 0) {
      state.SkipWithError("HMAC mismatch");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// --- Codecs --------------------------------------------------------------------------------

void BM_Base64urlEncode256(benchmark::State& state) {
  std::string bytes(256, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i);
  for (auto _ : state) benchmark::DoNotOptimize(tessera::core::base64url_encode(bytes));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 256);
}

void BM_Base64urlDecode256(benchmark::State& state) {
  std::string bytes(256, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i);
  const std::string text = tessera::core::base64url_encode(bytes);
  for (auto _ : state) {
    auto decoded = tessera::core::base64url_decode(text);
    if (!decoded) {
      state.SkipWithError("base64url_decode failed");
      break;
    }
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 256);
}

void BM_ParseStrictJsonClaims(benchmark::State& state) {
  for (auto _ : state) {
    auto value = tessera::core::parse_strict_json(kClaims);
    if (!value) {
      state.SkipWithError("parse_strict_json failed");
      break;
    }
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kClaims.size()));
}

// As verify_with parses them: the value on a stack buffer, freed all at once.
void BM_ParseStrictJsonClaimsOnStack(benchmark::State& state) {
  for (auto _ : state) {
    alignas(std::max_align_t) unsigned char buffer[4096];
    boost::json::monotonic_resource memory(buffer, sizeof buffer);
    auto value = tessera::core::parse_strict_json(kClaims, {}, &memory);
    if (!value) {
      state.SkipWithError("parse_strict_json failed");
      break;
    }
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kClaims.size()));
}

// The same strict checks, keeping only the top-level members.
void BM_StrictJsonMembersClaims(benchmark::State& state) {
  for (auto _ : state) {
    tessera::core::StrictJsonMembers members;
    if (!members.parse(kClaims)) {
      state.SkipWithError("StrictJsonMembers::parse failed");
      break;
    }
    benchmark::DoNotOptimize(members.find("jti"));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kClaims.size()));
}

}  // namespace

BENCHMARK_CAPTURE(BM_SignCompact, EdDSA, Algorithm::kEdDSA);
BENCHMARK_CAPTURE(BM_OpenSslSign, EdDSA, Algorithm::kEdDSA);
BENCHMARK_CAPTURE(BM_VerifyCompact, EdDSA, Algorithm::kEdDSA);
BENCHMARK_CAPTURE(BM_OpenSslVerify, EdDSA, Algorithm::kEdDSA);
BENCHMARK_CAPTURE(BM_SignCompact, ES256, Algorithm::kES256);
BENCHMARK_CAPTURE(BM_OpenSslSign, ES256, Algorithm::kES256);
BENCHMARK_CAPTURE(BM_VerifyCompact, ES256, Algorithm::kES256);
BENCHMARK_CAPTURE(BM_OpenSslVerify, ES256, Algorithm::kES256);
BENCHMARK_CAPTURE(BM_SignCompact, RS256, Algorithm::kRS256);
BENCHMARK_CAPTURE(BM_OpenSslSign, RS256, Algorithm::kRS256);
BENCHMARK_CAPTURE(BM_VerifyCompact, RS256, Algorithm::kRS256);
BENCHMARK_CAPTURE(BM_OpenSslVerify, RS256, Algorithm::kRS256);
BENCHMARK_CAPTURE(BM_SignCompact, PS256, Algorithm::kPS256);
BENCHMARK_CAPTURE(BM_OpenSslSign, PS256, Algorithm::kPS256);
BENCHMARK_CAPTURE(BM_VerifyCompact, PS256, Algorithm::kPS256);
BENCHMARK_CAPTURE(BM_OpenSslVerify, PS256, Algorithm::kPS256);
BENCHMARK_CAPTURE(BM_SignCompact, HS256, Algorithm::kHS256);
BENCHMARK(BM_OpenSslHmacSign);
BENCHMARK_CAPTURE(BM_VerifyCompact, HS256, Algorithm::kHS256);
BENCHMARK_CAPTURE(BM_VerifyCompactNewHeaderEachTime, HS256, Algorithm::kHS256);
BENCHMARK(BM_OpenSslHmacVerify);
BENCHMARK(BM_Base64urlEncode256);
BENCHMARK(BM_Base64urlDecode256);
BENCHMARK(BM_ParseStrictJsonClaims);
BENCHMARK(BM_ParseStrictJsonClaimsOnStack);
BENCHMARK(BM_StrictJsonMembersClaims);

BENCHMARK_MAIN();
