// The periodic work of a running server, on the blocking pool and never on the I/O threads:
// every interval it reloads the signing keys (a `key rotate` by the CLI, a scheduled rotation)
// and follows the revocation log (revocations by the CLI or by other instances); every purge
// interval it deletes expired refresh tokens, revocations and idle throttle counters.
//
//   Maintenance maintenance(ioc, blocking_pool, {.keys = manager, .revocations = revoked,
//                                                .store = store, .clock = clock}, settings);
//   maintenance.start();
//   ...
//   maintenance.stop();   // on SIGTERM; thread-safe
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "app/settings.h"
#include "core/clock.h"
#include "http/worker_pool.h"
#include "keys/key_manager.h"
#include "oauth/revocation_list.h"
#include "store/store.h"

namespace tessera::app {

// Makes the id_tokens' first RS256 key once a client may sign people in (the authorization_code
// grant): a server nobody signs in to never spends the key generation. Blocking.
void ensure_id_token_key(store::Store& store, keys::KeyManager& id_token_keys);

class Maintenance {
 public:
  struct Work {
    keys::KeyManager* keys;           // null in the HS256 mode: no stored keys
    keys::KeyManager* id_token_keys;  // likewise
    oauth::RevocationList& revocations;
    store::Store& store;
    const core::Clock& clock;
  };

  Maintenance(boost::asio::io_context& ioc, http::WorkerPool& pool, Work work,
              MaintenanceSettings settings);

  void start();
  void stop();

  // One round, blocking (what start() runs on the pool): the keys and the revocation log, and
  // with `purge` the expired records. Problems are logged; the next round tries again.
  void run_once(bool purge);

 private:
  boost::asio::awaitable<void> loop();

  http::WorkerPool& pool_;
  Work work_;
  MaintenanceSettings settings_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
};

}  // namespace tessera::app
