// `tessera serve`, the composition root: it binds the listening socket (a port in use stops the
// start before anything is written), opens the database and the signing keys, creates the
// bootstrap user, builds every component with the settings derived from the configuration,
// registers the routes, and serves until SIGTERM or SIGINT.
//
//   auto app = app::ServerApp::create(config);   // errors are one line, for stderr
//   if (!app) return fail(app.error());
//   return (*app)->run();                         // 0 after a clean stop
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <expected>
#include <memory>
#include <string>

#include "app/maintenance.h"
#include "app/settings.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/random.h"
#include "http/router.h"
#include "http/server.h"
#include "http/templates.h"
#include "http/worker_pool.h"
#include "jose/hmac_key.h"
#include "jose/key_seal.h"
#include "jose/key_source.h"
#include "keys/key_manager.h"
#include "keys/published_keys.h"
#include "oauth/dpop.h"
#include "store/store.h"

namespace tessera::app {

class ServerApp {
 public:
  static std::expected<std::unique_ptr<ServerApp>, std::string> create(
      const config::Config& config);
  ~ServerApp();
  ServerApp(const ServerApp&) = delete;
  ServerApp& operator=(const ServerApp&) = delete;

  // Serves on the configured threads until SIGTERM or SIGINT, drains, and returns the exit
  // status.
  int run();

 private:
  explicit ServerApp(const config::Config& config);

  std::expected<void, std::string> bind();
  std::expected<void, std::string> load_templates();
  std::expected<void, std::string> open_state();
  std::expected<jose::KeySealer, std::string> shared_sealer();
  std::expected<void, std::string> open_shared_secrets();
  void build();
  void wait_for_reload();
  void wait_for_stop();

  // The oauth components and the routes over them (server_app.cc).
  struct Components;

  const config::Config& config_;
  const Settings settings_;
  core::SystemClock clock_;
  core::SystemRandom random_;
  // Declared before the io_context so that they outlive it: destroying it frees coroutines
  // suspended in run(), which release their place in a pool's queue.
  http::WorkerPool credential_pool_;
  http::WorkerPool blocking_pool_;
  boost::asio::io_context ioc_;
  http::Router router_;
  http::Server server_;
  bool https_ = false;
  std::string listen_url_;
  std::string issuer_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<keys::KeyManager> key_manager_;
  std::unique_ptr<keys::KeyManager> id_key_manager_;     // the id_tokens' ring; none with HS256
  std::unique_ptr<keys::PublishedKeys> published_keys_;  // both rings, for the JWKS
  std::unique_ptr<jose::KeySource> static_keys_;         // the HS256 mode's secret
  std::unique_ptr<oauth::DpopNonces> dpop_nonces_;       // with TESSERA_DPOP_NONCE=1
  std::shared_ptr<const jose::HmacKey> refresh_successor_key_;  // with a refresh reuse grace
  std::shared_ptr<const http::Templates> templates_;
  std::unique_ptr<Components> components_;
  std::unique_ptr<Maintenance> maintenance_;
  boost::asio::signal_set reload_;
  boost::asio::signal_set stop_;
};

}  // namespace tessera::app
