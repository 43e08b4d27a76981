// The composition root's pure parts: the settings every component gets, derived once from the
// configuration, and one round of the server's periodic work.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "app/maintenance.h"
#include "app/settings.h"
#include "oauth/oauth_test_support.h"

namespace tessera::app {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(DeriveSettings, AddsTheLeewayToTheAccessTokenTtlOnceForEveryConsumer) {
  config::Config config;
  config.access_token_ttl = minutes(5);
  const Settings s = derive_settings(config);
  EXPECT_EQ(s.access_token_lifetime, minutes(5) + kTokenLeeway);
  EXPECT_EQ(s.access_tokens.ttl, minutes(5));
  EXPECT_EQ(s.access_tokens.leeway, kTokenLeeway);
  EXPECT_EQ(s.refresh.access_token_lifetime, s.access_token_lifetime);
  EXPECT_EQ(s.keys.token_lifetime, s.access_token_lifetime);
}

TEST(DeriveSettings, RefreshTokensIdleForAWeekOrTheirLifetimeIfShorter) {
  config::Config config;
  EXPECT_EQ(derive_settings(config).refresh.idle, hours(7 * 24));
  config.refresh_token_ttl = hours(24);
  EXPECT_EQ(derive_settings(config).refresh.idle, hours(24));
  EXPECT_EQ(derive_settings(config).refresh.lifetime, hours(24));
}

TEST(DeriveSettings, TheJwksMaxAgeIsHalfThePublishDelayFromOneSecondToFiveMinutes) {
  config::Config config;
  using Case = std::pair<seconds, seconds>;
  for (const auto& [delay, age] : {Case{minutes(10), seconds(300)}, Case{minutes(4), seconds(120)},
                                   Case{seconds(4), seconds(2)}, Case{seconds(1), seconds(1)}}) {
    config.key_publish_delay = delay;
    EXPECT_EQ(derive_settings(config).jwks_max_age, age) << delay.count();
  }
}

TEST(DeriveSettings, TheHs256ModeAcceptsHs256AloneAndRotatesToEdDsaOnRequestOnly) {
  config::Config config;
  config.signing_alg = jose::Algorithm::kHS256;
  const Settings hs = derive_settings(config);
  EXPECT_EQ(hs.access_tokens.algorithms, std::vector<jose::Algorithm>{jose::Algorithm::kHS256});
  EXPECT_EQ(hs.algorithm_names, std::vector<std::string>{"HS256"});
  EXPECT_EQ(hs.keys.algorithm, jose::Algorithm::kEdDSA);
  config.signing_alg = jose::Algorithm::kES256;
  const Settings es = derive_settings(config);
  EXPECT_EQ(es.access_tokens.algorithms.size(), 4u);
  EXPECT_EQ(es.keys.algorithm, jose::Algorithm::kES256);
}

TEST(DeriveSettings, TheServerGetsTheTrustedProxiesAndTheConnectionCap) {
  config::Config config;
  config.trusted_proxies = {"127.0.0.1", "::1"};
  config.max_connections_per_address = 7;
  const Settings s = derive_settings(config);
  ASSERT_EQ(s.server.trusted_proxies.size(), 2u);
  EXPECT_EQ(s.server.trusted_proxies[1].to_string(), "::1");
  EXPECT_EQ(s.server.max_connections_per_address, 7u);
  EXPECT_GE(s.pools.credential_threads, 1u);
}

// A revocation logged by another process reaches this one in a round; a purge round deletes
// what has expired.
TEST(Maintenance, ARoundFollowsTheRevocationLogAndAPurgeRoundDeletesExpiredEntries) {
  test::OAuthWorld world;
  boost::asio::io_context ioc;
  http::WorkerPool pool(1, 4);
  Maintenance maintenance(ioc, pool,
                          {.keys = nullptr,
                           .id_token_keys = nullptr,
                           .revocations = world.revoked,
                           .store = *world.store,
                           .clock = world.clock},
                          MaintenanceSettings{});
  auto issued =
      world.tokens.issue({.subject = "alice", .client_id = "default", .audience = "", .scope = {}});
  ASSERT_TRUE(issued.has_value());
  ASSERT_TRUE(world.store->revocations()
                  .revoke_access_token(issued->jti, world.clock.now() + minutes(1))
                  .has_value());
  EXPECT_TRUE(world.tokens.verify(issued->access_token).has_value()) << "not yet followed";
  maintenance.run_once(/*purge=*/false);
  EXPECT_EQ(world.tokens.verify(issued->access_token).error(), jose::Error::kRevoked);

  world.clock.advance(minutes(2));
  maintenance.run_once(/*purge=*/true);
  auto left = world.store->revocations().revocations_since(0, world.clock.now() - hours(1));
  ASSERT_TRUE(left.has_value());
  EXPECT_TRUE(left->empty());
}

}  // namespace
}  // namespace tessera::app
