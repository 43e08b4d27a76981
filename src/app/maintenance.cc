#include "app/maintenance.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.h"

namespace tessera::app {

namespace asio = boost::asio;

Maintenance::Maintenance(asio::io_context& ioc, http::WorkerPool& pool, Work work,
                         MaintenanceSettings settings)
    : pool_(pool),
      work_(work),
      settings_(settings),
      strand_(asio::make_strand(ioc)),
      timer_(strand_) {}

void Maintenance::start() { asio::co_spawn(strand_, loop(), asio::detached); }

void Maintenance::stop() {
  asio::post(strand_, [this] { timer_.cancel(); });
}

asio::awaitable<void> Maintenance::loop() {
  auto next_purge = std::chrono::steady_clock::now();
  for (;;) {
    timer_.expires_after(settings_.interval);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    const bool purge = std::chrono::steady_clock::now() >= next_purge;
    if (purge) next_purge = std::chrono::steady_clock::now() + settings_.purge_interval;
    co_await pool_.run([this, purge] {
      run_once(purge);
      return true;
    });
  }
}

void ensure_id_token_key(store::Store& store, keys::KeyManager& id_token_keys) {
  auto clients = store.clients().list_clients();
  if (!clients) return;  // logged by the store; the next round tries again
  const bool sign_in = std::any_of(clients->begin(), clients->end(), [](const auto& client) {
    return std::find(client.grants.begin(), client.grants.end(), "authorization_code") !=
           client.grants.end();
  });
  if (!sign_in) return;
  if (auto made = id_token_keys.ensure_signing_key(); !made) {
    core::log(core::LogLevel::kWarn, "id_token_key_not_made", {{"detail", made.error()}});
  }
}

void Maintenance::run_once(bool purge) {
  for (keys::KeyManager* ring : {work_.keys, work_.id_token_keys}) {
    if (ring == nullptr) continue;
    if (auto refreshed = ring->refresh(); !refreshed) {
      core::log(core::LogLevel::kWarn, "signing_keys_not_refreshed",
                {{"detail", refreshed.error()}});
    }
  }
  if (work_.id_token_keys != nullptr && !work_.id_token_keys->signing_key()) {
    ensure_id_token_key(work_.store, *work_.id_token_keys);
  }
  if (auto synced = work_.revocations.sync(); !synced) {
    core::log(core::LogLevel::kWarn, "revocations_not_synced", {{"detail", synced.error()}});
  }
  if (!purge) return;
  const core::TimePoint now = work_.clock.now();
  std::size_t purged = 0;
  for (const auto& n :
       {work_.store.refresh_tokens().purge_expired(now),
        work_.store.revocations().purge_expired(now), work_.store.throttles().purge_idle(now),
        work_.store.codes().purge_expired(now), work_.store.replays().purge_expired(now),
        work_.store.pushed_requests().purge_expired(now),
        // Kept an hour past their expiry, so that a device still polling hears expired_token
        // (RFC 8628 section 3.5) rather than of an unknown code.
        work_.store.device_codes().purge_expired(now - std::chrono::hours(1)),
        work_.store.registration_tokens().purge_expired(now),
        work_.store.sessions().purge_expired(now, settings_.session_idle)}) {
    if (n) purged += *n;
  }
  if (purged > 0) core::log(core::LogLevel::kInfo, "expired_records_purged", {{"count", purged}});
}

}  // namespace tessera::app
