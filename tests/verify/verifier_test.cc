// tessera::Verifier: options, discovery, the cached JWKS and its background thread, against a
// JWKS server inside the test. Nothing here sleeps to wait for something: each test polls for
// the state it expects with a generous deadline, and the only durations it asserts are lower
// bounds (a refetch that came too soon) or the documented bound on destruction.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tessera/verify.h"
#include "verify/verify_test_support.h"

namespace tessera {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using test::Algorithm;
using test::eventually;
using test::FailsWith;
using test::RefusedWith;
using test::Succeeds;

constexpr std::string_view kAudience = "finance-api";

// A port on 127.0.0.1 that nothing listens on (it was free a moment ago).
std::uint16_t closed_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

class VerifierTest : public testing::Test {
 protected:
  // Options for the test server's issuer; fetches time out after a second.
  VerifierOptions options() const {
    VerifierOptions o{.issuer = server_.base_url(), .audience = std::string(kAudience)};
    o.fetch_timeout = 1s;
    return o;
  }

  std::unique_ptr<Verifier> create(VerifierOptions o) {
    auto made = Verifier::create(std::move(o));
    EXPECT_TRUE(test::Accepted(made));
    return made ? std::move(*made) : nullptr;
  }

  // A token the server's issuer would issue now, signed by `key`.
  std::string token(const jose::EvpKey& key) const {
    return test::sign(key, test::access_claims(server_.base_url(), kAudience, test::unix_now()));
  }

  // A token naming a kid the issuer never published (signed by `key`).
  std::string token_with_kid(const jose::EvpKey& key, std::string kid) const {
    json::object header = test::header_of(key);
    header["kid"] = std::move(kid);
    return test::sign(key, header,
                      test::access_claims(server_.base_url(), kAudience, test::unix_now()));
  }

