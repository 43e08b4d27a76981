// tessera serve: wire the modules together and run the token server until SIGTERM/SIGINT.
#include <malloc.h>
#include <unistd.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <thread>

#include "cli/common.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/handlers.h"
#include "http/server.h"
#include "http/tls.h"
#include "jose/hmac_key.h"
#include "oauth/discovery.h"
#include "oauth/grants/client_credentials.h"
#include "oauth/grants/password.h"
#include "oauth/grants/refresh_token.h"
#include "oauth/introspection.h"
#include "oauth/revocation.h"
#include "password/secret_cache.h"
#include "admin/user_admin.h"
#include "store/postgres/postgres_store.h"

namespace tessera::cli {
namespace {

namespace asio = boost::asio;
using core::LogLevel;

std::string url_of(const asio::ip::tcp::endpoint& endpoint, bool https) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return (https ? "https://" : "http://") + host + ":" + std::to_string(endpoint.port());
}

// Many keep-alive clients need many descriptors: take the whole hard limit.
void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// JWKS caches must expire before a new key starts signing: half the publish delay, at most
// five minutes.
std::chrono::seconds jwks_max_age(std::chrono::seconds publish_delay) {
  return std::clamp(publish_delay / 2, std::chrono::seconds(1), std::chrono::seconds(300));
}

// The algorithms our own endpoints accept: the configured family. Asymmetric keys of any
// kind we make (an admin may rotate to another algorithm); HS256 alone in the seed's mode.
std::vector<jose::Algorithm> accepted_algorithms(jose::Algorithm configured) {
  if (configured == jose::Algorithm::kHS256) return {jose::Algorithm::kHS256};
  return {jose::Algorithm::kEdDSA, jose::Algorithm::kES256, jose::Algorithm::kRS256,
          jose::Algorithm::kPS256};
}

// How often a running server looks at the stored keys and revocations: a `key rotate` or a
// user disabled by the CLI takes effect within this time.
constexpr std::chrono::seconds kMaintenanceInterval{1};
constexpr std::chrono::minutes kPurgeInterval{10};

// Gauges read when /metrics is scraped.
void register_gauges(store::Store& store, keys::KeyManager* key_manager, const core::Clock& clock) {
  using Series = std::vector<std::pair<core::Labels, double>>;
  core::metrics().gauge("tessera_db_pool_connections", "Database connections by state", [&store] {
    const auto stats = store.pool_stats();
    return Series{{{{"state", "in_use"}}, static_cast<double>(stats.in_use)},
                  {{{"state", "idle"}}, static_cast<double>(stats.size - stats.in_use)}};
  });
  if (key_manager != nullptr) {
    core::metrics().gauge("tessera_signing_key_age_seconds", "Age of each published signing key",
                          [key_manager, &clock] {
                            Series series;
                            auto keys = key_manager->list();
                            if (!keys) return series;
                            for (const auto& k : *keys) {
                              if (k.status == keys::KeyStatus::kRetired) continue;
                              series.push_back(
                                  {{{"kid", k.kid}, {"alg", k.alg}, {"status", std::string(keys::to_string(k.status))}},
                                   std::chrono::duration<double>(clock.now() - k.created_at).count()});
                            }
                            return series;
                          });
  }
  core::metrics().gauge("tessera_process_resident_memory_bytes", "Resident memory", [] {
    long pages = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
      long size = 0;
      if (std::fscanf(f, "%ld %ld", &size, &pages) != 2) pages = 0;
      std::fclose(f);
    }
    return Series{{{}, static_cast<double>(pages) * static_cast<double>(::sysconf(_SC_PAGESIZE))}};
  });
  static const auto started = std::chrono::steady_clock::now();
  core::metrics().gauge("tessera_uptime_seconds", "Seconds since the server started", [] {
    return Series{{{}, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}};
  });
}

}  // namespace

