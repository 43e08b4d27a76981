#include "http/request_metrics.h"

namespace tessera::http {

RequestMetrics::Series& RequestMetrics::series(std::string_view route) {
  std::lock_guard lock(mutex_);
  auto& slot = routes_[std::string(route)];
  if (!slot) {
    slot = std::make_unique<Series>();
    slot->latency = &core::metrics().histogram(
        "tessera_http_request_duration_seconds", "Time from the first byte of a request to its answer",
        {{"route", std::string(route)}}, core::latency_buckets());
  }
  return *slot;
}

void RequestMetrics::observe(std::string_view route, unsigned status,
                             std::chrono::steady_clock::duration took) {
  Series& s = series(route);
  s.latency->observe(std::chrono::duration<double>(took).count());
  if (status >= s.by_status.size()) return;
  core::Counter* counter = s.by_status[status].load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = &core::metrics().counter("tessera_http_requests_total", "HTTP requests answered",
                                       {{"route", std::string(route)}, {"status", std::to_string(status)}});
    s.by_status[status].store(counter, std::memory_order_release);
  }
  counter->inc();
}

}  // namespace tessera::http