  // Declared first, destroyed last: verifiers are destroyed while it still answers.
  test::JwksServer server_;
};

// --- create() -------------------------------------------------------------------------------

TEST(VerifierCreate, RefusesAnIssuerThatIsNotAnHttpUrl) {
  for (const char* issuer : {"ftp://auth.example.com", "auth.example.com", "", "http://"}) {
    EXPECT_TRUE(RefusedWith(Verifier::create({.issuer = issuer}),
                            "the issuer must be an http(s) URL, not '" + std::string(issuer) + "'"))
        << issuer;
  }
}

TEST(VerifierCreate, RefusesAJwksUriThatIsNotAnHttpUrl) {
  EXPECT_TRUE(RefusedWith(
      Verifier::create({.issuer = "https://auth.example.com", .jwks_uri = "file:///etc/jwks"}),
      "jwks_uri must be an http(s) URL, not 'file:///etc/jwks'"));
}

// A JWKS fetched in clear text for an https issuer would let anyone on the path plant a key.
TEST(VerifierCreate, RefusesAPlainHttpJwksUriForAnHttpsIssuer) {
  EXPECT_TRUE(RefusedWith(Verifier::create({.issuer = "https://auth.example.com",
                                            .jwks_uri = "http://auth.example.com/jwks"}),
                          "jwks_uri must be https when the issuer is, not "
                          "'http://auth.example.com/jwks'"));
  // An http issuer (development on loopback) may name an http JWKS.
  EXPECT_TRUE(Verifier::create({.issuer = "http://127.0.0.1:9",
                                .jwks_uri = "http://127.0.0.1:9/jwks",
                                .fetch_timeout = std::chrono::seconds(1)})
                  .has_value());
}

TEST(VerifierCreate, RefusesHS256) {
  EXPECT_TRUE(RefusedWith(
      Verifier::create({.issuer = "https://auth.example.com", .algorithms = {"EdDSA", "HS256"}}),
      "HS256 needs a shared secret and cannot be verified from a JWKS"));
}

TEST(VerifierCreate, RefusesAnUnknownAlgorithmOrNone) {
  EXPECT_TRUE(
      RefusedWith(Verifier::create({.issuer = "https://auth.example.com", .algorithms = {"none"}}),
                  "'none' is not a supported algorithm"));
  EXPECT_TRUE(
      RefusedWith(Verifier::create({.issuer = "https://auth.example.com", .algorithms = {}}),
                  "at least one algorithm must be allowed"));
}

TEST(VerifierCreate, RefusesCacheBoundsThatAreZeroOrInverted) {
  const std::string_view reason = "the JWKS cache bounds must satisfy 0 < min_cache <= max_cache";
  EXPECT_TRUE(RefusedWith(Verifier::create({.issuer = "https://auth.example.com", .min_cache = 0s}),
                          reason));
  EXPECT_TRUE(RefusedWith(
      Verifier::create({.issuer = "https://auth.example.com", .min_cache = -5s}), reason));
  EXPECT_TRUE(RefusedWith(
      Verifier::create({.issuer = "https://auth.example.com", .min_cache = 60s, .max_cache = 59s}),
      reason));
}

// --- the first fetch ------------------------------------------------------------------------

TEST_F(VerifierTest, FindsTheJwksThroughDiscoveryThenVerifiesEachAlgorithm) {
  server_.set_jwks(
      test::jwks({&test::key_for(Algorithm::kEdDSA), &test::key_for(Algorithm::kES256),
                  &test::key_for(Algorithm::kRS256), &test::key_for(Algorithm::kPS256)}));
  const auto verifier = create(options());
  ASSERT_TRUE(verifier);
  ASSERT_TRUE(verifier->wait_for_keys(test::kPatience));
  for (const Algorithm alg : test::kAsymmetric) {
    const auto claims = verifier->verify(token(test::key_for(alg)));
    ASSERT_TRUE(Succeeds(claims)) << jose::name(alg);
    EXPECT_EQ(claims->subject(), "alice");
    EXPECT_EQ(claims->issuer(), server_.base_url());
  }
  EXPECT_EQ(verifier->key_count(), 4u);
  EXPECT_EQ(verifier->last_error(), std::nullopt);
  EXPECT_EQ(server_.metadata_requests(), 1);
  EXPECT_EQ(server_.jwks_requests(), 1);
}

TEST_F(VerifierTest, SendsTheHostHeaderWithThePort) {
  // RFC 9110 section 7.2: Host is the target URI's authority, port included.
  const auto verifier = create(options());
  ASSERT_TRUE(verifier->wait_for_keys(test::kPatience));
  EXPECT_EQ(server_.last_host_header(), "127.0.0.1:" + std::to_string(server_.port()));
}

TEST_F(VerifierTest, AGivenJwksUriSkipsDiscovery) {
  server_.set_jwks(test::jwks({&test::key_for(Algorithm::kEdDSA)}));
  VerifierOptions o = options();
  o.jwks_uri = server_.jwks_url();
  const auto verifier = create(o);
  ASSERT_TRUE(verifier->wait_for_keys(test::kPatience));
  EXPECT_TRUE(Succeeds(verifier->verify(token(test::key_for(Algorithm::kEdDSA)))));
  EXPECT_EQ(server_.metadata_requests(), 0);
  EXPECT_EQ(server_.jwks_requests(), 1);
}

TEST_F(VerifierTest, VerifyAnswersKeysUnavailableWhileTheFirstFetchIsPending) {
  server_.hang();
  const auto verifier = create(options());
  ASSERT_TRUE(eventually([&] { return server_.requests() >= 1; }));
  EXPECT_TRUE(FailsWith(verifier->verify(token(test::key_for(Algorithm::kEdDSA))),
                        VerifyError::kKeysUnavailable));
  EXPECT_TRUE(FailsWith(verifier->verify("not even a token"), VerifyError::kKeysUnavailable));
  EXPECT_EQ(verifier->key_count(), 0u);
  EXPECT_FALSE(verifier->wait_for_keys(20ms));
  // The exchange times out (fetch_timeout 1 s) and says so.
  ASSERT_TRUE(eventually([&] { return verifier->last_error().has_value(); }));
  EXPECT_TRUE(verifier->last_error()->starts_with("GET " + server_.metadata_url() + ": "))
      << *verifier->last_error();
  EXPECT_TRUE(FailsWith(verifier->verify(token(test::key_for(Algorithm::kEdDSA))),
                        VerifyError::kKeysUnavailable));
}

TEST_F(VerifierTest, AnIssuerThatRefusesConnectionsLeavesNoKeysAndSaysWhy) {
  const std::string issuer = "http://127.0.0.1:" + std::to_string(closed_port());
  VerifierOptions o = options();
  o.issuer = issuer;
  const auto verifier = create(o);
  ASSERT_TRUE(eventually([&] { return verifier->last_error().has_value(); }));
  EXPECT_TRUE(verifier->last_error()->starts_with("GET " + issuer +
                                                  "/.well-known/oauth-authorization-server: "))
      << *verifier->last_error();
  EXPECT_FALSE(verifier->wait_for_keys(0ms));
  EXPECT_TRUE(FailsWith(verifier->verify(token(test::key_for(Algorithm::kEdDSA))),
                        VerifyError::kKeysUnavailable));
}

TEST_F(VerifierTest, MetadataNamingAnotherIssuerIsRefused) {
  // RFC 8414 section 3.3: the metadata's issuer must be the one it was fetched for.
  server_.set_metadata(R"({"issuer":"http://evil.example","jwks_uri":")" + server_.jwks_url() +
                       R"("})");
  server_.set_jwks(test::jwks({&test::key_for(Algorithm::kEdDSA)}));
  const auto verifier = create(options());
  ASSERT_TRUE(eventually([&] { return verifier->last_error().has_value(); }));
  EXPECT_EQ(verifier->last_error(), server_.metadata_url() + ": names issuer http://evil.example");
  EXPECT_EQ(verifier->key_count(), 0u);
  EXPECT_EQ(server_.jwks_requests(), 0);
  EXPECT_TRUE(FailsWith(verifier->verify(token(test::key_for(Algorithm::kEdDSA))),
                        VerifyError::kKeysUnavailable));
}