int run_serve(const config::Config& config, Args args) {
  args.done();
  // Argon2 allocates ~19 MiB per hash. A fixed mmap threshold keeps such blocks out of the
  // heap arenas, so their memory goes back to the system when a hash is done.
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
  raise_open_file_limit();
  for (const std::string& warning : config.warnings) {
    core::log(LogLevel::kWarn, "config_warning", {{"detail", warning}});
  }

  // Hashing gets one thread per core: it is CPU-bound, and more threads would only queue.
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  // Niced: a burst of logins must not slow the I/O threads' token checks. Declared before
  // the io_context so that they outlive it: destroying it frees coroutines suspended in
  // run(), which release their place in the pool's queue.
  http::WorkerPool credential_pool(cores, 256, /*nice=*/10);
  http::WorkerPool blocking_pool(4, 1024);

  // Bind first: a port in use must stop the start before anything is written.
  asio::io_context ioc(static_cast<int>(config.threads));
  http::Router router;
  http::ServerLimits limits;
  limits.max_connections_per_address = config.max_connections_per_address;
  for (const std::string& proxy : config.trusted_proxies) {
    limits.trusted_proxies.push_back(boost::asio::ip::make_address(proxy));
  }
  http::Server server(ioc, router, std::move(limits));
  auto endpoint = server.listen(config.listen.host, config.listen.port);
  if (!endpoint) return fail("TESSERA_LISTEN: " + endpoint.error());
  const bool https = config.tls_cert.has_value();
  if (https) {
    auto tls = http::make_tls_context(*config.tls_cert, *config.tls_key);
    if (!tls) return fail(tls.error());
    server.set_tls(std::move(*tls));
  } else if (!endpoint->address().is_loopback()) {
    // Passwords and tokens in clear text belong on loopback only, unless TLS ends in front.
    if (!config.allow_insecure_http) {
      return fail("TESSERA_LISTEN: plain HTTP on " + endpoint->address().to_string() +
                  " would send passwords and tokens in clear; set TESSERA_TLS_CERT and "
                  "TESSERA_TLS_KEY, or TESSERA_ALLOW_INSECURE_HTTP=1 behind a TLS proxy");
    }
    core::log(LogLevel::kWarn, "insecure_http",
              {{"listen", url_of(*endpoint, false)},
               {"detail", "plain HTTP on a non-loopback address: TLS must end in front"}});
  }
  const std::string issuer = config.issuer.value_or(url_of(*endpoint, https));

  core::SystemClock clock;
  core::SystemRandom random;
  auto store = open_store(config, clock);
  if (!store) return fail(store.error());
  // Keys: the HS256 secret of the seed's mode, or asymmetric keys kept in the database.
  std::unique_ptr<keys::KeyManager> key_manager;
  std::unique_ptr<jose::KeySource> static_keys;
  if (config.signing_alg == jose::Algorithm::kHS256) {
    auto key = jose::HmacKey::create(*config.secret_key);
    if (!key) return fail("TESSERA_SECRET_KEY: " + key.error());
    static_keys = std::make_unique<jose::StaticKeySource>(std::move(*key));
  } else {
    auto manager = open_key_manager(config, (*store)->keys(), clock, random);
    if (!manager) return fail(manager.error());
    if (auto started = (*manager)->start(); !started) return fail(started.error());
    key_manager = std::move(*manager);
  }
  const jose::KeySource& keys =
      key_manager ? static_cast<const jose::KeySource&>(*key_manager) : *static_keys;

  password::PasswordHasher hasher(random);
  admin::UserAdmin admin(**store, hasher, random, clock);  // bootstrap only: no sessions to end
  auto bootstrap = admin.bootstrap(config.admin_username, config.admin_password);
  if (!bootstrap) return fail(bootstrap.error());
  if (bootstrap->generated_password) {
    std::cout << "created user " << bootstrap->name << " with password "
              << *bootstrap->generated_password
              << " (shown once; change it with tessera user passwd)" << std::endl;
  }

  oauth::RevocationList revoked((*store)->revocations(), clock);
  if (auto synced = revoked.sync(); !synced) return fail(synced.error());
  oauth::AccessTokens access_tokens(keys,
                                    {.issuer = issuer,
                                     .ttl = config.access_token_ttl,
                                     .algorithms = accepted_algorithms(config.signing_alg),
                                     .leeway = kTokenLeeway},
                                    clock, random, &revoked);
  const oauth::RefreshTokens refresh_tokens((*store)->refresh_tokens(), refresh_settings(config), clock, random, revoked);
  password::VerifiedSecretCache secret_cache(clock, random);
  const oauth::LoginThrottle throttle((*store)->throttles(), clock);
  const oauth::ClientAuthenticator clients((*store)->clients(), hasher, secret_cache, &throttle);
  oauth::TokenService token_service(clients);
  token_service.add(
      std::make_unique<oauth::PasswordGrant>((*store)->users(), hasher, access_tokens, &refresh_tokens, &throttle));
  token_service.add(std::make_unique<oauth::ClientCredentialsGrant>(access_tokens));
  token_service.add(
      std::make_unique<oauth::RefreshTokenGrant>((*store)->users(), refresh_tokens, access_tokens));
  const oauth::UserInfo userinfo((*store)->users());
  const oauth::Introspection introspection(access_tokens, refresh_tokens, (*store)->users(), (*store)->clients(), issuer);
  const oauth::Revocation revocation(access_tokens, refresh_tokens, (*store)->revocations(), revoked, clock);
  std::vector<std::string> grant_types;
  for (const auto grant : token_service.grant_types()) grant_types.emplace_back(grant);
  std::vector<std::string> algorithms;
  for (const auto alg : accepted_algorithms(config.signing_alg)) {
    algorithms.emplace_back(jose::name(alg));
  }
  const oauth::ServerMetadata metadata(
      {.issuer = issuer,
       .grant_types = grant_types,
       .token_endpoint_auth_methods = {"client_secret_basic", "client_secret_post", "none"},
       .signing_algorithms = algorithms});
  const oauth::Discovery discovery(metadata, (*store)->users(), (*store)->clients());
  register_gauges(**store, key_manager.get(), clock);
  http::register_routes(router, {.token_service = token_service,
                                 .access_tokens = access_tokens,
                                 .userinfo = userinfo,
                                 .clients = clients,
                                 .introspection = introspection,
                                 .revocation = revocation,
                                 .keys = keys,
                                 .discovery = discovery,
                                 .database_answers = [&store] { return (*store)->ping().has_value(); },
                                 .jwks_max_age = jwks_max_age(config.key_publish_delay),
                                 .credential_pool = credential_pool,
                                 .blocking_pool = blocking_pool,
                                 .metrics_token = config.metrics_token});

  // Every second, off the I/O threads: the stored keys (a `key rotate` by the CLI, a
  // scheduled rotation) and the revocation log (revocations by the CLI or, later, by other
  // instances). Every ten minutes: expired refresh tokens and revocations are purged.
  const auto maintenance_strand = asio::make_strand(ioc);
  asio::steady_timer maintenance_timer(maintenance_strand);
  asio::co_spawn(
      maintenance_strand,
      [&]() -> asio::awaitable<void> {
        auto next_purge = std::chrono::steady_clock::now();
        for (;;) {
          maintenance_timer.expires_after(kMaintenanceInterval);
          boost::system::error_code ec;
          co_await maintenance_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          if (ec) co_return;
          const bool purge = std::chrono::steady_clock::now() >= next_purge;
          if (purge) next_purge = std::chrono::steady_clock::now() + kPurgeInterval;
          co_await blocking_pool.run([&] {
            if (key_manager) {
              if (auto refreshed = key_manager->refresh(); !refreshed) {
                core::log(LogLevel::kWarn, "signing_keys_not_refreshed", {{"detail", refreshed.error()}});
              }
            }
            if (auto synced = revoked.sync(); !synced) {
              core::log(LogLevel::kWarn, "revocations_not_synced", {{"detail", synced.error()}});
            }
            if (purge) {
              const auto now = clock.now();
              std::size_t purged = 0;
              for (auto n : {(*store)->refresh_tokens().purge_expired(now),
                             (*store)->revocations().purge_expired(now),
                             (*store)->throttles().purge_idle(now)}) {
                if (n) purged += *n;
              }
              if (purged > 0) {
                core::log(LogLevel::kInfo, "expired_records_purged", {{"count", purged}});
              }
            }
            return true;
          });
        }
      },
      asio::detached);

  // SIGHUP: load a renewed certificate for new connections; open ones keep theirs.
  asio::signal_set reload(ioc, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_reload =
      [&](const boost::system::error_code& ec, int) {
        if (ec) return;
        if (https) {
          if (auto tls = http::make_tls_context(*config.tls_cert, *config.tls_key)) {
            server.set_tls(std::move(*tls));
            core::log(LogLevel::kInfo, "tls_reloaded", {{"cert", *config.tls_cert}});
          } else {
            core::log(LogLevel::kError, "tls_reload_failed", {{"detail", tls.error()}});
          }
        }
        reload.async_wait(on_reload);
      };
  reload.async_wait(on_reload);

  // The set stays armed until the process ends, so a second signal during shutdown is
  // noted rather than killing the process midway.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        core::log(LogLevel::kInfo, "shutting_down", {{"signal", signal}});
        asio::post(maintenance_strand, [&maintenance_timer] { maintenance_timer.cancel(); });
        reload.cancel();
        server.drain([&ioc] { ioc.stop(); });
        signals.async_wait([](const boost::system::error_code&, int) {});
      };
  signals.async_wait(on_signal);
  server.start();
  core::log(LogLevel::kInfo, "started",
            {{"listen", url_of(*endpoint, https)},
             {"issuer", issuer},
             {"alg", jose::name(config.signing_alg)},
             {"threads", config.threads},
             {"database", store::redact_database_url(config.database)}});
  std::cout << "listening on " << url_of(*endpoint, https) << std::endl;

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < config.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  // Work still on the pools finishes now, while everything it uses is alive; its completions
  // queue on the stopped io_context and are freed with it.
  credential_pool.join();
  blocking_pool.join();
  // From here to exit, a late SIGTERM or SIGINT must not turn a clean stop into a kill.
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGHUP, SIG_IGN);
  core::log(LogLevel::kInfo, "stopped");
  return kExitOk;
}

}  // namespace tessera::cli
