// tessera serve: wire the modules together and run the token server until SIGTERM/SIGINT.
#include <malloc.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <functional>
#include <iostream>
#include <thread>

#include "cli/common.h"
#include "core/log.h"
#include "http/handlers.h"
#include "http/server.h"
#include "jose/evp_key.h"
#include "jose/hmac_key.h"
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

std::expected<std::unique_ptr<jose::KeySource>, std::string> make_keys(
    const config::Config& config) {
  if (config.signing_alg == jose::Algorithm::kHS256) {
    auto key = jose::HmacKey::create(*config.secret_key);
    if (!key) return std::unexpected("TESSERA_SECRET_KEY: " + key.error());
    return std::make_unique<jose::StaticKeySource>(std::move(*key));
  }
  auto key = jose::EvpKey::generate(config.signing_alg);
  if (!key) return std::unexpected("cannot create a signing key: " + key.error());
  // Until signing keys live in the database, a key lasts as long as the process.
  core::log(LogLevel::kWarn, "ephemeral_signing_key",
            {{"alg", jose::name(config.signing_alg)},
             {"kid", (*key)->kid()},
             {"detail", "tokens stop verifying when the server restarts"}});
  return std::make_unique<jose::StaticKeySource>(std::move(*key));
}

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
  auto keys = make_keys(config);
  if (!keys) return fail(keys.error());

  oauth::AccessTokens access_tokens(**keys,
                                    {.issuer = issuer,
                                     .ttl = config.access_token_ttl,
                                     .algorithms = {config.signing_alg},
                                     .leeway = std::chrono::seconds(10)},
                                    clock, random);
  oauth::ClientAuthenticator clients;
  oauth::TokenService token_service(clients);
  token_service.add(std::make_unique<oauth::PasswordGrant>(**store, hasher, access_tokens));
  oauth::UserInfo userinfo(**store);
  // Hashing gets one thread per core: it is CPU-bound, and more threads would only queue.
  const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  http::WorkerPool credential_pool(cores, 256);
  http::WorkerPool blocking_pool(4, 1024);
  http::register_routes(router, {.token_service = token_service,
                                 .access_tokens = access_tokens,
                                 .userinfo = userinfo,
                                 .store = **store,
                                 .credential_pool = credential_pool,
                                 .blocking_pool = blocking_pool});

  // The set stays armed until the process ends, so a second signal during shutdown is
  // noted rather than killing the process midway.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        core::log(LogLevel::kInfo, "shutting_down", {{"signal", signal}});
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
