#include "app/gauges.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "core/metrics.h"

namespace tessera::app {

void register_gauges(store::Store& store, keys::KeyManager* key_manager, const core::Clock& clock) {
  using Series = std::vector<std::pair<core::Labels, double>>;
  core::metrics().gauge("tessera_db_pool_connections", "Database connections by state", [&store] {
    const auto stats = store.pool_stats();
    return Series{{{{"state", "in_use"}}, static_cast<double>(stats.in_use)},
                  {{{"state", "idle"}}, static_cast<double>(stats.size - stats.in_use)}};
  });
  if (key_manager != nullptr) {
    core::metrics().gauge(
        "tessera_signing_key_age_seconds", "Age of each published signing key",
        [key_manager, &clock] {
          Series series;
          auto keys = key_manager->list();
          if (!keys) return series;
          for (const auto& k : *keys) {
            if (k.status == keys::KeyStatus::kRetired) continue;
            series.push_back({{{"kid", k.kid},
                               {"alg", k.alg},
                               {"status", std::string(keys::to_string(k.status))}},
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
    return Series{
        {{}, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}};
  });
}

}  // namespace tessera::app