TEST_F(VerifierTest, MetadataWithoutAJwksUriIsRefused) {
  server_.set_metadata(R"({"issuer":")" + server_.base_url() + R"("})");
  const auto verifier = create(options());
  ASSERT_TRUE(eventually([&] { return verifier->last_error().has_value(); }));
  EXPECT_EQ(verifier->last_error(), server_.metadata_url() + ": not authorization server metadata");
}

TEST_F(VerifierTest, MetadataWithAJwksUriThatIsNotHttpIsRefused) {
  server_.set_metadata(R"({"issuer":")" + server_.base_url() +
                       R"(","jwks_uri":"file:///etc/passwd"})");
  const auto verifier = create(options());
  ASSERT_TRUE(eventually([&] { return verifier->last_error().has_value(); }));
  EXPECT_EQ(verifier->last_error(), server_.metadata_url() + ": jwks_uri is not an http(s) URL");
}

TEST_F(VerifierTest, AJwksAnswerThatIsNotOkIsAnError) {
  server_.set_jwks(R"({"error":"oops"})", std::nullopt, 500);
  const auto verifier = create(options());
  ASSERT_TRUE(eventually([&] { return verifier->last_error().has_value(); }));
  EXPECT_EQ(verifier->last_error(), "GET " + server_.jwks_url() + ": status 500");
  EXPECT_EQ(verifier->key_count(), 0u);
}

TEST_F(VerifierTest, AJwksThatIsNotAJwksIsAnError) {
  server_.set_jwks(R"({"kty":"OKP"})");
  const auto verifier = create(options());
  ASSERT_TRUE(eventually([&] { return verifier->last_error().has_value(); }));
  EXPECT_EQ(verifier->last_error(), server_.jwks_url() + ": the JWKS has no \"keys\" array");
  EXPECT_EQ(verifier->key_count(), 0u);
}

TEST_F(VerifierTest, KeyCountCountsTheUsableKeysOnly) {
  json::object encryption = test::key_for(Algorithm::kES256).public_jwk();
  encryption["use"] = "enc";
  const json::object doc{
      {"keys", json::array{test::key_for(Algorithm::kEdDSA).public_jwk(),
                           test::key_for(Algorithm::kRS256).public_jwk(), encryption}}};
  server_.set_jwks(json::serialize(doc));
  const auto verifier = create(options());
  ASSERT_TRUE(verifier->wait_for_keys(test::kPatience));
  EXPECT_EQ(verifier->key_count(), 2u);
}

// --- keeping the cache ----------------------------------------------------------------------

TEST_F(VerifierTest, PicksUpARotatedJwksWhenItsMaxAgeRunsOut) {
  const auto old_key = test::fresh_key(Algorithm::kEdDSA);
  const auto new_key = test::fresh_key(Algorithm::kEdDSA);
  server_.set_jwks(test::jwks({old_key.get()}), 1);
  VerifierOptions o = options();
  o.min_cache = 1s;
  o.min_refetch_interval = 3600s;  // so only the max-age can bring the new key
  const auto verifier = create(o);
  ASSERT_TRUE(verifier->wait_for_keys(test::kPatience));
  EXPECT_TRUE(Succeeds(verifier->verify(token(*old_key))));
  EXPECT_TRUE(FailsWith(verifier->verify(token(*new_key)), VerifyError::kUnknownKey));

  server_.set_jwks(test::jwks({new_key.get()}), 1);
  EXPECT_TRUE(eventually([&] { return verifier->verify(token(*new_key)).has_value(); }));
  EXPECT_TRUE(FailsWith(verifier->verify(token(*old_key)), VerifyError::kUnknownKey));
  EXPECT_EQ(server_.metadata_requests(), 1);  // the jwks_uri found once is kept
}

