// tessera serve: wire the modules together and run the token server until SIGTERM/SIGINT.
#include <malloc.h>

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
#include <functional>
#include <iostream>
#include <thread>

#include "cli/common.h"
#include "core/log.h"
#include "http/handlers.h"
#include "http/server.h"
#include "jose/hmac_key.h"
#include "oauth/discovery.h"
#include "oauth/grants/password.h"
#include "oauth/user_admin.h"

namespace tessera::cli {
namespace {

namespace asio = boost::asio;
using core::LogLevel;

std::string url_of(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return "http://" + host + ":" + std::to_string(endpoint.port());
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

// How often a running server looks at the stored keys: a `key rotate` from the CLI is
// published within this time, and a key starts signing at most this late.
constexpr std::chrono::seconds kKeyRefresh{1};

}  // namespace

int run_serve(const config::Config& config, Args args) {
  args.done();
  // Argon2 allocates ~19 MiB per hash. A fixed mmap threshold keeps such blocks out of the
  // heap arenas, so their memory goes back to the system when a hash is done.
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
  for (const std::string& warning : config.warnings) {
    core::log(LogLevel::kWarn, "config_warning", {{"detail", warning}});
  }

  // Bind first: a port in use must stop the start before anything is written.
  asio::io_context ioc(static_cast<int>(config.threads));
  http::Router router;
  http::Server server(ioc, router);
  auto endpoint = server.listen(config.listen.host, config.listen.port);
  if (!endpoint) return fail("TESSERA_LISTEN: " + endpoint.error());
  const std::string issuer = config.issuer.value_or(url_of(*endpoint));

  core::SystemClock clock;
  core::SystemRandom random;
  auto store = open_store(config, clock);
  if (!store) return fail(store.error());
  password::PasswordHasher hasher(random);
  oauth::UserAdmin admin(**store, hasher, random);
  auto bootstrap = admin.bootstrap(config.admin_username, config.admin_password);
  if (!bootstrap) return fail(bootstrap.error());
  if (bootstrap->generated_password) {
    std::cout << "created user " << bootstrap->name << " with password "
              << *bootstrap->generated_password
              << " (shown once; change it with tessera user passwd)" << std::endl;
  }
  // Keys: the HS256 secret of the seed's mode, or asymmetric keys kept in the database.
  std::unique_ptr<keys::KeyManager> key_manager;
  std::unique_ptr<jose::KeySource> static_keys;
  if (config.signing_alg == jose::Algorithm::kHS256) {
    auto key = jose::HmacKey::create(*config.secret_key);
    if (!key) return fail("TESSERA_SECRET_KEY: " + key.error());
    static_keys = std::make_unique<jose::StaticKeySource>(std::move(*key));
  } else {
    auto manager = open_key_manager(config, **store, clock, random);
    if (!manager) return fail(manager.error());
    if (auto started = (*manager)->start(); !started) return fail(started.error());
    key_manager = std::move(*manager);
  }
  const jose::KeySource& keys =
      key_manager ? static_cast<const jose::KeySource&>(*key_manager) : *static_keys;

  oauth::AccessTokens access_tokens(keys,
                                    {.issuer = issuer,
                                     .ttl = config.access_token_ttl,
                                     .algorithms = accepted_algorithms(config.signing_alg),
                                     .leeway = kTokenLeeway},
                                    clock, random);
  oauth::ClientAuthenticator clients;
  oauth::TokenService token_service(clients);
  token_service.add(std::make_unique<oauth::PasswordGrant>(**store, hasher, access_tokens));
  oauth::UserInfo userinfo(**store);
  std::vector<std::string> grant_types;
  for (const auto grant : token_service.grant_types()) grant_types.emplace_back(grant);
  std::vector<std::string> algorithms;
  for (const auto alg : accepted_algorithms(config.signing_alg)) algorithms.emplace_back(jose::name(alg));
  const oauth::ServerMetadata metadata({.issuer = issuer,
                                        .grant_types = grant_types,
                                        .token_endpoint_auth_methods = {"none"},
                                        .signing_algorithms = algorithms});
  // Hashing gets one thread per core: it is CPU-bound, and more threads would only queue.
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  http::WorkerPool credential_pool(cores, 256);
  http::WorkerPool blocking_pool(4, 1024);
  http::register_routes(router, {.token_service = token_service,
                                 .access_tokens = access_tokens,
                                 .userinfo = userinfo,
                                 .store = **store,
                                 .keys = keys,
                                 .metadata = metadata,
                                 .jwks_max_age = jwks_max_age(config.key_publish_delay),
                                 .credential_pool = credential_pool,
                                 .blocking_pool = blocking_pool});

  // Keys change under a running server (rotation by the CLI or by schedule): look again
  // every second, on the blocking pool since it reads the database.
  const auto key_strand = asio::make_strand(ioc);
  asio::steady_timer key_timer(key_strand);
  if (key_manager) {
    asio::co_spawn(
        key_strand,
        [&]() -> asio::awaitable<void> {
          for (;;) {
            key_timer.expires_after(kKeyRefresh);
            boost::system::error_code ec;
            co_await key_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            auto refreshed = co_await blocking_pool.run([&] { return key_manager->refresh(); });
            if (refreshed && !*refreshed) {
              core::log(LogLevel::kWarn, "signing_keys_not_refreshed", {{"detail", refreshed->error()}});
            }
          }
        },
        asio::detached);
  }

  // The set stays armed until the process ends, so a second signal during shutdown is
  // noted rather than killing the process midway.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        core::log(LogLevel::kInfo, "shutting_down", {{"signal", signal}});
        asio::post(key_strand, [&key_timer] { key_timer.cancel(); });
        server.drain([&ioc] { ioc.stop(); });
        signals.async_wait([](const boost::system::error_code&, int) {});
      };
  signals.async_wait(on_signal);
  server.start();
  core::log(LogLevel::kInfo, "started",
            {{"listen", url_of(*endpoint)},
             {"issuer", issuer},
             {"alg", jose::name(config.signing_alg)},
             {"threads", config.threads},
             {"database", config.database}});
  std::cout << "listening on " << url_of(*endpoint) << std::endl;

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < config.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  // From here to exit, a late SIGTERM or SIGINT must not turn a clean stop into a kill.
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  core::log(LogLevel::kInfo, "stopped");
  return kExitOk;
}

}  // namespace tessera::cli
