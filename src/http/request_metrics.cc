#include "http/request_metrics.h"

namespace tessera::http {

RequestMetrics::Series& RequestMetrics::series(std::string_view route) {
  if (const auto index = index_.load(); true) {
    const auto it = index->find(route.data());
    if (it != index->end()) return *it->second;
  }
  std::lock_guard lock(mutex_);
  auto index = index_.load();
  if (const auto it = index->find(route.data()); it != index->end()) return *it->second;
  auto series = std::make_unique<Series>();
  series->route = route;
  series->latency =
      &core::metrics().histogram("tessera_http_request_duration_seconds",
                                 "Time from the first byte of a request to its answer",
                                 {{"route", series->route}}, core::latency_buckets());
  auto next = std::make_shared<Index>(*index);
  (*next)[route.data()] = series.get();
  all_.push_back(std::move(series));
  index_.store(std::move(next));
  return *all_.back();
}

void RequestMetrics::observe(std::string_view route, unsigned status,
                             std::chrono::steady_clock::duration took) {
  Series& s = series(route);
  s.latency->observe(std::chrono::duration<double>(took).count());
  if (status >= s.by_status.size()) return;
  core::Counter* counter = s.by_status[status].load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = &core::metrics().counter("tessera_http_requests_total", "HTTP requests answered",
                                       {{"route", s.route}, {"status", std::to_string(status)}});
    s.by_status[status].store(counter, std::memory_order_release);
  }
  counter->inc();
}

}  // namespace tessera::http
