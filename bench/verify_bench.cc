// Verifications per second of tessera::verify, the resource servers' library, per algorithm:
// the pure tessera::verify() against a KeySet, and Verifier::verify() against the keys it
// fetched (once, before the loop) from a JWKS served in-process. The JWS layer alone
// (jose::verify_compact: split, base64url, header, key lookup, signature) is the baseline, so
// what the claims checks and the Claims object cost shows.
//
//   cmake -S . -B build-vbench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_TESTS=OFF
//   ninja -C build-vbench verify_bench && ./build-vbench/bench/verify_bench --benchmark_min_time=1
//
// Each benchmark reports items_per_second: tokens verified per second on one thread.
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/base64.h"
#include "jose/digest.h"
#include "jose/evp_key.h"
#include "jose/jwks.h"
#include "jose/jws.h"
#include "tessera/verify.h"

namespace {

using tessera::jose::Algorithm;

constexpr Algorithm kAlgorithms[] = {Algorithm::kEdDSA, Algorithm::kES256, Algorithm::kRS256,
                                     Algorithm::kPS256};
constexpr std::string_view kAudience = "https://api.example.com";
constexpr std::string_view kPureIssuer = "https://auth.example.com";
constexpr std::int64_t kPureNow = 1'764'200'060;

[[noreturn]] void die(std::string_view what) {
  std::fprintf(stderr, "verify_bench: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

// An access token's claims as Tessera issues them (RFC 9068 section 2.2), issued at `iat` for
// an hour; about 280 bytes.
std::string claims(std::string_view issuer, std::int64_t iat) {
  return R"({"iss":")" + std::string(issuer) +
         R"(","sub":"user-8c0f5e2a-4b7d-4f7e-9a51-2d3c6b1e9f04","aud":")" + std::string(kAudience) +
         R"(","client_id":"web-frontend","scope":"openid profile email orders:read orders:write",)"
         R"("iat":)" +
         std::to_string(iat) + R"(,"nbf":)" + std::to_string(iat) + R"(,"exp":)" +
         std::to_string(iat + 3600) + R"(,"jti":"Zk3x9QpL2mN8vR4tY6wB1c"})";
}

// One key per algorithm for the whole run, published together as a verifier sees them.
struct Keys {
  std::vector<std::shared_ptr<const tessera::jose::EvpKey>> list;
  std::string jwks;
};

const Keys& keys() {
  static const Keys k = [] {
    Keys made;
    for (const Algorithm alg : kAlgorithms) {
      auto key = tessera::jose::EvpKey::generate(alg);
      if (!key) die(key.error());
      made.list.push_back(*key);
    }
    made.jwks = boost::json::serialize(tessera::jose::jwks_document(made.list));
    return made;
  }();
  return k;
}

const tessera::jose::EvpKey& key_for(Algorithm alg) {
  for (const auto& key : keys().list) {
    if (key->algorithm() == alg) return *key;
  }
  die("no key");
}

std::string token(Algorithm alg, std::string_view issuer, std::int64_t iat) {
  auto signed_token = tessera::jose::sign_compact(key_for(alg), "at+jwt", claims(issuer, iat));
  if (!signed_token) die("sign_compact failed");
  return *signed_token;
}

// --- the pure check ---------------------------------------------------------------------------

void BM_Verify(benchmark::State& state, Algorithm alg) {
  auto set = tessera::KeySet::from_jwks(keys().jwks);
  if (!set) die(set.error());
  const tessera::VerifyPolicy policy{.issuer = std::string(kPureIssuer),
                                     .audience = std::string(kAudience)};
  const std::string t = token(alg, kPureIssuer, kPureNow - 60);
  const std::chrono::system_clock::time_point now{std::chrono::seconds{kPureNow}};
  for (auto _ : state) {
    auto claims = tessera::verify(t, *set, policy, now);
    if (!claims) {
      state.SkipWithError(std::string(tessera::to_string(claims.error())).c_str());
      break;
    }
    benchmark::DoNotOptimize(claims);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["token_bytes"] = static_cast<double>(t.size());
}

// The JWS layer only: what verify() adds on top is the claims' JSON and checks.
void BM_JoseVerifyCompact(benchmark::State& state, Algorithm alg) {
  tessera::jose::KeySet set;
  for (const auto& key : keys().list) set.add(key);
  const std::string t = token(alg, kPureIssuer, kPureNow - 60);
  const Algorithm allowed[] = {Algorithm::kEdDSA, Algorithm::kES256, Algorithm::kRS256,
                               Algorithm::kPS256};
  for (auto _ : state) {
    auto verified = tessera::jose::verify_compact(t, set, allowed);
    if (!verified) {
      state.SkipWithError("verify_compact failed");
      break;
    }
    benchmark::DoNotOptimize(verified);
  }
  state.SetItemsProcessed(state.iterations());
}

// --- the Verifier, keys cached ----------------------------------------------------------------

// Serves the JWKS once, on 127.0.0.1, to the one Verifier of the run.
class OneShotJwksServer {
 public:
  OneShotJwksServer() : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotJwksServer() { thread_.join(); }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/jwks";
  }

 private:
  void serve() {
    namespace http = boost::beast::http;
    boost::asio::ip::tcp::socket socket(ioc_);
    acceptor_.accept(socket);
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(socket, buffer, req);
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "max-age=86400");
    res.keep_alive(false);
    res.body() = keys().jwks;
    res.prepare_payload();
    http::write(socket, res);
  }

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

// An http issuer: the keys come from a local http server, which an https issuer would refuse.
constexpr std::string_view kVerifierIssuer = "http://auth.example.com";

const tessera::Verifier& verifier() {
  static const std::unique_ptr<tessera::Verifier> v = [] {
    OneShotJwksServer server;
    auto made = tessera::Verifier::create({.issuer = std::string(kVerifierIssuer),
                                           .audience = std::string(kAudience),
                                           .jwks_uri = server.url()});
    if (!made) die(made.error());
    if (!(*made)->wait_for_keys(std::chrono::seconds(10))) die("no keys from the JWKS server");
    return std::move(*made);
  }();
  return *v;
}

void BM_VerifierVerify(benchmark::State& state, Algorithm alg) {
  const tessera::Verifier& v = verifier();
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const std::string t = token(alg, kVerifierIssuer, now - 60);
  for (auto _ : state) {
    auto claims = v.verify(t);
    if (!claims) {
      state.SkipWithError(std::string(tessera::to_string(claims.error())).c_str());
      break;
    }
    benchmark::DoNotOptimize(claims);
  }
  state.SetItemsProcessed(state.iterations());
}

// --- DPoP-bound tokens (RFC 9449 section 7) ---------------------------------------------------

constexpr std::string_view kResourceUrl = "https://api.example.com/orders/42";

// A token bound to `client` (cnf.jkt), signed by the issuer's key of `alg`.
std::string bound_token(Algorithm alg, const tessera::jose::EvpKey& client, std::string_view issuer,
                        std::int64_t iat) {
  std::string payload = claims(issuer, iat);
  payload.pop_back();
  payload +=
      R"(,"cnf":{"jkt":")" + tessera::jose::jwk_thumbprint(client.public_jwk()).value() + R"("}})";
  auto signed_token = tessera::jose::sign_compact(key_for(alg), "at+jwt", payload);
  if (!signed_token) die("sign_compact failed");
  return *signed_token;
}

// A proof by `client` for GET kResourceUrl with `token`, made at `iat`, numbered `n`.
std::string proof(const tessera::jose::EvpKey& client, std::string_view token, std::int64_t iat,
                  std::size_t n) {
  boost::json::object jwk = client.public_jwk();
  jwk.erase("kid");
  jwk.erase("use");
  const boost::json::object header{
      {"typ", "dpop+jwt"}, {"alg", tessera::jose::name(client.algorithm())}, {"jwk", jwk}};
  const boost::json::object payload{
      {"jti", "proof-" + std::to_string(n)},
      {"htm", "GET"},
      {"htu", kResourceUrl},
      {"iat", iat},
      {"ath", tessera::core::base64url_encode(tessera::jose::sha256(token))}};
  const std::string input = tessera::core::base64url_encode(boost::json::serialize(header)) + "." +
                            tessera::core::base64url_encode(boost::json::serialize(payload));
  auto signature = client.sign(input);
  if (!signature) die("proof signing failed");
  return input + "." + tessera::core::base64url_encode(*signature);
}

std::shared_ptr<tessera::jose::EvpKey> client_key(Algorithm alg) {
  auto key = tessera::jose::EvpKey::generate(alg);
  if (!key) die(key.error());
  return *key;
}

// The pure check of a bound token and its proof: two signature checks, the proof's key
// imported from its header, its claims checked against the request. One proof, checked again
// and again: the pure function keeps no replay cache (Verifier::verify_dpop does, below).
void BM_VerifyDpop(benchmark::State& state, Algorithm alg) {
  auto set = tessera::KeySet::from_jwks(keys().jwks);
  if (!set) die(set.error());
  const tessera::VerifyPolicy policy{.issuer = std::string(kPureIssuer),
                                     .audience = std::string(kAudience)};
  const auto client = client_key(alg);
  const std::string t = bound_token(alg, *client, kPureIssuer, kPureNow - 60);
  const std::string p = proof(*client, t, kPureNow, 0);
  const std::chrono::system_clock::time_point now{std::chrono::seconds{kPureNow}};
  for (auto _ : state) {
    auto claims = tessera::verify_dpop(t, {.proof = p, .method = "GET", .url = kResourceUrl}, *set,
                                       policy, now);
    if (!claims) {
      state.SkipWithError(std::string(tessera::to_string(claims.error())).c_str());
      break;
    }
    benchmark::DoNotOptimize(claims);
  }
  state.SetItemsProcessed(state.iterations());
}

// The Verifier's check, replay cache included: each iteration a proof never seen before, made
// ahead of the timed loop (kProofs of them, so the run is that many iterations).
constexpr std::size_t kProofs = 20'000;

void BM_VerifierVerifyDpop(benchmark::State& state, Algorithm alg) {
  const tessera::Verifier& v = verifier();
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const auto client = client_key(alg);
  const std::string t = bound_token(alg, *client, kVerifierIssuer, now - 60);
  std::vector<std::string> proofs;
  proofs.reserve(kProofs);
  for (std::size_t i = 0; i < kProofs; ++i) proofs.push_back(proof(*client, t, now, i));
  std::size_t next = 0;
  for (auto _ : state) {
    auto claims =
        v.verify_dpop(t, {.proof = proofs[next++ % kProofs], .method = "GET", .url = kResourceUrl});
    if (!claims) {
      state.SkipWithError(std::string(tessera::to_string(claims.error())).c_str());
      break;
    }
    benchmark::DoNotOptimize(claims);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK_CAPTURE(BM_VerifyDpop, EdDSA, Algorithm::kEdDSA);
BENCHMARK_CAPTURE(BM_VerifyDpop, ES256, Algorithm::kES256);
BENCHMARK_CAPTURE(BM_VerifierVerifyDpop, EdDSA, Algorithm::kEdDSA)->Iterations(kProofs);
BENCHMARK_CAPTURE(BM_VerifierVerifyDpop, ES256, Algorithm::kES256)->Iterations(kProofs);
BENCHMARK_CAPTURE(BM_Verify, EdDSA, Algorithm::kEdDSA);
BENCHMARK_CAPTURE(BM_VerifierVerify, EdDSA, Algorithm::kEdDSA);
BENCHMARK_CAPTURE(BM_JoseVerifyCompact, EdDSA, Algorithm::kEdDSA);
BENCHMARK_CAPTURE(BM_Verify, ES256, Algorithm::kES256);
BENCHMARK_CAPTURE(BM_VerifierVerify, ES256, Algorithm::kES256);
BENCHMARK_CAPTURE(BM_JoseVerifyCompact, ES256, Algorithm::kES256);
BENCHMARK_CAPTURE(BM_Verify, RS256, Algorithm::kRS256);
BENCHMARK_CAPTURE(BM_VerifierVerify, RS256, Algorithm::kRS256);
BENCHMARK_CAPTURE(BM_JoseVerifyCompact, RS256, Algorithm::kRS256);
BENCHMARK_CAPTURE(BM_Verify, PS256, Algorithm::kPS256);
BENCHMARK_CAPTURE(BM_VerifierVerify, PS256, Algorithm::kPS256);
BENCHMARK_CAPTURE(BM_JoseVerifyCompact, PS256, Algorithm::kPS256);
// One Verifier shared by two threads (the machine's two cores): items_per_second is their sum.
BENCHMARK_CAPTURE(BM_VerifierVerify, EdDSA, Algorithm::kEdDSA)->Threads(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_VerifierVerify, RS256, Algorithm::kRS256)->Threads(2)->UseRealTime();

BENCHMARK_MAIN();