TEST_F(VerifierTest, AMaxAgeBelowMinCacheIsRaisedToIt) {
  server_.set_jwks(test::jwks({&test::key_for(Algorithm::kEdDSA)}), 0);
  VerifierOptions o = options();
  o.min_cache = 1s;
  const auto verifier = create(o);
  ASSERT_TRUE(eventually([&] { return server_.jwks_requests() >= 3; }));
  const auto times = server_.jwks_request_times();
  for (std::size_t i = 1; i < times.size(); ++i) {
    // The verifier waits min_cache from the start of one fetch to the next; the requests
    // arrive with their own jitter, hence the margin.
    EXPECT_GE(times[i] - times[i - 1], 800ms) << "fetch " << i;
  }
}

TEST_F(VerifierTest, AMaxAgeAboveMaxCacheIsLoweredToIt) {
  server_.set_jwks(test::jwks({&test::key_for(Algorithm::kEdDSA)}), 86400);
  VerifierOptions o = options();
  o.min_cache = 1s;
  o.max_cache = 1s;
  const auto verifier = create(o);
  EXPECT_TRUE(eventually([&] { return server_.jwks_requests() >= 2; }));
}

TEST_F(VerifierTest, AJwksWithoutCacheControlIsKeptForMaxCache) {
  server_.set_jwks(test::jwks({&test::key_for(Algorithm::kEdDSA)}));
  VerifierOptions o = options();
  o.min_cache = 1s;
  o.max_cache = 1s;
  const auto verifier = create(o);
  EXPECT_TRUE(eventually([&] { return server_.jwks_requests() >= 2; }));
}

TEST_F(VerifierTest, AnUnknownKidBringsARotatedKeyBeforeTheMaxAgeRunsOut) {
  const auto old_key = test::fresh_key(Algorithm::kEdDSA);
  const auto new_key = test::fresh_key(Algorithm::kEdDSA);
  server_.set_jwks(test::jwks({old_key.get()}), 86400);
  VerifierOptions o = options();
  o.min_refetch_interval = 1s;
  const auto verifier = create(o);
  ASSERT_TRUE(verifier->wait_for_keys(test::kPatience));
  server_.set_jwks(test::jwks({old_key.get(), new_key.get()}), 86400);
  // The first call answers at once, without waiting for the network.
  EXPECT_TRUE(FailsWith(verifier->verify(token(*new_key)), VerifyError::kUnknownKey));
  EXPECT_TRUE(eventually([&] { return verifier->verify(token(*new_key)).has_value(); }));
  EXPECT_TRUE(Succeeds(verifier->verify(token(*old_key))));
  EXPECT_EQ(verifier->key_count(), 2u);
}

TEST_F(VerifierTest, UnknownKidsRefetchAtMostOncePerMinRefetchInterval) {
  server_.set_jwks(test::jwks({&test::key_for(Algorithm::kEdDSA)}), 86400);
  VerifierOptions o = options();
  o.min_refetch_interval = 1s;
  const auto verifier = create(o);
  ASSERT_TRUE(verifier->wait_for_keys(test::kPatience));
  ASSERT_EQ(server_.jwks_requests(), 1);
  const jose::EvpKey& key = test::key_for(Algorithm::kEdDSA);
  int forged = 0;
  const auto send_forged_kid = [&] {
    EXPECT_TRUE(
        FailsWith(verifier->verify(token_with_kid(key, "forged-" + std::to_string(forged++))),
                  VerifyError::kUnknownKey));
  };
  // A burst of 50 right after the first fetch: one refetch, a min_refetch_interval later.
  for (int i = 0; i < 50; ++i) send_forged_kid();
  ASSERT_TRUE(eventually([&] { return server_.jwks_requests() >= 2; }));
  // Then a stream of them, for as long as it takes the verifier to look twice more.
  ASSERT_TRUE(eventually([&] {
    for (int i = 0; i < 10; ++i) send_forged_kid();
    return server_.jwks_requests() >= 4;
  }));
  const auto times = server_.jwks_request_times();
  for (std::size_t i = 1; i < times.size(); ++i) {
    // The verifier waits min_refetch_interval from the start of one fetch to the next; the
    // requests arrive with their own jitter, hence the margin.
    EXPECT_GE(times[i] - times[i - 1], 800ms)
        << "fetch " << i << " after " << forged << " forged kids";
  }
  EXPECT_GT(forged, 100);
}

