// What each component is given, derived once from the configuration: every value computed from
// a setting (a leeway added, a max-age halved, a pool sized) is computed here, so that each
// value has one home and the components take plain settings structs.
//
//   const app::Settings settings = app::derive_settings(config);
//   oauth::RefreshTokens refresh(store.refresh_tokens(), settings.refresh, clock, random, revoked);
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "config/config.h"
#include "http/server.h"
#include "keys/key_manager.h"
#include "oauth/access_token.h"
#include "oauth/device_authorizations.h"
#include "oauth/refresh_tokens.h"
#include "oauth/registration.h"
#include "oauth/sign_in.h"

namespace tessera::app {

// How long a token may still be presented after its exp: the leeway every verifier here allows
// for clocks that differ.
inline constexpr std::chrono::seconds kTokenLeeway{10};

struct PoolSettings {
  // Password hashing: CPU-bound, so one thread per core, niced so that a burst of logins
  // yields the cores to the I/O threads' token checks; past the queue, 503 at once.
  std::size_t credential_threads = 1;
  std::size_t credential_queue = 256;
  int credential_nice = 10;
  // Short database work.
  std::size_t blocking_threads = 16;
  std::size_t blocking_queue = 1024;
};

struct MaintenanceSettings {
  // How often a running server reads the stored keys and revocations: a `key rotate` or a
  // user disabled by the CLI takes effect within this time.
  std::chrono::seconds interval{1};
  // How often what can no longer matter is deleted.
  std::chrono::seconds purge_interval{10 * 60};
  // Browser sessions idle this long are purged.
  std::chrono::seconds session_idle{30 * 60};
};

struct Settings {
  // The issuer is left empty: it is known once the server is bound (app::ServerApp).
  oauth::AccessTokenSettings access_tokens;
  oauth::RefreshSettings refresh;
  oauth::SignInSettings sign_in;
  oauth::DeviceSettings device;
  oauth::RegistrationPolicy registration;
  keys::KeyPolicy keys;
  // The id_tokens' own ring: RS256, rotated and published as the access tokens' keys are.
  keys::KeyPolicy id_token_keys;
  // ttl + leeway: how long a revocation must be kept for every token it covers to expire.
  std::chrono::seconds access_token_lifetime{0};
  // JWKS caches must expire before a new key signs: half the publish delay, at most 5 minutes.
  std::chrono::seconds jwks_max_age{300};
  http::ServerLimits server;
  PoolSettings pools;
  MaintenanceSettings maintenance;
  // The algorithms of our tokens, as discovery names them.
  std::vector<std::string> algorithm_names;
};

Settings derive_settings(const config::Config& config);

}  // namespace tessera::app
