// The server's own hot-path pieces, one thread each: decoding a token request's form body,
// issuing an access token (claims encoded as JSON, then signed: with HS256 the encoding is
// most of the cost, with EdDSA the signature), and the password checks that bound the
// password grant on purpose (argon2id at the default parameters, bcrypt at the seed's cost 12;
// logins per second per core are their inverse), and the store reads of a client whose secret
// is remembered (client_credentials and introspection under load), with and without the
// throttle's lockout check, on SQLite.
//
//   ninja -C build server_bench && ./build/bench/server_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <crypt.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "admin/client_admin.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"
#include "http/form.h"
#include "jose/evp_key.h"
#include "jose/hmac_key.h"
#include "jose/key_source.h"
#include "oauth/access_token.h"
#include "oauth/client_authenticator.h"
#include "oauth/throttle.h"
#include "password/password_hasher.h"
#include "password/secret_cache.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using namespace tessera;

[[noreturn]] void die(std::string_view what) {
  std::fprintf(stderr, "server_bench: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

void parse_form_loop(benchmark::State& state, const std::string& body) {
  for (auto _ : state) {
    auto pairs = http::parse_form(body);
    if (!pairs) die("parse_form failed");
    benchmark::DoNotOptimize(pairs);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}

void BM_ParseTokenRequestForm(benchmark::State& state) {
  parse_form_loop(state,
                  "grant_type=password&username=alice%40example.com"
                  "&password=correct+horse+battery%21"
                  "&scope=openid+profile+finance%3Aread&client_id=web-frontend");
}
BENCHMARK(BM_ParseTokenRequestForm);

// An introspection request's body: one long token (an EdDSA access token is about 330
// characters of base64url and dots) with nothing to unescape.
void BM_ParseIntrospectionForm(benchmark::State& state) {
  std::string body = "token=eyJhbGciOiJFZERTQSIsImtpZCI6IjEyMzQ1Njc4OTAiLCJ0eXAiOiJhdCtqd3QifQ.";
  while (body.size() < 300) body += "eyJzdWIiOiJiZW5jaC1zZXJ2aWNlIiwic2NvcGUiOiJyZWFkIn0";
  body += ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJlLXNpZ25hdHVyZQ";
  parse_form_loop(state, body);
}
BENCHMARK(BM_ParseIntrospectionForm);

template <class Key>
void issue_tokens(benchmark::State& state, std::shared_ptr<Key> key, jose::Algorithm alg) {
  core::SystemClock clock;
  core::SystemRandom random;
  jose::StaticKeySource keys(std::move(key));
  oauth::AccessTokens tokens(keys,
                             {.issuer = "https://auth.example.com",
                              .ttl = std::chrono::seconds(900),
                              .algorithms = {alg},
                              .leeway = std::chrono::seconds(10)},
                             clock, random);
  const oauth::TokenSubject subject{.subject = "alice",
                                    .client_id = "web-frontend",
                                    .audience = "https://api.example.com",
                                    .scope = {"finance:read", "openid", "profile"}};
  for (auto _ : state) {
    auto issued = tokens.issue(subject);
    if (!issued) die("issue failed");
    benchmark::DoNotOptimize(issued);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_IssueAccessToken_HS256(benchmark::State& state) {
  auto key = jose::HmacKey::create("an HS256 secret of at least thirty-two bytes");
  if (!key) die(key.error());
  issue_tokens(state, *key, jose::Algorithm::kHS256);
}
BENCHMARK(BM_IssueAccessToken_HS256);

void BM_IssueAccessToken_EdDSA(benchmark::State& state) {
  auto key = jose::EvpKey::generate(jose::Algorithm::kEdDSA);
  if (!key) die(key.error());
  issue_tokens(state, *key, jose::Algorithm::kEdDSA);
}
BENCHMARK(BM_IssueAccessToken_EdDSA);

void BM_PasswordVerify_Argon2idDefault(benchmark::State& state) {
  core::SystemRandom random;
  const password::PasswordHasher hasher(random);
  const auto stored = hasher.hash("correct horse battery staple");
  if (!stored) die("hash failed");
  for (auto _ : state) {
    auto ok = hasher.verify("correct horse battery staple", *stored);
    if (!ok || !*ok) die("verify failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PasswordVerify_Argon2idDefault)->Unit(benchmark::kMillisecond);

// A bcrypt hash of cost 12, as the seed's passlib makes them, made here by libcrypt.
void BM_PasswordVerify_Bcrypt12(benchmark::State& state) {
  core::SystemRandom random;
  const password::PasswordHasher hasher(random);
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", 12, nullptr, 0, setting, sizeof setting) == nullptr) {
    die("crypt_gensalt_rn failed");
  }
  crypt_data data{};
  const char* hashed = crypt_rn("correct horse battery staple", setting, &data, sizeof data);
  if (hashed == nullptr || hashed[0] == '*') die("crypt_rn failed");
  const std::string stored = hashed;
  for (auto _ : state) {
    auto ok = hasher.verify("correct horse battery staple", stored);
    if (!ok || !*ok) die("verify failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PasswordVerify_Bcrypt12)->Unit(benchmark::kMillisecond);

// ClientAuthenticator::authenticate for a client whose secret is remembered: one client read,
// and with state.range(0) == 1 the throttle's lockout reads (account and address) before it.
void BM_AuthenticateRememberedClient_Sqlite(benchmark::State& state) {
  std::string dir = (std::filesystem::temp_directory_path() / "tessera-bench-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) die("mkdtemp failed");
  core::set_log_level(core::LogLevel::kWarn);
  {
    core::SystemClock clock;
    core::SystemRandom random;
    auto store = store::open_sqlite_store({.path = dir + "/tessera.db"}, clock);
    if (!store) die(store.error());
    const password::PasswordHasher hasher(random,
                                          {.memory_kib = 256, .iterations = 1, .parallelism = 1});
    admin::ClientAdmin admin(**store, hasher, random, clock, std::chrono::seconds(910));
    const std::string secret = "bench-secret-0123456789";
    if (!admin.add({.id = "svc",
                    .is_public = false,
                    .secret = secret,
                    .grants = {"client_credentials"},
                    .scopes = oauth::ScopeSet{"read"},
                    .audience = ""})) {
      die("client add failed");
    }
    password::VerifiedSecretCache cache(clock, random, std::chrono::hours(1));
    const oauth::LoginThrottle throttle((*store)->throttles(), clock);
    const oauth::ClientAuthenticator clients((*store)->clients(), hasher, cache,
                                             state.range(0) != 0 ? &throttle : nullptr);
    const oauth::ClientCredentials basic{
        .method = oauth::ClientCredentials::Method::kSecretBasic, .id = "svc", .secret = secret};
    const auto presented = clients.read(basic, oauth::Parameters());
    if (!presented || !clients.authenticate(*presented, "127.0.0.1")) die("authenticate failed");
    for (auto _ : state) {
      auto client = clients.authenticate(*presented, "127.0.0.1");
      if (!client) die("authenticate failed");
      benchmark::DoNotOptimize(client);
    }
    state.SetItemsProcessed(state.iterations());
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_AuthenticateRememberedClient_Sqlite)->ArgName("throttle")->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