TEST_F(VerifierTest, KeepsVerifyingWithTheCachedKeysWhenTheIssuerIsGone) {
  server_.set_jwks(test::jwks({&test::key_for(Algorithm::kEdDSA)}), 1);
  VerifierOptions o = options();
  o.min_cache = 1s;
  o.min_refetch_interval = 1s;
  const auto verifier = create(o);
  ASSERT_TRUE(verifier->wait_for_keys(test::kPatience));
  const std::string valid = token(test::key_for(Algorithm::kEdDSA));
  ASSERT_TRUE(Succeeds(verifier->verify(valid)));

  server_.stop_listening();
  ASSERT_TRUE(eventually([&] { return verifier->last_error().has_value(); }));
  EXPECT_TRUE(verifier->last_error()->starts_with("GET " + server_.jwks_url() + ": "))
      << *verifier->last_error();
  EXPECT_TRUE(Succeeds(verifier->verify(valid)));
  EXPECT_EQ(verifier->key_count(), 1u);
  EXPECT_TRUE(verifier->wait_for_keys(0ms));
  // An unknown kid meanwhile is still just an unknown key.
  EXPECT_TRUE(FailsWith(verifier->verify(token(*test::fresh_key(Algorithm::kEdDSA))),
                        VerifyError::kUnknownKey));
}

TEST_F(VerifierTest, ManyThreadsVerifyWhileTheKeysAreRefetched) {
  server_.set_jwks(
      test::jwks({&test::key_for(Algorithm::kEdDSA), &test::key_for(Algorithm::kES256)}), 0);
  VerifierOptions o = options();
  o.min_cache = 1s;
  const auto verifier = create(o);
  ASSERT_TRUE(verifier->wait_for_keys(test::kPatience));
  const std::string tokens[] = {token(test::key_for(Algorithm::kEdDSA)),
                                token(test::key_for(Algorithm::kES256))};
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      while (!done.load()) {
        if (!verifier->verify(tokens[t % 2])) failures.fetch_add(1);
      }
    });
  }
  const bool refetched = eventually([&] { return server_.jwks_requests() >= 3; });
  done.store(true);
  for (std::thread& thread : threads) thread.join();
  EXPECT_TRUE(refetched);
  EXPECT_EQ(failures.load(), 0);
}

// --- destruction ------------------------------------------------------------------------------

TEST_F(VerifierTest, DestructionDuringAFetchReturnsWithinTheFetchTimeout) {
  server_.hang();
  VerifierOptions o = options();
  o.fetch_timeout = 2s;
  auto verifier = create(o);
  ASSERT_TRUE(eventually([&] { return server_.requests() >= 1; }));
  const auto start = std::chrono::steady_clock::now();
  verifier.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, o.fetch_timeout + 1s);
}

TEST_F(VerifierTest, DestructionWhileIdleReturnsAtOnce) {
  server_.set_jwks(test::jwks({&test::key_for(Algorithm::kEdDSA)}), 86400);
  auto verifier = create(options());
  ASSERT_TRUE(verifier->wait_for_keys(test::kPatience));
  // The thread waits on a condition variable for a day; destruction wakes it.
  const auto start = std::chrono::steady_clock::now();
  verifier.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// A service configured with only its resource URL (RFC 9728) takes tokens for that URL and
// refuses tokens for any other service: an empty audience is not "any audience" then.
TEST_F(VerifierTest, AResourceWithoutAnAudienceAcceptsOnlyTokensForTheResource) {
  server_.set_jwks(test::jwks({&test::key_for(Algorithm::kEdDSA)}));
  VerifierOptions o = options();
  o.audience.clear();
  o.resource = "https://finance.example.com";
  auto verifier = create(std::move(o));
  ASSERT_TRUE(verifier->wait_for_keys(test::kPatience));
  const jose::EvpKey& key = test::key_for(Algorithm::kEdDSA);
  const auto now = test::unix_now();
  EXPECT_TRUE(Succeeds(verifier->verify(test::sign(
      key, test::access_claims(server_.base_url(), "https://finance.example.com", now)))));
  EXPECT_TRUE(FailsWith(
      verifier->verify(test::sign(key, test::access_claims(server_.base_url(), kAudience, now))),
      VerifyError::kWrongAudience));
}

}  // namespace
}  // namespace tessera
